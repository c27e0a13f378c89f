/* ddns.conf: the `providers` group and the `records` list, and the
 * fingerprint that lets a reload keep provider instances whose options did
 * not change. */
#include "conf.h"
#include "conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const record_settings[] = {
	"domain", "provider", "key_hash", "lan_ip", "lan_ipv6",
	"ipv6_from", "ipv6_suffix", "ipv6_prefix_len", NULL,
};

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int by_name(const void *a, const void *b)
{
	const config_setting_t *x = *(config_setting_t *const *)a;
	const config_setting_t *y = *(config_setting_t *const *)b;
	return strcmp(config_setting_name(x), config_setting_name(y));
}

/* Canonical text of a value: groups with members sorted by name, so the
 * order they are written in does not count as a change. */
static int put_value(FILE *f, const config_setting_t *s)
{
	int n = config_setting_length(s);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "%lld", config_setting_get_int64(s));
		return 0;
	case CONFIG_TYPE_FLOAT:
		fprintf(f, "%.17g", config_setting_get_float(s));
		return 0;
	case CONFIG_TYPE_BOOL:
		fputs(config_setting_get_bool(s) ? "true" : "false", f);
		return 0;
	case CONFIG_TYPE_STRING:
		put_quoted(f, config_setting_get_string(s));
		return 0;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		fputc('[', f);
		for (int i = 0; i < n; i++) {
			if (i > 0)
				fputc(',', f);
			put_value(f, config_setting_get_elem(s, (unsigned)i));
		}
		fputc(']', f);
		return 0;
	case CONFIG_TYPE_GROUP: {
		config_setting_t **m = calloc((size_t)n + 1, sizeof(*m));
		if (m == NULL)
			return -ENOMEM;
		for (int i = 0; i < n; i++)
			m[i] = config_setting_get_elem(s, (unsigned)i);
		qsort(m, (size_t)n, sizeof(*m), by_name);
		fputc('{', f);
		int rc = 0;
		for (int i = 0; i < n && rc == 0; i++) {
			fprintf(f, "%s=", config_setting_name(m[i]));
			rc = put_value(f, m[i]);
			fputc(';', f);
		}
		fputc('}', f);
		free(m);
		return rc;
	}
	default:
		return 0;
	}
}

/* The fingerprint covers the resolved plugin path too: the same options
 * against another module are a different instance. */
static char *fingerprint(const char *plugin, const config_setting_t *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fputs("plugin=", f);
	put_quoted(f, plugin);
	fputc(';', f);
	int rc = put_value(f, g);
	if (fclose(f) != 0 || rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int read_provider(conf_reader_t *r, const config_setting_t *g,
                         conf_provider_t *cp)
{
	const char *name = config_setting_name(g);
	if (!config_setting_is_group(g))
		return conf_fail(r, g, NULL, "must be a group { plugin = \"...\"; ... }");
	if (strlen(name) >= CONF_PROVIDER_NAME_MAX)
		return conf_fail(r, g, NULL, "name longer than %d characters",
		                 CONF_PROVIDER_NAME_MAX - 1);
	const char *plugin;
	int rc = conf_member_string(r, g, "plugin", &plugin);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return conf_fail(r, g, "plugin", "missing (a plugin name such as "
		                 "\"dummy\", or the path of a .so file)");
	if (strchr(plugin, '/') == NULL && !conf_plugin_name_valid(plugin))
		return conf_fail(r, config_setting_get_member(g, "plugin"), NULL,
		                 "\"%s\" is neither a plugin name ([a-z0-9_-]) nor a "
		                 "path to a .so file", plugin);
	cp->name = strdup(name);
	cp->plugin = strchr(plugin, '/') != NULL ? conf_resolve_path(r, plugin)
	                                         : strdup(plugin);
	if (cp->name == NULL || cp->plugin == NULL)
		return -ENOMEM;
	if ((cp->fingerprint = fingerprint(cp->plugin, g)) == NULL)
		return -ENOMEM;
	cp->setting = (config_setting_t *)g;
	cp->file = config_setting_source_file(g);
	if (cp->file == NULL)
		cp->file = r->conf->path;
	cp->line = (int)config_setting_source_line(g);
	return 0;
}

int conf_read_providers(conf_reader_t *r, const config_setting_t *s)
{
	conf_t *c = r->conf;
	if (s == NULL)
		return 0;
	if (!config_setting_is_group(s))
		return conf_fail(r, s, NULL, "must be a group { name = { plugin = ...; }; }");
	int n = config_setting_length(s);
	if (n == 0)
		return 0;
	if ((c->providers = calloc((size_t)n, sizeof(*c->providers))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		int rc = read_provider(r, config_setting_get_elem(s, (unsigned)i),
		                       &c->providers[c->n_providers++]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The record borrows its strings from the tree.  A string the file wrote
 * in another form than the one ddnsd uses ("Home.Example.COM.",
 * "2001:DB8:0::1") is replaced in the tree by that form first, so the
 * borrowed text is always the normalised one.  @return the string to
 * borrow, or NULL (out of memory). */
static const char *keep_as(config_setting_t *s, const char *text, const char *want)
{
	if (strcmp(text, want) == 0)
		return text;
	if (config_setting_set_string(s, want) != CONFIG_TRUE)
		return NULL;
	return config_setting_get_string(s);
}

/* Put one LAN address (the string setting @p e, reported as @p s) into its
 * family's slot; one of each at most. */
static int put_lan(conf_reader_t *r, const config_setting_t *s, config_setting_t *e,
                   int want_family, conf_record_t *rec)
{
	const char *text = config_setting_get_string(e);
	char canon[ADDR_TEXT_MAX];
	int family;
	if (addr_canonical(text, canon, &family) != 0)
		return conf_fail(r, s, NULL, "\"%s\" is not an IP address", text);
	if (want_family != 0 && family != want_family)
		return conf_fail(r, s, NULL, "\"%s\" is not an IPv6 address", text);
	const char **slot = family == AF_INET ? &rec->lan_ipv4 : &rec->lan_ipv6;
	if ((*slot)[0] != '\0')
		return conf_fail(r, s, NULL, "more than one %s LAN address",
		                 family == AF_INET ? "IPv4" : "IPv6");
	if ((*slot = keep_as(e, text, canon)) == NULL)
		return -ENOMEM;
	return 0;
}

static int read_lan(conf_reader_t *r, const config_setting_t *g, conf_record_t *rec)
{
	config_setting_t *s = config_setting_get_member(g, "lan_ip");
	int rc = 0;
	rec->lan_ipv4 = rec->lan_ipv6 = "";
	if (s != NULL && config_setting_type(s) == CONFIG_TYPE_STRING) {
		rc = put_lan(r, s, s, 0, rec);
	} else if (s != NULL && (config_setting_is_array(s) || config_setting_is_list(s))) {
		if (config_setting_length(s) > 2)
			return conf_fail(r, s, NULL, "at most one IPv4 and one IPv6 address");
		for (int i = 0; rc == 0 && i < config_setting_length(s); i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return conf_fail(r, e, NULL, "must be a string");
			rc = put_lan(r, s, e, 0, rec);
		}
	} else if (s != NULL) {
		return conf_fail(r, s, NULL, "must be an address or a list of addresses");
	}
	if (rc != 0)
		return rc;
	const char *v6;
	if ((rc = conf_member_string(r, g, "lan_ipv6", &v6)) < 0)
		return rc;
	if (v6 == NULL)
		return 0;
	config_setting_t *s6 = config_setting_get_member(g, "lan_ipv6");
	return put_lan(r, s6, s6, AF_INET6, rec);
}

static int read_record(conf_reader_t *r, const config_setting_t *g, conf_record_t *rec)
{
	if (!config_setting_is_group(g))
		return conf_fail(r, g, NULL, "must be a group { domain = ...; ... }");
	int rc = conf_check_known(r, g, record_settings);
	if (rc != 0)
		return rc;
	rec->line = (int)config_setting_source_line(g);
	const char *domain, *provider, *hash;
	if ((rc = conf_member_string(r, g, "domain", &domain)) < 0)
		return rc;
	if (rc > 0)
		return conf_fail(r, g, "domain", "missing");
	char name[NAME_TEXT_MAX];
	config_setting_t *ds = config_setting_get_member(g, "domain");
	if (addr_name_normalize(domain, name) != 0 || !addr_name_is_fqdn(name))
		return conf_fail(r, ds, NULL, "\"%s\" is not a valid domain name", domain);
	if ((rec->name = keep_as(ds, domain, name)) == NULL)
		return -ENOMEM;
	if ((rc = conf_member_string(r, g, "provider", &provider)) < 0)
		return rc;
	if (rc > 0)
		return conf_fail(r, g, "provider", "missing");
	if (conf_find_provider(r->conf, provider) == NULL)
		return conf_fail(r, config_setting_get_member(g, "provider"), NULL,
		                 "no provider \"%s\" in `providers`", provider);
	rec->provider = provider;
	if ((rc = conf_member_string(r, g, "key_hash", &hash)) < 0)
		return rc;
	if (rc > 0)
		return conf_fail(r, g, "key_hash", "missing (`ddnsctl genkey` prints one)");
	if (!key_hash_valid(hash))
		return conf_fail(r, config_setting_get_member(g, "key_hash"), NULL,
		                 "not a \"sha256:<64 hex>\" hash");
	rec->key_hash = hash;
	if ((rc = read_lan(r, g, rec)) != 0)
		return rc;
	return conf_follow_read(r, g, rec);
}

/* A record's name and its place in the list, to find duplicates by sorting
 * (O(n log n): a ddns.conf may hold 100,000 records). */
typedef struct name_at {
	const char *name;
	int i;
} name_at_t;

static int name_at_cmp(const void *a, const void *b)
{
	const name_at_t *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* The first record (in file order) whose name an earlier one has. */
static int records_unique(conf_reader_t *r, const config_setting_t *s)
{
	conf_t *c = r->conf;
	name_at_t *v = malloc(c->n_records * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_records; i++)
		v[i] = (name_at_t){ c->records[i].name, (int)i };
	qsort(v, c->n_records, sizeof(*v), name_at_cmp);
	int dup = -1, first = -1;
	for (size_t k = 1; k < c->n_records; k++) {
		if (strcmp(v[k].name, v[k - 1].name) == 0 && (dup < 0 || v[k].i < dup)) {
			dup = v[k].i;
			first = v[k - 1].i;
		}
	}
	free(v);
	if (dup < 0)
		return 0;
	config_setting_t *g = config_setting_get_elem(s, (unsigned)dup);
	return conf_fail(r, config_setting_get_member(g, "domain"), NULL,
	                 "\"%s\" is already defined at line %d", c->records[dup].name,
	                 c->records[first].line);
}

int conf_read_records(conf_reader_t *r, const config_setting_t *s)
{
	conf_t *c = r->conf;
	if (s == NULL)
		return 0;
	if (!config_setting_is_list(s) && !(config_setting_is_array(s) &&
	                                    config_setting_length(s) == 0))
		return conf_fail(r, s, NULL, "must be a list ( { domain = ...; }, ... )");
	int n = config_setting_length(s);
	if (n == 0)
		return 0;
	if ((c->records = calloc((size_t)n, sizeof(*c->records))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		conf_record_t *rec = &c->records[c->n_records];
		int rc = read_record(r, g, rec);
		if (rc != 0)
			return rc;
		c->n_records++;
	}
	int rc = records_unique(r, s);
	return rc != 0 ? rc : conf_follow_resolve(r, s);
}
