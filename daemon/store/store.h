/**
 * @file store.h
 * @brief The record store: sqlite3 in WAL mode with numbered migrations.
 *
 * Tables: records (one row per name), history (one row per attempt that
 * reached a provider, or was refused for abuse) and record_changes (the
 * change notes, below).  ddnsd and ddnsctl open the same file; sqlite's
 * locking makes that safe, and the change notes tell ddnsd which records
 * another connection changed.
 *
 * A store_t is used from one thread.  Strings in store_record_t are inline.
 */
#ifndef DDNS_STORE_H
#define DDNS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "addr.h"
#include "keys.h"
#include "outcome.h"

typedef struct store store_t;

/** Who owns a record. */
typedef enum { STORE_SRC_CONFIG = 0, STORE_SRC_CTL = 1 } store_source_t;

/** One record. */
typedef struct store_record {
	char name[NAME_TEXT_MAX];
	char provider[64];
	char key_hash[KEY_HASH_MAX];
	char ipv4[ADDR_TEXT_MAX];     /**< "" when unknown */
	char ipv6[ADDR_TEXT_MAX];
	char lan_ipv4[ADDR_TEXT_MAX];
	char lan_ipv6[ADDR_TEXT_MAX];
	int64_t last_change;          /**< Unix seconds, 0 never */
	int64_t last_seen;            /**< Unix seconds, 0 never */
	store_source_t source;
} store_record_t;

/** One history row. */
typedef struct store_history {
	int64_t id;
	int64_t time;                 /**< Unix seconds */
	char name[NAME_TEXT_MAX];
	char family[8];               /**< "ipv4" or "ipv6"; "admin" for the web
	                                   admin's own actions (store_admin.h) */
	char old_ip[ADDR_TEXT_MAX];
	char new_ip[ADDR_TEXT_MAX];
	char client[ADDR_TEXT_MAX];
	ddns_outcome_t result;        /**< a recorded outcome (ddns_outcome_recorded) */
	char message[512];            /**< provider's words, may be "" */
} store_history_t;

/** Open (creating if needed) and migrate the store at @p path. */
int store_open(const char *path, store_t **out);
/** store_open(), migrating no further than schema @p version (for tests of
 *  the migrations: a file as an older ddnsd left it). */
int store_open_version(const char *path, int version, store_t **out);
/**
 * How hard a commit is pushed to disk.  Full (the default of store_open)
 * fsyncs the WAL at every commit: an update answered "applied" survives a
 * power cut.  Normal leaves that to the next checkpoint: a crash of the
 * process still loses nothing, a crash of the machine may forget the last
 * commits (never corrupting the file).  For slow disks (SD cards).
 */
int store_set_sync(store_t *st, bool full);
/** Close; NULL is fine. */
void store_close(store_t *st);
/** Schema version after migrations. */
int store_schema_version(store_t *st);
/** Write one page without changing anything (the schema version, set to
 *  itself): inside a transaction, tells whether the store can commit. */
int store_probe_write(store_t *st);

/** Fetch the record @p name (normalised).  -ENOENT if none. */
int store_record_get(store_t *st, const char *name, store_record_t *out);
/** Insert a new record; -EEXIST if the name exists. */
int store_record_add(store_t *st, const store_record_t *rec);
/** Replace key hash (only that). -ENOENT if none. */
int store_record_set_key(store_t *st, const char *name, const char *key_hash);
/** Delete; -ENOENT if none. */
int store_record_delete(store_t *st, const char *name);
/** Call @p cb for every record ordered by name (provider NULL: all;
 *  else only that provider's).  Stops at and returns a non-zero cb value. */
int store_record_foreach(store_t *st, const char *provider,
                         int (*cb)(const store_record_t *rec, void *arg), void *arg);
/** Number of records. */
int64_t store_record_count(store_t *st);

/** Names, e.g. those a reconciliation touched.  Owns its strings. */
typedef struct store_names {
	char **names;
	size_t n, cap;
} store_names_t;
/** Append a copy of @p name: 0 or -ENOMEM. */
int store_names_add(store_names_t *s, const char *name);
/** Free the names; @p s is then empty and reusable.  NULL is fine. */
void store_names_clear(store_names_t *s);

/** A record as ddns.conf gives it, for store_reconcile_config().  The
 *  strings are borrowed ("" for no LAN address). */
typedef struct store_conf_record {
	const char *name, *provider, *key_hash, *lan_ipv4, *lan_ipv6;
} store_conf_record_t;

/**
 * Make the config-owned rows match @p recs exactly, in one transaction:
 * insert new ones, update provider/key/LAN of existing ones that differ
 * (addresses and times are kept), delete config rows no longer listed.  A
 * ddnsctl row with the same name as a config record is taken over by the
 * config (logged).  The names added, changed or removed are appended to
 * @p touched (may be NULL); on failure they mean nothing.
 */
int store_reconcile_config(store_t *st, const store_conf_record_t *recs, size_t n,
                           store_names_t *touched);

/*
 * The change notes: a trigger writes the name of every record inserted,
 * changed or deleted, by any connection, into a table.  The daemon's store
 * writer drops the notes of its own transactions before committing them,
 * so what remains says exactly which records other processes changed.
 */
/** The newest note's number (0: none), or a negative code. */
int64_t store_changes_mark(store_t *st);
/** Drop the notes after @p mark (this transaction's own).  0 or a code. */
int store_changes_drop_after(store_t *st, int64_t mark);
/** Append to @p out the names noted up to @p mark, and drop those notes. */
int store_changes_take(store_t *st, int64_t mark, store_names_t *out);
/** Drop every note (at start, before every record is read). */
int store_changes_forget(store_t *st);

/**
 * Commit a confirmed change in one transaction: set the addresses given
 * (NULL leaves a family alone), last_change = @p now, and add one history row
 * per family changed with result "applied".
 */
int store_commit_update(store_t *st, const char *name, const char *ipv4,
                        const char *ipv6, int64_t now, const char *client,
                        const char *message);
/** Add one history row (failures, abuse ...). */
int store_add_history(store_t *st, const store_history_t *h);
/** Set last_seen for many names in one transaction. */
int store_touch_seen(store_t *st, const char *const *names, size_t n, int64_t now);
/** History rows, newest first (name NULL: all), at most @p limit. */
int store_history_foreach(store_t *st, const char *name, int limit,
                          int (*cb)(const store_history_t *h, void *arg), void *arg);

#endif
