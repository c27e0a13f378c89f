/**
 * @file answer.h
 * @brief builtin_dns: the query -> response function (pure, no I/O).
 *
 * dns_answer() reads one query packet and writes the response into a
 * caller's buffer, from a dns_db_t and the client's address alone.  It
 * allocates nothing per query: libknot's packets come from the scratch
 * arena of a dns_answerer_t (one per thread).
 */
#ifndef DDNS_BUILTIN_DNS_ANSWER_H
#define DDNS_BUILTIN_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "zone.h"

/** UDP payload size ddnsd advertises and caps EDNS answers at (DNS flag day 2020). */
#define DNS_EDNS_PAYLOAD 1232
/** Largest response: a TCP message. */
#define DNS_MAX_RESPONSE 65535

/** Scratch memory for dns_answer(); one per thread. */
typedef struct dns_answerer dns_answerer_t;

/** Make an answerer: 0 and *out (free with dns_answerer_free), or -ENOMEM. */
int dns_answerer_new(dns_answerer_t **out);
/** Free an answerer; NULL is fine. */
void dns_answerer_free(dns_answerer_t *a);
/** The RRSIGs @p a made, and those its cache gave (sign.h). */
void dns_answerer_sign_counts(const dns_answerer_t *a, uint64_t *made, uint64_t *hits);

/**
 * Answer the query @p query of @p len bytes from @p client (AF_INET or
 * AF_INET6, v4-mapped IPv6 counts as IPv4) received over TCP when @p tcp,
 * else UDP.  The response goes to @p out (@p out_len bytes, at least
 * DNS_MAX_RESPONSE for TCP, 1232 is enough for UDP).
 * Returns the response length, or 0 when nothing must be sent (a response
 * or a packet too short to hold a header).
 */
size_t dns_answer(dns_answerer_t *a, const dns_db_t *db, const uint8_t *query,
                  size_t len, const struct sockaddr *client, bool tcp,
                  uint8_t *out, size_t out_len);

/**
 * A response that is only the header of @p query (at least
 * KNOT_WIRE_HEADER_SIZE bytes) with @p rcode, into @p out (as many
 * bytes): for a query that cannot be read further.  Returns its length.
 */
size_t dns_answer_header_only(const uint8_t *query, uint8_t *out, uint8_t rcode);

#endif
