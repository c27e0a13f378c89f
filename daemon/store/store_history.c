/* History rows of the store: see store.h. */
#include "store_int.h"

#include <errno.h>
#include <string.h>

#include "log.h"

#define STORE_HISTORY_SELECT \
	"SELECT id, time, name, family, old_ip, new_ip, client, result, message FROM history"

static const char store_history_insert_sql[] =
	"INSERT INTO history (time, name, family, old_ip, new_ip, client, result, message)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

int store_history_insert(store_t *st, const store_history_t *h)
{
	if (!ddns_outcome_recorded(h->result)) {
		log_err(h->name, "store: history row with outcome %s refused",
		        ddns_outcome_name(h->result));
		return -EINVAL;
	}
	int err = store_prepare(st, &st->stmt_history_add, store_history_insert_sql);
	if (err)
		return err;
	sqlite3_stmt *s = st->stmt_history_add;
	sqlite3_bind_int64(s, 1, h->time);
	sqlite3_bind_text(s, 2, h->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, h->family, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, h->old_ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, h->new_ip, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, h->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, ddns_outcome_name(h->result), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, h->message, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		err = store_fail(st, h->name, "cannot add a history row", rc);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s); /* the bound strings are the caller's */
	return err;
}

int store_add_history(store_t *st, const store_history_t *h)
{
	return store_history_insert(st, h);
}

int store_history_foreach(store_t *st, const char *name, int limit,
                          int (*cb)(const store_history_t *h, void *arg), void *arg)
{
	/* id breaks ties between rows of the same second: newest first.  Two
	 * texts, so that the one for a name walks the (name, time) index. */
	const char *sql = name != NULL
		? STORE_HISTORY_SELECT " WHERE name = ?1 ORDER BY time DESC, id DESC LIMIT ?2"
		: STORE_HISTORY_SELECT " ORDER BY time DESC, id DESC LIMIT ?2";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, name, "cannot read history", rc);
	if (name != NULL)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit < 0 ? -1 : limit);
	int err = 0;
	store_history_t h;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		h.id = sqlite3_column_int64(s, 0);
		h.time = sqlite3_column_int64(s, 1);
		store_column_text(s, 2, h.name, sizeof(h.name));
		store_column_text(s, 3, h.family, sizeof(h.family));
		store_column_text(s, 4, h.old_ip, sizeof(h.old_ip));
		store_column_text(s, 5, h.new_ip, sizeof(h.new_ip));
		store_column_text(s, 6, h.client, sizeof(h.client));
		const char *result = (const char *)sqlite3_column_text(s, 7);
		if (result == NULL || ddns_outcome_parse(result, &h.result) != 0)
			h.result = DDNS_OUTCOME_FAILED; /* the CHECK makes this unreachable */
		store_column_text(s, 8, h.message, sizeof(h.message));
		err = cb(&h, arg);
		if (err)
			goto out;
	}
	if (rc != SQLITE_DONE)
		err = store_fail(st, name, "cannot read history", rc);
out:
	sqlite3_finalize(s);
	return err;
}
