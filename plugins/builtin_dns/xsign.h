/**
 * @file xsign.h
 * @brief builtin_dns: the signed zone its secondaries receive, when
 * `dnssec = true` goes with `secondaries`.
 *
 * ddnsd's own answers are signed per answer (sign.h); a secondary needs
 * the signatures in the zone it is given, with an NSEC3 chain (nsec3.h),
 * and needs them renewed by transfers before they expire.
 *
 * Every RRSIG of that zone is a pure function of its RRset, the zone's
 * key step and one time per zone, T (its last re-sign): the RRset's window
 * is the 7-day period that holds T, shifted by a hash of the RRset, and
 * the signature is valid from an hour before the window to 14 days after
 * its start (deterministic ECDSA or Ed25519 make the bytes the same each
 * time).  So an IXFR step can remove exactly the RRSIG a secondary holds,
 * and a re-sign every hour (dns_xsign_resign) renews the ~1/168 of the
 * RRsets whose window moved: a secondary always holds signatures valid
 * for 6 days or more, and no hour signs more than its share.
 *
 * Signatures are kept in a store, so building an AXFR image signs only
 * what changed.  A new key step (a rollover) or a restart starts the zone
 * afresh (dns_xsign_reset): every RRSIG changes, and secondaries take the
 * whole zone.  Signing every RRset (~64 µs each for P-256) is then a
 * thread's job: the loop copies what needs signing, and until the thread
 * is done the zone is not ready (transfers get SERVFAIL; NOTIFY comes when
 * it is ready: dns_xsign_poll()).
 *
 * Loop thread only, but for the warm-up threads inside.
 */
#ifndef DDNS_BUILTIN_DNS_XSIGN_H
#define DDNS_BUILTIN_DNS_XSIGN_H

#include <stdbool.h>
#include <stdint.h>
#include "journal.h"
#include "zone.h"

typedef struct dns_xsign dns_xsign_t;

/** How often dns_xsign_resign() is due. */
#define DNS_XSIGN_RESIGN_S 3600u

int dns_xsign_new(dns_xsign_t **out);
void dns_xsign_free(dns_xsign_t *x);

/** Start zone @p z of @p db afresh at @p now (T = now, its chain built):
 *  what secondaries hold no longer matches; the caller resets the zone's
 *  journal and raises its serial.  0 or -ENOMEM / -EIO. */
int dns_xsign_reset(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, uint32_t now);

/** Whether zone @p apex can be transferred: its signatures are made (a
 *  thread makes them after a reset), or it is not signed here. */
bool dns_xsign_ready(const dns_xsign_t *x, const knot_dname_t *apex);

/** A zone a warm-up thread finished. */
typedef struct dns_xsign_done {
	const knot_dname_t *apex; /**< the xsign's */
	size_t signatures;        /**< made by the thread */
	double seconds;           /**< from the reset to the end */
	double loop_seconds;      /**< of which the loop spent copying the zone */
} dns_xsign_done_t;

/** Take in what warm-up threads finished: their zones become ready, and
 *  up to @p max are described in @p done.  Returns how many. */
size_t dns_xsign_poll(dns_xsign_t *x, dns_xsign_done_t *done, size_t max);

/** Whether a warm-up thread is still signing. */
bool dns_xsign_busy(const dns_xsign_t *x);

/**
 * Complete step @p c of zone @p z, the db change just made (unsigned RRsets
 * only), with the RRSIGs that go and come, the SOA's, and the NSEC3 records
 * whose neighbour or types changed.  0, or a negative errno: then the
 * caller resets the journal and the zone.
 */
int dns_xsign_step(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, dns_change_t *c);

/**
 * The hourly re-sign of zone @p z at @p now: when some RRset's window
 * moved, @p raise(@p arg) raises the zone's serial (and returns the old
 * one), and the RRSIG changes go into journal @p j as one step.
 * Returns 1 (a step), 0 (nothing moved) or a negative errno (the caller
 * resets the zone).
 */
int dns_xsign_resign(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z, uint32_t now,
                     dns_journal_t *j, uint32_t (*raise)(void *arg), void *arg);

/**
 * What the zone has beyond its unsigned RRsets: each RRSIG, DNSKEY, CDS,
 * CDNSKEY, NSEC3PARAM and the NSEC3 chain, each passed to @p put (valid
 * during the call only).  0, or the first error (of @p put, or signing).
 */
int dns_xsign_put_zone(dns_xsign_t *x, const dns_db_t *db, const dns_zone_t *z,
                       int (*put)(void *arg, const knot_rrset_t *rr), void *arg);

#endif
