/* The web admin's accounts and its logged changes: see store_admin.h. */
#include "store_int.h"
#include "store_admin.h"

#include <errno.h>
#include <string.h>

#include "log.h"

bool store_admin_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= STORE_ADMIN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

int store_admin_user_set(store_t *st, const char *name, const char *hash, int64_t now)
{
	if (!store_admin_name_valid(name) || strlen(hash) >= STORE_ADMIN_HASH_MAX)
		return -EINVAL;
	char old[STORE_ADMIN_HASH_MAX];
	int err = store_begin(st);
	if (err)
		return err;
	int had = store_admin_user_get(st, name, old);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "INSERT INTO admin_users (name, hash, created)"
	                            " VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE"
	                            " SET hash = excluded.hash", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, now);
		rc = sqlite3_step(s);
	}
	if (rc != SQLITE_DONE)
		err = store_fail(st, name, "cannot write the admin account", rc);
	else if (had != 0 && had != -ENOENT)
		err = had;
	sqlite3_finalize(s);
	err = store_end(st, err);
	return err != 0 ? err : had == 0;
}

int store_admin_user_get(store_t *st, const char *name, char *hash)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT hash FROM admin_users WHERE name = ?1",
	                            -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, name, "cannot read the admin account", rc);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int err = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_column_text(s, 0, hash, STORE_ADMIN_HASH_MAX);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = store_fail(st, name, "cannot read the admin account", rc);
	sqlite3_finalize(s);
	return err;
}

int store_admin_user_delete(store_t *st, const char *name)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "DELETE FROM admin_users WHERE name = ?1",
	                            -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, name, "cannot delete the admin account", rc);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int err = 0;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = store_fail(st, name, "cannot delete the admin account", rc);
	else if (sqlite3_changes(st->db) == 0)
		err = -ENOENT;
	sqlite3_finalize(s);
	return err;
}

int store_admin_user_foreach(store_t *st,
                             int (*cb)(const char *name, int64_t created, void *arg),
                             void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT name, created FROM admin_users"
	                            " ORDER BY name", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, "cannot list the admin accounts", rc);
	int err = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && err == 0)
		err = cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), arg);
	if (err == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_fail(st, NULL, "cannot list the admin accounts", rc);
	sqlite3_finalize(s);
	return err;
}

/* A record the admin may change: there, and not ddns.conf's. */
static int store_admin_owned(store_t *st, const char *name)
{
	store_record_t r;
	int err = store_record_get(st, name, &r);
	if (err)
		return err;
	return r.source == STORE_SRC_CONFIG ? -EPERM : 0;
}

int store_admin_record_add(store_t *st, const store_record_t *rec,
                           const store_history_t *h)
{
	int err = store_begin(st);
	if (err)
		return err;
	err = store_record_add(st, rec);
	if (err == 0)
		err = store_history_insert(st, h);
	return store_end(st, err);
}

int store_admin_record_set_key(store_t *st, const char *name, const char *key_hash,
                               const store_history_t *h)
{
	int err = store_begin(st);
	if (err)
		return err;
	err = store_admin_owned(st, name);
	if (err == 0)
		err = store_record_set_key(st, name, key_hash);
	if (err == 0)
		err = store_history_insert(st, h);
	return store_end(st, err);
}

int store_admin_record_delete(store_t *st, const char *name, const store_history_t *h)
{
	int err = store_begin(st);
	if (err)
		return err;
	err = store_admin_owned(st, name);
	if (err == 0)
		err = store_record_delete(st, name);
	if (err == 0)
		err = store_history_insert(st, h);
	return store_end(st, err);
}
