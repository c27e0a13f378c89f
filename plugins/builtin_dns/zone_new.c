/**
 * @file zone_new.c
 * @brief builtin_dns: build a db's zones (SOA, apex NS, glue) from options.
 */
#include "zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text name to lower-case wire name in @p buf, or NULL. */
static knot_dname_t *text_to_name(const char *text, knot_dname_storage_t buf)
{
	if (text == NULL || text[0] == '\0' || strlen(text) >= KNOT_DNAME_TXT_MAXLEN)
		return NULL;
	if (knot_dname_from_str(buf, text, KNOT_DNAME_MAXLEN) == NULL)
		return NULL;
	knot_dname_to_lower(buf);
	return buf;
}

/* SOA RNAME from "hostmaster@example.com" or "hostmaster.example.com". */
static knot_dname_t *contact_to_name(const char *contact, const knot_dname_t *apex,
                                     knot_dname_storage_t buf)
{
	char text[KNOT_DNAME_TXT_MAXLEN + 16];
	if (contact == NULL) {
		char apex_txt[KNOT_DNAME_TXT_MAXLEN];
		if (knot_dname_to_str(apex_txt, apex, sizeof(apex_txt)) == NULL)
			return NULL;
		snprintf(text, sizeof(text), "hostmaster.%s", apex_txt);
		return text_to_name(text, buf);
	}
	const char *at = strchr(contact, '@');
	if (at == NULL)
		return text_to_name(contact, buf);
	/* A dot in the mailbox part is escaped, the @ becomes the first dot. */
	size_t o = 0;
	for (const char *c = contact; *c && o + 3 < sizeof(text); c++) {
		if (c < at && *c == '.')
			text[o++] = '\\';
		text[o++] = c == at ? '.' : *c;
	}
	text[o] = '\0';
	return text_to_name(text, buf);
}

static int zone_init_soa(dns_zone_t *z, const dns_db_conf_t *conf,
                         const knot_dname_t *mname, uint32_t serial)
{
	knot_dname_storage_t rname;
	uint8_t rdata[2 * KNOT_DNAME_MAXLEN + 20];
	if (contact_to_name(conf->contact, z->apex, rname) == NULL)
		return -EINVAL;
	size_t ml = knot_dname_size(mname), rl = knot_dname_size(rname);
	memcpy(rdata, mname, ml);
	memcpy(rdata + ml, rname, rl);
	uint8_t *p = rdata + ml + rl;
	knot_wire_write_u32(p, serial);
	knot_wire_write_u32(p + 4, conf->refresh);
	knot_wire_write_u32(p + 8, conf->retry);
	knot_wire_write_u32(p + 12, conf->expire);
	knot_wire_write_u32(p + 16, conf->minimum);
	knot_rrset_init(&z->soa, z->apex, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, conf->soa_ttl);
	if (knot_rrset_add_rdata(&z->soa, rdata, ml + rl + 20, NULL) != KNOT_EOK)
		return -ENOMEM;
	z->serial = serial;
	return 0;
}

/* Split "name=addr,addr" into the name (copied to @p name) and the list. */
static const char *ns_split(const char *item, char *name, size_t len)
{
	const char *eq = strchr(item, '=');
	size_t n = eq ? (size_t)(eq - item) : strlen(item);
	if (n >= len)
		n = len - 1;
	memcpy(name, item, n);
	name[n] = '\0';
	return eq ? eq + 1 : NULL;
}

/* Most glue addresses of one NS name (per family, after the first). */
#define GLUE_MAX 16

/* Give the in-zone NS name @p name its glue: every address of @p addrs
 * ("addr,addr,..."), one A or AAAA RRset of them all.  The node is marked
 * glue, so a record of the same name never replaces it. */
static int ns_add_glue(dns_db_t *db, dns_zone_t *z, const char *name,
                       const char *addrs, char *err, size_t err_len)
{
	uint8_t v4[GLUE_MAX][4], v6[GLUE_MAX][16];
	size_t n4 = 0, n6 = 0;
	char list[1024];
	if (addrs != NULL && strlen(addrs) >= sizeof(list)) {
		snprintf(err, err_len, "ns \"%s\": too many addresses", name);
		return -EINVAL;
	}
	snprintf(list, sizeof(list), "%s", addrs ? addrs : "");
	for (char *save = NULL, *a = strtok_r(list, ",", &save); a;
	     a = strtok_r(NULL, ",", &save)) {
		bool six = strchr(a, ':') != NULL;
		if ((six ? n6 : n4) == GLUE_MAX) {
			snprintf(err, err_len, "ns \"%s\": more than %d addresses of one family",
			         name, GLUE_MAX);
			return -EINVAL;
		}
		if (inet_pton(six ? AF_INET6 : AF_INET, a, six ? v6[n6] : v4[n4]) != 1) {
			snprintf(err, err_len, "ns \"%s\": bad address \"%s\" in \"%s\"",
			         name, a, addrs);
			return -EINVAL;
		}
		if (six)
			n6++;
		else
			n4++;
	}
	if (n4 == 0 && n6 == 0) {
		snprintf(err, err_len, "ns \"%s\" is inside zone and needs an address "
		         "(write \"%s=192.0.2.53\")", name, name);
		return -EINVAL;
	}
	char t4[INET_ADDRSTRLEN] = "", t6[INET6_ADDRSTRLEN] = "";
	if (n4 > 0)
		inet_ntop(AF_INET, v4[0], t4, sizeof(t4));
	if (n6 > 0)
		inet_ntop(AF_INET6, v6[0], t6, sizeof(t6));
	int ret = dns_db_set_record(db, name, t4, t6, NULL, NULL);
	if (ret == -EEXIST) {
		snprintf(err, err_len, "ns \"%s\" is listed twice", name);
		return -EINVAL;
	}
	if (ret != 0)
		return ret == -ENOMEM ? ret : -EINVAL;
	knot_dname_storage_t buf;
	struct dns_node **g = realloc(z->glue, (z->n_glue + 1) * sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	z->glue = g;
	dns_node_t *n = (dns_node_t *)dns_db_node(db, text_to_name(name, buf));
	g[z->n_glue++] = n;
	/* The rest of the addresses join the RRsets (libknot keeps them in
	 * canonical order and drops repeats). */
	for (size_t i = 1; i < n4; i++)
		if (knot_rrset_add_rdata(&n->a, v4[i], 4, NULL) != KNOT_EOK)
			return -ENOMEM;
	for (size_t i = 1; i < n6; i++)
		if (knot_rrset_add_rdata(&n->aaaa, v6[i], 16, NULL) != KNOT_EOK)
			return -ENOMEM;
	/* Glue lives as long as the NS it serves, and is not a host record. */
	n->glue = true;
	n->a.ttl = n->aaaa.ttl = db->conf.soa_ttl;
	db->n_records--;
	return 0;
}

static int db_add_ns(dns_db_t *db, const char *item, char *err, size_t err_len)
{
	char name[KNOT_DNAME_TXT_MAXLEN];
	knot_dname_storage_t buf;
	const char *addrs = ns_split(item, name, sizeof(name));
	if (text_to_name(name, buf) == NULL) {
		snprintf(err, err_len, "ns \"%s\" is not a domain name", item);
		return -EINVAL;
	}
	for (size_t i = 0; i < db->n_zones; i++)
		if (knot_rrset_add_rdata(&db->zones[i].ns, buf, knot_dname_size(buf),
		                         NULL) != KNOT_EOK)
			return -ENOMEM;
	dns_zone_t *z = (dns_zone_t *)dns_db_zone(db, buf);
	if (z != NULL)
		return ns_add_glue(db, z, name, addrs, err, err_len);
	if (addrs != NULL) {
		snprintf(err, err_len, "ns \"%s\" is outside the zones: its address "
		         "belongs in its own zone, not here", name);
		return -EINVAL;
	}
	return 0;
}

/* Sort the glue of @p z by the index of its name in the NS RRset (the
 * order libknot writes the NS RRs), so an answer finds each glue's name in
 * one walk over them.  0 or -ENOMEM. */
static int zone_index_glue(dns_zone_t *z)
{
	if (z->n_glue == 0)
		return 0;
	z->glue_ns = calloc(z->n_glue, sizeof(*z->glue_ns));
	if (z->glue_ns == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < z->n_glue; i++) {
		knot_rdata_t *rd = z->ns.rrs.rdata;
		uint16_t k = 0;
		while (k < z->ns.rrs.count &&
		       !knot_dname_is_equal(knot_ns_name(rd), z->glue[i]->owner)) {
			rd = knot_rdataset_next(rd);
			k++;
		}
		z->glue_ns[i] = k;
		/* insertion sort: a handful of names, once per build */
		for (size_t j = i; j > 0 && z->glue_ns[j - 1] > z->glue_ns[j]; j--) {
			uint16_t t = z->glue_ns[j];
			z->glue_ns[j] = z->glue_ns[j - 1];
			z->glue_ns[j - 1] = t;
			struct dns_node *g = z->glue[j];
			z->glue[j] = z->glue[j - 1];
			z->glue[j - 1] = g;
		}
	}
	return 0;
}

int dns_db_new(const dns_db_conf_t *conf, const char *const *zones, size_t n_zones,
               const char *const *ns, size_t n_ns, uint32_t serial,
               dns_db_t **out, char *err, size_t err_len, const char **setting)
{
	int ret = -ENOMEM;
	const char *unused;
	if (setting == NULL)
		setting = &unused;
	*setting = NULL;
	dns_db_t *db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	db->conf = *conf;
	db->n_buckets = 64;
	db->buckets = calloc(db->n_buckets, sizeof(*db->buckets));
	db->zones = calloc(n_zones ? n_zones : 1, sizeof(*db->zones));
	if (db->buckets == NULL || db->zones == NULL)
		goto fail;
	for (size_t i = 0; i < n_zones; i++) {
		knot_dname_storage_t buf;
		if (text_to_name(zones[i], buf) == NULL) {
			snprintf(err, err_len, "zone \"%s\" is not a domain name", zones[i]);
			*setting = "zone";
			ret = -EINVAL;
			goto fail;
		}
		if (dns_db_zone_by_name(db, zones[i]) != NULL) {
			snprintf(err, err_len, "zone \"%s\" is listed twice", zones[i]);
			*setting = "zone";
			ret = -EINVAL;
			goto fail;
		}
		dns_zone_t *z = &db->zones[db->n_zones++];
		z->apex = knot_dname_copy(buf, NULL);
		if (z->apex == NULL)
			goto fail;
		z->apex_labels = knot_dname_labels(z->apex, NULL);
		knot_rrset_init(&z->ns, z->apex, KNOT_RRTYPE_NS, KNOT_CLASS_IN, conf->soa_ttl);
	}
	for (size_t i = 0; i < db->n_zones; i++) {
		dns_zone_t *z = &db->zones[i];
		knot_dname_storage_t mname;
		char first[KNOT_DNAME_TXT_MAXLEN];
		/* MNAME: the first NS, or the apex when none is configured. */
		if (n_ns == 0 || (ns_split(ns[0], first, sizeof(first)),
		                  text_to_name(first, mname) == NULL))
			memcpy(mname, z->apex, knot_dname_size(z->apex));
		ret = zone_init_soa(z, conf, mname, serial);
		if (ret == -EINVAL) {
			snprintf(err, err_len, "soa_contact \"%s\" is not a name or mail address",
			         conf->contact ? conf->contact : "");
			*setting = "soa_contact";
		}
		if (ret != 0)
			goto fail;
	}
	ret = dns_db_add_apexes(db);
	if (ret != 0)
		goto fail;
	for (size_t i = 0; i < n_ns; i++) {
		ret = db_add_ns(db, ns[i], err, err_len);
		if (ret == -EINVAL)
			*setting = "ns";
		if (ret != 0)
			goto fail;
	}
	for (size_t i = 0; i < db->n_zones; i++)
		if ((ret = zone_index_glue(&db->zones[i])) != 0)
			goto fail;
	*out = db;
	return 0;
fail:
	dns_db_free(db);
	return ret;
}
