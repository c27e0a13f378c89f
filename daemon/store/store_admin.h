/**
 * @file store_admin.h
 * @brief What the web admin (daemon/admin) and `ddnsctl admin` need of the
 *        store: accounts, changes logged with who made them, and the reads
 *        its pages make (keyset pages of records, hourly counts, recent
 *        attempts per provider).
 *
 * Accounts live in the admin_users table (migration 4) as Argon2id hashes
 * in their encoded form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash");
 * the store neither makes nor checks them.  Every function here is a
 * blocking sqlite call: the daemon calls them on libuv's thread pool,
 * never on the loop, each thread with a store_t of its own.
 */
#ifndef DDNS_STORE_ADMIN_H
#define DDNS_STORE_ADMIN_H

#include <stdint.h>
#include "store.h"

/** Longest account name, with its NUL. */
#define STORE_ADMIN_NAME_MAX 33
/** Longest encoded hash kept, with its NUL. */
#define STORE_ADMIN_HASH_MAX 256
/** The history's family word for the admin's own actions (rows that are
 *  not provider attempts: added, key rotated, deleted). */
#define STORE_FAMILY_ADMIN "admin"

/** True for 1..32 of [a-z A-Z 0-9 . _ @ -], the account names accepted. */
bool store_admin_name_valid(const char *name);
/** Add or replace account @p name with @p hash at @p now.
 *  @return 0, 1 when it replaced one, or a negative code. */
int store_admin_user_set(store_t *st, const char *name, const char *hash, int64_t now);
/** The hash of @p name into @p hash (STORE_ADMIN_HASH_MAX).  -ENOENT if none. */
int store_admin_user_get(store_t *st, const char *name, char *hash);
/** Delete account @p name.  -ENOENT if none. */
int store_admin_user_delete(store_t *st, const char *name);
/** Each account, by name, with its creation time. */
int store_admin_user_foreach(store_t *st,
                             int (*cb)(const char *name, int64_t created, void *arg),
                             void *arg);

/** store_record_add() and the history row @p h, in one transaction. */
int store_admin_record_add(store_t *st, const store_record_t *rec,
                           const store_history_t *h);
/** store_record_set_key() of a record ddnsctl or the admin owns (a record
 *  of ddns.conf: -EPERM) and the history row @p h, in one transaction. */
int store_admin_record_set_key(store_t *st, const char *name, const char *key_hash,
                               const store_history_t *h);
/** store_record_delete() likewise (ddns.conf's: -EPERM). */
int store_admin_record_delete(store_t *st, const char *name, const store_history_t *h);

/** Where a page of records starts: after the record (last_change, name) in
 *  the order of last change, newest first, then by name.  first: from the
 *  top. */
typedef struct store_cursor {
	bool first;
	int64_t last_change;
	char name[NAME_TEXT_MAX];
} store_cursor_t;

/**
 * Up to @p limit records after @p from, newest change first, whose name
 * contains @p search (NULL or "": all).  Keyset paging on the index
 * records_last_change: a page costs the same at the millionth record as at
 * the first (a rare @p search walks until it has found @p limit).
 * @return the number passed to @p cb, or a negative code.
 */
int store_record_page(store_t *st, const store_cursor_t *from, const char *search,
                      int limit, int (*cb)(const store_record_t *rec, void *arg),
                      void *arg);

/** Provider attempts per hour: @p counts[i] gets the history rows (admin
 *  rows aside) of the hour starting at @p since + i * 3600, for i below
 *  @p hours; @p failed[i] those that did not apply.  Walks history_time. */
int store_history_hourly(store_t *st, int64_t since, int hours, uint32_t *counts,
                         uint32_t *failed);

/** One recent provider attempt and the provider of its record. */
typedef struct store_attempt {
	store_history_t h;
	char provider[64];      /**< "" when the record is gone */
} store_attempt_t;

/** The newest @p limit provider attempts (admin rows aside), newest
 *  first, each with its record's provider. */
int store_attempts_recent(store_t *st, int limit,
                          int (*cb)(const store_attempt_t *a, void *arg), void *arg);

#endif
