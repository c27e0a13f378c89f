/**
 * @file nsec3.c
 * @brief builtin_dns: NSEC3 chains for transfers (nsec3.h).
 */
#include "nsec3.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libdnssec/error.h>
#include <libdnssec/nsec.h>

const uint8_t dns_nsec3param_rdata[5] = { 1, 0, 0, 0, 0 }; /* SHA-1, no flags, 0, no salt */

#define BIT(t) ((uint64_t)1 << (t))

/* The types a secondary has at node @p n (RRSIG when any is signed). */
static uint64_t node_types(const dns_node_t *n, const dns_zone_t *z)
{
	uint64_t t = 0;
	if (!knot_rrset_empty(&n->a))
		t |= BIT(KNOT_RRTYPE_A);
	if (!knot_rrset_empty(&n->aaaa))
		t |= BIT(KNOT_RRTYPE_AAAA);
	if (!knot_rrset_empty(&n->txt))
		t |= BIT(KNOT_RRTYPE_TXT);
	if (n->apex) {
		t |= BIT(KNOT_RRTYPE_SOA) | BIT(KNOT_RRTYPE_DNSKEY) | BIT(KNOT_RRTYPE_NSEC3PARAM) |
		     BIT(KNOT_RRTYPE_CDS) | BIT(KNOT_RRTYPE_CDNSKEY);
		if (!knot_rrset_empty(&z->ns))
			t |= BIT(KNOT_RRTYPE_NS);
	}
	if (t != 0)
		t |= BIT(KNOT_RRTYPE_RRSIG);
	return t;
}

static int by_hash(const void *a, const void *b)
{
	return memcmp(((const dns_nsec3_entry_t *)a)->hash, ((const dns_nsec3_entry_t *)b)->hash,
	              DNS_NSEC3_HASH_LEN);
}

int dns_nsec3_build(const dns_db_t *db, const dns_zone_t *z, dns_nsec3_t *out)
{
	out->v = NULL;
	out->n = 0;
	size_t cap = 0;
	const dnssec_nsec3_params_t params = { .algorithm = DNSSEC_NSEC3_ALGORITHM_SHA1 };
	for (size_t b = 0; b < db->n_buckets; b++)
		for (const dns_node_t *n = db->buckets[b]; n != NULL; n = n->next) {
			uint64_t types = node_types(n, z);
			/* A name exists in the transferred zone when it has data
			 * there, or names below it (an empty non-terminal); a
			 * record with no WAN address yet does not. */
			if (n->zone != z || (types == 0 && n->n_children == 0))
				continue;
			if (out->n == cap) {
				cap = cap ? cap * 2 : 64;
				dns_nsec3_entry_t *v = realloc(out->v, cap * sizeof(*v));
				if (v == NULL) {
					dns_nsec3_free(out);
					return -ENOMEM;
				}
				out->v = v;
			}
			/* owners in the db are lower case, as the hash needs */
			dnssec_binary_t name = { .data = n->owner, .size = n->owner_len }, h = { 0 };
			if (dnssec_nsec3_hash(&name, &params, &h) != DNSSEC_EOK ||
			    h.size != DNS_NSEC3_HASH_LEN) {
				dnssec_binary_free(&h);
				dns_nsec3_free(out);
				return -EIO;
			}
			dns_nsec3_entry_t *e = &out->v[out->n++];
			memcpy(e->hash, h.data, DNS_NSEC3_HASH_LEN);
			e->types = types;
			dnssec_binary_free(&h);
		}
	qsort(out->v, out->n, sizeof(*out->v), by_hash);
	return 0;
}

void dns_nsec3_free(dns_nsec3_t *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

bool dns_nsec3_equal(const dns_nsec3_t *a, const dns_nsec3_t *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof(*a->v)) == 0);
}

/* RFC 4648 §7, without padding (20 bytes: 32 characters). */
static void base32hex(const uint8_t *in, char *out)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	for (size_t i = 0; i < DNS_NSEC3_HASH_LEN / 5; i++) {
		const uint8_t *p = in + 5 * i;
		uint64_t v = ((uint64_t)p[0] << 32) | ((uint64_t)p[1] << 24) | ((uint64_t)p[2] << 16) |
		             ((uint64_t)p[3] << 8) | p[4];
		for (int k = 0; k < 8; k++)
			*out++ = digits[(v >> (35 - 5 * k)) & 31];
	}
}

int dns_nsec3_rrset(const dns_nsec3_t *c, size_t i, const knot_dname_t *apex, uint32_t ttl,
                    knot_dname_storage_t owner, knot_rrset_t *rr)
{
	const dns_nsec3_entry_t *e = &c->v[i], *next = &c->v[(i + 1) % c->n];
	/* <base32hex of the hash>.<apex> */
	owner[0] = 32;
	base32hex(e->hash, (char *)owner + 1);
	size_t al = knot_dname_size(apex);
	if (33 + al > KNOT_DNAME_MAXLEN)
		return -EINVAL;
	memcpy(owner + 33, apex, al);
	uint8_t rd[6 + DNS_NSEC3_HASH_LEN + 2 + 8];
	size_t n = 0;
	rd[n++] = 1; /* SHA-1 */
	rd[n++] = 0; /* no opt-out */
	rd[n++] = 0; /* iterations */
	rd[n++] = 0;
	rd[n++] = 0; /* no salt */
	rd[n++] = DNS_NSEC3_HASH_LEN;
	memcpy(rd + n, next->hash, DNS_NSEC3_HASH_LEN);
	n += DNS_NSEC3_HASH_LEN;
	if (e->types != 0) { /* window 0 only: every type here is below 64 */
		int top = 63;
		while (!(e->types & BIT(top)))
			top--;
		rd[n++] = 0;
		rd[n++] = (uint8_t)(top / 8 + 1);
		for (int byte = 0; byte <= top / 8; byte++) {
			uint8_t bits = 0;
			for (int k = 0; k < 8; k++)
				if (e->types & BIT(byte * 8 + k))
					bits |= (uint8_t)(0x80 >> k);
			rd[n++] = bits;
		}
	}
	knot_rrset_init(rr, owner, KNOT_RRTYPE_NSEC3, KNOT_CLASS_IN, ttl);
	return knot_rrset_add_rdata(rr, rd, (uint16_t)n, NULL) == KNOT_EOK ? 0 : -ENOMEM;
}

/* Entry @p i of @p c as an NSEC3 RRset, handed to @p cb. */
static int emit(const dns_nsec3_t *c, size_t i, const knot_dname_t *apex, uint32_t ttl,
                bool added, int (*cb)(void *, const knot_rrset_t *, bool), void *arg)
{
	knot_dname_storage_t owner;
	knot_rrset_t rr;
	int ret = dns_nsec3_rrset(c, i, apex, ttl, owner, &rr);
	if (ret == 0)
		ret = cb(arg, &rr, added);
	knot_rdataset_clear(&rr.rrs, NULL);
	return ret;
}

/* Whether entry @p i of @p a and entry @p j of @p b give the same RRset:
 * the same types and the same next name. */
static bool same_record(const dns_nsec3_t *a, size_t i, const dns_nsec3_t *b, size_t j)
{
	return a->v[i].types == b->v[j].types &&
	       memcmp(a->v[(i + 1) % a->n].hash, b->v[(j + 1) % b->n].hash, DNS_NSEC3_HASH_LEN) == 0;
}

int dns_nsec3_diff(const dns_nsec3_t *old, const dns_nsec3_t *now, const knot_dname_t *apex,
                   uint32_t ttl, int (*cb)(void *arg, const knot_rrset_t *rr, bool added),
                   void *arg)
{
	size_t i = 0, j = 0;
	int ret = 0;
	while (ret == 0 && (i < old->n || j < now->n)) {
		int c = i >= old->n ? 1 : j >= now->n ? -1
		      : memcmp(old->v[i].hash, now->v[j].hash, DNS_NSEC3_HASH_LEN);
		if (c < 0) {
			ret = emit(old, i++, apex, ttl, false, cb, arg);
		} else if (c > 0) {
			ret = emit(now, j++, apex, ttl, true, cb, arg);
		} else {
			if (!same_record(old, i, now, j)) {
				ret = emit(old, i, apex, ttl, false, cb, arg);
				if (ret == 0)
					ret = emit(now, j, apex, ttl, true, cb, arg);
			}
			i++;
			j++;
		}
	}
	return ret;
}
