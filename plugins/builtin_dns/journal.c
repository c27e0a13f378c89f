/**
 * @file journal.c
 * @brief builtin_dns: the per-zone chains of changes behind IXFR
 * (journal.h), and their state-file form.
 */
#include "journal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dns_journal_new(size_t max, dns_journal_t **out)
{
	dns_journal_t *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->max = max;
	*out = j;
	return 0;
}

static void rrsets_free(knot_rrset_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		knot_rdataset_clear(&v[i].rrs, NULL);
		free(v[i].owner);
	}
	free(v);
}

static void change_free(dns_change_t *c)
{
	rrsets_free(c->removed, c->n_removed);
	rrsets_free(c->added, c->n_added);
	free(c);
}

void dns_journal_reset(dns_zone_journal_t *z)
{
	while (z->head != NULL) {
		dns_change_t *next = z->head->next;
		change_free(z->head);
		z->head = next;
	}
	z->tail = NULL;
	z->n = 0;
}

void dns_journal_free(dns_journal_t *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n_zones; i++) {
		dns_journal_reset(&j->zones[i]);
		free(j->zones[i].apex);
	}
	free(j->zones);
	free(j);
}

const dns_zone_journal_t *dns_journal_find(const dns_journal_t *j, const knot_dname_t *apex)
{
	for (size_t i = 0; j != NULL && i < j->n_zones; i++)
		if (knot_dname_is_equal(j->zones[i].apex, apex))
			return &j->zones[i];
	return NULL;
}

dns_zone_journal_t *dns_journal_zone(dns_journal_t *j, const knot_dname_t *apex)
{
	const dns_zone_journal_t *found = dns_journal_find(j, apex);
	if (found != NULL)
		return (dns_zone_journal_t *)found; /* j is ours to change */
	dns_zone_journal_t *v = realloc(j->zones, (j->n_zones + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	j->zones = v;
	dns_zone_journal_t *z = &v[j->n_zones];
	memset(z, 0, sizeof(*z));
	if ((z->apex = knot_dname_copy(apex, NULL)) == NULL)
		return NULL;
	j->n_zones++;
	return z;
}

/* Deep copies of @p n RRsets (owner included), or NULL on -ENOMEM. */
static knot_rrset_t *rrsets_copy(const knot_rrset_t *src, size_t n)
{
	knot_rrset_t *v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		knot_dname_t *owner = knot_dname_copy(src[i].owner, NULL);
		knot_rrset_init(&v[i], owner, src[i].type, src[i].rclass, src[i].ttl);
		if (owner == NULL || knot_rdataset_copy(&v[i].rrs, &src[i].rrs, NULL) != KNOT_EOK) {
			rrsets_free(v, i + 1);
			return NULL;
		}
	}
	return v;
}

static void drop_oldest(dns_zone_journal_t *z)
{
	dns_change_t *c = z->head;
	z->head = c->next;
	if (z->head == NULL)
		z->tail = NULL;
	change_free(c);
	z->n--;
}

int dns_journal_add(dns_journal_t *j, dns_zone_journal_t *z, uint32_t from, uint32_t to,
                    const knot_rrset_t *removed, size_t n_removed,
                    const knot_rrset_t *added, size_t n_added)
{
	if (z->tail != NULL && z->tail->to != from)
		dns_journal_reset(z); /* a hole: older serials cannot be walked */
	if (j->max == 0)
		return 0;
	dns_change_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		dns_journal_reset(z);
		return -ENOMEM;
	}
	c->from = from;
	c->to = to;
	c->removed = rrsets_copy(removed, n_removed);
	c->n_removed = c->removed ? n_removed : 0;
	c->added = rrsets_copy(added, n_added);
	c->n_added = c->added ? n_added : 0;
	if (c->removed == NULL || c->added == NULL) {
		change_free(c);
		dns_journal_reset(z);
		return -ENOMEM;
	}
	if (z->tail != NULL)
		z->tail->next = c;
	else
		z->head = c;
	z->tail = c;
	z->n++;
	while (z->n > j->max)
		drop_oldest(z);
	return 0;
}

/* Append copies of @p n RRsets of @p src to the @p *n_v of *@p v. */
static int rrsets_append(knot_rrset_t **v, size_t *n_v, const knot_rrset_t *src, size_t n)
{
	if (n == 0)
		return 0;
	knot_rrset_t *copy = rrsets_copy(src, n);
	knot_rrset_t *grown = copy != NULL ? realloc(*v, (*n_v + n) * sizeof(**v)) : NULL;
	if (grown == NULL) {
		if (copy != NULL)
			rrsets_free(copy, n);
		return -ENOMEM;
	}
	memcpy(grown + *n_v, copy, n * sizeof(*copy));
	free(copy); /* its RRsets' owners and rdata now grown's */
	*v = grown;
	*n_v += n;
	return 0;
}

int dns_journal_extend(dns_change_t *c, const knot_rrset_t *removed, size_t n_removed,
                       const knot_rrset_t *added, size_t n_added)
{
	int ret = rrsets_append(&c->removed, &c->n_removed, removed, n_removed);
	return ret == 0 ? rrsets_append(&c->added, &c->n_added, added, n_added) : ret;
}

const dns_change_t *dns_journal_since(const dns_zone_journal_t *z, uint32_t serial,
                                      uint32_t current)
{
	if (z == NULL || z->tail == NULL || z->tail->to != current)
		return NULL;
	for (const dns_change_t *c = z->head; c != NULL; c = c->next)
		if (c->from == serial)
			return c;
	return NULL;
}

/* ---- the state file: "DDNSJRN1", then per zone: apex, count, changes;
 * per change: from, to, then the removed and the added RRsets, each as
 * owner, type, TTL, RR count and (length, RDATA) per RR.  Integers are
 * big-endian. ---- */

#define MAGIC "DDNSJRN1"

typedef struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
} wbuf_t;

static void put(wbuf_t *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u32(wbuf_t *b, uint32_t v)
{
	uint8_t w[4];
	knot_wire_write_u32(w, v);
	put(b, w, 4);
}

static void put_rrsets(wbuf_t *b, const knot_rrset_t *v, size_t n)
{
	put_u32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put(b, v[i].owner, knot_dname_size(v[i].owner));
		put_u32(b, v[i].type);
		put_u32(b, v[i].ttl);
		put_u32(b, v[i].rrs.count);
		knot_rdata_t *rd = v[i].rrs.rdata;
		for (uint16_t k = 0; k < v[i].rrs.count; k++, rd = knot_rdataset_next(rd)) {
			put_u32(b, rd->len);
			put(b, rd->data, rd->len);
		}
	}
}

int dns_journal_save(const dns_journal_t *j, uint8_t **out, size_t *len)
{
	wbuf_t b = { 0 };
	put(&b, MAGIC, 8);
	put_u32(&b, (uint32_t)j->n_zones);
	for (size_t i = 0; i < j->n_zones; i++) {
		const dns_zone_journal_t *z = &j->zones[i];
		put(&b, z->apex, knot_dname_size(z->apex));
		put_u32(&b, (uint32_t)z->n);
		for (const dns_change_t *c = z->head; c != NULL; c = c->next) {
			put_u32(&b, c->from);
			put_u32(&b, c->to);
			put_rrsets(&b, c->removed, c->n_removed);
			put_rrsets(&b, c->added, c->n_added);
		}
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

typedef struct rbuf {
	const uint8_t *p, *end;
	bool bad;
} rbuf_t;

static uint32_t get_u32(rbuf_t *r)
{
	if (r->bad || r->end - r->p < 4) {
		r->bad = true;
		return 0;
	}
	uint32_t v = knot_wire_read_u32(r->p);
	r->p += 4;
	return v;
}

static const knot_dname_t *get_name(rbuf_t *r)
{
	if (r->bad)
		return NULL;
	int n = knot_dname_wire_check(r->p, r->end, NULL);
	if (n <= 0) {
		r->bad = true;
		return NULL;
	}
	const knot_dname_t *name = r->p;
	r->p += n;
	return name;
}

/* Read @p *n RRsets into a malloc'd array (NULL and r->bad on a bad file). */
static knot_rrset_t *get_rrsets(rbuf_t *r, size_t *n_out)
{
	uint32_t n = get_u32(r);
	if (r->bad || n > (size_t)(r->end - r->p) / 12) {
		r->bad = true;
		return NULL;
	}
	knot_rrset_t *v = calloc(n ? n : 1, sizeof(*v));
	size_t done = 0;
	for (; v != NULL && done < n && !r->bad; done++) {
		const knot_dname_t *owner = get_name(r);
		uint32_t type = get_u32(r), ttl = get_u32(r), count = get_u32(r);
		if (r->bad || type > UINT16_MAX || count > UINT16_MAX)
			break;
		knot_rrset_init(&v[done], knot_dname_copy(owner, NULL), (uint16_t)type,
		                KNOT_CLASS_IN, ttl);
		if (v[done].owner == NULL)
			break;
		for (uint32_t k = 0; k < count; k++) {
			uint32_t len = get_u32(r);
			if (r->bad || len > UINT16_MAX || (size_t)(r->end - r->p) < len ||
			    knot_rrset_add_rdata(&v[done], r->p, (uint16_t)len, NULL) != KNOT_EOK) {
				r->bad = true;
				break;
			}
			r->p += len;
		}
	}
	if (v == NULL || done < n || r->bad) {
		r->bad = true;
		if (v != NULL)
			rrsets_free(v, done < n ? done + 1 : n);
		return NULL;
	}
	*n_out = n;
	return v;
}

int dns_journal_load(dns_journal_t *j, const uint8_t *buf, size_t len)
{
	rbuf_t r = { buf, buf + len, false };
	if (len < 8 || memcmp(buf, MAGIC, 8) != 0)
		return -EINVAL;
	r.p += 8;
	uint32_t zones = get_u32(&r);
	for (uint32_t i = 0; i < zones && !r.bad; i++) {
		const knot_dname_t *apex = get_name(&r);
		uint32_t n = get_u32(&r);
		if (r.bad)
			break;
		dns_zone_journal_t *z = dns_journal_zone(j, apex);
		if (z == NULL)
			return -ENOMEM;
		dns_journal_reset(z);
		for (uint32_t k = 0; k < n && !r.bad; k++) {
			uint32_t from = get_u32(&r), to = get_u32(&r);
			size_t nr = 0, na = 0;
			knot_rrset_t *rem = get_rrsets(&r, &nr);
			knot_rrset_t *add = rem ? get_rrsets(&r, &na) : NULL;
			int ret = add ? dns_journal_add(j, z, from, to, rem, nr, add, na) : 0;
			rrsets_free(rem, rem ? nr : 0);
			rrsets_free(add, add ? na : 0);
			if (ret != 0)
				return ret;
		}
		if (r.bad)
			dns_journal_reset(z); /* never half a chain */
	}
	return r.bad ? -EINVAL : 0;
}
