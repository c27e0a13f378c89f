/**
 * @file roll.h
 * @brief builtin_dns: the timeline of each signed zone's keys, and when a
 * CSK rollover moves on (RFC 7583).
 *
 * A rollover replaces the zone's key K by a new key N in three steps,
 * never leaving a validating resolver without a chain, whatever it cached
 * (DS, DNSKEY set, RRSIGs) from an earlier step:
 *
 *  - publish: N joins the DNSKEY set (signed by K and N); the data stays
 *    signed by K; CDS/CDNSKEY still name K.  Lasts Ipub = DNSKEY TTL +
 *    propagation: then every cached DNSKEY set holds N.
 *  - submit: the data is signed by N; the DNSKEY set (K and N) by both;
 *    CDS/CDNSKEY name N, for the parent.  The operator (or a parent that
 *    reads CDS, RFC 8078) replaces the DS and says so (`ddnsctl dnssec
 *    ZONE ds-seen`).  Lasts until the old DS is out of every cache (DS TTL
 *    + propagation after it was seen) and K's signatures too (the largest
 *    TTL of the zone + propagation after the data moved to N).
 *  - done: K leaves the DNSKEY set and its file is removed; N is the key.
 *
 * A rollover starts on command (`ddnsctl dnssec ZONE roll`) or when the
 * key is older than `dnssec_key_lifetime_s`.
 *
 * The timeline is text ("dnssec" in the state directory), a line a zone:
 *   <zone> <key id> <alg> <since> <phase> <phase since> <new id|-> <new alg> <ds seen>
 * Times are Unix seconds (0: not yet).  ddnsctl reads it too (its own
 * reader: tools/ddnsctl/ddnsctl_dnssec.c).  Pure functions: no I/O here.
 */
#ifndef DDNS_BUILTIN_DNS_ROLL_H
#define DDNS_BUILTIN_DNS_ROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keys.h"

#define DNS_ROLL_MAGIC "ddnsd builtin_dns dnssec 1\n"

typedef enum dns_roll_phase {
	DNS_ROLL_NONE,    /**< one key */
	DNS_ROLL_PUBLISH, /**< the new key published beside the old */
	DNS_ROLL_SUBMIT,  /**< the new key signs; the parent's DS awaited */
} dns_roll_phase_t;

/** One zone's keys. */
typedef struct dns_roll {
	char zone[KNOT_DNAME_TXT_MAXLEN + 1]; /**< lower case, no final dot */
	char key[DNS_KEY_ID_LEN + 1];         /**< the key in use */
	uint8_t alg;
	uint64_t since;                       /**< when it became the key */
	dns_roll_phase_t phase;
	uint64_t phase_since;
	char next[DNS_KEY_ID_LEN + 1];        /**< the new key ("" in NONE) */
	uint8_t next_alg;
	uint64_t ds_seen;                     /**< the parent has N's DS since */
} dns_roll_t;

/** The zones' timelines. */
typedef struct dns_rolls {
	dns_roll_t *v;
	size_t n;
} dns_rolls_t;

/** The durations a rollover waits on, in seconds. */
typedef struct dns_roll_conf {
	uint64_t lifetime;    /**< a key older than this is rolled; 0: never */
	uint64_t dnskey_ttl;
	uint64_t max_ttl;     /**< the largest TTL of any signed RRset */
	uint64_t ds_ttl;      /**< the parent's DS TTL */
	uint64_t propagation; /**< to every server of the zone */
} dns_roll_conf_t;

/** What is due for a zone now. */
typedef enum dns_roll_action {
	DNS_ROLL_WAIT,      /**< nothing before *next_at (0: before a command) */
	DNS_ROLL_START,     /**< make a new key, publish it */
	DNS_ROLL_TO_SUBMIT, /**< the new key signs, CDS names it */
	DNS_ROLL_FINISH,    /**< the old key goes */
} dns_roll_action_t;

/** Parse @p text (NULL or "": none).  0, -ENOMEM, or -EINVAL with the
 *  line number in *@p bad_line. */
int dns_rolls_parse(const char *text, dns_rolls_t *out, size_t *bad_line);

/** The text of @p r (malloc'd), or NULL. */
char *dns_rolls_format(const dns_rolls_t *r);

/** Zone @p zone's timeline, or NULL. */
dns_roll_t *dns_rolls_find(dns_rolls_t *r, const char *zone);

/** Add a zone whose key is @p id (algorithm @p alg) since @p now: the new
 *  entry, or NULL (out of memory). */
dns_roll_t *dns_rolls_add(dns_rolls_t *r, const char *zone, const char *id, uint8_t alg,
                          uint64_t now);

void dns_rolls_free(dns_rolls_t *r);

/**
 * What is due for @p r at @p now: a rollover starts when @p roll_asked or
 * the key outlived c->lifetime.  On DNS_ROLL_WAIT, *@p next_at is when to
 * look again (0: only a command moves it on).
 */
dns_roll_action_t dns_roll_due(const dns_roll_t *r, const dns_roll_conf_t *c, uint64_t now,
                               bool roll_asked, uint64_t *next_at);

/** "publish" and so on, for logs and ddnsctl. */
const char *dns_roll_phase_name(dns_roll_phase_t p);

#endif
