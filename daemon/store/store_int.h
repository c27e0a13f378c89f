/**
 * @file store_int.h
 * @brief Internals shared by store.c, store_records.c and store_history.c.
 */
#ifndef DDNS_STORE_INT_H
#define DDNS_STORE_INT_H

#include <sqlite3.h>
#include <stdio.h>
#include "store.h"

/** How long a statement waits for another process's lock. */
#define STORE_BUSY_TIMEOUT_MS 5000

/** The store: one connection and its cached hot statements. */
struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt_user_version;
	sqlite3_stmt *stmt_changes_mark; /**< store_changes_mark */
	sqlite3_stmt *stmt_changes_drop; /**< store_changes_drop_after */
	sqlite3_stmt *stmt_get;         /**< store_record_get */
	sqlite3_stmt *stmt_set_ipv4;    /**< store_commit_update */
	sqlite3_stmt *stmt_set_ipv6;
	sqlite3_stmt *stmt_history_add; /**< commit_update, add_history */
	sqlite3_stmt *stmt_touch;       /**< store_touch_seen */
	sqlite3_stmt *stmt_begin;       /**< transactions of the above */
	sqlite3_stmt *stmt_commit;
	sqlite3_stmt *stmt_rollback;
	sqlite3_stmt *stmt_savepoint;   /**< nested store_begin/store_end */
	sqlite3_stmt *stmt_release;
	sqlite3_stmt *stmt_rollback_to;
	/** Open transactions: 0 none, 1 BEGIN, more: SAVEPOINTs inside it
	 *  (the store writer runs many writes in one transaction). */
	unsigned depth;
};

/** Our negative code for sqlite result @p rc (0 for OK/ROW/DONE). */
int store_code(int rc);
/** Log "store: WHAT: sqlite's message" under @p subject (NULL: the path);
 *  return store_code(@p rc). */
int store_fail(store_t *st, const char *subject, const char *what, int rc);
/** Prepare @p sql into the cache slot @p stmt once; reset it when cached. */
int store_prepare(store_t *st, sqlite3_stmt **stmt, const char *sql);
/** Run @p sql (no rows); on failure log @p what. */
int store_exec(store_t *st, const char *sql, const char *what);
/** BEGIN IMMEDIATE; inside a transaction, a SAVEPOINT. */
int store_begin(store_t *st);
/** COMMIT when @p err is 0, else ROLLBACK; returns @p err or COMMIT's code.
 *  Inside an outer transaction: RELEASE, or ROLLBACK TO the savepoint. */
int store_end(store_t *st, int err);
/** Copy column @p col of @p stmt into @p buf (truncated to @p size). */
void store_column_text(sqlite3_stmt *stmt, int col, char *buf, size_t size);
/** The columns store_record_read() takes, in its order. */
#define STORE_RECORD_COLUMNS \
	"name, provider, key_hash, ipv4, ipv6, lan_ipv4, lan_ipv6, last_change, last_seen, source"
/** A row of STORE_RECORD_COLUMNS into @p r (store_records.c). */
void store_record_read(sqlite3_stmt *s, store_record_t *r);
/** Insert one history row with the cached statement (no transaction). */
int store_history_insert(store_t *st, const store_history_t *h);
/** Create the database file @p path 0600 if it is missing, and take group
 *  and others' access away from it and its -wal and -shm files when they
 *  have any (one log line per file) (store_mode.c).
 *  @return 0, or -errno when @p path cannot be opened or created (logged). */
int store_files_private(const char *path);

#endif
