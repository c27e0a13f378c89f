/**
 * @file pipeline_seen.h
 * @brief Private to the pipeline: names seen since the last flush, so
 *        last_seen is written in one transaction every few seconds instead
 *        of once per request.
 */
#ifndef DDNS_PIPELINE_SEEN_H
#define DDNS_PIPELINE_SEEN_H

#include <stddef.h>
#include <stdint.h>
#include "store_writer.h"

/** A set of names (open addressing, owned copies). */
typedef struct seen_set {
	char **slots;
	size_t cap;   /**< power of two, 0 when empty */
	size_t n;
} seen_set_t;

/** Add @p name (copied) unless present.  0 or -ENOMEM. */
int seen_add(seen_set_t *s, const char *name);
/** Queue every name to the store writer (store_touch_seen(@p now)) and
 *  empty the set.  @return 0, or -ENOMEM (the set is emptied either way). */
int seen_flush(seen_set_t *s, store_writer_t *w, int64_t now);
/** Free the set's memory (without writing). */
void seen_clear(seen_set_t *s);

#endif
