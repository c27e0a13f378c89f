/**
 * @file xfr.h
 * @brief builtin_dns: zone transfers to secondaries (AXFR, RFC 5936; IXFR,
 * RFC 1995) over TCP, with TSIG (RFC 8945).
 *
 * Only a configured secondary may transfer: its address, and a query
 * signed with its key.  Anyone else gets NOTAUTH (with the TSIG error when
 * the query was signed with a key that did not hold).  What is sent is the
 * WAN view: SOA, NS, glue, and each name's A, AAAA and TXT; never a LAN
 * answer.
 *
 * A transfer is a stream of messages built before the first is sent, so a
 * change while a secondary reads cannot tear it: AXFR messages are built
 * once per zone serial and shared by every secondary reading that serial
 * (a slow secondary pins at most the image it started, never a copy of its
 * own); IXFR messages come from the journal and belong to their stream.
 * Each message is signed for its connection as it is sent.
 *
 * Loop thread only.
 */
#ifndef DDNS_BUILTIN_DNS_XFR_H
#define DDNS_BUILTIN_DNS_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "journal.h"
#include "tsig.h"
#include "xsign.h"
#include "zone.h"

/** One secondary: where NOTIFY goes, who may transfer, with which key. */
typedef struct dns_secondary {
	struct sockaddr_storage addr; /**< its address; the port is NOTIFY's */
	socklen_t addr_len;
	const knot_tsig_key_t *key;   /**< borrowed from the instance's keys */
	char text[80];                /**< "192.0.2.7:53", for logs */
} dns_secondary_t;

/**
 * Parse a `secondaries` item, "ADDRESS[:PORT] KEY-NAME" ("[v6]:port" for
 * IPv6 with a port; port 53 by default), the key being one of @p keys.
 * Returns 0, or -EINVAL with a message in @p err.
 */
int dns_secondary_parse(const char *item, const dns_tsig_keys_t *keys, dns_secondary_t *out,
                        char *err, size_t err_len);

typedef struct dns_xfr dns_xfr_t;
typedef struct dns_xfr_stream dns_xfr_stream_t;

/** Make the transfer state over @p secondaries (borrowed) and @p journal
 *  (borrowed, may be NULL: every IXFR gets the whole zone).  0 or -ENOMEM. */
int dns_xfr_new(const dns_secondary_t *secondaries, size_t n, const dns_journal_t *journal,
                dns_xfr_t **out);
/** Free it once no stream is left (dns_xfr_stream_free() them first). */
/** Sign the zones of AXFR images with @p xs (borrowed; NULL: unsigned). */
void dns_xfr_set_xsign(dns_xfr_t *x, dns_xsign_t *xs);

void dns_xfr_free(dns_xfr_t *x);

/** Counts for /metrics and tests. */
typedef struct dns_xfr_counts {
	uint64_t axfr, ixfr, ixfr_as_axfr, refused;
} dns_xfr_counts_t;
void dns_xfr_counts(const dns_xfr_t *x, dns_xfr_counts_t *out);

/**
 * Look at a TCP query: not AXFR or IXFR, 0 (answer it as any query).  A
 * transfer from someone not allowed, or an IXFR from a client as new as
 * the zone, is answered at once: the response length in @p out (at most
 * @p max bytes).  An allowed transfer returns 0 with *@p stream set: send
 * what dns_xfr_stream_next() gives until it gives 0.  @p x NULL (no
 * secondaries) and an AXFR/IXFR: REFUSED in @p out.
 */
size_t dns_xfr_query(dns_xfr_t *x, const dns_db_t *db, const uint8_t *query, size_t len,
                     const struct sockaddr *peer, uint8_t *out, size_t max,
                     dns_xfr_stream_t **stream);

/** The next message of @p s into @p out (@p max bytes, 65535 is enough),
 *  ID set and signed; its length, or 0 when the transfer is complete. */
size_t dns_xfr_stream_next(dns_xfr_stream_t *s, uint8_t *out, size_t max);

/** End a stream (complete or not); NULL is fine. */
void dns_xfr_stream_free(dns_xfr_stream_t *s);

/** Whether @p peer is the address of a secondary (for tcp limits). */
bool dns_xfr_is_secondary(const dns_xfr_t *x, const struct sockaddr *peer);

#endif
