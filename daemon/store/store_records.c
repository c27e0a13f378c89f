/* Records of the store: see store.h.  -ENOENT and -EEXIST are answers,
 * not failures, so they are returned without a log line; the caller knows
 * whether an unknown name deserves one (on the update path it must not,
 * or a scanner could fill the log). */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *store_source_text(store_source_t src)
{
	return src == STORE_SRC_CONFIG ? "config" : "ddnsctl";
}

void store_record_read(sqlite3_stmt *s, store_record_t *r)
{
	memset(r, 0, sizeof(*r));
	store_column_text(s, 0, r->name, sizeof(r->name));
	store_column_text(s, 1, r->provider, sizeof(r->provider));
	store_column_text(s, 2, r->key_hash, sizeof(r->key_hash));
	store_column_text(s, 3, r->ipv4, sizeof(r->ipv4));
	store_column_text(s, 4, r->ipv6, sizeof(r->ipv6));
	store_column_text(s, 5, r->lan_ipv4, sizeof(r->lan_ipv4));
	store_column_text(s, 6, r->lan_ipv6, sizeof(r->lan_ipv6));
	r->last_change = sqlite3_column_int64(s, 7);
	r->last_seen = sqlite3_column_int64(s, 8);
	const unsigned char *src = sqlite3_column_text(s, 9);
	r->source = src != NULL && strcmp((const char *)src, "config") == 0
	            ? STORE_SRC_CONFIG : STORE_SRC_CTL;
}

int store_record_get(store_t *st, const char *name, store_record_t *out)
{
	int err = store_prepare(st, &st->stmt_get,
	                        "SELECT " STORE_RECORD_COLUMNS " FROM records WHERE name = ?1");
	if (err)
		return err;
	sqlite3_bind_text(st->stmt_get, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st->stmt_get);
	if (rc == SQLITE_ROW)
		store_record_read(st->stmt_get, out);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = store_fail(st, name, "cannot read the record", rc);
	/* reset now: a pending statement would hold a read snapshot open */
	sqlite3_reset(st->stmt_get);
	sqlite3_clear_bindings(st->stmt_get);
	return err;
}

/* Run a one-off statement that changes one named row.  @p bind binds its
 * parameters; the row count decides -ENOENT. */
static int store_change_one(store_t *st, const char *name, const char *sql,
                            const char *what, const store_record_t *rec,
                            void (*bind)(sqlite3_stmt *s, const store_record_t *rec))
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, name, what, rc);
	bind(s, rec);
	int err = 0;
	rc = sqlite3_step(s);
	if ((rc & 0xff) == SQLITE_CONSTRAINT && sqlite3_extended_errcode(st->db) ==
	    SQLITE_CONSTRAINT_PRIMARYKEY)
		err = -EEXIST;
	else if (rc != SQLITE_DONE)
		err = store_fail(st, name, what, rc);
	else if (sqlite3_changes(st->db) == 0)
		err = -ENOENT;
	sqlite3_finalize(s);
	return err;
}

static void store_bind_full(sqlite3_stmt *s, const store_record_t *r)
{
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->key_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->ipv4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->ipv6, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->lan_ipv4, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->lan_ipv6, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, r->last_change);
	sqlite3_bind_int64(s, 9, r->last_seen);
	sqlite3_bind_text(s, 10, store_source_text(r->source), -1, SQLITE_STATIC);
}

static void store_bind_name_key(sqlite3_stmt *s, const store_record_t *r)
{
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->key_hash, -1, SQLITE_STATIC);
}

static void store_bind_name(sqlite3_stmt *s, const store_record_t *r)
{
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
}

static const char store_insert_sql[] =
	"INSERT INTO records (" STORE_RECORD_COLUMNS ")"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

int store_record_add(store_t *st, const store_record_t *rec)
{
	if (rec->name[0] == '\0' || !key_hash_valid(rec->key_hash)) {
		log_err(rec->name[0] != '\0' ? rec->name : st->path,
		        "store: refusing a record without a name or a valid key hash");
		return -EINVAL;
	}
	return store_change_one(st, rec->name, store_insert_sql, "cannot add the record",
	                        rec, store_bind_full);
}

int store_record_set_key(store_t *st, const char *name, const char *key_hash)
{
	if (!key_hash_valid(key_hash)) {
		log_err(name, "store: refusing an invalid key hash");
		return -EINVAL;
	}
	store_record_t r;
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.key_hash, sizeof(r.key_hash), "%s", key_hash);
	return store_change_one(st, name, "UPDATE records SET key_hash = ?2 WHERE name = ?1",
	                        "cannot set the key", &r, store_bind_name_key);
}

int store_record_delete(store_t *st, const char *name)
{
	store_record_t r;
	snprintf(r.name, sizeof(r.name), "%s", name);
	return store_change_one(st, name, "DELETE FROM records WHERE name = ?1",
	                        "cannot delete the record", &r, store_bind_name);
}

int store_record_foreach(store_t *st, const char *provider,
                         int (*cb)(const store_record_t *rec, void *arg), void *arg)
{
	static const char sql[] = "SELECT " STORE_RECORD_COLUMNS " FROM records"
		" WHERE ?1 IS NULL OR provider = ?1 ORDER BY name";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, provider, "cannot list records", rc);
	if (provider != NULL)
		sqlite3_bind_text(s, 1, provider, -1, SQLITE_STATIC);
	int err = 0;
	store_record_t rec;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_record_read(s, &rec);
		err = cb(&rec, arg);
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_fail(st, provider, "cannot list records", rc);
out:
	sqlite3_finalize(s);
	return err;
}

int64_t store_record_count(store_t *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM records", -1, &s, NULL);
	int64_t n;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		n = store_fail(st, NULL, "cannot count records", rc);
	sqlite3_finalize(s);
	return n;
}
