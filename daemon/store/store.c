/* The record store: see store.h.  This file opens, migrates and closes the
 * database and maps sqlite's codes to ours; the queries on records and
 * history live in store_records.c and store_history.c. */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Numbered migrations: entry i brings the schema from version i to i + 1.
 * Append only; never edit an entry that has shipped. */
static const char *const store_migrations[] = {
	/* 1: records and their history */
	"CREATE TABLE records ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" provider TEXT NOT NULL,"
	" key_hash TEXT NOT NULL,"
	" ipv4 TEXT NOT NULL DEFAULT '',"
	" ipv6 TEXT NOT NULL DEFAULT '',"
	" lan_ipv4 TEXT NOT NULL DEFAULT '',"
	" lan_ipv6 TEXT NOT NULL DEFAULT '',"
	" last_change INTEGER NOT NULL DEFAULT 0,"
	" last_seen INTEGER NOT NULL DEFAULT 0,"
	" source TEXT NOT NULL CHECK (source IN ('config', 'ddnsctl'))"
	") WITHOUT ROWID;"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" family TEXT NOT NULL,"
	" old_ip TEXT NOT NULL DEFAULT '',"
	" new_ip TEXT NOT NULL DEFAULT '',"
	" client TEXT NOT NULL DEFAULT '',"
	" result TEXT NOT NULL,"
	" message TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX history_name_time ON history (name, time);",
	/* 2: a history row's result is one of the recorded outcomes (outcome.h).
	 * SQLite adds a CHECK only by rebuilding the table; a row that somehow
	 * holds another word keeps it in its message and becomes "failed". */
	"UPDATE history SET message = trim(message || ' (result was ' || result || ')'),"
	" result = 'failed'"
	" WHERE result NOT IN ('applied', 'failed', 'timeout', 'canceled', 'abuse');"
	"CREATE TABLE history_new (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL, name TEXT NOT NULL, family TEXT NOT NULL,"
	" old_ip TEXT NOT NULL DEFAULT '', new_ip TEXT NOT NULL DEFAULT '',"
	" client TEXT NOT NULL DEFAULT '', result TEXT NOT NULL"
	" CHECK (result IN ('applied', 'failed', 'timeout', 'canceled', 'abuse')),"
	" message TEXT NOT NULL DEFAULT '');"
	"INSERT INTO history_new (id, time, name, family, old_ip, new_ip, client, result, message)"
	" SELECT id, time, name, family, old_ip, new_ip, client, result, message FROM history;"
	"DROP TABLE history;"
	"ALTER TABLE history_new RENAME TO history;"
	"CREATE INDEX history_name_time ON history (name, time);",
	/* 3: every change to a record, by any writer (ddnsctl, the sqlite3
	 * shell), leaves its name here, so the daemon reads what changed
	 * instead of every record (store_changes_take). */
	"CREATE TABLE record_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL);"
	"CREATE TRIGGER record_changes_insert AFTER INSERT ON records"
	" BEGIN INSERT INTO record_changes (name) VALUES (new.name); END;"
	"CREATE TRIGGER record_changes_update AFTER UPDATE OF name, provider, key_hash,"
	" ipv4, ipv6, lan_ipv4, lan_ipv6, last_change, source ON records BEGIN"
	" INSERT INTO record_changes (name) VALUES (new.name);"
	" INSERT INTO record_changes (name) SELECT old.name WHERE old.name <> new.name;"
	" END;"
	"CREATE TRIGGER record_changes_delete AFTER DELETE ON records"
	" BEGIN INSERT INTO record_changes (name) VALUES (old.name); END;",
	/* 4: the web admin: its accounts (Argon2id hashes, written by ddnsctl
	 * admin), and the indexes its pages walk so they hold at a million
	 * records: records by last change (keyset paging), history by time
	 * (the updates-per-hour chart, covering its count). */
	"CREATE TABLE admin_users (name TEXT PRIMARY KEY NOT NULL,"
	" hash TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX records_last_change ON records (last_change DESC, name);"
	"CREATE INDEX history_time ON history (time, family, result);",
};
#define STORE_N_MIGRATIONS ((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

int store_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE: return 0;
	case SQLITE_CONSTRAINT: return -EINVAL;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_CANTOPEN: return -ENOENT;
	default: return -EIO;
	}
}

int store_fail(store_t *st, const char *subject, const char *what, int rc)
{
	log_err(subject != NULL ? subject : st->path, "store: %s: %s", what,
	        sqlite3_errmsg(st->db));
	return store_code(rc);
}

int store_prepare(store_t *st, sqlite3_stmt **stmt, const char *sql)
{
	if (*stmt != NULL) {
		sqlite3_reset(*stmt);
		sqlite3_clear_bindings(*stmt);
		return 0;
	}
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, "cannot prepare a statement", rc);
	return 0;
}

int store_exec(store_t *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, what, rc);
	return 0;
}

/* Run a cached statement that returns no rows (BEGIN, COMMIT, ROLLBACK). */
static int store_run_cached(store_t *st, sqlite3_stmt **slot, const char *sql,
                            const char *what)
{
	int err = store_prepare(st, slot, sql);
	if (err)
		return err;
	int rc = sqlite3_step(*slot);
	if (rc != SQLITE_DONE)
		err = store_fail(st, NULL, what, rc);
	sqlite3_reset(*slot);
	return err;
}

int store_begin(store_t *st)
{
	int err;
	if (st->depth > 0) {
		/* cached: the writer thread runs one per write */
		err = store_run_cached(st, &st->stmt_savepoint, "SAVEPOINT nested",
		                       "cannot begin a savepoint");
		if (!err)
			st->depth++;
		return err;
	}
	/* IMMEDIATE takes the write lock now, so a busy peer makes us wait
	 * (busy_timeout) here instead of failing later in the middle. */
	err = store_run_cached(st, &st->stmt_begin, "BEGIN IMMEDIATE",
	                       "cannot begin a transaction");
	if (!err)
		st->depth = 1;
	return err;
}

int store_end(store_t *st, int err)
{
	if (st->depth > 1) {
		st->depth--;
		/* An I/O error may have rolled back the whole transaction: then
		 * the outer store_end() reports it, not this savepoint. */
		if (sqlite3_get_autocommit(st->db))
			return err ? err : -EIO;
		if (err) {
			if (store_run_cached(st, &st->stmt_rollback_to, "ROLLBACK TO nested",
			                     "cannot roll back a savepoint") == 0)
				store_run_cached(st, &st->stmt_release, "RELEASE nested",
				                 "cannot release a savepoint");
			return err;
		}
		return store_run_cached(st, &st->stmt_release, "RELEASE nested",
		                        "cannot release a savepoint");
	}
	st->depth = 0;
	if (err) {
		/* sqlite may have rolled back already (on I/O errors); then
		 * ROLLBACK fails harmlessly and there is nothing to add. */
		if (!sqlite3_get_autocommit(st->db))
			store_run_cached(st, &st->stmt_rollback, "ROLLBACK", "cannot roll back");
		return err;
	}
	err = store_run_cached(st, &st->stmt_commit, "COMMIT", "cannot commit");
	/* a failed COMMIT can leave the transaction open: never let it
	 * swallow the next one */
	if (err && !sqlite3_get_autocommit(st->db))
		store_run_cached(st, &st->stmt_rollback, "ROLLBACK", "cannot roll back");
	return err;
}

static int store_pragma_int(store_t *st, sqlite3_stmt **stmt, const char *sql, int64_t *out)
{
	int err = store_prepare(st, stmt, sql);
	if (err)
		return err;
	int rc = sqlite3_step(*stmt);
	if (rc != SQLITE_ROW) {
		err = store_fail(st, NULL, sql, rc);
		sqlite3_reset(*stmt);
		return err;
	}
	*out = sqlite3_column_int64(*stmt, 0);
	sqlite3_reset(*stmt);
	return 0;
}

/* Migrate up to schema @p target (STORE_N_MIGRATIONS: the newest). */
static int store_migrate(store_t *st, int64_t target)
{
	int64_t version = 0;
	int err = 0;
	for (;;) {
		err = store_begin(st);
		if (err)
			return err;
		/* read inside the write transaction: two processes opening a
		 * fresh file at once must not both run migration 1 */
		err = store_pragma_int(st, &st->stmt_user_version, "PRAGMA user_version", &version);
		if (err)
			break;
		if (version > STORE_N_MIGRATIONS) {
			log_err(st->path, "store: schema version %lld is newer than this "
			        "program knows (%d); upgrade ddnsd", (long long)version,
			        STORE_N_MIGRATIONS);
			err = -EPROTO;
			break;
		}
		if (version >= target)
			break;
		char set[64];
		snprintf(set, sizeof(set), "PRAGMA user_version = %lld", (long long)version + 1);
		err = store_exec(st, store_migrations[version], "migration failed");
		if (!err)
			err = store_exec(st, set, "cannot set the schema version");
		if (!err)
			err = store_end(st, 0);
		else
			store_end(st, err);
		if (err)
			return err;
		log_info(st->path, "store: schema migrated to version %lld", (long long)version + 1);
	}
	return store_end(st, err);
}

int store_set_sync(store_t *st, bool full)
{
	return store_exec(st, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	                  "cannot set synchronous");
}

int store_open(const char *path, store_t **out)
{
	return store_open_version(path, STORE_N_MIGRATIONS, out);
}

int store_open_version(const char *path, int version, store_t **out)
{
	*out = NULL;
	store_t *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->path = strdup(path);
	if (st->path == NULL) {
		free(st);
		return -ENOMEM;
	}
	int err = store_files_private(path);
	if (err)
		goto fail;
	int rc = sqlite3_open_v2(path, &st->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		int sys = st->db != NULL ? sqlite3_system_errno(st->db) : 0;
		err = sys > 0 ? -sys : store_code(rc);
		log_err(path, "store: cannot open: %s",
		        st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* ddnsd and ddnsctl share the file: wait for the other's lock. */
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

	sqlite3_stmt *mode = NULL;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &mode, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(mode);
	if (rc != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(mode, 0), "wal") != 0) {
		err = rc == SQLITE_ROW ? -EIO : store_code(rc);
		log_err(path, "store: cannot switch to WAL mode: %s",
		        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(mode, 0)
		                         : sqlite3_errmsg(st->db));
		sqlite3_finalize(mode);
		goto fail;
	}
	sqlite3_finalize(mode);
	/* In WAL mode synchronous=NORMAL may lose the last commits on power
	 * loss; FULL syncs the WAL at every commit, so an update we answered
	 * "applied" survives a crash. */
	err = store_exec(st, "PRAGMA synchronous = FULL", "cannot set synchronous");
	if (err)
		goto fail;
	err = store_migrate(st, version < STORE_N_MIGRATIONS ? version : STORE_N_MIGRATIONS);
	if (err)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return err;
}

void store_close(store_t *st)
{
	if (st == NULL)
		return;
	sqlite3_stmt **stmts[] = {
		&st->stmt_user_version, &st->stmt_get,
		&st->stmt_changes_mark, &st->stmt_changes_drop,
		&st->stmt_set_ipv4, &st->stmt_set_ipv6,
		&st->stmt_history_add, &st->stmt_touch, &st->stmt_begin,
		&st->stmt_commit, &st->stmt_rollback, &st->stmt_savepoint,
		&st->stmt_release, &st->stmt_rollback_to,
	};
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		sqlite3_finalize(*stmts[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_err(st->path, "store: close: %s", sqlite3_errmsg(st->db));
	free(st->path);
	free(st);
}

int store_schema_version(store_t *st)
{
	int64_t v = 0;
	int err = store_pragma_int(st, &st->stmt_user_version, "PRAGMA user_version", &v);
	return err ? err : (int)v;
}

int store_probe_write(store_t *st)
{
	int v = store_schema_version(st);
	if (v < 0)
		return v;
	/* Setting the header field to its own value still rewrites page 1:
	 * a real write, as small as sqlite makes one. */
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail(st, NULL, "probe write", rc);
}

int64_t store_changes_mark(store_t *st)
{
	int64_t v = 0;
	int err = store_pragma_int(st, &st->stmt_changes_mark,
	                           "SELECT coalesce(max(seq), 0) FROM record_changes", &v);
	return err ? err : v;
}

int store_changes_drop_after(store_t *st, int64_t mark)
{
	int err = store_prepare(st, &st->stmt_changes_drop,
	                        "DELETE FROM record_changes WHERE seq > ?1");
	if (err)
		return err;
	sqlite3_bind_int64(st->stmt_changes_drop, 1, mark);
	int rc = sqlite3_step(st->stmt_changes_drop);
	sqlite3_reset(st->stmt_changes_drop);
	return rc == SQLITE_DONE ? 0 : store_fail(st, NULL, "cannot drop own change notes", rc);
}

int store_changes_take(store_t *st, int64_t mark, store_names_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT DISTINCT name FROM record_changes"
	                            " WHERE seq <= ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, "cannot read the change notes", rc);
	sqlite3_bind_int64(s, 1, mark);
	int err = 0;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = store_names_add(out, (const char *)sqlite3_column_text(s, 0));
	if (!err && rc != SQLITE_DONE)
		err = store_fail(st, NULL, "cannot read the change notes", rc);
	sqlite3_finalize(s);
	if (err)
		return err;
	char sql[96];
	snprintf(sql, sizeof(sql), "DELETE FROM record_changes WHERE seq <= %lld",
	         (long long)mark);
	return store_exec(st, sql, "cannot drop the change notes");
}

int store_changes_forget(store_t *st)
{
	return store_exec(st, "DELETE FROM record_changes", "cannot drop the change notes");
}

void store_column_text(sqlite3_stmt *stmt, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	snprintf(buf, size, "%s", t != NULL ? (const char *)t : "");
}
