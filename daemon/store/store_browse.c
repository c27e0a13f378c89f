/* The reads of the web admin's pages: see store_admin.h.  Each is written
 * to walk an index and stop at its limit, so a page costs the same with a
 * million records as with ten (tests/bench/admin.sh measures it). */
#include "store_int.h"
#include "store_admin.h"

#include <errno.h>
#include <string.h>

#include "log.h"

/* One step of a keyset page: run @p sql (?1 time, ?2 name, ?3 search,
 * ?4 limit) and hand each row to @p cb. */
static int page_run(store_t *st, const char *sql, const store_cursor_t *from,
                    const char *search, int limit,
                    int (*cb)(const store_record_t *rec, void *arg), void *arg,
                    int *n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, "cannot read a page of records", rc);
	sqlite3_bind_int64(s, 1, from->last_change);
	sqlite3_bind_text(s, 2, from->name, -1, SQLITE_STATIC);
	if (search != NULL && search[0] != '\0')
		sqlite3_bind_text(s, 3, search, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, limit);
	int err = 0;
	store_record_t r;
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_record_read(s, &r);
		(*n)++;
		err = cb(&r, arg);
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = store_fail(st, NULL, "cannot read a page of records", rc);
	sqlite3_finalize(s);
	return err;
}

/* A page's statement: the rows of records_last_change matching @p where
 * (with the search, ?3), in order, at most ?4.  A search is judged on the
 * index alone (it covers name and last_change), and only the rows of the
 * page are read from the table: a rare substring walks the index, not
 * every record. */
#define PAGE_SQL(where) \
	"SELECT " STORE_RECORD_COLUMNS " FROM records WHERE name IN" \
	" (SELECT name FROM records INDEXED BY records_last_change WHERE " where \
	"  AND (?3 IS NULL OR instr(name, ?3) > 0)" \
	"  ORDER BY last_change DESC, name LIMIT ?4)" \
	" ORDER BY last_change DESC, name"

int store_record_page(store_t *st, const store_cursor_t *from, const char *search,
                      int limit, int (*cb)(const store_record_t *rec, void *arg),
                      void *arg)
{
	/* Two range scans of records_last_change instead of one OR, which
	 * sqlite would not seek: the rest of the cursor's second, then the
	 * older ones. */
	int n = 0, err = 0;
	store_cursor_t top = { .first = true, .last_change = INT64_MAX };
	if (from == NULL || from->first) {
		from = &top;
	} else {
		err = page_run(st, PAGE_SQL("last_change = ?1 AND name > ?2"),
		               from, search, limit, cb, arg, &n);
	}
	if (err == 0 && n < limit)
		err = page_run(st, PAGE_SQL("last_change < ?1"), from, search, limit - n, cb,
		               arg, &n);
	return err != 0 ? err : n;
}

int store_history_hourly(store_t *st, int64_t since, int hours, uint32_t *counts,
                         uint32_t *failed)
{
	memset(counts, 0, sizeof(*counts) * (size_t)hours);
	memset(failed, 0, sizeof(*failed) * (size_t)hours);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
		"SELECT (time - ?1) / 3600, count(*), sum(result <> 'applied') FROM history"
		" INDEXED BY history_time"
		" WHERE time >= ?1 AND time < ?2 AND family <> '" STORE_FAMILY_ADMIN "'"
		" GROUP BY 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, "cannot count the history", rc);
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, since + (int64_t)hours * 3600);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(s, 0);
		if (i >= 0 && i < hours) {
			counts[i] = (uint32_t)sqlite3_column_int64(s, 1);
			failed[i] = (uint32_t)sqlite3_column_int64(s, 2);
		}
	}
	int err = rc == SQLITE_DONE ? 0 : store_fail(st, NULL, "cannot count the history", rc);
	sqlite3_finalize(s);
	return err;
}

int store_attempts_recent(store_t *st, int limit,
                          int (*cb)(const store_attempt_t *a, void *arg), void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
		"SELECT h.id, h.time, h.name, h.family, h.old_ip, h.new_ip, h.client,"
		" h.result, h.message, coalesce(r.provider, '') FROM history h"
		" LEFT JOIN records r ON r.name = h.name"
		" WHERE h.family <> '" STORE_FAMILY_ADMIN "'"
		" ORDER BY h.id DESC LIMIT ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail(st, NULL, "cannot read the history", rc);
	sqlite3_bind_int(s, 1, limit);
	int err = 0;
	store_attempt_t a;
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.h.id = sqlite3_column_int64(s, 0);
		a.h.time = sqlite3_column_int64(s, 1);
		store_column_text(s, 2, a.h.name, sizeof(a.h.name));
		store_column_text(s, 3, a.h.family, sizeof(a.h.family));
		store_column_text(s, 4, a.h.old_ip, sizeof(a.h.old_ip));
		store_column_text(s, 5, a.h.new_ip, sizeof(a.h.new_ip));
		store_column_text(s, 6, a.h.client, sizeof(a.h.client));
		const unsigned char *w = sqlite3_column_text(s, 7);
		if (w == NULL || ddns_outcome_parse((const char *)w, &a.h.result) != 0)
			a.h.result = DDNS_OUTCOME_FAILED;
		store_column_text(s, 8, a.h.message, sizeof(a.h.message));
		store_column_text(s, 9, a.provider, sizeof(a.provider));
		err = cb(&a, arg);
	}
	if (err == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_fail(st, NULL, "cannot read the history", rc);
	sqlite3_finalize(s);
	return err;
}
