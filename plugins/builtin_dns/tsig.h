/**
 * @file tsig.h
 * @brief builtin_dns: TSIG keys (RFC 8945) and the checks and signatures
 * made with them, over libknot's tsig API.
 *
 * Keys come from the `tsig_keys` option, each "[algorithm:]name:secret"
 * (base64 secret; hmac-sha256 when the algorithm is left out, never
 * libknot's hmac-md5 default).  A dns_tsig_keys_t is read-only once made,
 * so the UDP workers share it with the loop.
 */
#ifndef DDNS_BUILTIN_DNS_TSIG_H
#define DDNS_BUILTIN_DNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>

/** The keys of one instance. */
typedef struct dns_tsig_keys {
	knot_tsig_key_t *keys; /**< owned */
	size_t n;
} dns_tsig_keys_t;

/**
 * Parse @p n items into @p out.  Returns 0, or -EINVAL with a message in
 * @p err naming the item (never its secret), or -ENOMEM.  A name given
 * twice is -EINVAL.
 */
int dns_tsig_keys_parse(const char *const *items, size_t n, dns_tsig_keys_t *out,
                        char *err, size_t err_len);

/** Free the keys (their secrets wiped); a zeroed @p k is fine. */
void dns_tsig_keys_free(dns_tsig_keys_t *k);

/** The key named @p name (wire, any case), or NULL. */
const knot_tsig_key_t *dns_tsig_keys_find(const dns_tsig_keys_t *k, const knot_dname_t *name);

/**
 * Check the TSIG of the query @p q (parsed by knot_pkt_parse(), with or
 * without KNOT_PF_KEEPWIRE; q->tsig_rr set) against @p keys.  Returns 0 and sets *@p key when it is
 * valid; else the TSIG error to answer (KNOT_RCODE_BADKEY: unknown name or
 * algorithm, BADSIG, BADTIME), *@p key NULL.  A query without TSIG is not
 * for this function.
 */
uint16_t dns_tsig_check(const dns_tsig_keys_t *keys, const knot_pkt_t *q,
                        const knot_tsig_key_t **key);

/** Signing the messages of one response (one, or a transfer's stream). */
typedef struct dns_tsig_signer {
	const knot_tsig_key_t *key; /**< borrowed; NULL: nothing to sign */
	uint8_t digest[64];  /**< the request MAC, then each message's MAC */
	size_t digest_len;
	uint64_t time_signed; /**< the request's */
	unsigned count;      /**< messages signed so far */
} dns_tsig_signer_t;

/** Start signing the responses to @p q with @p key (NULL: do not sign). */
void dns_tsig_signer_init(dns_tsig_signer_t *s, const knot_tsig_key_t *key,
                          const knot_pkt_t *q);

/** Room a signature takes at the end of a message (0 without a key). */
size_t dns_tsig_room(const dns_tsig_signer_t *s);

/**
 * Sign the next message, @p wire of *@p size bytes (at most @p max), in
 * place: the first with the request MAC (RFC 8945 §5.3), later ones over
 * the previous MAC (§5.3.1).  Returns 0, or -ENOSPC / -EINVAL.
 */
int dns_tsig_sign(dns_tsig_signer_t *s, uint8_t *wire, size_t *size, size_t max);

/**
 * The error reply to a query whose TSIG failed: @p wire holds the
 * response (header and question); its rcode becomes NOTAUTH and a TSIG RR
 * carrying @p tsig_error is added, unsigned (BADKEY, BADSIG) as RFC 8945
 * §5.3.2 says.  Returns 0 or -ENOSPC.
 */
int dns_tsig_error_reply(uint8_t *wire, size_t *size, size_t max, uint16_t tsig_error,
                         const knot_pkt_t *q);

#endif
