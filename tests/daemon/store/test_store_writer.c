/* Unit tests for the store writer (daemon/store_writer.c): writes off the
 * loop with group commit, on real sqlite files, with a real libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "store.h"
#include "store_writer.h"

#define HASH_A "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define N_BURST 100

typedef struct fixture {
	char dir[64];
	char path[96];
	uv_loop_t loop;
	store_t *st;          /* the loop's own connection, for reading back */
	store_writer_t *w;
	sqlite3 *other;       /* another process's connection, to hold the lock */
	int results[N_BURST];
	int n_done;
	bool stopped;
	bool ticked;          /* a timer ran while a write waited */
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/ddns-test-writer.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/ddns.sqlite", f->dir);
	if (uv_loop_init(&f->loop) != 0 || store_open(f->path, &f->st) != 0)
		return -1;
	for (int i = 0; i < N_BURST; i++) {
		store_record_t r;
		memset(&r, 0, sizeof(r));
		snprintf(r.name, sizeof(r.name), "h%d.example.com", i);
		snprintf(r.provider, sizeof(r.provider), "p");
		snprintf(r.key_hash, sizeof(r.key_hash), "%s", HASH_A);
		r.source = STORE_SRC_CTL;
		if (store_record_add(f->st, &r) != 0)
			return -1;
	}
	/* as ddnsd at start: what is in the store now is read whole */
	if (store_changes_forget(f->st) != 0)
		return -1;
	if (store_writer_start(&f->loop, f->path, true, &f->w) != 0)
		return -1;
	if (sqlite3_open(f->path, &f->other) != SQLITE_OK)
		return -1;
	*state = f;
	return 0;
}

static void stopped_cb(void *arg)
{
	((fixture_t *)arg)->stopped = true;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	if (f->w != NULL) {
		store_writer_stop(f->w, stopped_cb, f);
		uv_run(&f->loop, UV_RUN_DEFAULT);
		assert_true(f->stopped);
	}
	/* nothing left open: every handle was closed */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sqlite3_close(f->other);
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

typedef struct slot {
	fixture_t *f;
	int i;
} slot_t;

static slot_t slots[N_BURST];

static void done_cb(int err, void *arg)
{
	slot_t *s = arg;
	s->f->results[s->i] = err;
	s->f->n_done++;
}

static void run_until_done(fixture_t *f, int n)
{
	while (f->n_done < n)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static int queue_update(fixture_t *f, int i, const char *ip, uint64_t deadline)
{
	char name[64];
	slots[i] = (slot_t){ f, i };
	f->results[i] = 1;
	snprintf(name, sizeof(name), "h%d.example.com", i);
	return store_writer_commit_update(f->w, name, ip, NULL, 1700000000, "192.0.2.9",
	                                  "ok", deadline, done_cb, &slots[i]);
}

static void test_update_committed(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(queue_update(f, 0, "198.51.100.1", 0), 0);
	assert_int_equal(f->n_done, 0); /* never inside the call */
	run_until_done(f, 1);
	assert_int_equal(f->results[0], 0);
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h0.example.com", &r), 0);
	assert_string_equal(r.ipv4, "198.51.100.1");
	assert_int_equal(r.last_change, 1700000000);
	assert_int_equal(store_writer_health(f->w), 0);
	assert_int_equal(store_writer_pending(f->w), 0);
}

/* While another connection holds the lock, writes pile up; once it is
 * released they go in one transaction (the first may have gone alone). */
static void test_group_commit(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(sqlite3_exec(f->other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < N_BURST; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		assert_int_equal(queue_update(f, i, ip, uv_now(&f->loop) + 10000), 0);
	}
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->n_done, 0); /* all wait for the lock */
	assert_int_equal(sqlite3_exec(f->other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	run_until_done(f, N_BURST);
	uint64_t commits, failures, writes;
	store_writer_counts(f->w, &commits, &failures, &writes);
	assert_int_equal(writes, N_BURST);
	assert_int_equal(failures, 0);
	assert_in_range(commits, 1, 2);
	for (int i = 0; i < N_BURST; i++)
		assert_int_equal(f->results[i], 0);
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h99.example.com", &r), 0);
	assert_string_equal(r.ipv4, "203.0.113.100");
}

static void tick_cb(uv_timer_t *t)
{
	fixture_t *f = t->data;
	f->ticked = true;
}

/* A lock held past the deadline: the write fails with -EBUSY at its
 * deadline, and the loop kept running meanwhile. */
static void test_locked_until_deadline(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(sqlite3_exec(f->other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	uv_update_time(&f->loop);
	uint64_t t0 = uv_now(&f->loop);
	assert_int_equal(queue_update(f, 0, "198.51.100.2", t0 + 300), 0);
	uv_timer_t tick;
	uv_timer_init(&f->loop, &tick);
	tick.data = f;
	uv_timer_start(&tick, tick_cb, 20, 0);
	run_until_done(f, 1);
	assert_int_equal(f->results[0], -EBUSY);
	assert_true(f->ticked);
	assert_true(uv_now(&f->loop) - t0 >= 290);
	assert_int_equal(store_writer_health(f->w), -EBUSY);
	uv_close((uv_handle_t *)&tick, NULL);
	assert_int_equal(sqlite3_exec(f->other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	/* and it recovers */
	assert_int_equal(queue_update(f, 1, "198.51.100.3", 0), 0);
	run_until_done(f, 2);
	assert_int_equal(f->results[1], 0);
	assert_int_equal(store_writer_health(f->w), 0);
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h0.example.com", &r), 0);
	assert_string_equal(r.ipv4, ""); /* the refused write left nothing */
}

static store_names_t probed;

static int probe_and_wait(fixture_t *f, int slot)
{
	slots[slot] = (slot_t){ f, slot };
	f->results[slot] = -1000;
	store_names_clear(&probed);
	assert_int_equal(store_writer_probe(f->w, &probed, done_cb, &slots[slot]), 0);
	while (f->results[slot] == -1000) /* other writes may complete first */
		uv_run(&f->loop, UV_RUN_ONCE);
	if (f->results[slot] >= 0)
		assert_int_equal((size_t)f->results[slot], probed.n);
	return f->results[slot];
}

/* The probe sees other connections' commits, exactly: never the writer's
 * own, and each foreign commit once. */
static void test_probe_sees_other_writers(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(probe_and_wait(f, 50), 0);
	assert_int_equal(queue_update(f, 0, "198.51.100.7", 0), 0);
	assert_int_equal(probe_and_wait(f, 51), 0); /* our own commit */
	assert_int_equal(f->results[0], 0);
	assert_int_equal(sqlite3_exec(f->other, "UPDATE records SET lan_ipv4 = '10.0.0.7' "
	                              "WHERE name = 'h1.example.com'", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(probe_and_wait(f, 52), 1);
	assert_string_equal(probed.names[0], "h1.example.com");
	assert_int_equal(probe_and_wait(f, 53), 0); /* told once */
	store_names_clear(&probed);
}

/* A store that failed reads healthy again after a probe, once it can
 * commit, without waiting for the next update. */
static void test_probe_heals_health(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(sqlite3_exec(f->other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	uv_update_time(&f->loop);
	assert_int_equal(queue_update(f, 0, "198.51.100.2", uv_now(&f->loop) + 100), 0);
	run_until_done(f, 1);
	assert_int_equal(f->results[0], -EBUSY);
	assert_int_equal(store_writer_health(f->w), -EBUSY);
	assert_int_equal(sqlite3_exec(f->other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(probe_and_wait(f, 50), 0);
	assert_int_equal(store_writer_health(f->w), 0);
	store_names_clear(&probed);
}

/* One refused write in a batch does not sink the others. */
static void test_bad_write_alone(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(sqlite3_exec(f->other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	uint64_t dl = uv_now(&f->loop) + 10000;
	assert_int_equal(queue_update(f, 0, "198.51.100.4", dl), 0);
	assert_int_equal(queue_update(f, 1, "198.051.100.4", dl), 0); /* not canonical */
	assert_int_equal(queue_update(f, 2, "198.51.100.6", dl), 0);
	assert_int_equal(sqlite3_exec(f->other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	run_until_done(f, 3);
	assert_int_equal(f->results[0], 0);
	assert_int_equal(f->results[1], -EINVAL);
	assert_int_equal(f->results[2], 0);
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h2.example.com", &r), 0);
	assert_string_equal(r.ipv4, "198.51.100.6");
}

static void barrier_cb(int err, void *arg)
{
	fixture_t *f = arg;
	assert_int_equal(err, 0);
	/* everything queued before the barrier is visible to readers now */
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h5.example.com", &r), 0);
	assert_string_equal(r.ipv4, "198.51.100.5");
	f->n_done++;
}

static void test_barrier_and_background_writes(void **state)
{
	fixture_t *f = *state;
	const char *names[] = { "h3.example.com", "h4.example.com" };
	assert_int_equal(store_writer_touch_seen(f->w, names, 2, 1700000123), 0);
	store_history_t h;
	memset(&h, 0, sizeof(h));
	h.time = 1700000124;
	snprintf(h.name, sizeof(h.name), "h3.example.com");
	snprintf(h.family, sizeof(h.family), "ipv4");
	h.result = DDNS_OUTCOME_FAILED;
	assert_int_equal(store_writer_add_history(f->w, &h, NULL, NULL), 0);
	assert_int_equal(queue_update(f, 5, "198.51.100.5", 0), 0);
	assert_int_equal(store_writer_barrier(f->w, barrier_cb, f), 0);
	run_until_done(f, 2);
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h4.example.com", &r), 0);
	assert_int_equal(r.last_seen, 1700000123);
}

/* Stopping runs what was queued, then closes everything. */
static void test_stop_drains(void **state)
{
	fixture_t *f = *state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(queue_update(f, i, "192.0.2.77", 0), 0);
	store_writer_stop(f->w, stopped_cb, f);
	f->w = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_true(f->stopped);
	assert_int_equal(f->n_done, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(f->results[i], 0);
	store_record_t r;
	assert_int_equal(store_record_get(f->st, "h9.example.com", &r), 0);
	assert_string_equal(r.ipv4, "192.0.2.77");
}

int main(void)
{
	log_setup(DDNS_LOG_ERR, LOG_TARGET_STDERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_until_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_write_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_barrier_and_background_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_sees_other_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_heals_health, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
