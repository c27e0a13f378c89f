/* ddns.conf helpers: setting paths and "file:line: setting: problem"
 * messages, typed member access, relative paths, lookups by name and
 * the plugin-name rule (here, below the plugin loader, which uses it too). */
#include "conf.h"
#include "conf_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "records.[1].key_hash": libconfig's own path syntax, so it can be looked up. */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[32];
	size_t n = 0;
	for (; s != NULL && config_setting_parent(s) != NULL && n < 32;
	     s = config_setting_parent(s))
		chain[n++] = s;
	size_t off = 0;
	buf[0] = '\0';
	while (n-- > 0 && off < len) {
		const char *name = config_setting_name(chain[n]);
		const char *dot = off > 0 ? "." : "";
		int w = name != NULL
			? snprintf(buf + off, len - off, "%s%s", dot, name)
			: snprintf(buf + off, len - off, "%s[%d]", dot,
			           config_setting_index(chain[n]));
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

int conf_fail(conf_reader_t *r, const config_setting_t *s, const char *child,
              const char *fmt, ...)
{
	char path[256] = "";
	if (s != NULL)
		setting_path(s, path, sizeof(path));
	const char *file = s != NULL ? config_setting_source_file(s) : NULL;
	int line = s != NULL ? (int)config_setting_source_line(s) : 0;
	if (file == NULL)
		file = r->conf->path;
	int n = snprintf(r->err, r->errlen, "%s:%d: %s%s%s: ", file, line, path,
	                 child != NULL && path[0] != '\0' ? "." : "",
	                 child != NULL ? child : "");
	if (n >= 0 && (size_t)n < r->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int conf_member_string(conf_reader_t *r, const config_setting_t *g,
                       const char *name, const char **out)
{
	config_setting_t *s = config_setting_get_member(g, name);
	*out = NULL;
	if (s == NULL)
		return 1;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_fail(r, s, NULL, "must be a string");
	*out = config_setting_get_string(s);
	if ((*out)[0] == '\0')
		return conf_fail(r, s, NULL, "must not be empty");
	return 0;
}

char *conf_resolve_path(const conf_reader_t *r, const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char *out = NULL;
	if (asprintf(&out, "%s/%s", r->dir, path) < 0)
		return NULL;
	return out;
}

int conf_check_known(conf_reader_t *r, const config_setting_t *g,
                       const char *const *allowed)
{
	int n = config_setting_length(g);
	for (int i = 0; i < n; i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		size_t k = 0;
		while (allowed[k] != NULL && strcmp(allowed[k], name) != 0)
			k++;
		if (allowed[k] == NULL)
			return conf_fail(r, m, NULL, "unknown setting");
	}
	return 0;
}

int conf_member_uint(conf_reader_t *r, const config_setting_t *g, const char *name,
                       long long min, long long max, uint32_t *out)
{
	config_setting_t *s = config_setting_get_member(g, name);
	if (s == NULL)
		return 0;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return conf_fail(r, s, NULL, "must be an integer");
	long long v = config_setting_get_int64(s);
	if (v < min || v > max)
		return conf_fail(r, s, NULL, "must be between %lld and %lld", min, max);
	*out = (uint32_t)v;
	return 0;
}

int conf_member_path(conf_reader_t *r, const config_setting_t *g,
                       const char *name, char **out)
{
	const char *v;
	int rc = conf_member_string(r, g, name, &v);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	char *p = conf_resolve_path(r, v);
	if (p == NULL)
		return -ENOMEM;
	free(*out);
	*out = p;
	return 0;
}

int conf_member_strings(conf_reader_t *r, const config_setting_t *g,
                          const char *name, config_setting_t **out)
{
	config_setting_t *s = config_setting_get_member(g, name);
	*out = s;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conf_fail(r, s, NULL, "must be a list of strings");
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return conf_fail(r, e, NULL, "must be a string");
	}
	return 0;
}

const char *conf_strings_item(const config_setting_t *s, int i)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return config_setting_get_string(s);
	return config_setting_get_string_elem(s, i);
}

int conf_strings_count(const config_setting_t *s)
{
	if (s == NULL)
		return 0;
	return config_setting_type(s) == CONFIG_TYPE_STRING ? 1 : config_setting_length(s);
}

const conf_provider_t *conf_find_provider(const conf_t *c, const char *name)
{
	for (size_t i = 0; i < c->n_providers; i++) {
		if (strcmp(c->providers[i].name, name) == 0)
			return &c->providers[i];
	}
	return NULL;
}

bool conf_plugin_name_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return false;
	}
	return true;
}

int conf_read_listen(conf_reader_t *r, const config_setting_t *h, const char *name,
                       bool required, char ***out, size_t *n_out)
{
	config_setting_t *ls;
	int rc = conf_member_strings(r, h, name, &ls);
	if (rc != 0)
		return rc;
	int n = conf_strings_count(ls);
	if (n == 0 && required)
		return conf_fail(r, ls != NULL ? ls : h, ls != NULL ? NULL : name,
		                 "needs at least one \"address:port\"");
	if (n == 0)
		return 0;
	if ((*out = calloc((size_t)n, sizeof(**out))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *text = conf_strings_item(ls, i);
		struct sockaddr_storage ss;
		size_t sslen;
		if (addr_parse_listen(text, &ss, &sslen) != 0)
			return conf_fail(r, ls, NULL, "\"%s\" is not \"address:port\" "
			                 "(\"[::1]:8080\" for IPv6)", text);
		if (((*out)[i] = strdup(text)) == NULL)
			return -ENOMEM;
		(*n_out)++;
	}
	return 0;
}

int conf_plugin_state_root(const char *database, char *buf, size_t len)
{
	const char *slash = strrchr(database, '/');
	/* "x.db": "./plugins"; "/x.db": "/plugins" */
	int n = snprintf(buf, len, "%.*s/plugins", slash == NULL ? 1 : (int)(slash - database),
	                 slash == NULL ? "." : database);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
