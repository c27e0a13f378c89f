/**
 * @file journal.h
 * @brief builtin_dns: what changed in each zone from one serial to the
 * next, so IXFR (RFC 1995) sends secondaries only that.
 *
 * A journal holds, per zone, a chain of changes: each takes the zone
 * from serial `from` to serial `to` by removing and adding RRsets (the
 * WAN addresses, TXT and glue a secondary serves: never LAN answers).  The
 * chain is contiguous and ends at the zone's current serial; a change that
 * does not follow (a reload that rewrote the apex, a restart after the
 * store changed) resets it, and IXFR from an older serial then gets the
 * whole zone.  At most `max` changes are kept per zone, oldest dropped.
 *
 * Loop thread only.  RRsets are deep copies owned by the journal.
 */
#ifndef DDNS_BUILTIN_DNS_JOURNAL_H
#define DDNS_BUILTIN_DNS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>

/** One step from serial @c from to serial @c to. */
typedef struct dns_change {
	struct dns_change *next; /**< the following step, or NULL */
	uint32_t from, to;
	knot_rrset_t *removed, *added; /**< owned arrays of owned RRsets */
	size_t n_removed, n_added;
} dns_change_t;

/** The chain of one zone. */
typedef struct dns_zone_journal {
	knot_dname_t *apex;      /**< owned, lower case */
	dns_change_t *head, *tail;
	size_t n;
} dns_zone_journal_t;

/** Every zone's chain. */
typedef struct dns_journal {
	dns_zone_journal_t *zones; /**< owned */
	size_t n_zones;
	size_t max;               /**< most changes kept per zone (0: none) */
} dns_journal_t;

/** Make an empty journal keeping @p max changes per zone: 0 or -ENOMEM. */
int dns_journal_new(size_t max, dns_journal_t **out);
/** Free it; NULL is fine. */
void dns_journal_free(dns_journal_t *j);

/** The chain of zone @p apex (lower-case wire), or NULL (none yet, or
 *  @p j NULL). */
const dns_zone_journal_t *dns_journal_find(const dns_journal_t *j, const knot_dname_t *apex);

/** The chain of zone @p apex (lower-case wire), made if absent; NULL on
 *  -ENOMEM.  The chains are one array: making a zone's may move the
 *  others, so a pointer is good until the next call that makes one. */
dns_zone_journal_t *dns_journal_zone(dns_journal_t *j, const knot_dname_t *apex);

/** Forget the chain of @p z (IXFR from before now gets the whole zone). */
void dns_journal_reset(dns_zone_journal_t *z);

/**
 * Append the step @p from -> @p to, copying the RRsets.  A step that does
 * not start where the chain ends resets the chain first; past @p max the
 * oldest steps go.  Returns 0 or -ENOMEM (the
 * chain is reset then: never a chain with a hole).
 */
int dns_journal_add(dns_journal_t *j, dns_zone_journal_t *z, uint32_t from, uint32_t to,
                    const knot_rrset_t *removed, size_t n_removed,
                    const knot_rrset_t *added, size_t n_added);

/** Add copies of RRsets to step @p c (the signed zone's RRSIG and NSEC3
 *  changes of the same step, xsign.h).  0 or -ENOMEM (@p c may then hold
 *  part of them: the caller resets the zone's journal). */
int dns_journal_extend(dns_change_t *c, const knot_rrset_t *removed, size_t n_removed,
                       const knot_rrset_t *added, size_t n_added);

/**
 * The first step of the chain that starts at @p serial and reaches
 * @p current, or NULL when there is none (then IXFR sends the whole zone;
 * the caller answers a client at @p current with one SOA before asking).
 */
const dns_change_t *dns_journal_since(const dns_zone_journal_t *z, uint32_t serial,
                                      uint32_t current);

/**
 * Serialise @p j into a malloc'd buffer (*out, *len) for the state file,
 * and read one back (a chain whose bytes do not hold together is dropped,
 * never half-read).  0, -ENOMEM, or -EINVAL for a file not of this format.
 */
int dns_journal_save(const dns_journal_t *j, uint8_t **out, size_t *len);
int dns_journal_load(dns_journal_t *j, const uint8_t *buf, size_t len);

#endif
