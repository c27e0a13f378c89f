/**
 * @file keys.h
 * @brief builtin_dns: DNSSEC keys (a PKCS#8 keystore) and what a zone
 * publishes of them.
 *
 * Keys are CSKs (flags 257: each signs the DNSKEY set and everything
 * else), ECDSA P-256 (13) or Ed25519 (15), made by libdnssec into the
 * keystore `keys/` of the instance's state directory (files mode 0600 in a
 * 0700 directory).  A dns_key_t is immutable once loaded and lives as long
 * as its keystore: signers (sign.h) keep contexts keyed by its address, so
 * a key is never freed under them while an instance runs.
 *
 * A dns_zkey_t is one step of a zone's life (roll.h): the key that signs
 * the data, the keys that sign the DNSKEY set, and the DNSKEY, CDS and
 * CDNSKEY sets published.  It is built whole and swapped whole, so a thread
 * answering always sees one consistent step.
 *
 * Loop thread only, but for reading a dns_zkey_t and its keys.
 */
#ifndef DDNS_BUILTIN_DNS_KEYS_H
#define DDNS_BUILTIN_DNS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libdnssec/key.h>
#include <libknot/libknot.h>

/** A key id of the keystore: 40 hex digits. */
#define DNS_KEY_ID_LEN 40

/** One key of one zone. */
typedef struct dns_key {
	knot_dname_t *apex;     /**< its zone, lower case (owned) */
	char id[DNS_KEY_ID_LEN + 1];
	dnssec_key_t *key;      /**< with its private key (owned) */
	uint16_t keytag;
	uint8_t algorithm;
} dns_key_t;

/** What a zone signs with and publishes at one step of its keys' life. */
typedef struct dns_zkey {
	const dns_key_t *zsk;    /**< signs every RRset (the keystore's) */
	const dns_key_t *ksk[2]; /**< sign the DNSKEY set; zsk is one of them */
	size_t n_ksk;
	knot_rrset_t dnskey;     /**< every published key (owned rdata) */
	knot_rrset_t cds;        /**< CDS (SHA-256) of the key the parent should have, TTL 0 */
	knot_rrset_t cdnskey;    /**< CDNSKEY of that key, TTL 0 */
} dns_zkey_t;

typedef struct dns_keystore dns_keystore_t;

/** "ecdsap256sha256" or "ed25519" (case-insensitive), or "13"/"15": the
 *  algorithm number, or 0. */
uint8_t dns_keys_algorithm(const char *name);

/** Open (making it, 0700) the keystore in directory @p dir.  0, or a
 *  negative errno with a message naming the directory in @p err. */
int dns_keystore_open(const char *dir, dns_keystore_t **out, char *err, size_t err_len);

/** Close it and free every key it gave (NULL-safe). */
void dns_keystore_close(dns_keystore_t *ks);

/** Make a new key of algorithm @p alg for zone @p apex (its file 0600).
 *  0 and *@p out (owned by @p ks), or a negative errno and @p err. */
int dns_keystore_make(dns_keystore_t *ks, const knot_dname_t *apex, uint8_t alg,
                      const dns_key_t **out, char *err, size_t err_len);

/** Key @p id (algorithm @p alg) of zone @p apex: read once, then the same
 *  object.  0 and *@p out, or a negative errno and @p err. */
int dns_keystore_get(dns_keystore_t *ks, const knot_dname_t *apex, const char *id,
                     uint8_t alg, const dns_key_t **out, char *err, size_t err_len);

/** The path of key @p id's file, for removing it once no step needs it. */
void dns_keystore_path(const dns_keystore_t *ks, const char *id, char *out, size_t len);

/**
 * The step of a zone: @p zsk signs the data, the @p n_ksk keys of @p ksk
 * the DNSKEY set, the @p n_pub keys of @p pub are published (DNSKEY TTL
 * @p ttl) and @p cds is the key whose CDS/CDNSKEY is published.  All keys
 * of one zone.  0 and *@p out, or -ENOMEM / -EINVAL.
 */
int dns_zkey_new(const dns_key_t *zsk, const dns_key_t *const *ksk, size_t n_ksk,
                 const dns_key_t *const *pub, size_t n_pub, const dns_key_t *cds,
                 uint32_t ttl, dns_zkey_t **out);

/** Free a step (NULL-safe); its keys stay the keystore's. */
void dns_zkey_free(dns_zkey_t *z);

/** The DS of @p k in presentation form ("<apex> IN DS <tag> <alg> 2 <HEX>")
 *  into @p out: 0, or -EIO / -ENOSPC. */
int dns_key_ds_text(const dns_key_t *k, char *out, size_t len);

#endif
