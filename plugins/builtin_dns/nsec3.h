/**
 * @file nsec3.h
 * @brief builtin_dns: the NSEC3 chain of a zone as its secondaries receive
 * it (RFC 5155 with RFC 9276's parameters: SHA-1, no salt, 0 additional
 * iterations, no opt-out).
 *
 * ddnsd's own answers deny with compact NSECs (answer.c); a secondary
 * needs a chain in the zone it is given.  Every name of the zone that has
 * data there is on it (the apex, each record with a WAN address, glue
 * names), and each empty non-terminal, with the types
 * transferred at that name (the WAN view: LAN answers come from ddnsd
 * alone).  A chain is built whole from a db and compared with the previous
 * one, which gives the NSEC3 records an IXFR step removes and adds: only
 * the names whose neighbour or types changed.
 */
#ifndef DDNS_BUILTIN_DNS_NSEC3_H
#define DDNS_BUILTIN_DNS_NSEC3_H

#include <stddef.h>
#include <stdint.h>
#include <libknot/libknot.h>
#include "zone.h"

#define DNS_NSEC3_HASH_LEN 20

/** One name of the chain. */
typedef struct dns_nsec3_entry {
	uint8_t hash[DNS_NSEC3_HASH_LEN];
	uint64_t types; /**< bit t: type t (all types here are below 64) */
} dns_nsec3_entry_t;

/** A zone's chain, in hash order. */
typedef struct dns_nsec3 {
	dns_nsec3_entry_t *v;
	size_t n;
} dns_nsec3_t;

/** The chain of zone @p z of @p db.  0 or -ENOMEM / -EIO. */
int dns_nsec3_build(const dns_db_t *db, const dns_zone_t *z, dns_nsec3_t *out);

void dns_nsec3_free(dns_nsec3_t *c);

/** Whether two chains have the same names and types. */
bool dns_nsec3_equal(const dns_nsec3_t *a, const dns_nsec3_t *b);

/**
 * The NSEC3 RRset of entry @p i of @p c (zone @p apex, TTL @p ttl): owner
 * written into @p owner, RDATA allocated (clear @p rr's rdataset after).
 * 0 or -ENOMEM.
 */
int dns_nsec3_rrset(const dns_nsec3_t *c, size_t i, const knot_dname_t *apex, uint32_t ttl,
                    knot_dname_storage_t owner, knot_rrset_t *rr);

/** The NSEC3PARAM RDATA of these parameters (5 bytes: 1 0 0 0 0). */
extern const uint8_t dns_nsec3param_rdata[5];

/**
 * Call @p cb for each NSEC3 RRset that differs between @p old and @p now:
 * @p added false for one of @p old that goes, true for one of @p now that
 * comes.  The RRset is valid during the call only.  Stops at, and
 * returns, the first non-zero return of @p cb.
 */
int dns_nsec3_diff(const dns_nsec3_t *old, const dns_nsec3_t *now, const knot_dname_t *apex,
                   uint32_t ttl, int (*cb)(void *arg, const knot_rrset_t *rr, bool added),
                   void *arg);

#endif
