/**
 * @file txt.h
 * @brief builtin_dns: TXT record sets (ACME DNS-01 challenges at
 * "_acme-challenge.<name>") kept in the zone db beside A/AAAA.
 *
 * A set lives in dns_node_t.txt, so answers, serials and anything that walks
 * the zone (transfers) see it as any other RRset.  Which names may carry one
 * and for how long is the host's business; this file only stores them.
 * Not locked: the caller holds the db's write lock.
 */
#ifndef DDNS_BUILTIN_DNS_TXT_H
#define DDNS_BUILTIN_DNS_TXT_H

#include <stddef.h>
#include <stdint.h>

#include "zone.h"

/** Most strings in one TXT set (an ACME order for a name and its wildcard
 *  needs 2; retries may leave a few more until they expire). */
#define DNS_TXT_MAX_VALUES 10

/**
 * Replace the TXT set of @p name (text) with @p values (@p n strings of at
 * most 255 bytes each; n == 0 deletes the set) at TTL @p ttl (0: the db's
 * ttl), and raise the zone's serial to max(serial + 1, @p now) when the set
 * changed.  Returns 1 if changed, 0 if not, -ENOENT when @p name falls in no
 * zone, -EINVAL for a bad name or a value over 255 bytes, -E2BIG for more
 * than DNS_TXT_MAX_VALUES, -EEXIST for an apex or in-zone NS name, -ENOMEM;
 * nothing changes on error.
 */
int dns_db_set_txt(dns_db_t *db, const char *name, const char *const *values, size_t n,
                   uint32_t ttl, uint32_t now);

/** After a rebuild from the store (which holds no TXT): give @p db every TXT
 *  set @p old serves in a zone @p db still has.  0 or -ENOMEM. */
int dns_db_carry_txt(dns_db_t *db, const dns_db_t *old);

#endif
