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
	sqlite3_stmt *scan, *insert, *update, *remove;
	unsigned added, changed, removed;
	store_names_t *touched;
} store_reconcile_t;

static bool conf_record_valid(const store_conf_record_t *rec)
{
	return rec->name != NULL && rec->name[0] != '\0' && rec->provider != NULL &&
	       rec->key_hash != NULL && key_hash_valid(rec->key_hash);
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const store_conf_record_t *const *)a)->name,
	              (*(const store_conf_record_t *const *)b)->name);
}

static int note_touched(store_reconcile_t *r, const char *name)
{
	return r->touched != NULL ? store_names_add(r->touched, name) : 0;
}

/* Write @p rec: an UPDATE of the row there is, or an INSERT.  A row that is
 * not the config's (ddnsctl's, which the scan does not see) is looked up
 * first: the config takes it over. */
static int reconcile_write(store_t *st, store_reconcile_t *r, const store_conf_record_t *rec,
                           bool config_row)
{
	bool exists = config_row;
	if (!exists) {
		store_record_t old;
		int err = store_record_get(st, rec->name, &old);
		if (err && err != -ENOENT)
			return err;
		exists = err == 0;
		if (exists)
			log_notice(rec->name, "store: ddns.conf takes this record over from ddnsctl");
	}
	sqlite3_stmt *s = exists ? r->update : r->insert;
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, rec->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rec->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rec->key_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, or_empty(rec->lan_ipv4), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, or_empty(rec->lan_ipv6), -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rec->name, "cannot reconcile the record", rc);
	if (exists)
		r->changed++;
	else
		r->added++;
	return note_touched(r, rec->name);
}

/* True when the scan's current row (name, provider, key_hash, lan_ipv4,
 * lan_ipv6) says what @p rec says. */
static bool row_same(sqlite3_stmt *row, const store_conf_record_t *rec)
{
	const char *cols[4] = { rec->provider, rec->key_hash, or_empty(rec->lan_ipv4),
	                        or_empty(rec->lan_ipv6) };
	for (int i = 0; i < 4; i++) {
		const char *v = (const char *)sqlite3_column_text(row, i + 1);
		if (v == NULL || strcmp(v, cols[i]) != 0)
			return false;
	}
	return true;
}

static int reconcile_remove(store_t *st, store_reconcile_t *r, const char *name)
{
	sqlite3_reset(r->remove);
	sqlite3_bind_text(r->remove, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(r->remove);
	if (rc != SQLITE_DONE)
		return store_fail(st, name, "cannot remove the old config record", rc);
	r->removed++;
	return note_touched(r, name);
}

/* What the merge found to do: records to write (and whether a config row of
 * that name exists), names to remove. */
typedef struct reconcile_plan {
	const store_conf_record_t **write;
	bool *config_row;
	size_t n_write;
	store_names_t remove;
} reconcile_plan_t;

/* Walk the config's rows (by name) beside @p v (sorted the same way): a
 * merge, so a reload of 100,000 records is one scan and its changes, not
 * 100,000 look-ups.  It only plans: sqlite leaves undefined what a pending
 * SELECT sees of rows its own connection changes under it. */
static int reconcile_scan(store_t *st, store_reconcile_t *r,
                          const store_conf_record_t *const *v, size_t n,
                          reconcile_plan_t *p)
{
	size_t i = 0;
	int rc = sqlite3_step(r->scan), err = 0;
	while (!err && (rc == SQLITE_ROW || i < n)) {
		const char *row = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(r->scan, 0)
		                                   : NULL;
		int c = row == NULL ? 1 : i == n ? -1 : strcmp(row, v[i]->name);
		if (c < 0) {        /* a row ddns.conf no longer lists */
			err = store_names_add(&p->remove, row);
		} else if (c > 0 || !row_same(r->scan, v[i])) {
			p->config_row[p->n_write] = c == 0;
			p->write[p->n_write++] = v[i];
		}
		if (c >= 0) /* one record per name: a repeated name is written once */
			while (++i < n && strcmp(v[i]->name, v[i - 1]->name) == 0) {}
		if (!err && c <= 0)
			rc = sqlite3_step(r->scan);
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_fail(st, NULL, "cannot read the config records", rc);
	sqlite3_reset(r->scan);
	return err;
}

static int reconcile_merge(store_t *st, store_reconcile_t *r,
                           const store_conf_record_t *const *v, size_t n)
{
	reconcile_plan_t p = { .write = malloc((n ? n : 1) * sizeof(*p.write)),
	                       .config_row = malloc(n ? n : 1) };
	int err = p.write != NULL && p.config_row != NULL ? 0 : -ENOMEM;
	if (!err)
		err = reconcile_scan(st, r, v, n, &p);
	for (size_t i = 0; !err && i < p.n_write; i++)
		err = reconcile_write(st, r, p.write[i], p.config_row[i]);
	for (size_t i = 0; !err && i < p.remove.n; i++)
		err = reconcile_remove(st, r, p.remove.names[i]);
	free(p.write);
	free(p.config_row);
	store_names_clear(&p.remove);
	return err;
}

int store_reconcile_config(store_t *st, const store_conf_record_t *recs, size_t n,
                           store_names_t *touched)
{
	store_reconcile_t r = { .touched = touched };
	for (size_t i = 0; i < n; i++) {
		if (!conf_record_valid(&recs[i])) {
			const char *name = recs[i].name;
			log_err(name != NULL && name[0] != '\0' ? name : st->path,
			        "store: config record without a name, provider or valid key hash");
			return -EINVAL;
		}
	}
	const store_conf_record_t **v = malloc((n ? n : 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = &recs[i];
	qsort(v, n, sizeof(*v), by_name);
	int err = store_begin(st);
	if (err) {
		free(v);
		return err;
	}
	static const char *const sql[4] = {
		"SELECT name, provider, key_hash, lan_ipv4, lan_ipv6 FROM records"
		" WHERE source = 'config' ORDER BY name",
		"INSERT INTO records (name, provider, key_hash, lan_ipv4, lan_ipv6, source)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 'config')",
		"UPDATE records SET provider = ?2, key_hash = ?3, lan_ipv4 = ?4,"
		" lan_ipv6 = ?5, source = 'config' WHERE name = ?1",
		"DELETE FROM records WHERE name = ?1 AND source = 'config'",
	};
	sqlite3_stmt **stmts[4] = { &r.scan, &r.insert, &r.update, &r.remove };
	for (int i = 0; i < 4 && !err; i++) {
		int rc = sqlite3_prepare_v2(st->db, sql[i], -1, stmts[i], NULL);
		if (rc != SQLITE_OK)
			err = store_fail(st, NULL, "cannot reconcile", rc);
	}
	if (!err)
		err = reconcile_merge(st, &r, v, n);
	if (!err && (r.added || r.changed || r.removed))
		log_info(st->path, "store: config records: %u added, %u changed, %u removed",
		         r.added, r.changed, r.removed);
	sqlite3_finalize(r.scan);
	sqlite3_finalize(r.insert);
	sqlite3_finalize(r.update);
	sqlite3_finalize(r.remove);
	free(v);
	return store_end(st, err);
}
