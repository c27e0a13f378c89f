/**
 * @file xsign.c
 * @brief builtin_dns: the signed zone secondaries receive (xsign.h).
 */
#include "xsign.h"
#include "fnv.h"
#include "keys.h"
#include "nsec3.h"
#include "sign.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY 86400u
#define PERIOD (7 * DAY)  /* a window moves once a period */
#define VALID (14 * DAY)  /* from the window's start */
#define SKEW 3600u

/* A signature of the store. */
typedef struct sig_ent {
	struct sig_ent *next;
	uint64_t h1, h2;  /* the RRset, the key, the window */
	uint32_t zone;    /* its zone's index in zones */
	uint32_t gen;     /* its zone's last image that used it */
	uint16_t len;
	uint8_t rdata[];
} sig_ent_t;

/* One signature a warm-up thread makes. */
typedef struct warm_item {
	knot_rrset_t rr;      /* a copy (owner and rdata owned) */
	const dns_key_t *key;
	uint32_t start;
	uint64_t h1, h2;
	uint8_t *rdata;       /* the thread's result (malloc'd) */
	uint16_t len;
} warm_item_t;

/* Signing a whole zone, off the loop. */
typedef struct warm_job {
	pthread_t thread;
	atomic_bool cancel, done;
	warm_item_t *items;
	size_t n, cap;
	dns_signer_t *signer; /* the thread's */
	struct timespec began, copied, ended;
} warm_job_t;

/* A zone's state. */
typedef struct xzone {
	knot_dname_t *apex; /* owned */
	uint32_t t;         /* its last re-sign: every RRSIG's window holds it */
	uint32_t gen;       /* images built */
	dns_nsec3_t chain;
	warm_job_t *job;    /* signing it whole, or NULL */
	bool ready;         /* every signature is in the store */
} xzone_t;

struct dns_xsign {
	dns_signer_t *signer;
	sig_ent_t **buckets;
	size_t n_buckets, n;
	xzone_t *zones;
	size_t n_zones;
	uint8_t buf[65535];  /* an RRset's wire, for its hash */
};

int dns_xsign_new(dns_xsign_t **out)
{
	dns_xsign_t *x = calloc(1, sizeof(*x));
	if (x == NULL || dns_signer_new(&x->signer) != 0 ||
	    (x->buckets = calloc(1024, sizeof(*x->buckets))) == NULL) {
		if (x != NULL)
			dns_signer_free(x->signer);
		free(x);
		return -ENOMEM;
	}
	x->n_buckets = 1024;
	*out = x;
	return 0;
}

static void job_end(warm_job_t *j);

void dns_xsign_free(dns_xsign_t *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n_zones; i++)
		job_end(x->zones[i].job);
	for (size_t b = 0; b < x->n_buckets; b++)
		while (x->buckets[b] != NULL) {
			sig_ent_t *e = x->buckets[b];
			x->buckets[b] = e->next;
			free(e);
		}
	free(x->buckets);
	for (size_t i = 0; i < x->n_zones; i++) {
		free(x->zones[i].apex);
		dns_nsec3_free(&x->zones[i].chain);
	}
	free(x->zones);
	dns_signer_free(x->signer);
	free(x);
}

static xzone_t *zone_of(dns_xsign_t *x, const knot_dname_t *apex)
{
	for (size_t i = 0; i < x->n_zones; i++)
		if (knot_dname_is_equal(x->zones[i].apex, apex))
			return &x->zones[i];
	return NULL;
}

static int warm_start(dns_xsign_t *x, xzone_t *xz, const dns_db_t *db, const dns_zone_t *z);

int dns_xsign_reset(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, uint32_t now)
{
	xzone_t *xz = zone_of(x, z->apex);
	if (xz == NULL) {
		xzone_t *v = realloc(x->zones, (x->n_zones + 1) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		x->zones = v;
		xz = &v[x->n_zones];
		memset(xz, 0, sizeof(*xz));
		if ((xz->apex = knot_dname_copy(z->apex, NULL)) == NULL)
			return -ENOMEM;
		x->n_zones++;
	}
	dns_nsec3_free(&xz->chain);
	xz->t = now;
	job_end(xz->job);
	xz->job = NULL;
	xz->ready = false;
	int ret = dns_nsec3_build(db, z, &xz->chain);
	/* Every signature changes: made by a thread, while secondaries wait
	 * (dns_xsign_ready()); without one, the first image makes them. */
	if (ret == 0 && warm_start(x, xz, db, z) != 0)
		xz->ready = true;
	return ret;
}

/* ---- windows and the store ---- */

/* The hash of @p rr's content (its canonical wire, as signed). */
static int rr_hash(dns_xsign_t *x, const knot_rrset_t *rr, uint64_t *h, size_t *len)
{
	int n = knot_rrset_to_wire(rr, x->buf, sizeof(x->buf), NULL);
	if (n < 0)
		return -EINVAL;
	*len = (size_t)n;
	*h = dns_fnv(DNS_FNV_BASIS, x->buf, (size_t)n);
	return 0;
}

/* The start of the window holding @p t for an RRset of hash @p h. */
static uint32_t window(uint64_t h, uint32_t t)
{
	uint32_t phase = (uint32_t)(h % PERIOD);
	return (uint32_t)(((uint64_t)t + phase) / PERIOD * PERIOD - phase);
}

static int grow(dns_xsign_t *x)
{
	size_t nb = x->n_buckets * 2;
	sig_ent_t **v = calloc(nb, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t b = 0; b < x->n_buckets; b++)
		while (x->buckets[b] != NULL) {
			sig_ent_t *e = x->buckets[b];
			x->buckets[b] = e->next;
			e->next = v[e->h1 & (nb - 1)];
			v[e->h1 & (nb - 1)] = e;
		}
	free(x->buckets);
	x->buckets = v;
	x->n_buckets = nb;
	return 0;
}

/* The store's keys of the signature of the RRset in x->buf (@p len
 * bytes, hash @p h) by @p k in the window starting at @p start. */
static void store_keys(const dns_xsign_t *x, const dns_key_t *k, uint64_t h, size_t len,
                       uint32_t start, uint64_t *h1, uint64_t *h2)
{
	uint8_t tail[4 + DNS_KEY_ID_LEN];
	memcpy(tail, &start, 4);
	memcpy(tail + 4, k->id, DNS_KEY_ID_LEN);
	*h1 = dns_fnv(h, tail, sizeof(tail));
	*h2 = dns_fnv(dns_fnv(0x84222325cbf29ce4ULL, tail, sizeof(tail)), x->buf, len);
}

static sig_ent_t *store_find(const dns_xsign_t *x, uint64_t h1, uint64_t h2)
{
	sig_ent_t *e = x->buckets[h1 & (x->n_buckets - 1)];
	while (e != NULL && !(e->h1 == h1 && e->h2 == h2))
		e = e->next;
	return e;
}

static void store_add(dns_xsign_t *x, sig_ent_t *e)
{
	if (x->n >= 2 * x->n_buckets)
		grow(x); /* a failed grow only makes chains longer */
	size_t b = e->h1 & (x->n_buckets - 1);
	e->next = x->buckets[b];
	x->buckets[b] = e;
	x->n++;
}

/* The RRSIG of @p rr by @p k in the window holding @p t: from the store,
 * or made; as an RRSIG RRset in @p out (clear its rdataset after). */
static int rrsig_at(dns_xsign_t *x, const xzone_t *xz, const dns_key_t *k,
                    const knot_rrset_t *rr, uint32_t t, knot_rrset_t *out)
{
	uint32_t zi = (uint32_t)(xz - x->zones);
	uint64_t h;
	size_t len;
	if (rr_hash(x, rr, &h, &len) != 0)
		return -EINVAL;
	uint32_t start = window(h, t);
	uint64_t h1, h2;
	store_keys(x, k, h, len, start, &h1, &h2);
	sig_ent_t *e = store_find(x, h1, h2);
	if (e == NULL) {
		uint8_t *rd = NULL;
		uint16_t rd_len = 0;
		if (dns_sign_rrsig(x->signer, k, rr, start - SKEW, start + VALID, &rd, &rd_len) !=
		    KNOT_EOK)
			return -EIO;
		e = malloc(sizeof(*e) + rd_len);
		if (e == NULL) {
			free(rd);
			return -ENOMEM;
		}
		*e = (sig_ent_t){ .h1 = h1, .h2 = h2, .zone = zi, .len = rd_len };
		memcpy(e->rdata, rd, rd_len);
		free(rd);
		store_add(x, e);
	}
	e->gen = xz->gen;
	knot_rrset_init(out, rr->owner, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, rr->ttl);
	return knot_rrset_add_rdata(out, e->rdata, e->len, NULL) == KNOT_EOK ? 0 : -ENOMEM;
}

/* Signatures of zone @p xz that neither of its last two images used:
 * gone (the store keeps its current ones, and the set before). */
static void sweep(dns_xsign_t *x, const xzone_t *xz)
{
	uint32_t zi = (uint32_t)(xz - x->zones);
	for (size_t b = 0; b < x->n_buckets; b++)
		for (sig_ent_t **pp = &x->buckets[b]; *pp != NULL;) {
			sig_ent_t *e = *pp;
			if (e->zone == zi && xz->gen - e->gen > 1) {
				*pp = e->next;
				free(e);
				x->n--;
			} else {
				pp = &e->next;
			}
		}
}

/* ---- every RRset of the signed zone ---- */

/* Called for each RRset of the zone with the keys that sign it. */
typedef int (*each_cb)(void *arg, const knot_rrset_t *rr, const dns_key_t *const *keys,
                       size_t n_keys, bool extra);

static uint32_t nsec3_ttl(const dns_zone_t *z)
{
	uint32_t min = knot_soa_minimum(z->soa.rrs.rdata);
	return min < z->soa.ttl ? min : z->soa.ttl; /* RFC 9077 */
}

/* SOA, NS, the apex key sets and NSEC3PARAM, each name's A/AAAA/TXT, the
 * NSEC3 chain.  @p extra is set for the RRsets a secondary gets only in the
 * signed zone (the unsigned ones come from the caller). */
static int each_rrset(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, each_cb cb,
                      void *arg, bool with_soa)
{
	const dns_zkey_t *step = z->key;
	const xzone_t *xz = zone_of(x, z->apex);
	if (step == NULL || xz == NULL)
		return -EINVAL;
	const dns_key_t *const *zsk = &step->zsk;
	int ret = with_soa ? cb(arg, &z->soa, zsk, 1, false) : 0;
	if (ret == 0 && !knot_rrset_empty(&z->ns))
		ret = cb(arg, &z->ns, zsk, 1, false);
	const knot_rrset_t *sets[] = { &step->dnskey, &step->cds, &step->cdnskey };
	for (size_t i = 0; ret == 0 && i < 3; i++)
		ret = cb(arg, sets[i], step->ksk, step->n_ksk, true);
	knot_rrset_t param;
	knot_rrset_init(&param, z->apex, KNOT_RRTYPE_NSEC3PARAM, KNOT_CLASS_IN, 0);
	if (ret == 0 && knot_rrset_add_rdata(&param, dns_nsec3param_rdata,
	                                     sizeof(dns_nsec3param_rdata), NULL) != KNOT_EOK)
		ret = -ENOMEM;
	if (ret == 0)
		ret = cb(arg, &param, zsk, 1, true);
	knot_rdataset_clear(&param.rrs, NULL);
	for (size_t b = 0; ret == 0 && b < db->n_buckets; b++)
		for (const dns_node_t *n = db->buckets[b]; ret == 0 && n; n = n->next) {
			if (n->zone != z)
				continue;
			const knot_rrset_t *rrs[] = { &n->a, &n->aaaa, &n->txt };
			for (size_t i = 0; ret == 0 && i < 3; i++)
				if (!knot_rrset_empty(rrs[i]))
					ret = cb(arg, rrs[i], zsk, 1, false);
		}
	uint32_t ttl = nsec3_ttl(z);
	for (size_t i = 0; ret == 0 && i < xz->chain.n; i++) {
		knot_dname_storage_t owner;
		knot_rrset_t rr;
		if ((ret = dns_nsec3_rrset(&xz->chain, i, z->apex, ttl, owner, &rr)) == 0)
			ret = cb(arg, &rr, zsk, 1, true);
		knot_rdataset_clear(&rr.rrs, NULL);
	}
	return ret;
}

/* ---- warming up: a whole zone signed by a thread ---- */

static void items_free(warm_job_t *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->items[i].rr.owner);
		knot_rdataset_clear(&j->items[i].rr.rrs, NULL);
		free(j->items[i].rdata);
	}
	free(j->items);
}

/* Stop and free a job (NULL-safe): a thread told to cancel stops within
 * one signature. */
static void job_end(warm_job_t *j)
{
	if (j == NULL)
		return;
	atomic_store(&j->cancel, true);
	pthread_join(j->thread, NULL);
	items_free(j);
	dns_signer_free(j->signer);
	free(j);
}

static void *warm_main(void *arg)
{
	warm_job_t *j = arg;
	for (size_t i = 0; i < j->n && !atomic_load_explicit(&j->cancel, memory_order_relaxed); i++) {
		warm_item_t *it = &j->items[i];
		if (dns_sign_rrsig(j->signer, it->key, &it->rr, it->start - SKEW, it->start + VALID,
		                   &it->rdata, &it->len) != KNOT_EOK)
			it->rdata = NULL; /* the loop signs it when it needs it */
	}
	clock_gettime(CLOCK_MONOTONIC, &j->ended);
	atomic_store(&j->done, true);
	return NULL;
}

typedef struct warm_ctx {
	dns_xsign_t *x;
	warm_job_t *j;
	uint32_t t;
} warm_ctx_t;

/* One RRset to sign, unless the store has its signature. */
static int warm_one(void *arg, const knot_rrset_t *rr, const dns_key_t *const *keys,
                    size_t n_keys, bool extra)
{
	(void)extra;
	warm_ctx_t *w = arg;
	uint64_t h;
	size_t len;
	if (rr_hash(w->x, rr, &h, &len) != 0)
		return -EINVAL;
	uint32_t start = window(h, w->t);
	for (size_t i = 0; i < n_keys; i++) {
		uint64_t h1, h2;
		store_keys(w->x, keys[i], h, len, start, &h1, &h2);
		if (store_find(w->x, h1, h2) != NULL)
			continue;
		warm_job_t *j = w->j;
		if (j->n == j->cap) {
			size_t cap = j->cap ? j->cap * 2 : 256;
			warm_item_t *v = realloc(j->items, cap * sizeof(*v));
			if (v == NULL)
				return -ENOMEM;
			j->items = v;
			j->cap = cap;
		}
		warm_item_t *it = &j->items[j->n];
		*it = (warm_item_t){ .key = keys[i], .start = start, .h1 = h1, .h2 = h2 };
		knot_rrset_init(&it->rr, knot_dname_copy(rr->owner, NULL), rr->type, rr->rclass,
		                rr->ttl);
		if (it->rr.owner == NULL || knot_rdataset_copy(&it->rr.rrs, &rr->rrs, NULL) != KNOT_EOK) {
			free(it->rr.owner);
			return -ENOMEM;
		}
		j->n++;
	}
	return 0;
}

/* Copy what zone @p z needs signed and hand it to a thread.  0, or an
 * error (no job: the loop signs as it goes). */
static int warm_start(dns_xsign_t *x, xzone_t *xz, const dns_db_t *db, const dns_zone_t *z)
{
	warm_job_t *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &j->began);
	warm_ctx_t w = { .x = x, .j = j, .t = xz->t };
	int ret = dns_signer_new(&j->signer);
	if (ret == 0)
		ret = each_rrset(x, db, z, warm_one, &w, true);
	clock_gettime(CLOCK_MONOTONIC, &j->copied);
	if (ret == 0 && (ret = -pthread_create(&j->thread, NULL, warm_main, j)) == 0) {
		xz->job = j;
		return 0;
	}
	items_free(j);
	dns_signer_free(j->signer);
	free(j);
	return ret;
}

bool dns_xsign_ready(const dns_xsign_t *x, const knot_dname_t *apex)
{
	const xzone_t *xz = zone_of((dns_xsign_t *)x, apex);
	return xz == NULL || xz->ready;
}

size_t dns_xsign_poll(dns_xsign_t *x, dns_xsign_done_t *done, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < x->n_zones; i++) {
		xzone_t *xz = &x->zones[i];
		warm_job_t *j = xz->job;
		if (j == NULL || !atomic_load(&j->done))
			continue;
		pthread_join(j->thread, NULL);
		size_t n_items = j->n;
		double secs = (double)(j->ended.tv_sec - j->began.tv_sec) +
		              (double)(j->ended.tv_nsec - j->began.tv_nsec) / 1e9;
		double loop = (double)(j->copied.tv_sec - j->began.tv_sec) +
		              (double)(j->copied.tv_nsec - j->began.tv_nsec) / 1e9;
		for (size_t k = 0; k < j->n; k++) {
			warm_item_t *it = &j->items[k];
			if (it->rdata == NULL || store_find(x, it->h1, it->h2) != NULL)
				continue;
			sig_ent_t *e = malloc(sizeof(*e) + it->len);
			if (e == NULL)
				break; /* the first image signs the rest */
			*e = (sig_ent_t){ .h1 = it->h1, .h2 = it->h2, .zone = (uint32_t)i,
			                  .gen = xz->gen, .len = it->len };
			memcpy(e->rdata, it->rdata, it->len);
			store_add(x, e);
		}
		items_free(j);
		dns_signer_free(j->signer);
		free(j);
		xz->job = NULL;
		xz->ready = true;
		if (n < max)
			done[n++] = (dns_xsign_done_t){ .apex = xz->apex, .signatures = n_items,
			                                .seconds = secs, .loop_seconds = loop };
	}
	return n;
}

bool dns_xsign_busy(const dns_xsign_t *x)
{
	for (size_t i = 0; i < x->n_zones; i++)
		if (x->zones[i].job != NULL)
			return true;
	return false;
}

/* ---- AXFR ---- */

typedef struct put_ctx {
	dns_xsign_t *x;
	const xzone_t *xz;
	uint32_t t;
	int (*put)(void *arg, const knot_rrset_t *rr);
	void *arg;
} put_ctx_t;

static int put_one(void *arg, const knot_rrset_t *rr, const dns_key_t *const *keys,
                   size_t n_keys, bool extra)
{
	put_ctx_t *p = arg;
	int ret = extra ? p->put(p->arg, rr) : 0;
	for (size_t i = 0; ret == 0 && i < n_keys; i++) {
		knot_rrset_t sig;
		if ((ret = rrsig_at(p->x, p->xz, keys[i], rr, p->t, &sig)) == 0)
			ret = p->put(p->arg, &sig);
		knot_rdataset_clear(&sig.rrs, NULL);
	}
	return ret;
}

int dns_xsign_put_zone(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z,
                       int (*put)(void *arg, const knot_rrset_t *rr), void *arg)
{
	xzone_t *xz = zone_of(x, z->apex);
	if (xz == NULL)
		return -EINVAL;
	xz->gen++;
	put_ctx_t p = { .x = x, .xz = xz, .t = xz->t, .put = put, .arg = arg };
	int ret = each_rrset(x, db, z, put_one, &p, true);
	if (ret == 0)
		sweep(x, xz);
	return ret;
}

/* ---- IXFR steps ---- */

/* Owned copies of RRsets, handed to the journal (which copies them). */
typedef struct rrvec {
	knot_rrset_t *v;
	size_t n, cap;
} rrvec_t;

static int vec_take(rrvec_t *r, knot_rrset_t *rr)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		knot_rrset_t *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL) {
			knot_rdataset_clear(&rr->rrs, NULL);
			return -ENOMEM;
		}
		r->v = v;
		r->cap = cap;
	}
	/* the owner is copied: the RRset's may be a buffer of the caller's */
	knot_dname_t *owner = knot_dname_copy(rr->owner, NULL);
	if (owner == NULL) {
		knot_rdataset_clear(&rr->rrs, NULL);
		return -ENOMEM;
	}
	rr->owner = owner;
	r->v[r->n++] = *rr;
	return 0;
}

static void vec_free(rrvec_t *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].owner);
		knot_rdataset_clear(&r->v[i].rrs, NULL);
	}
	free(r->v);
}

/* The RRSIG of @p rr (zone key) at @p t into @p r. */
static int vec_rrsig(dns_xsign_t *x, const xzone_t *xz, rrvec_t *r, const dns_key_t *k,
                     const knot_rrset_t *rr, uint32_t t)
{
	knot_rrset_t sig;
	int ret = rrsig_at(x, xz, k, rr, t, &sig);
	return ret == 0 ? vec_take(r, &sig) : ret;
}

/* The zone's SOA at @p serial, signed at @p t, into @p r. */
static int vec_soa_rrsig(dns_xsign_t *x, const xzone_t *xz, rrvec_t *r, const dns_zone_t *z,
                         uint32_t serial, uint32_t t)
{
	knot_rrset_t soa;
	knot_rrset_init(&soa, z->soa.owner, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, z->soa.ttl);
	if (knot_rdataset_copy(&soa.rrs, &z->soa.rrs, NULL) != KNOT_EOK)
		return -ENOMEM;
	knot_soa_serial_set(soa.rrs.rdata, serial);
	int ret = vec_rrsig(x, xz, r, z->key->zsk, &soa, t);
	knot_rdataset_clear(&soa.rrs, NULL);
	return ret;
}

typedef struct diff_ctx {
	dns_xsign_t *x;
	const xzone_t *xz;
	const dns_key_t *zsk;
	uint32_t t;
	rrvec_t *rem, *add;
} diff_ctx_t;

/* An NSEC3 record that goes or comes, with its RRSIG. */
static int nsec3_changed(void *arg, const knot_rrset_t *rr, bool added)
{
	diff_ctx_t *d = arg;
	rrvec_t *r = added ? d->add : d->rem;
	knot_rrset_t copy;
	knot_rrset_init(&copy, rr->owner, rr->type, rr->rclass, rr->ttl);
	if (knot_rdataset_copy(&copy.rrs, &rr->rrs, NULL) != KNOT_EOK)
		return -ENOMEM;
	int ret = vec_take(r, &copy);
	return ret == 0 ? vec_rrsig(d->x, d->xz, r, d->zsk, rr, d->t) : ret;
}

/* Whether step @p c gives or takes a type at a name (then the chain may
 * change; a changed value at a name, an address update, cannot). */
static bool types_change(const dns_change_t *c)
{
	if (c->n_removed + c->n_added > 64)
		return true; /* a reload's step: pairing them would cost more than a chain */
	for (int side = 0; side < 2; side++) {
		const knot_rrset_t *v = side ? c->added : c->removed, *o = side ? c->removed : c->added;
		size_t n = side ? c->n_added : c->n_removed, no = side ? c->n_removed : c->n_added;
		for (size_t i = 0; i < n; i++) {
			bool paired = false;
			for (size_t k = 0; !paired && k < no; k++)
				paired = o[k].type == v[i].type && knot_dname_is_equal(o[k].owner, v[i].owner);
			if (!paired)
				return true;
		}
	}
	return false;
}

int dns_xsign_step(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, dns_change_t *c)
{
	xzone_t *xz = zone_of(x, z->apex);
	if (xz == NULL || z->key == NULL)
		return -EINVAL;
	const dns_key_t *zsk = z->key->zsk;
	rrvec_t rem = { 0 }, add = { 0 };
	int ret = 0;
	/* the step's RRsets are A/AAAA/TXT of names: the zone key's */
	for (size_t i = 0; ret == 0 && i < c->n_removed; i++)
		ret = vec_rrsig(x, xz, &rem, zsk, &c->removed[i], xz->t);
	for (size_t i = 0; ret == 0 && i < c->n_added; i++)
		ret = vec_rrsig(x, xz, &add, zsk, &c->added[i], xz->t);
	if (ret == 0)
		ret = vec_soa_rrsig(x, xz, &rem, z, c->from, xz->t);
	if (ret == 0)
		ret = vec_soa_rrsig(x, xz, &add, z, c->to, xz->t);
	dns_nsec3_t chain = { 0 };
	bool rechain = types_change(c);
	if (ret == 0 && rechain)
		ret = dns_nsec3_build(db, z, &chain);
	if (ret == 0 && rechain && !dns_nsec3_equal(&xz->chain, &chain)) {
		diff_ctx_t d = { .x = x, .xz = xz, .zsk = zsk, .t = xz->t, .rem = &rem, .add = &add };
		ret = dns_nsec3_diff(&xz->chain, &chain, z->apex, nsec3_ttl(z), nsec3_changed, &d);
	}
	if (ret == 0)
		ret = dns_journal_extend(c, rem.v, rem.n, add.v, add.n);
	if (ret == 0 && rechain) {
		dns_nsec3_free(&xz->chain);
		xz->chain = chain;
	} else {
		dns_nsec3_free(&chain);
	}
	vec_free(&rem);
	vec_free(&add);
	return ret;
}

typedef struct resign_ctx {
	dns_xsign_t *x;
	const xzone_t *xz;
	uint32_t from_t, to_t;
	rrvec_t rem, add;
} resign_ctx_t;

/* An RRset whose window moved: its old RRSIGs go, new ones come. */
static int resign_one(void *arg, const knot_rrset_t *rr, const dns_key_t *const *keys,
                      size_t n_keys, bool extra)
{
	(void)extra;
	resign_ctx_t *r = arg;
	uint64_t h;
	size_t len;
	if (rr_hash(r->x, rr, &h, &len) != 0)
		return -EINVAL;
	if (window(h, r->from_t) == window(h, r->to_t))
		return 0;
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n_keys; i++) {
		ret = vec_rrsig(r->x, r->xz, &r->rem, keys[i], rr, r->from_t);
		if (ret == 0)
			ret = vec_rrsig(r->x, r->xz, &r->add, keys[i], rr, r->to_t);
	}
	return ret;
}

int dns_xsign_resign(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, uint32_t now,
                     dns_journal_t *j, uint32_t (*raise)(void *arg), void *arg)
{
	xzone_t *xz = zone_of(x, z->apex);
	if (xz == NULL || z->key == NULL)
		return -EINVAL;
	if (!xz->ready)
		return 0; /* a thread signs it whole at T: later */
	resign_ctx_t r = { .x = x, .xz = xz, .from_t = xz->t, .to_t = now };
	/* The SOA changes with the serial: its RRSIGs are added below. */
	int ret = each_rrset(x, db, z, resign_one, &r, false);
	if (ret == 0 && r.rem.n == 0) {
		vec_free(&r.rem);
		vec_free(&r.add);
		return 0;
	}
	uint32_t from = ret == 0 ? raise(arg) : 0;
	if (ret == 0)
		ret = vec_soa_rrsig(x, xz, &r.rem, z, from, xz->t);
	if (ret == 0)
		ret = vec_soa_rrsig(x, xz, &r.add, z, z->serial, now);
	dns_zone_journal_t *zj = ret == 0 ? dns_journal_zone(j, z->apex) : NULL;
	if (ret == 0 && zj == NULL)
		ret = -ENOMEM;
	if (ret == 0)
		ret = dns_journal_add(j, zj, from, z->serial, r.rem.v, r.rem.n, r.add.v, r.add.n);
	if (ret == 0)
		xz->t = now;
	vec_free(&r.rem);
	vec_free(&r.add);
	return ret == 0 ? 1 : ret;
}
