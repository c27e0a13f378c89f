/**
 * @file diff.c
 * @brief builtin_dns: db changes as journal steps (diff.h).
 */
#include "diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define N_TYPES 3

static const knot_rrset_t *node_rr(const dns_node_t *n, int i)
{
	return i == 0 ? &n->a : i == 1 ? &n->aaaa : &n->txt;
}

static bool rr_same(const knot_rrset_t *a, const knot_rrset_t *b)
{
	if (knot_rrset_empty(a) || knot_rrset_empty(b))
		return knot_rrset_empty(a) && knot_rrset_empty(b);
	return a->ttl == b->ttl && knot_rdataset_eq(&a->rrs, &b->rrs);
}

int dns_snap_take(dns_snap_t *s, const dns_db_t *db, const char *name)
{
	memset(s, 0, sizeof(*s));
	if (knot_dname_from_str(s->name, name, sizeof(s->name)) == NULL)
		return -EINVAL;
	knot_dname_to_lower(s->name);
	const dns_zone_t *z = dns_db_zone(db, s->name);
	if (z == NULL)
		return 0;
	memcpy(s->apex, z->apex, knot_dname_size(z->apex));
	s->in_zone = true;
	s->serial = z->serial;
	const dns_node_t *n = dns_db_node(db, s->name);
	static const uint16_t types[N_TYPES] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA, KNOT_RRTYPE_TXT };
	for (int i = 0; i < N_TYPES; i++) {
		knot_rrset_init(&s->rr[i], s->name, types[i], KNOT_CLASS_IN, 0);
		if (n == NULL)
			continue;
		s->rr[i].ttl = node_rr(n, i)->ttl;
		if (knot_rdataset_copy(&s->rr[i].rrs, &node_rr(n, i)->rrs, NULL) != KNOT_EOK) {
			dns_snap_drop(s);
			return -ENOMEM;
		}
	}
	return 0;
}

void dns_snap_drop(dns_snap_t *s)
{
	for (int i = 0; i < N_TYPES; i++)
		knot_rdataset_clear(&s->rr[i].rrs, NULL);
	s->in_zone = false;
}

int dns_snap_commit(dns_snap_t *s, const dns_db_t *db, dns_journal_t *j)
{
	const dns_zone_t *z = s->in_zone ? dns_db_zone_by_apex(db, s->apex) : NULL;
	if (z == NULL || z->serial == s->serial || j == NULL) {
		dns_snap_drop(s);
		return 0;
	}
	const dns_node_t *n = dns_db_node(db, s->name);
	knot_rrset_t removed[N_TYPES], added[N_TYPES];
	size_t nr = 0, na = 0;
	for (int i = 0; i < N_TYPES; i++) {
		const knot_rrset_t *now = n != NULL ? node_rr(n, i) : NULL;
		bool now_empty = now == NULL || knot_rrset_empty(now);
		if (now != NULL && rr_same(&s->rr[i], now))
			continue;
		if (!knot_rrset_empty(&s->rr[i]))
			removed[nr++] = s->rr[i];
		if (!now_empty)
			added[na++] = *now;
	}
	dns_zone_journal_t *zj = dns_journal_zone(j, z->apex);
	int ret = zj == NULL ? -ENOMEM
	        : dns_journal_add(j, zj, s->serial, z->serial, removed, nr, added, na);
	dns_snap_drop(s);
	return ret < 0 ? ret : 1;
}

/* A growing array of borrowed RRsets. */
typedef struct rrvec {
	knot_rrset_t *v;
	size_t n, cap;
} rrvec_t;

static int rrvec_push(rrvec_t *r, const knot_rrset_t *rr)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		knot_rrset_t *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *rr;
	return 0;
}

/* Compare zone @p z of @p db with its namesake @p o of @p old. */
static int diff_zone(dns_journal_t *j, const dns_db_t *old, const dns_zone_t *o,
                     const dns_db_t *db, const dns_zone_t *z)
{
	dns_zone_journal_t *zj = dns_journal_zone(j, z->apex);
	if (zj == NULL)
		return -ENOMEM;
	if (!dns_zone_apex_same(z, o)) {
		dns_journal_reset(zj); /* NS or SOA fields: the whole zone, once */
		return 0;
	}
	rrvec_t rem = { 0 }, add = { 0 };
	int ret = 0;
	for (size_t b = 0; ret == 0 && b < db->n_buckets; b++)
		for (const dns_node_t *n = db->buckets[b]; ret == 0 && n; n = n->next) {
			if (n->zone != z)
				continue;
			const dns_node_t *p = dns_db_node(old, n->owner);
			for (int i = 0; ret == 0 && i < N_TYPES; i++) {
				const knot_rrset_t *before = p != NULL && p->zone == o ? node_rr(p, i) : NULL;
				if (before != NULL && rr_same(before, node_rr(n, i)))
					continue;
				if (before != NULL && !knot_rrset_empty(before))
					ret = rrvec_push(&rem, before);
				if (ret == 0 && !knot_rrset_empty(node_rr(n, i)))
					ret = rrvec_push(&add, node_rr(n, i));
			}
		}
	for (size_t b = 0; ret == 0 && b < old->n_buckets; b++)
		for (const dns_node_t *p = old->buckets[b]; ret == 0 && p; p = p->next) {
			if (p->zone != o)
				continue;
			const dns_node_t *n = dns_db_node(db, p->owner);
			if (n != NULL && n->zone == z)
				continue; /* compared above */
			for (int i = 0; ret == 0 && i < N_TYPES; i++)
				if (!knot_rrset_empty(node_rr(p, i)))
					ret = rrvec_push(&rem, node_rr(p, i));
		}
	if (ret == 0)
		ret = dns_journal_add(j, zj, o->serial, z->serial, rem.v, rem.n, add.v, add.n);
	else
		dns_journal_reset(zj);
	free(rem.v);
	free(add.v);
	return ret;
}

int dns_diff_dbs(dns_journal_t *j, const dns_db_t *old, const dns_db_t *db)
{
	for (size_t i = 0; i < db->n_zones; i++) {
		const dns_zone_t *z = &db->zones[i];
		const dns_zone_t *o = dns_db_zone_by_apex(old, z->apex);
		if (o == NULL || o->serial == z->serial)
			continue;
		int ret = diff_zone(j, old, o, db, z);
		if (ret != 0)
			return ret;
	}
	return 0;
}
