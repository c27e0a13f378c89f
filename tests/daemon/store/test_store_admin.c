/* Unit tests for the web admin's store functions (daemon/store/
 * store_admin.c, store_browse.c) on real sqlite files: accounts, the
 * logged changes and their refusal of ddns.conf's records, keyset pages
 * (every record once, in order, across ties and with a search), the hourly
 * counts and the recent attempts with their providers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_admin.h"

#define HASH_A "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ARGON "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo"

typedef struct fixture {
	char dir[64];
	char path[96];
	store_t *st;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/ddns-test-admin.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/ddns.sqlite", f->dir);
	if (store_open(f->path, &f->st) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	store_close(f->st);
	const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void add(store_t *st, const char *name, int64_t changed, store_source_t src)
{
	store_record_t r = { .last_change = changed, .source = src };
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.provider, sizeof(r.provider), "p%d", (int)(changed % 2));
	snprintf(r.key_hash, sizeof(r.key_hash), "%s", HASH_A);
	assert_int_equal(store_record_add(st, &r), 0);
}

static store_history_t row(const char *name, const char *family, int64_t t,
                           ddns_outcome_t result)
{
	store_history_t h = { .time = t, .result = result };
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.family, sizeof(h.family), "%s", family);
	snprintf(h.message, sizeof(h.message), "m");
	return h;
}

static int count_user(const char *name, int64_t created, void *arg)
{
	(void)created;
	(void)name;
	(*(int *)arg)++;
	return 0;
}

static void test_users(void **state)
{
	fixture_t *f = *state;
	char hash[STORE_ADMIN_HASH_MAX];
	assert_true(store_admin_name_valid("alice@example.org"));
	assert_false(store_admin_name_valid(""));
	assert_false(store_admin_name_valid("a b"));
	assert_false(store_admin_name_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	assert_int_equal(store_admin_user_get(f->st, "alice", hash), -ENOENT);
	assert_int_equal(store_admin_user_set(f->st, "alice", ARGON, 100), 0);
	assert_int_equal(store_admin_user_get(f->st, "alice", hash), 0);
	assert_string_equal(hash, ARGON);
	/* a second set replaces the hash and says so */
	assert_int_equal(store_admin_user_set(f->st, "alice", ARGON "x", 200), 1);
	assert_int_equal(store_admin_user_get(f->st, "alice", hash), 0);
	assert_string_equal(hash, ARGON "x");
	assert_int_equal(store_admin_user_set(f->st, "bad name", ARGON, 1), -EINVAL);
	assert_int_equal(store_admin_user_set(f->st, "bob", ARGON, 1), 0);
	int n = 0;
	assert_int_equal(store_admin_user_foreach(f->st, count_user, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_admin_user_delete(f->st, "bob"), 0);
	assert_int_equal(store_admin_user_delete(f->st, "bob"), -ENOENT);
}

static int count_rows(const store_history_t *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
	return 0;
}

static void test_logged_changes(void **state)
{
	fixture_t *f = *state;
	store_record_t r = { .source = STORE_SRC_CTL };
	snprintf(r.name, sizeof(r.name), "a.example.com");
	snprintf(r.provider, sizeof(r.provider), "demo");
	snprintf(r.key_hash, sizeof(r.key_hash), "%s", HASH_A);
	store_history_t h = row("a.example.com", STORE_FAMILY_ADMIN, 10, DDNS_OUTCOME_APPLIED);
	assert_int_equal(store_admin_record_add(f->st, &r, &h), 0);
	/* a second add fails whole: no history row for it */
	assert_int_equal(store_admin_record_add(f->st, &r, &h), -EEXIST);
	int n = 0;
	assert_int_equal(store_history_foreach(f->st, "a.example.com", -1, count_rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_admin_record_set_key(f->st, "a.example.com",
	                 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	                 &h), 0);
	assert_int_equal(store_admin_record_set_key(f->st, "none.example.com", HASH_A, &h),
	                 -ENOENT);
	/* ddns.conf's records are not the admin's to change */
	add(f->st, "conf.example.com", 0, STORE_SRC_CONFIG);
	assert_int_equal(store_admin_record_set_key(f->st, "conf.example.com", HASH_A, &h),
	                 -EPERM);
	assert_int_equal(store_admin_record_delete(f->st, "conf.example.com", &h), -EPERM);
	assert_int_equal(store_admin_record_delete(f->st, "a.example.com", &h), 0);
	store_record_t got;
	assert_int_equal(store_record_get(f->st, "a.example.com", &got), -ENOENT);
	assert_int_equal(store_record_get(f->st, "conf.example.com", &got), 0);
	n = 0;
	assert_int_equal(store_history_foreach(f->st, "a.example.com", -1, count_rows, &n), 0);
	assert_int_equal(n, 3); /* added, key rotated, deleted */
}

typedef struct walk {
	char names[256][NAME_TEXT_MAX];
	int64_t times[256];
	int n;
} walk_t;

static int walk_cb(const store_record_t *r, void *arg)
{
	walk_t *w = arg;
	assert_true(w->n < 256);
	snprintf(w->names[w->n], NAME_TEXT_MAX, "%s", r->name);
	w->times[w->n] = r->last_change;
	w->n++;
	return 0;
}

/* Page through everything @p limit at a time; every record once, in order. */
static int page_all(store_t *st, const char *search, int limit, walk_t *w)
{
	store_cursor_t c = { .first = true };
	int pages = 0;
	for (;;) {
		int before = w->n;
		int n = store_record_page(st, &c, search, limit, walk_cb, w);
		assert_true(n >= 0);
		assert_int_equal(n, w->n - before);
		pages++;
		if (n < limit)
			return pages;
		c.first = false;
		c.last_change = w->times[w->n - 1];
		snprintf(c.name, sizeof(c.name), "%s", w->names[w->n - 1]);
	}
}

static void test_pages(void **state)
{
	fixture_t *f = *state;
	/* 100 records: many share a second (ties across page boundaries) */
	char name[64];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "h%03d.example.com", (i * 37) % 100);
		add(f->st, name, 1000 + i / 7, STORE_SRC_CTL);
	}
	walk_t *w = calloc(1, sizeof(*w));
	assert_int_equal(page_all(f->st, NULL, 9, w), 12);
	assert_int_equal(w->n, 100);
	for (int i = 1; i < w->n; i++) {
		/* newest first, then by name; no repeats */
		assert_true(w->times[i - 1] > w->times[i] ||
		            (w->times[i - 1] == w->times[i] &&
		             strcmp(w->names[i - 1], w->names[i]) < 0));
	}
	/* a search pages the same way over its matches only: h009 ... h099 */
	memset(w, 0, sizeof(*w));
	assert_int_equal(page_all(f->st, "9.", 4, w), 3);
	assert_int_equal(w->n, 10);
	for (int i = 0; i < w->n; i++)
		assert_non_null(strstr(w->names[i], "9."));
	memset(w, 0, sizeof(*w));
	store_cursor_t top = { .first = true };
	assert_int_equal(store_record_page(f->st, &top, "nomatch", 50, walk_cb, w), 0);
	free(w);
}

typedef struct attempts {
	int n;
	char provider[8][64];
	ddns_outcome_t result[8];
} attempts_t;

static int attempt_cb(const store_attempt_t *a, void *arg)
{
	attempts_t *s = arg;
	snprintf(s->provider[s->n], 64, "%s", a->provider);
	s->result[s->n] = a->h.result;
	s->n++;
	return 0;
}

static void test_hourly_and_attempts(void **state)
{
	fixture_t *f = *state;
	add(f->st, "a.example.com", 1, STORE_SRC_CTL); /* provider p1 */
	const int64_t h0 = 3600 * 1000;
	store_history_t rows[] = {
		row("a.example.com", "ipv4", h0 + 10, DDNS_OUTCOME_APPLIED),
		row("a.example.com", "ipv6", h0 + 20, DDNS_OUTCOME_FAILED),
		row("a.example.com", STORE_FAMILY_ADMIN, h0 + 30, DDNS_OUTCOME_APPLIED),
		row("a.example.com", "ipv4", h0 + 3600 * 2 + 5, DDNS_OUTCOME_APPLIED),
		row("gone.example.com", "ipv4", h0 + 3600 * 2 + 6, DDNS_OUTCOME_TIMEOUT),
		row("a.example.com", "ipv4", h0 - 1, DDNS_OUTCOME_APPLIED), /* before */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(store_add_history(f->st, &rows[i]), 0);
	uint32_t counts[3], failed[3];
	assert_int_equal(store_history_hourly(f->st, h0, 3, counts, failed), 0);
	assert_int_equal(counts[0], 2); /* the admin's row is no attempt */
	assert_int_equal(failed[0], 1);
	assert_int_equal(counts[1], 0);
	assert_int_equal(counts[2], 2);
	assert_int_equal(failed[2], 1);

	attempts_t s = { 0 };
	assert_int_equal(store_attempts_recent(f->st, 3, attempt_cb, &s), 0);
	assert_int_equal(s.n, 3);
	/* newest inserted first; a removed record has no provider */
	assert_string_equal(s.provider[0], "p1");
	assert_string_equal(s.provider[1], "");
	assert_int_equal(s.result[1], DDNS_OUTCOME_TIMEOUT);
	assert_string_equal(s.provider[2], "p1");
}

int main(void)
{
	log_setup(DDNS_LOG_ERR, LOG_TARGET_STDERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logged_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hourly_and_attempts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
