/*
 * rfc2136.so: updates records on any authoritative server by DNS UPDATE
 * (RFC 2136) signed with TSIG (RFC 8945).
 *
 * msg.c builds one UPDATE per ddns update and checks its answer; it needs no
 * host, so tests link it alone.  xfer.c carries a message over UDP (retried,
 * TCP on TC) through the host's fd watches and timers.  plugin.c holds the
 * options and glues the two.
 *
 * Ownership: an r2_msg_t owns its wire buffer and the digest of the signed
 * query (needed to check the answer's TSIG); r2_msg_free() releases both.
 */
#ifndef RFC2136_H
#define RFC2136_H

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "ddns/plugin.h"

/* The largest UPDATE we build: ZONE + 2 deletes + 2 adds + TSIG stays far below. */
#define R2_MSG_MAX 4096u
/* Most TXT values one UPDATE carries (ACME needs 2; ddnsd allows 10). */
#define R2_TXT_MAX 10

typedef struct r2_msg {
	uint8_t wire[R2_MSG_MAX];
	size_t len;
	uint16_t id;
	uint8_t opcode;     /* KNOT_OPCODE_UPDATE, or _QUERY for a zone lookup */
	char zone[256];     /* a zone lookup's result: the zone's name, lower case */
	uint8_t digest[64]; /* MAC of the signed query: the answer's TSIG covers it */
	size_t digest_len;
} r2_msg_t;

/* Build an UPDATE for @p zone that replaces the A RRset of @p name with
 * @p ipv4 and the AAAA RRset with @p ipv6 (NULL: leave that type alone), then
 * sign it with @p key.  Returns 0, or a negative code with @p err filled. */
int r2_msg_build(r2_msg_t *m, uint16_t id, const char *zone, const char *name,
                 const char *ipv4, const char *ipv6, uint32_t ttl,
                 const knot_tsig_key_t *key, char *err, size_t errlen);

/* As r2_msg_build, for the TXT RRset of @p name: deleted, then set to
 * @p n values (each at most 255 bytes; n == 0 only deletes it). */
int r2_msg_build_txt(r2_msg_t *m, uint16_t id, const char *zone, const char *name,
                     const char *const *values, size_t n, uint32_t ttl,
                     const knot_tsig_key_t *key, char *err, size_t errlen);

/* Build a query, signed with @p key, for the SOA of @p name (RD clear):
 * the answer tells which zone of the server holds @p name (RFC 2136
 * §4.3's zone discovery).  Returns 0, or a negative code with @p err. */
int r2_msg_build_soa(r2_msg_t *m, uint16_t id, const char *name, const knot_tsig_key_t *key,
                     char *err, size_t errlen);

/* Check an answer to @p m: matching ID and opcode, TSIG verified, RCODE
 * NOERROR.  Returns 0, 1 when the answer was truncated (retry over TCP), or
 * a DDNS_E* code with a message (parsing strips the TSIG RR from @p wire)
 * in @p err; naming what the server said.  For a zone lookup (opcode
 * QUERY) 0 means m->zone is set: the owner of the SOA in the answer (the
 * name is an apex) or in the authority section (its zone); DDNS_ENOTFOUND
 * when the server holds no zone above the name. */
int r2_msg_check(r2_msg_t *m, uint8_t *wire, size_t len,
                 const knot_tsig_key_t *key, char *err, size_t errlen);

/* True when @p zone is @p name or one of its parents. */
int r2_name_in_zone(const char *name, const char *zone);

#endif
