/**
 * @file record_index.h
 * @brief Every record of the store in memory, for the hot path.
 *
 * The pipeline answers from here (key check, addresses, provider) without
 * an sqlite read per request: name -> record in a chained hash table that
 * grows by doubling.  It is loaded whole from the store at start and when
 * another process changed the store, and kept in step by the pipeline as
 * its own commits complete.
 *
 * Memory: one entry holds the raw SHA-256 of the key, the four addresses in
 * binary, last_change, the provider as an index into a table of names, and
 * the name itself: 104 bytes plus the name (about 125 for a typical name),
 * plus malloc's overhead and one bucket pointer: about 160 bytes a record,
 * so 1,000,000 records take about 160 MB.
 *
 * Used from the loop thread only.  Strings handed in are copied.
 */
#ifndef DDNS_RECORD_INDEX_H
#define DDNS_RECORD_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

typedef struct rindex_entry rindex_entry_t;

typedef struct rindex {
	rindex_entry_t **buckets;
	size_t n_buckets;  /**< power of two, 0 while empty */
	size_t n;
	char **providers;  /**< provider names, interned */
	size_t n_providers;
	size_t bytes;      /**< memory held, for the record */
} rindex_t;

/** Copy of @p name's record into @p out: 0, or -ENOENT. */
int rindex_get(const rindex_t *x, const char *name, store_record_t *out);
/** Insert or replace @p rec (its last_seen is not kept).  0, -EINVAL (a
 *  key hash or address the store would not hold), or -ENOMEM. */
int rindex_put(rindex_t *x, const store_record_t *rec);
/** Set the addresses of @p name after a committed change: a NULL family is
 *  left alone.  0, -ENOENT or -EINVAL. */
int rindex_set_addrs(rindex_t *x, const char *name, const char *ipv4, const char *ipv6,
                     int64_t last_change);
/** Forget @p name (no-op when absent). */
void rindex_remove(rindex_t *x, const char *name);
/** Replace the contents with every record of @p st.  On failure the old
 *  contents stay.  0 or the store's code / -ENOMEM. */
int rindex_load(rindex_t *x, store_t *st);
/** Free everything; @p x is then empty and reusable. */
void rindex_clear(rindex_t *x);

#endif
