/**
 * @file abuse_table.h
 * @brief The counters behind abuse.c: a bounded hash table of rate entries.
 *
 * Keys are byte strings (a host name, or the network part of an address)
 * hashed with a keyed HMAC, so a caller who picks the keys cannot aim them
 * at one bucket.  Entries are also kept on an age list (least recently
 * counted first): when the table is full the oldest entry makes room.
 * Private to abuse.c.
 */
#ifndef DDNS_ABUSE_TABLE_H
#define DDNS_ABUSE_TABLE_H

#include <stddef.h>
#include <stdint.h>

/** Longest key: a host name. */
#define ABUSE_KEY_MAX 256

/** Counters of one name or source. */
typedef struct abuse_entry {
	struct abuse_entry *chain;  /* next in the bucket */
	struct abuse_entry *older;  /* age list */
	struct abuse_entry *newer;
	uint64_t hash;
	uint64_t win_start_ms;      /**< start of the current window */
	uint64_t blocked_until_ms;  /**< 0 when not blocked */
	uint32_t prev;              /**< events in the window before */
	uint32_t cur;               /**< events in the current window */
	size_t key_len;
	unsigned char key[];        /* key_len bytes */
} abuse_entry_t;

/** One table; zero-initialise, then abuse_table_init(). */
typedef struct abuse_table {
	abuse_entry_t **buckets;
	size_t n_buckets;           /**< a power of two */
	size_t count;
	size_t cap;                 /**< most entries kept */
	abuse_entry_t *oldest;
	abuse_entry_t *newest;
	unsigned char hash_key[32]; /**< random, per table */
} abuse_table_t;

/** Allocate the first buckets and draw the hash key.  0 or -ENOMEM/-EIO. */
int abuse_table_init(abuse_table_t *t, size_t cap);
/** Free every entry and the buckets. */
void abuse_table_clear(abuse_table_t *t);
/** The entry for @p key, or NULL. */
abuse_entry_t *abuse_table_find(abuse_table_t *t, const void *key, size_t len);
/**
 * The entry for @p key, created (zeroed counters) if missing; when the table
 * is full the oldest entry is freed first.  NULL only on ENOMEM or a key
 * longer than ABUSE_KEY_MAX.
 */
abuse_entry_t *abuse_table_get(abuse_table_t *t, const void *key, size_t len);
/** Mark @p e as the most recently counted. */
void abuse_table_touch(abuse_table_t *t, abuse_entry_t *e);
/** Unlink and free @p e. */
void abuse_table_remove(abuse_table_t *t, abuse_entry_t *e);

#endif
