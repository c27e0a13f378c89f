/**
 * @file pipeline_cache.h
 * @brief Private to the pipeline: recently used records, so the hot path
 *        (an authenticated client whose address is unchanged) does not start
 *        an sqlite read transaction per request.
 *
 * Entries are copies of store rows.  The pipeline drops an entry when it
 * commits a change of that record, and everything when told the store was
 * changed by someone else (pipeline_records_changed()).  Bounded: when full
 * it is emptied and refills from the store.
 */
#ifndef DDNS_PIPELINE_CACHE_H
#define DDNS_PIPELINE_CACHE_H

#include <stddef.h>
#include "store.h"

typedef struct rcache_entry rcache_entry_t;

typedef struct rcache {
	rcache_entry_t **buckets;
	size_t n_buckets; /**< power of two, 0 until first use */
	size_t n;
	size_t max;       /**< entries kept at most */
} rcache_t;

/** The cached copy of @p name, or NULL.  Valid until the next put/drop. */
const store_record_t *rcache_get(const rcache_t *c, const char *name);
/** Cache a copy of @p rec (replacing an older one).  0 or -ENOMEM. */
int rcache_put(rcache_t *c, const store_record_t *rec);
/** Forget @p name. */
void rcache_drop(rcache_t *c, const char *name);
/** Forget everything and free the memory. */
void rcache_clear(rcache_t *c);

#endif
