/**
 * @file txt.c
 * @brief builtin_dns: TXT record sets in the zone db (see txt.h).
 */
#include <errno.h>
#include <string.h>

#include "txt.h"

/* Build the rdataset of @p values into @p out (owned by the caller). */
static int txt_build(knot_rdataset_t *out, const char *const *values, size_t n)
{
	knot_rdataset_init(out);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(values[i]);
		if (len > 255) {
			knot_rdataset_clear(out, NULL);
			return -EINVAL;
		}
		/* One <character-string> per rdata: a length byte, then the bytes.
		 * knot_rdataset_add() sorts and drops duplicates. */
		union {
			knot_rdata_t rd;
			uint8_t bytes[sizeof(knot_rdata_t) + 256 + 1];
		} buf;
		knot_rdata_t *rd = &buf.rd;
		rd->len = (uint16_t)(len + 1);
		rd->data[0] = (uint8_t)len;
		memcpy(rd->data + 1, values[i], len);
		if (knot_rdataset_add(out, rd, NULL) != KNOT_EOK) {
			knot_rdataset_clear(out, NULL);
			return -ENOMEM;
		}
	}
	return 0;
}

int dns_db_set_txt(dns_db_t *db, const char *name, const char *const *values, size_t n,
                   uint32_t ttl, uint32_t now)
{
	if (n > DNS_TXT_MAX_VALUES)
		return -E2BIG;
	knot_dname_storage_t buf;
	if (knot_dname_from_str(buf, name, sizeof(buf)) == NULL)
		return -EINVAL;
	knot_dname_to_lower(buf);
	dns_zone_t *zone = (dns_zone_t *)dns_db_zone(db, buf);
	if (zone == NULL)
		return -ENOENT;
	knot_rdataset_t set;
	int ret = txt_build(&set, values, n);
	if (ret != 0)
		return ret;
	dns_node_t *node = (dns_node_t *)dns_db_node(db, buf);
	if (node != NULL && (node->apex || node->glue)) {
		knot_rdataset_clear(&set, NULL);
		return -EEXIST;
	}
	uint32_t t = ttl ? ttl : db->conf.ttl;
	if (node == NULL && n == 0)
		return 0;
	if (node != NULL && node->txt.ttl == t && knot_rdataset_eq(&node->txt.rrs, &set)) {
		knot_rdataset_clear(&set, NULL);
		return 0;
	}
	if (node == NULL && (node = dns_db_get_node(db, zone, buf)) == NULL) {
		knot_rdataset_clear(&set, NULL);
		return -ENOMEM;
	}
	knot_rdataset_clear(&node->txt.rrs, NULL);
	node->txt.rrs = set;
	node->txt.ttl = t;
	if (n == 0)
		dns_db_prune(db, node);
	dns_zone_touch(zone, now);
	return 1;
}

int dns_db_carry_txt(dns_db_t *db, const dns_db_t *old)
{
	for (size_t i = 0; i < old->n_buckets; i++)
		for (const dns_node_t *o = old->buckets[i]; o; o = o->next) {
			if (knot_rrset_empty(&o->txt))
				continue;
			dns_zone_t *zone = (dns_zone_t *)dns_db_zone(db, o->owner);
			if (zone == NULL)
				continue; /* its zone is no longer served */
			dns_node_t *n = dns_db_get_node(db, zone, o->owner);
			if (n == NULL)
				return -ENOMEM;
			if (n->apex || n->glue)
				continue;
			knot_rdataset_clear(&n->txt.rrs, NULL);
			if (knot_rdataset_copy(&n->txt.rrs, &o->txt.rrs, NULL) != KNOT_EOK)
				return -ENOMEM;
			n->txt.ttl = o->txt.ttl;
		}
	return 0;
}
