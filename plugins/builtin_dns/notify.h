/**
 * @file notify.h
 * @brief builtin_dns: NOTIFY (RFC 1996) to the secondaries when a zone's
 * serial moves, TSIG-signed with each secondary's key, over UDP on the
 * host's loop.
 *
 * One message per zone and secondary is in flight at a time: a change
 * while one waits for its answer replaces it at once.  An unanswered NOTIFY is
 * sent again every DNS_NOTIFY_RETRY_MS, DNS_NOTIFY_TRIES times at most
 * (§3.6), by timer.  Loop thread only.
 */
#ifndef DDNS_BUILTIN_DNS_NOTIFY_H
#define DDNS_BUILTIN_DNS_NOTIFY_H

#include <ddns/plugin.h>
#include "xfr.h"
#include "zone.h"

#define DNS_NOTIFY_TRIES 5

typedef struct dns_notify dns_notify_t;

/** Counts for /metrics: messages sent (resends included), answered, given up. */
typedef struct dns_notify_counts {
	uint64_t sent, answered, failed;
} dns_notify_counts_t;

/** Start notifying @p sec (borrowed, @p n of them), resending every
 *  @p retry_ms.  0 and *out, or a negative errno (logged). */
int dns_notify_new(const ddns_host_t *host, ddns_ctx_t *ctx, const dns_secondary_t *sec,
                   size_t n, uint64_t retry_ms, dns_notify_t **out);

/** Zone @p z has a new serial: tell every secondary. */
void dns_notify_zone(dns_notify_t *nt, const dns_zone_t *z);

void dns_notify_counts(const dns_notify_t *nt, dns_notify_counts_t *out);

/** Stop: pending messages are dropped, sockets closed.  NULL is fine. */
void dns_notify_free(dns_notify_t *nt);

#endif
