/**
 * @file zone.c
 * @brief builtin_dns: zones, their SOA/NS, and the name -> node hash table.
 */
#include "zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t name_hash(const knot_dname_t *name, size_t len)
{
	/* FNV-1a over the lower-case wire form: cheap and spreads well. */
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= 16777619u;
	}
	return h;
}

static bool name_eq(const knot_dname_t *a, const knot_dname_t *b)
{
	size_t la = knot_dname_size(a);
	return la == knot_dname_size(b) && memcmp(a, b, la) == 0;
}

static dns_node_t *db_find(const dns_db_t *db, const knot_dname_t *name, size_t len,
                           uint32_t h)
{
	for (dns_node_t *n = db->buckets[h & (db->n_buckets - 1)]; n; n = n->next)
		if (n->hash == h && n->owner_len == len && memcmp(n->owner, name, len) == 0)
			return n;
	return NULL;
}

/* Parse text @p text into a lower-case wire name in @p buf; NULL if bad. */
static knot_dname_t *name_parse(const char *text, knot_dname_storage_t buf)
{
	if (text == NULL || text[0] == '\0' || strlen(text) >= KNOT_DNAME_TXT_MAXLEN)
		return NULL;
	if (knot_dname_from_str(buf, text, KNOT_DNAME_MAXLEN) == NULL)
		return NULL;
	knot_dname_to_lower(buf);
	return buf;
}

const dns_node_t *dns_db_node(const dns_db_t *db, const knot_dname_t *name)
{
	size_t len = knot_dname_size(name);
	return db_find(db, name, len, name_hash(name, len));
}

const dns_zone_t *dns_db_zone(const dns_db_t *db, const knot_dname_t *name)
{
	const dns_zone_t *best = NULL;
	for (size_t i = 0; i < db->n_zones; i++) {
		const dns_zone_t *z = &db->zones[i];
		if ((best == NULL || z->apex_labels > best->apex_labels) &&
		    knot_dname_in_bailiwick(name, z->apex) >= 0)
			best = z;
	}
	return best;
}

const dns_zone_t *dns_db_zone_by_name(const dns_db_t *db, const char *name)
{
	knot_dname_storage_t buf;
	if (name_parse(name, buf) == NULL)
		return NULL;
	for (size_t i = 0; i < db->n_zones; i++)
		if (name_eq(db->zones[i].apex, buf))
			return &db->zones[i];
	return NULL;
}

static int db_grow(dns_db_t *db)
{
	size_t n = db->n_buckets * 2;
	dns_node_t **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < db->n_buckets; i++) {
		dns_node_t *node = db->buckets[i];
		while (node) {
			dns_node_t *next = node->next;
			node->next = b[node->hash & (n - 1)];
			b[node->hash & (n - 1)] = node;
			node = next;
		}
	}
	free(db->buckets);
	db->buckets = b;
	db->n_buckets = n;
	return 0;
}

static void node_free(dns_node_t *n)
{
	knot_rdataset_clear(&n->a.rrs, NULL);
	knot_rdataset_clear(&n->aaaa.rrs, NULL);
	knot_rdataset_clear(&n->lan_a.rrs, NULL);
	knot_rdataset_clear(&n->lan_aaaa.rrs, NULL);
	knot_rdataset_clear(&n->txt.rrs, NULL);
	free(n);
}

/* Find or insert the node @p name of @p zone (and its empty non-terminal
 * ancestors up to the apex). */
dns_node_t *dns_db_get_node(dns_db_t *db, dns_zone_t *zone, const knot_dname_t *name)
{
	size_t len = knot_dname_size(name);
	uint32_t h = name_hash(name, len);
	dns_node_t *n = db_find(db, name, len, h);
	if (n != NULL)
		return n;
	if (db->n_nodes >= db->n_buckets && db_grow(db) != 0)
		return NULL;
	n = calloc(1, sizeof(*n) + len);
	if (n == NULL)
		return NULL;
	memcpy(n->name, name, len);
	n->owner = n->name;
	n->owner_len = (uint16_t)len;
	n->zone = zone;
	n->hash = h;
	knot_rrset_init(&n->a, n->owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, db->conf.ttl);
	knot_rrset_init(&n->aaaa, n->owner, KNOT_RRTYPE_AAAA, KNOT_CLASS_IN, db->conf.ttl);
	knot_rrset_init(&n->lan_a, n->owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, db->conf.ttl);
	knot_rrset_init(&n->lan_aaaa, n->owner, KNOT_RRTYPE_AAAA, KNOT_CLASS_IN, db->conf.ttl);
	knot_rrset_init(&n->txt, n->owner, KNOT_RRTYPE_TXT, KNOT_CLASS_IN, db->conf.ttl);
	n->next = db->buckets[n->hash & (db->n_buckets - 1)];
	db->buckets[n->hash & (db->n_buckets - 1)] = n;
	db->n_nodes++;
	/* The parent exists too (as an empty non-terminal) unless this is the apex. */
	if (!name_eq(name, zone->apex) && name[0] != 0) {
		dns_node_t *parent = dns_db_get_node(db, zone, knot_wire_next_label(name, NULL));
		if (parent == NULL)
			return NULL; /* n stays in the table, freed with the db */
		parent->n_children++;
	}
	return n;
}

int dns_db_add_apexes(dns_db_t *db)
{
	for (size_t i = 0; i < db->n_zones; i++) {
		dns_node_t *n = dns_db_get_node(db, &db->zones[i], db->zones[i].apex);
		if (n == NULL)
			return -ENOMEM;
		n->apex = true;
	}
	return 0;
}

/* Make @p rr hold exactly one rdata @p data (or none when @p len is 0). */
static int rr_set_one(knot_rrset_t *rr, const uint8_t *data, uint16_t len)
{
	if (len > 0 && rr->rrs.count == 1 && rr->rrs.rdata->len == len) {
		memcpy(rr->rrs.rdata->data, data, len); /* no reallocation */
		return 0;
	}
	knot_rdataset_clear(&rr->rrs, NULL);
	if (len == 0)
		return 0;
	return knot_rrset_add_rdata(rr, data, len, NULL) == KNOT_EOK ? 0 : -ENOMEM;
}

/* Parse an address of family @p af into @p out; 0 = none, 1 = set, -EINVAL. */
static int addr_parse(int af, const char *text, uint8_t *out)
{
	if (text == NULL || text[0] == '\0')
		return 0;
	return inet_pton(af, text, out) == 1 ? 1 : -EINVAL;
}

int dns_db_set_record(dns_db_t *db, const char *name, const char *ipv4,
                      const char *ipv6, const char *lan_ipv4, const char *lan_ipv6)
{
	knot_dname_storage_t buf;
	uint8_t w4[4], w6[16], l4[4], l6[16];
	if (name_parse(name, buf) == NULL)
		return -EINVAL;
	int h4 = addr_parse(AF_INET, ipv4, w4), h6 = addr_parse(AF_INET6, ipv6, w6);
	int hl4 = addr_parse(AF_INET, lan_ipv4, l4), hl6 = addr_parse(AF_INET6, lan_ipv6, l6);
	if (h4 < 0 || h6 < 0 || hl4 < 0 || hl6 < 0)
		return -EINVAL;
	dns_zone_t *zone = (dns_zone_t *)dns_db_zone(db, buf);
	if (zone == NULL)
		return -ENOENT;
	dns_node_t *n = dns_db_get_node(db, zone, buf);
	if (n == NULL)
		return -ENOMEM;
	if (n->glue)
		return -EEXIST;
	if (!n->record)
		db->n_records++;
	n->record = true;
	n->has_wan4 = h4 == 1;
	n->has_wan6 = h6 == 1;
	memcpy(n->wan4, w4, sizeof(w4));
	memcpy(n->wan6, w6, sizeof(w6));
	if (rr_set_one(&n->a, w4, h4 ? 4 : 0) || rr_set_one(&n->aaaa, w6, h6 ? 16 : 0) ||
	    rr_set_one(&n->lan_a, l4, hl4 ? 4 : 0) || rr_set_one(&n->lan_aaaa, l6, hl6 ? 16 : 0))
		return -ENOMEM;
	return 0;
}

static void db_unlink(dns_db_t *db, dns_node_t *n)
{
	dns_node_t **pp = &db->buckets[n->hash & (db->n_buckets - 1)];
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	db->n_nodes--;
}

static void zone_set_serial(dns_zone_t *z, uint32_t serial);
static uint32_t serial_next(uint32_t serial, uint32_t now);

int dns_db_apply_record(dns_db_t *db, const char *name, const char *ipv4, const char *ipv6,
                        const char *lan_ipv4, const char *lan_ipv6, int64_t stored_change,
                        uint32_t now)
{
	knot_dname_storage_t buf;
	if (name_parse(name, buf) == NULL)
		return -EINVAL;
	dns_node_t *n = (dns_node_t *)dns_db_node(db, buf);
	int ret;
	if (n != NULL && n->glue)
		return -EEXIST;
	if (n != NULL && n->record && n->updated_at > stored_change) {
		/* our own update, not yet in the store: keep its addresses */
		char w4[INET_ADDRSTRLEN] = "", w6[INET6_ADDRSTRLEN] = "";
		if (n->has_wan4)
			inet_ntop(AF_INET, n->wan4, w4, sizeof(w4));
		if (n->has_wan6)
			inet_ntop(AF_INET6, n->wan6, w6, sizeof(w6));
		int64_t at = n->updated_at;
		ret = dns_db_set_record(db, name, w4, w6, lan_ipv4, lan_ipv6);
		n->updated_at = at;
	} else {
		ret = dns_db_set_record(db, name, ipv4, ipv6, lan_ipv4, lan_ipv6);
	}
	if (ret != 0)
		return ret;
	dns_zone_t *zone = (dns_zone_t *)dns_db_zone(db, buf);
	zone_set_serial(zone, serial_next(zone->serial, now));
	return 0;
}

int dns_db_remove_record(dns_db_t *db, const char *name, uint32_t now)
{
	knot_dname_storage_t buf;
	if (name_parse(name, buf) == NULL)
		return 0;
	dns_node_t *n = (dns_node_t *)dns_db_node(db, buf);
	if (n == NULL || !n->record || n->glue)
		return 0;
	dns_zone_t *zone = n->zone;
	n->record = false;
	n->has_wan4 = n->has_wan6 = false;
	n->updated_at = 0;
	rr_set_one(&n->a, NULL, 0);
	rr_set_one(&n->aaaa, NULL, 0);
	rr_set_one(&n->lan_a, NULL, 0);
	rr_set_one(&n->lan_aaaa, NULL, 0);
	db->n_records--;
	dns_db_prune(db, n);
	zone_set_serial(zone, serial_next(zone->serial, now));
	return 1;
}

void dns_db_prune(dns_db_t *db, dns_node_t *n)
{
	/* An empty leaf goes, and with it the empty non-terminals above it
	 * that held nothing else: the name is NXDOMAIN again, not NODATA. */
	while (n != NULL && !n->apex && !n->record && knot_rrset_empty(&n->txt) &&
	       n->n_children == 0) {
		dns_node_t *parent = n->owner[0] != 0 ?
			(dns_node_t *)dns_db_node(db, knot_wire_next_label(n->owner, NULL)) : NULL;
		db_unlink(db, n);
		node_free(n);
		if (parent != NULL)
			parent->n_children--;
		n = parent;
	}
}

void dns_zone_touch(dns_zone_t *zone, uint32_t now)
{
	zone_set_serial(zone, serial_next(zone->serial, now));
}

void dns_zone_set_serial(dns_zone_t *z, uint32_t serial)
{
	zone_set_serial(z, serial);
}

static void zone_set_serial(dns_zone_t *z, uint32_t serial)
{
	z->serial = serial;
	knot_soa_serial_set(z->soa.rrs.rdata, serial);
}

static uint32_t serial_next(uint32_t serial, uint32_t now)
{
	/* RFC 1982 arithmetic: now is "greater" only within half the space. */
	uint32_t next = serial + 1;
	return (int32_t)(now - next) > 0 ? now : next;
}

int dns_db_update(dns_db_t *db, const char *name, const char *ipv4,
                  const char *ipv6, uint32_t now)
{
	knot_dname_storage_t buf;
	uint8_t w4[4], w6[16];
	if (name_parse(name, buf) == NULL)
		return -EINVAL;
	int h4 = addr_parse(AF_INET, ipv4, w4), h6 = addr_parse(AF_INET6, ipv6, w6);
	if (h4 < 0 || h6 < 0)
		return -EINVAL;
	dns_zone_t *zone = (dns_zone_t *)dns_db_zone(db, buf);
	if (zone == NULL)
		return -ENOENT;
	dns_node_t *n = dns_db_get_node(db, zone, buf);
	if (n == NULL)
		return -ENOMEM;
	if (n->glue)
		return -EEXIST;
	bool changed = !n->record;
	if (!n->record)
		db->n_records++;
	n->record = true;
	if (h4 == 1 && (!n->has_wan4 || memcmp(n->wan4, w4, 4) != 0)) {
		if (rr_set_one(&n->a, w4, 4) != 0)
			return -ENOMEM;
		memcpy(n->wan4, w4, 4);
		n->has_wan4 = true;
		changed = true;
	}
	if (h6 == 1 && (!n->has_wan6 || memcmp(n->wan6, w6, 16) != 0)) {
		if (rr_set_one(&n->aaaa, w6, 16) != 0)
			return -ENOMEM;
		memcpy(n->wan6, w6, 16);
		n->has_wan6 = true;
		changed = true;
	}
	if (changed) {
		zone_set_serial(zone, serial_next(zone->serial, now));
		n->updated_at = now;
	}
	return changed ? 1 : 0;
}

int dns_db_carry_update(dns_db_t *db, const dns_db_t *old, const char *name,
                        int64_t stored_change)
{
	knot_dname_storage_t buf;
	if (old == NULL || name_parse(name, buf) == NULL)
		return 0;
	const dns_node_t *o = dns_db_node(old, buf);
	dns_node_t *n = (dns_node_t *)dns_db_node(db, buf);
	if (o == NULL || n == NULL || !o->record || n->glue || o->updated_at <= stored_change)
		return 0;
	if (rr_set_one(&n->a, o->wan4, o->has_wan4 ? 4 : 0) != 0 ||
	    rr_set_one(&n->aaaa, o->wan6, o->has_wan6 ? 16 : 0) != 0)
		return -ENOMEM;
	n->has_wan4 = o->has_wan4;
	n->has_wan6 = o->has_wan6;
	memcpy(n->wan4, o->wan4, sizeof(n->wan4));
	memcpy(n->wan6, o->wan6, sizeof(n->wan6));
	n->updated_at = o->updated_at;
	return 1;
}

/* Whether @p n and @p o (the same name in two dbs) serve the same. */
static bool node_same(const dns_node_t *n, const dns_node_t *o)
{
	return n->record == o->record && n->glue == o->glue && n->apex == o->apex &&
	       n->a.ttl == o->a.ttl && n->aaaa.ttl == o->aaaa.ttl &&
	       knot_rdataset_eq(&n->a.rrs, &o->a.rrs) &&
	       knot_rdataset_eq(&n->aaaa.rrs, &o->aaaa.rrs) &&
	       knot_rdataset_eq(&n->lan_a.rrs, &o->lan_a.rrs) &&
	       knot_rdataset_eq(&n->lan_aaaa.rrs, &o->lan_aaaa.rrs) &&
	       knot_rdataset_eq(&n->txt.rrs, &o->txt.rrs);
}

/* Whether the apex data of @p z and @p o agree: NS, and the SOA but for
 * its serial (the first 4 of the 20 bytes after the two names). */
bool dns_zone_apex_same(const dns_zone_t *z, const dns_zone_t *o)
{
	const knot_rdata_t *a = z->soa.rrs.rdata, *b = o->soa.rrs.rdata;
	if (z->soa.ttl != o->soa.ttl || z->ns.ttl != o->ns.ttl ||
	    !knot_rdataset_eq(&z->ns.rrs, &o->ns.rrs) || a->len != b->len || a->len < 20)
		return false;
	size_t names = a->len - 20u;
	return memcmp(a->data, b->data, names) == 0 &&
	       memcmp(a->data + names + 4, b->data + names + 4, 16) == 0;
}

/* The zone of @p db named as @p apex, or NULL. */
static dns_zone_t *zone_named(const dns_db_t *db, const knot_dname_t *apex)
{
	for (size_t i = 0; i < db->n_zones; i++)
		if (name_eq(db->zones[i].apex, apex))
			return &db->zones[i];
	return NULL;
}

const dns_zone_t *dns_db_zone_by_apex(const dns_db_t *db, const knot_dname_t *apex)
{
	return zone_named(db, apex);
}

/* Mark in @p changed (one flag per zone of @p db) each zone whose names
 * differ between @p db and @p old: a name new, gone or serving otherwise.
 * One pass over each table, on the reload path only. */
static void zones_diff(const dns_db_t *db, const dns_db_t *old, bool *changed)
{
	for (size_t i = 0; i < db->n_buckets; i++)
		for (const dns_node_t *n = db->buckets[i]; n; n = n->next) {
			size_t z = (size_t)(n->zone - db->zones);
			if (changed[z])
				continue;
			const dns_node_t *o = db_find(old, n->owner, n->owner_len, n->hash);
			if (o == NULL || !name_eq(o->zone->apex, n->zone->apex) || !node_same(n, o))
				changed[z] = true;
		}
	for (size_t i = 0; i < old->n_buckets; i++)
		for (const dns_node_t *o = old->buckets[i]; o; o = o->next) {
			if (db_find(db, o->owner, o->owner_len, o->hash) != NULL)
				continue; /* compared above */
			const dns_zone_t *z = zone_named(db, o->zone->apex);
			if (z != NULL)
				changed[z - db->zones] = true;
		}
}

void dns_db_bump_serials(dns_db_t *db, const dns_db_t *old, uint32_t now)
{
	bool *changed = old ? calloc(db->n_zones ? db->n_zones : 1, sizeof(*changed)) : NULL;
	if (changed != NULL)
		zones_diff(db, old, changed);
	for (size_t i = 0; i < db->n_zones; i++) {
		dns_zone_t *z = &db->zones[i];
		const dns_zone_t *o = old ? zone_named(old, z->apex) : NULL;
		if (o == NULL)
			zone_set_serial(z, serial_next(z->serial - 1, now));
		else if (changed != NULL && !changed[i] && dns_zone_apex_same(z, o))
			zone_set_serial(z, o->serial); /* nothing to tell secondaries */
		else
			zone_set_serial(z, serial_next(o->serial, now));
	}
	free(changed);
}

void dns_db_free(dns_db_t *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; db->buckets && i < db->n_buckets; i++) {
		dns_node_t *n = db->buckets[i];
		while (n) {
			dns_node_t *next = n->next;
			node_free(n);
			n = next;
		}
	}
	free(db->buckets);
	for (size_t i = 0; i < db->n_zones; i++) {
		dns_zone_t *z = &db->zones[i];
		knot_rdataset_clear(&z->soa.rrs, NULL);
		knot_rdataset_clear(&z->ns.rrs, NULL);
		free(z->glue);
		free(z->glue_ns);
		free(z->apex);
	}
	free(db->zones);
	free(db);
}

void dns_name_text(const knot_dname_t *name, char *out, size_t len)
{
	knot_dname_to_str(out, name, len);
	size_t l = strlen(out);
	if (l > 1 && out[l - 1] == '.')
		out[l - 1] = '\0';
}
