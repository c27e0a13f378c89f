/**
 * @file rrl.h
 * @brief builtin_dns: response rate limiting (RRL), in the manner of
 * Knot's and NSD's: a token bucket of responses per second for each
 * source prefix (IPv4 /24, IPv6 /56).  Past it, every rrl_slip-th
 * response goes out truncated (TC=1: a real client retries over TCP,
 * a spoofed victim gets a small packet) and the rest are dropped.
 *
 * One table per UDP thread (dns_udp_t owns it): no lock, no allocation
 * per query.  A fixed table of buckets, where two prefixes that hash
 * alike share one bucket (the newer takes it over): memory stays
 * bounded whatever the number of sources.
 */
#ifndef DDNS_BUILTIN_DNS_RRL_H
#define DDNS_BUILTIN_DNS_RRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** An address prefix, for rrl_exempt. */
typedef struct dns_cidr {
	int family;         /**< AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
} dns_cidr_t;

/** The limits; @p exempt is borrowed for the table's life. */
typedef struct dns_rrl_conf {
	unsigned rate;      /**< responses per second per prefix; 0: off */
	unsigned slip;      /**< every slip-th limited response truncated; 0: none */
	const dns_cidr_t *exempt;
	size_t n_exempt;
} dns_rrl_conf_t;

typedef struct dns_rrl dns_rrl_t;

enum { DNS_RRL_PASS = 0, DNS_RRL_DROP = 1, DNS_RRL_SLIP = 2 };

/** A table: 0 and *out, or -ENOMEM.  With rate 0, *out is NULL (off). */
int dns_rrl_new(const dns_rrl_conf_t *conf, dns_rrl_t **out);
/** Free it; NULL is fine. */
void dns_rrl_free(dns_rrl_t *r);
/** What to do with a response to @p peer at @p now_ms (monotonic). */
int dns_rrl_check(dns_rrl_t *r, const struct sockaddr *peer, uint64_t now_ms);
/** How many responses were dropped and slipped so far. */
void dns_rrl_counts(const dns_rrl_t *r, uint64_t *dropped, uint64_t *slipped);
/** Parse "addr/bits" or "addr" into @p c.  0 or -EINVAL. */
int dns_cidr_parse(const char *text, dns_cidr_t *c);

#endif
