/**
 * @file sign.h
 * @brief builtin_dns: RRSIGs for answers (RFC 4034 §3), made once and
 * cached.
 *
 * Signatures are reproducible (ECDSA per RFC 6979, or Ed25519), and their
 * validity window moves by whole days: the same RRset gives the same RRSIG
 * all day, so each thread signs an RRset once a day and answers from its
 * cache after that.  The day boundary of each RRset is shifted by a hash of
 * it, so renewals spread over the day instead of coming in one burst.  A
 * signature is valid from an hour before its day began (clock skew) to
 * eight days after: a resolver may hold it a week.
 *
 * One dns_signer_t per thread (it holds libdnssec contexts and the cache);
 * no lock.  The cache is two-way set-associative and bounded (DNS_SIGN_CACHE_SLOTS):
 * a miss costs one signature (~64 µs for P-256 on this kind of machine).
 */
#ifndef DDNS_BUILTIN_DNS_SIGN_H
#define DDNS_BUILTIN_DNS_SIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <libknot/libknot.h>
#include "keys.h"

#define DNS_SIGN_CACHE_BITS 16
#define DNS_SIGN_CACHE_SLOTS (1u << DNS_SIGN_CACHE_BITS)

typedef struct dns_signer dns_signer_t;

/** 0 and *out, or -ENOMEM. */
int dns_signer_new(dns_signer_t **out);
void dns_signer_free(dns_signer_t *s);

/**
 * Put the RRSIG of @p rr by key @p z into @p pkt's current section (its RDATA
 * allocated from pkt->mm: an arena freed as a whole, as dns_answer()'s), owner
 * compressed against @p hint, TTL @p ttl (the TTL @p rr was put with).
 * @p cache false for an RRset made for one query (a denial for a random
 * name): it would only push useful entries out.  @p now: Unix time.
 * Returns KNOT_EOK, KNOT_ESPACE (no room: the caller truncates) or an error.
 */
int dns_sign_put(dns_signer_t *s, const dns_key_t *z, const knot_rrset_t *rr,
                 uint32_t ttl, knot_pkt_t *pkt, uint16_t hint, bool cache, uint32_t now);

/**
 * The RRSIG RDATA of @p rr by key @p k, valid from @p inception to
 * @p expiration, into *@p out (malloc'd, *@p len bytes), not cached: for
 * the zone secondaries receive (xsign.h), which keeps its own.
 * KNOT_EOK or an error.
 */
int dns_sign_rrsig(dns_signer_t *s, const dns_key_t *k, const knot_rrset_t *rr,
                   uint32_t inception, uint32_t expiration, uint8_t **out, uint16_t *len);

/** Signatures this signer made, and answers from its cache: any thread
 *  may ask while the signer's thread signs. */
void dns_signer_counts(const dns_signer_t *s, uint64_t *made, uint64_t *hits);

#endif
