/**
 * @file diff.h
 * @brief builtin_dns: turn changes of the in-memory db into journal steps
 * (journal.h), for IXFR.
 *
 * A change in place (an update, a TXT set, one record from the store) is
 * taken as a snapshot of the name's WAN RRsets before, then compared with
 * the db after; a rebuild (records reloaded) is compared zone by zone with
 * the db it replaces.  What a secondary serves is the WAN view: A, AAAA
 * and TXT of every name (glue included), never the LAN answers.
 * Loop thread only.
 */
#ifndef DDNS_BUILTIN_DNS_DIFF_H
#define DDNS_BUILTIN_DNS_DIFF_H

#include "journal.h"
#include "zone.h"

/** A name's transferable RRsets before a change: deep copies. */
typedef struct dns_snap {
	knot_dname_storage_t name; /**< lower-case wire */
	knot_dname_storage_t apex; /**< its zone's */
	bool in_zone;              /**< false: in no zone, nothing to journal */
	uint32_t serial;           /**< the zone's serial before */
	knot_rrset_t rr[3];        /**< A, AAAA, TXT (empty when absent) */
} dns_snap_t;

/** Take @p name's (text) RRsets from @p db.  0, -EINVAL (a bad name: no
 *  snapshot, dns_snap_commit() then does nothing) or -ENOMEM. */
int dns_snap_take(dns_snap_t *s, const dns_db_t *db, const char *name);

/**
 * After the change: when the zone's serial moved, add the step (what the
 * name had before, removed; what it has now, added) to @p j, then free
 * the snapshot.  Returns 1 when a step was added, 0 when the serial did not
 * move, -ENOMEM (the zone's chain is reset).
 */
int dns_snap_commit(dns_snap_t *s, const dns_db_t *db, dns_journal_t *j);

/** Free a snapshot without committing it. */
void dns_snap_drop(dns_snap_t *s);

/**
 * After a rebuild: for each zone whose serial differs between @p old and
 * @p db, add the step between them (a full comparison of the zone), or
 * reset its chain when the apex (NS, SOA fields) changed.  0 or -ENOMEM.
 */
int dns_diff_dbs(dns_journal_t *j, const dns_db_t *old, const dns_db_t *db);

#endif
