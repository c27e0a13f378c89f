/**
 * @file parent_ds.h
 * @brief builtin_dns: asks the parent zone's servers whether they publish
 * a zone's new DS, so a rollover moves on without `ddnsctl dnssec ZONE
 * ds-seen` (as Knot's parent-ds-query does).
 *
 * Each round asks every configured server for the zone's DS over UDP,
 * from a new socket (a new source port) with a random ID, recursion not
 * desired; an answer counts only from the server asked, with that ID, for
 * that question.  The DS is seen once every server's answer in one round
 * holds it.  The answers are not validated: a forged one could at worst
 * end a rollover early, which the port and ID make as hard as for any
 * resolver, and `dnssec_ds_ttl` is still waited on after.
 *
 * Loop thread only.
 */
#ifndef DDNS_BUILTIN_DNS_PARENT_DS_H
#define DDNS_BUILTIN_DNS_PARENT_DS_H

#include <stdbool.h>
#include <ddns/plugin.h>
#include <libknot/libknot.h>

typedef struct dns_pds dns_pds_t;

/** At most this many parent servers. */
#define DNS_PDS_MAX 16

/**
 * Ask the @p n servers of @p servers ("addr[:port]", "[v6]:port"; port 53
 * by default).  0 and *@p out, -EINVAL with the bad item in @p err, or
 * -ENOMEM.
 */
int dns_pds_new(const ddns_host_t *host, ddns_ctx_t *ctx, const char *const *servers,
                size_t n, dns_pds_t **out, char *err, size_t err_len);

/** Stop (sockets closed, answers ignored).  NULL is fine. */
void dns_pds_free(dns_pds_t *p);

/** A new round for zone @p apex: every server is asked its DS, which
 *  should hold the DS RDATA @p want.  A round still running for the zone
 *  is dropped.  0, or a negative errno (the round is not started). */
int dns_pds_ask(dns_pds_t *p, const knot_dname_t *apex, const uint8_t *want, uint16_t want_len);

/** Whether every server answered @p apex's last round with @p want. */
bool dns_pds_seen(const dns_pds_t *p, const knot_dname_t *apex);

#endif
