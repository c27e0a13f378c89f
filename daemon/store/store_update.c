/* Writes that span several rows: confirmed updates, last-seen stamps and
 * the reconciliation of ddns.conf's records.  Each is one transaction. */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

/* NULL (leave alone), "" (clear) or the canonical text of @p family. */
static bool store_addr_ok(const char *text, int family)
{
	if (text == NULL || text[0] == '\0')
		return true;
	char canon[ADDR_TEXT_MAX];
	int fam = 0;
	return addr_canonical(text, canon, &fam) == 0 && fam == family &&
	       strcmp(canon, text) == 0;
}

static int store_set_family(store_t *st, const store_record_t *old, const char *family,
                            const char *ip, int64_t now, const char *client,
                            const char *message)
{
	bool v4 = strcmp(family, "ipv4") == 0;
	const char *cur = v4 ? old->ipv4 : old->ipv6;
	if (ip == NULL || strcmp(cur, ip) == 0)
		return 0; /* nothing changed in this family: no history either */
	sqlite3_stmt **slot = v4 ? &st->stmt_set_ipv4 : &st->stmt_set_ipv6;
	int err = store_prepare(st, slot, v4
		? "UPDATE records SET ipv4 = ?2, last_change = ?3 WHERE name = ?1"
		: "UPDATE records SET ipv6 = ?2, last_change = ?3 WHERE name = ?1");
	if (err)
		return err;
	sqlite3_bind_text(*slot, 1, old->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(*slot, 2, ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(*slot, 3, now);
	int rc = sqlite3_step(*slot);
	sqlite3_reset(*slot);
	sqlite3_clear_bindings(*slot);
	if (rc != SQLITE_DONE)
		return store_fail(st, old->name, "cannot store the new address", rc);

	store_history_t h;
	memset(&h, 0, sizeof(h));
	h.time = now;
	snprintf(h.name, sizeof(h.name), "%s", old->name);
	snprintf(h.family, sizeof(h.family), "%s", family);
	snprintf(h.old_ip, sizeof(h.old_ip), "%s", cur);
	snprintf(h.new_ip, sizeof(h.new_ip), "%s", ip);
	snprintf(h.client, sizeof(h.client), "%s", client != NULL ? client : "");
	h.result = DDNS_OUTCOME_APPLIED;
	snprintf(h.message, sizeof(h.message), "%s", message != NULL ? message : "");
	return store_history_insert(st, &h);
}

int store_commit_update(store_t *st, const char *name, const char *ipv4,
                        const char *ipv6, int64_t now, const char *client,
                        const char *message)
{
	if (!store_addr_ok(ipv4, AF_INET) || !store_addr_ok(ipv6, AF_INET6)) {
		log_err(name, "store: refusing a non-canonical address (%s, %s)",
		        ipv4 != NULL ? ipv4 : "-", ipv6 != NULL ? ipv6 : "-");
		return -EINVAL;
	}
	int err = store_begin(st);
	if (err)
		return err;
	store_record_t old;
	err = store_record_get(st, name, &old);
	if (err == -ENOENT)
		log_err(name, "store: record vanished before its update was recorded");
	if (!err)
		err = store_set_family(st, &old, "ipv4", ipv4, now, client, message);
	if (!err)
		err = store_set_family(st, &old, "ipv6", ipv6, now, client, message);
	return store_end(st, err);
}

int store_touch_seen(store_t *st, const char *const *names, size_t n, int64_t now)
{
	if (n == 0)
		return 0;
	int err = store_begin(st);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		err = store_prepare(st, &st->stmt_touch,
		                    "UPDATE records SET last_seen = ?2 WHERE name = ?1");
		if (err)
			break;
		sqlite3_bind_text(st->stmt_touch, 1, names[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st->stmt_touch, 2, now);
		int rc = sqlite3_step(st->stmt_touch);
		if (rc != SQLITE_DONE)
			err = store_fail(st, names[i], "cannot set last seen", rc);
	}
	if (st->stmt_touch != NULL) {
		sqlite3_reset(st->stmt_touch);
		sqlite3_clear_bindings(st->stmt_touch);
	}
	return store_end(st, err);
}

/* Statements of one reconciliation, prepared once per call. */
typedef struct store_reconcile {
	sqlite3_stmt *insert, *update, *keep, *remove;
	unsigned added, changed;
	store_names_t *touched;
} store_reconcile_t;

static int store_reconcile_one(store_t *st, store_reconcile_t *rc_,
                               const store_conf_record_t *rec)
{
	if (rec->name == NULL || rec->name[0] == '\0' || rec->provider == NULL ||
	    rec->key_hash == NULL || !key_hash_valid(rec->key_hash)) {
		log_err(rec->name != NULL && rec->name[0] != '\0' ? rec->name : st->path,
		        "store: config record without a name, provider or valid key hash");
		return -EINVAL;
	}
	const char *lan4 = rec->lan_ipv4 != NULL ? rec->lan_ipv4 : "";
	const char *lan6 = rec->lan_ipv6 != NULL ? rec->lan_ipv6 : "";
	store_record_t old;
	int err = store_record_get(st, rec->name, &old);
	if (err && err != -ENOENT)
		return err;
	bool exists = err == 0;
	bool same = exists && old.source == STORE_SRC_CONFIG &&
	            strcmp(old.provider, rec->provider) == 0 &&
	            strcmp(old.key_hash, rec->key_hash) == 0 &&
	            strcmp(old.lan_ipv4, lan4) == 0 && strcmp(old.lan_ipv6, lan6) == 0;
	int rc;
	if (!same) { /* an unchanged row is not rewritten: a reload costs its changes */
		sqlite3_stmt *s = exists ? rc_->update : rc_->insert;
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, rec->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, rec->provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, rec->key_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, lan4, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, lan6, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (rc != SQLITE_DONE)
			return store_fail(st, rec->name, "cannot reconcile the record", rc);
		if (exists)
			rc_->changed++;
		else
			rc_->added++;
		if (exists && old.source != STORE_SRC_CONFIG)
			log_notice(rec->name, "store: ddns.conf takes this record over from ddnsctl");
		if (rc_->touched != NULL && (err = store_names_add(rc_->touched, rec->name)) != 0)
			return err;
	}
	sqlite3_reset(rc_->keep);
	sqlite3_bind_text(rc_->keep, 1, rec->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(rc_->keep);
	if (rc != SQLITE_DONE)
		return store_fail(st, rec->name, "cannot reconcile the record", rc);
	return 0;
}

int store_reconcile_config(store_t *st, const store_conf_record_t *recs, size_t n,
                           store_names_t *touched)
{
	store_reconcile_t r = { .touched = touched };
	int err = store_begin(st);
	if (err)
		return err;
	/* The names to keep go to a temporary table, so removing the others
	 * is one statement whatever the number of records. */
	err = store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS reconcile_keep"
	                 " (name TEXT PRIMARY KEY) WITHOUT ROWID;"
	                 "DELETE FROM temp.reconcile_keep", "cannot reconcile");
	if (err)
		goto out;
	static const char *const sql[4] = {
		"INSERT INTO records (name, provider, key_hash, lan_ipv4, lan_ipv6, source)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 'config')",
		"UPDATE records SET provider = ?2, key_hash = ?3, lan_ipv4 = ?4,"
		" lan_ipv6 = ?5, source = 'config' WHERE name = ?1",
		"INSERT OR IGNORE INTO temp.reconcile_keep (name) VALUES (?1)",
		"DELETE FROM records WHERE source = 'config' AND name NOT IN"
		" (SELECT name FROM temp.reconcile_keep) RETURNING name",
	};
	sqlite3_stmt **stmts[4] = { &r.insert, &r.update, &r.keep, &r.remove };
	for (int i = 0; i < 4; i++) {
		int rc = sqlite3_prepare_v2(st->db, sql[i], -1, stmts[i], NULL);
		if (rc != SQLITE_OK) {
			err = store_fail(st, NULL, "cannot reconcile", rc);
			goto out;
		}
	}
	for (size_t i = 0; i < n && !err; i++)
		err = store_reconcile_one(st, &r, &recs[i]);
	int removed = 0, rc = SQLITE_DONE;
	while (!err && (rc = sqlite3_step(r.remove)) == SQLITE_ROW) {
		removed++;
		if (touched != NULL)
			err = store_names_add(touched,
			                      (const char *)sqlite3_column_text(r.remove, 0));
	}
	if (!err && rc != SQLITE_DONE)
		err = store_fail(st, NULL, "cannot remove old config records", rc);
	if (!err)
		err = store_exec(st, "DELETE FROM temp.reconcile_keep", "cannot reconcile");
	if (!err && (r.added || r.changed || removed))
		log_info(st->path, "store: config records: %u added, %u changed, %d removed",
		         r.added, r.changed, removed);
out:
	sqlite3_finalize(r.insert);
	sqlite3_finalize(r.update);
	sqlite3_finalize(r.keep);
	sqlite3_finalize(r.remove);
	return store_end(st, err);
}
