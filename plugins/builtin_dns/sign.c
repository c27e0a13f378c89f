/**
 * @file sign.c
 * @brief builtin_dns: cached RRSIGs (sign.h); the signed data is built
 * as Knot's rrset-sign.c does (RFC 4034 §3.1.8.1, §6).
 */
#include "sign.h"
#include "fnv.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <libdnssec/error.h>
#include <libdnssec/sign.h>

#define DAY 86400u
#define SKEW 3600u
#define VALID_DAYS 8u
#define RRSIG_HEADER 18
#define MAX_SIGNED 65535

typedef struct sig_entry {
	uint64_t h1, h2;        /* the signed RRset, key and window */
	uint16_t len;
	uint8_t *rdata;         /* the RRSIG RDATA, owned */
} sig_entry_t;

typedef struct key_ctx {
	const dns_key_t *k;
	dnssec_sign_ctx_t *ctx;
} key_ctx_t;

struct dns_signer {
	key_ctx_t *ctxs;
	size_t n_ctxs;
	sig_entry_t *slots;
	/* written by the signer's thread alone, read by the loop (/metrics) */
	_Atomic uint64_t made, hits;
	uint8_t buf[MAX_SIGNED]; /* the data to sign */
};

int dns_signer_new(dns_signer_t **out)
{
	dns_signer_t *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->slots = calloc(DNS_SIGN_CACHE_SLOTS, sizeof(*s->slots))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void dns_signer_free(dns_signer_t *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_ctxs; i++)
		dnssec_sign_free(s->ctxs[i].ctx);
	free(s->ctxs);
	for (size_t i = 0; i < DNS_SIGN_CACHE_SLOTS; i++)
		free(s->slots[i].rdata);
	free(s->slots);
	free(s);
}

void dns_signer_counts(const dns_signer_t *s, uint64_t *made, uint64_t *hits)
{
	*made = s != NULL ? atomic_load_explicit(&s->made, memory_order_relaxed) : 0;
	*hits = s != NULL ? atomic_load_explicit(&s->hits, memory_order_relaxed) : 0;
}

/* One writer: a plain add, made visible whole (no lock prefix). */
static void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

/* Keys live as long as their keystore (keys.h), so their addresses stay
 * theirs while this signer runs. */
static dnssec_sign_ctx_t *ctx_for(dns_signer_t *s, const dns_key_t *z)
{
	for (size_t i = 0; i < s->n_ctxs; i++)
		if (s->ctxs[i].k == z)
			return s->ctxs[i].ctx;
	key_ctx_t *v = realloc(s->ctxs, (s->n_ctxs + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	s->ctxs = v;
	if (dnssec_sign_new(&v[s->n_ctxs].ctx, z->key) != DNSSEC_EOK)
		return NULL;
	v[s->n_ctxs].k = z;
	return v[s->n_ctxs++].ctx;
}

/* Two independent hashes of what is signed (the RRs as written, the key). */
static void key_hashes(const dns_key_t *z, const uint8_t *rrs, size_t len, uint64_t *h1,
                       uint64_t *h2)
{
	uint8_t k[3] = { (uint8_t)(z->keytag >> 8), (uint8_t)z->keytag, z->algorithm };
	*h1 = dns_fnv(dns_fnv(DNS_FNV_BASIS, k, 3), rrs, len);
	*h2 = dns_fnv(dns_fnv(0x84222325cbf29ce4ULL, rrs, len), k, 3);
}

/* The RRSIG RDATA: header, signer, signature; into a malloc'd buffer. */
static int make_rrsig(dns_signer_t *s, const dns_key_t *z, const knot_rrset_t *rr,
                      size_t rrs_len, uint32_t inception, uint32_t expiration, uint8_t **out,
                      uint16_t *out_len)
{
	dnssec_sign_ctx_t *ctx = ctx_for(s, z);
	if (ctx == NULL)
		return KNOT_ENOMEM;
	size_t signer_len = knot_dname_size(z->apex);
	uint8_t hdr[RRSIG_HEADER + KNOT_DNAME_MAXLEN];
	knot_wire_write_u16(hdr, rr->type);
	hdr[2] = z->algorithm;
	hdr[3] = (uint8_t)knot_dname_labels(rr->owner, NULL);
	knot_wire_write_u32(hdr + 4, rr->ttl);
	knot_wire_write_u32(hdr + 8, expiration);
	knot_wire_write_u32(hdr + 12, inception);
	knot_wire_write_u16(hdr + 16, z->keytag);
	memcpy(hdr + RRSIG_HEADER, z->apex, signer_len);
	dnssec_binary_t head = { .data = hdr, .size = RRSIG_HEADER + signer_len };
	dnssec_binary_t body = { .data = s->buf, .size = rrs_len };
	dnssec_binary_t sig = { 0 };
	if (dnssec_sign_init(ctx) != DNSSEC_EOK || dnssec_sign_add(ctx, &head) != DNSSEC_EOK ||
	    dnssec_sign_add(ctx, &body) != DNSSEC_EOK ||
	    dnssec_sign_write(ctx, DNSSEC_SIGN_REPRODUCIBLE, &sig) != DNSSEC_EOK)
		return KNOT_ERROR;
	size_t len = head.size + sig.size;
	*out = malloc(len);
	if (*out != NULL) {
		memcpy(*out, hdr, head.size);
		memcpy(*out + head.size, sig.data, sig.size);
		*out_len = (uint16_t)len;
	}
	dnssec_binary_free(&sig);
	bump(&s->made);
	return *out != NULL ? KNOT_EOK : KNOT_ENOMEM;
}

int dns_sign_rrsig(dns_signer_t *s, const dns_key_t *k, const knot_rrset_t *rr,
                   uint32_t inception, uint32_t expiration, uint8_t **out, uint16_t *len)
{
	int rrs_len = knot_rrset_to_wire(rr, s->buf, sizeof(s->buf), NULL);
	if (rrs_len < 0)
		return rrs_len;
	return make_rrsig(s, k, rr, (size_t)rrs_len, inception, expiration, out, len);
}

int dns_sign_put(dns_signer_t *s, const dns_key_t *z, const knot_rrset_t *rr,
                 uint32_t ttl, knot_pkt_t *pkt, uint16_t hint, bool cache, uint32_t now)
{
	/* RFC 4034 §3.1.8.1: the RRs in canonical form, sorted (a libknot
	 * rdataset is kept sorted), uncompressed, with the original TTL.
	 * Owners and names in the RDATA are lower case in the db already. */
	int rrs_len = knot_rrset_to_wire(rr, s->buf, sizeof(s->buf), NULL);
	if (rrs_len < 0)
		return rrs_len;
	uint64_t h1, h2;
	key_hashes(z, s->buf, (size_t)rrs_len, &h1, &h2);
	uint32_t phase = (uint32_t)(h1 % DAY);
	uint32_t start = (uint32_t)(((uint64_t)now + phase) / DAY * DAY - phase);
	/* The window enters both keys multiplied: start's low bits follow
	 * h1's (phase is h1 % DAY), so h1 ^ start alone would leave the low
	 * bits nearly constant.  The slot is the top bits of a multiply. */
	uint64_t w1 = h1 ^ ((uint64_t)start * 0x9E3779B97F4A7C15ULL);
	uint64_t w2 = h2 + (uint64_t)start * 0xC2B2AE3D27D4EB4FULL;
	/* Two ways: two RRsets that share a slot do not push each other
	 * out at every query. */
	size_t i = (size_t)((w1 * 0xFF51AFD7ED558CCDULL) >> (64 - DNS_SIGN_CACHE_BITS)) & ~(size_t)1;
	sig_entry_t *e = &s->slots[i];
	if (!(e->rdata != NULL && e->h1 == w1 && e->h2 == w2))
		e = &s->slots[i + 1];
	sig_entry_t fresh = { 0 };
	if (cache && e->rdata != NULL && e->h1 == w1 && e->h2 == w2) {
		bump(&s->hits);
	} else {
		/* a miss: the empty way, else one by a hash bit */
		e = s->slots[i].rdata == NULL ? &s->slots[i] : s->slots[i + 1].rdata == NULL
		  ? &s->slots[i + 1] : &s->slots[i + (w2 & 1)];
		int ret = make_rrsig(s, z, rr, (size_t)rrs_len, start - SKEW, start + VALID_DAYS * DAY,
		                     &fresh.rdata, &fresh.len);
		if (ret != KNOT_EOK)
			return ret;
		if (cache) {
			free(e->rdata);
			*e = (sig_entry_t){ .h1 = w1, .h2 = w2, .len = fresh.len, .rdata = fresh.rdata };
			fresh.rdata = NULL;
		} else {
			e = &fresh;
		}
	}
	knot_rrset_t rrsig;
	knot_rrset_init(&rrsig, rr->owner, KNOT_RRTYPE_RRSIG, KNOT_CLASS_IN, ttl);
	int ret = knot_rrset_add_rdata(&rrsig, e->rdata, e->len, &pkt->mm);
	free(fresh.rdata);
	if (ret != KNOT_EOK)
		return ret;
	return knot_pkt_put(pkt, hint, &rrsig, 0); /* its rdata is pkt->mm's */
}
