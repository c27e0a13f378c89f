/**
 * @file keys.h
 * @brief builtin_dns: the DNSSEC signing key of each signed zone.
 *
 * One CSK per zone (flags 257: it signs the DNSKEY set and everything
 * else), ECDSA P-256 (13) or Ed25519 (15), made on first start into a
 * PKCS#8 keystore in the instance's state directory (`keys/`, files mode
 * 0600 in a 0700 directory), then read from it.  `keys/<zone>.csk` names
 * the key of the zone ("<key id> <algorithm>").  The DNSKEY, CDS (SHA-256)
 * and CDNSKEY sets are built once.  Read-only once loaded, so every thread
 * may read it; signing contexts are per thread (sign.h).
 */
#ifndef DDNS_BUILTIN_DNS_KEYS_H
#define DDNS_BUILTIN_DNS_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <libdnssec/key.h>
#include <libknot/libknot.h>

/** A zone's key and what is published of it. */
typedef struct dns_zkey {
	knot_dname_t *apex;      /**< owned, lower case */
	dnssec_key_t *key;       /**< owned, with its private key */
	uint16_t keytag;
	uint8_t algorithm;
	knot_rrset_t dnskey;     /**< the apex DNSKEY set (owned rdata) */
	knot_rrset_t cds;        /**< CDS (SHA-256), TTL 0 */
	knot_rrset_t cdnskey;    /**< CDNSKEY, TTL 0 */
} dns_zkey_t;

typedef struct dns_zkeys {
	dns_zkey_t *v;
	size_t n;
} dns_zkeys_t;

/** "ecdsap256sha256" or "ed25519" (case-insensitive): the algorithm
 *  number, or 0. */
uint8_t dns_keys_algorithm(const char *name);

/**
 * Load (or make, the first time) the key of each zone of @p apexes
 * (lower-case wire names) in the keystore @p dir, DNSKEY TTL @p ttl.
 * Returns 0, or a negative errno with a message in @p err naming the
 * file or zone.  A key of another algorithm than @p algorithm is kept
 * (an algorithm rollover is not done: the message of the log says so
 * through *@p kept_other).
 */
int dns_keys_load(const char *dir, const knot_dname_t *const *apexes, size_t n,
                  uint8_t algorithm, uint32_t ttl, dns_zkeys_t *out, bool *kept_other,
                  char *err, size_t err_len);

/** The key of zone @p apex, or NULL. */
const dns_zkey_t *dns_keys_find(const dns_zkeys_t *k, const knot_dname_t *apex);

/** Free them (NULL-safe fields). */
void dns_keys_free(dns_zkeys_t *k);

/** The DS of @p z in presentation form ("<apex> IN DS <tag> <alg> 2 <hex>")
 *  into @p out: 0 or -ENOMEM / -ENOSPC. */
int dns_keys_ds_text(const dns_zkey_t *z, char *out, size_t len);

#endif
