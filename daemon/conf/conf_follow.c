/* ddns.conf: records that follow a router's IPv6 prefix.
 *
 *   { domain = "nas.dyn.example.com"; ...
 *     ipv6_from = "router.dyn.example.com";   # a record of this file
 *     ipv6_suffix = "::1c2:3ff:fe45:6789";     # the host's interface identifier
 *     ipv6_prefix_len = 64; }                  # optional, 1..127, default 64
 *
 * The suffix must fit in the host bits of the prefix and must not be all
 * zero.  The router must be another record of the file and must not follow
 * a prefix itself: no chains, hence no cycles, and one router change moves
 * its followers in one step (see pipeline_follow.c for what happens then). */
#include "conf.h"
#include "conf_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "addr_prefix.h"

/* Marks a record whose `ipv6_from` is read but not resolved yet. */
#define FROM_UNRESOLVED (-2)

int conf_follow_read(conf_reader_t *r, const config_setting_t *g, conf_record_t *rec)
{
	const char *from, *suffix;
	int rc;
	rec->ipv6_from = -1;
	rec->ipv6_prefix_len = ADDR_PREFIX_LEN_DEFAULT;
	if ((rc = conf_member_string(r, g, "ipv6_from", &from)) < 0)
		return rc;
	if (from == NULL) {
		/* the other two mean nothing alone: say so rather than ignore */
		const char *const lone[] = { "ipv6_suffix", "ipv6_prefix_len" };
		for (size_t i = 0; i < 2; i++) {
			config_setting_t *s = config_setting_get_member(g, lone[i]);
			if (s != NULL)
				return conf_fail(r, s, NULL, "needs ipv6_from (the record "
				                 "whose IPv6 prefix this one follows)");
		}
		return 0;
	}
	char norm[NAME_TEXT_MAX];
	if (addr_name_normalize(from, norm) != 0 || !addr_name_is_fqdn(norm))
		return conf_fail(r, config_setting_get_member(g, "ipv6_from"), NULL,
		                 "\"%s\" is not a valid domain name", from);
	uint32_t len = ADDR_PREFIX_LEN_DEFAULT;
	if ((rc = conf_member_uint(r, g, "ipv6_prefix_len", ADDR_PREFIX_LEN_MIN,
	                           ADDR_PREFIX_LEN_MAX, &len)) != 0)
		return rc;
	if ((rc = conf_member_string(r, g, "ipv6_suffix", &suffix)) < 0)
		return rc;
	if (rc > 0)
		return conf_fail(r, g, "ipv6_suffix", "missing (the host's interface "
		                 "identifier, e.g. \"::1c2:3ff:fe45:6789\")");
	config_setting_t *ss = config_setting_get_member(g, "ipv6_suffix");
	if (addr_prefix_suffix_parse(suffix, rec->ipv6_suffix) != 0)
		return conf_fail(r, ss, NULL, "\"%s\" is not an IPv6 interface identifier "
		                 "(written like \"::1c2:3ff:fe45:6789\")", suffix);
	if (!addr_prefix_suffix_fits(rec->ipv6_suffix, len)) {
		static const uint8_t zero[16];
		if (memcmp(rec->ipv6_suffix, zero, sizeof(zero)) == 0)
			return conf_fail(r, ss, NULL, "\"%s\" sets no host bit (the "
			                 "all-zero identifier is the subnet's anycast "
			                 "address)", suffix);
		return conf_fail(r, ss, NULL, "\"%s\" does not fit in the host bits of a "
		                 "/%u prefix (only the last %u bits are the host's)",
		                 suffix, (unsigned)len, 128 - (unsigned)len);
	}
	rec->ipv6_prefix_len = len;
	rec->ipv6_from = FROM_UNRESOLVED;
	return 0;
}

/* A record's name and its index, sorted by name for bsearch (a ddns.conf
 * may hold 100,000 records). */
typedef struct name_idx {
	const char *name;
	int i;
} name_idx_t;

static int name_idx_cmp(const void *a, const void *b)
{
	return strcmp(((const name_idx_t *)a)->name, ((const name_idx_t *)b)->name);
}

static int find_index(const name_idx_t *v, size_t n, const char *name)
{
	name_idx_t key = { name, -1 };
	const name_idx_t *hit = bsearch(&key, v, n, sizeof(*v), name_idx_cmp);
	return hit != NULL ? hit->i : -1;
}

int conf_follow_resolve(conf_reader_t *r, const config_setting_t *s)
{
	conf_t *c = r->conf;
	size_t followers = 0;
	for (size_t i = 0; i < c->n_records; i++)
		followers += c->records[i].ipv6_from == FROM_UNRESOLVED;
	if (followers == 0)
		return 0; /* the usual file: no sort */
	name_idx_t *v = malloc(c->n_records * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_records; i++)
		v[i] = (name_idx_t){ c->records[i].name, (int)i };
	qsort(v, c->n_records, sizeof(*v), name_idx_cmp);
	int rc = 0;
	/* Every name first, then chains: a chain's error names a router that
	 * has already been read as one. */
	for (size_t i = 0; rc == 0 && i < c->n_records; i++) {
		conf_record_t *rec = &c->records[i];
		if (rec->ipv6_from != FROM_UNRESOLVED)
			continue;
		config_setting_t *fs = config_setting_get_member(
			config_setting_get_elem(s, (unsigned)i), "ipv6_from");
		char norm[NAME_TEXT_MAX];
		(void)addr_name_normalize(config_setting_get_string(fs), norm);
		int at = find_index(v, c->n_records, norm);
		if (at < 0)
			rc = conf_fail(r, fs, NULL, "no record \"%s\" in `records`", norm);
		else if ((size_t)at == i)
			rc = conf_fail(r, fs, NULL, "a record cannot follow its own prefix");
		else
			rec->ipv6_from = at;
	}
	for (size_t i = 0; rc == 0 && i < c->n_records; i++) {
		conf_record_t *rec = &c->records[i];
		if (rec->ipv6_from < 0)
			continue;
		const conf_record_t *router = &c->records[rec->ipv6_from];
		if (router->ipv6_from < 0)
			continue;
		config_setting_t *fs = config_setting_get_member(
			config_setting_get_elem(s, (unsigned)i), "ipv6_from");
		rc = conf_fail(r, fs, NULL, "\"%s\" follows the prefix of \"%s\" itself "
		               "(line %d): name the router, chains are not allowed",
		               router->name, c->records[router->ipv6_from].name,
		               router->line);
	}
	free(v);
	return rc;
}
