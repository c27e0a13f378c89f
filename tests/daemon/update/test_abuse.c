/* Unit tests for daemon/update/abuse.c: limits, sliding windows, blocks lifted by
 * time, the sweep, the entry cap, and a clean loop close.  Every time is an
 * injected clock (milliseconds) except in the timer test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "abuse.h"

#define S 1000ull /* one second in ms */
#define T0 (1000000 * S)

typedef struct fixture {
	uv_loop_t loop;
	abuse_t *abuse;
} fixture_t;

static const abuse_opts_t default_opts = {
	.max_changes = 3, .change_window_s = 60, .change_block_s = 300,
	.max_auth_failures = 5, .auth_window_s = 600, .auth_block_s = 900,
};

static int setup_with(void **state, const abuse_opts_t *opts)
{
	fixture_t *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(abuse_new(&f->loop, opts, &f->abuse), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, &default_opts);
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	abuse_free(f->abuse);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

static addr_t addr(const char *text)
{
	addr_t a;
	assert_int_equal(addr_parse(text, &a), 0);
	return a;
}

static void test_name_limit_and_block(void **state)
{
	fixture_t *f = *state;
	abuse_t *a = f->abuse;
	const char *n = "a.example.com";

	assert_false(abuse_change_blocked(a, n, T0));
	assert_false(abuse_change_applied(a, n, T0));
	assert_false(abuse_change_applied(a, n, T0 + 10 * S));
	assert_false(abuse_change_blocked(a, n, T0 + 11 * S));
	/* the third change within the window reaches the limit */
	assert_true(abuse_change_applied(a, n, T0 + 20 * S));
	assert_true(abuse_change_blocked(a, n, T0 + 21 * S));
	/* other names are unaffected */
	assert_false(abuse_change_blocked(a, "b.example.com", T0 + 21 * S));
	/* still blocked just before the block time ends, lifted at it */
	assert_true(abuse_change_blocked(a, n, T0 + 20 * S + 300 * S - 1));
	assert_false(abuse_change_blocked(a, n, T0 + 20 * S + 300 * S));
	/* after the block the counters start afresh */
	uint64_t t = T0 + 400 * S;
	assert_false(abuse_change_applied(a, n, t));
	assert_false(abuse_change_applied(a, n, t + S));
	assert_true(abuse_change_applied(a, n, t + 2 * S));
}

/* Changes spread out more than the rate never block (the honest client). */
static void test_name_slow_changes_never_block(void **state)
{
	fixture_t *f = *state;
	for (int i = 0; i < 100; i++) {
		uint64_t t = T0 + (uint64_t)i * 40 * S; /* 1.5 per window < 3 */
		assert_false(abuse_change_blocked(f->abuse, "c.example.com", t));
		assert_false(abuse_change_applied(f->abuse, "c.example.com", t));
	}
}

/* A burst straddling a window edge is still counted: the previous window
 * keeps weight in the sliding estimate, where a fixed window would have
 * started again from one. */
static void test_window_edge_burst(void **state)
{
	fixture_t *f = *state;
	abuse_opts_t o = default_opts;
	o.max_changes = 4;
	abuse_set_opts(f->abuse, &o);
	const char *n = "edge.example.com";
	assert_false(abuse_change_applied(f->abuse, n, T0)); /* window [T0, T0+60) */
	assert_false(abuse_change_applied(f->abuse, n, T0 + 57 * S));
	assert_false(abuse_change_applied(f->abuse, n, T0 + 58 * S));
	/* next window: 1 + 3 * 59/60 = 3.95 */
	assert_false(abuse_change_applied(f->abuse, n, T0 + 61 * S));
	/* 2 + 3 * 58/60 = 4.9: four changes within the last 60 s */
	assert_true(abuse_change_applied(f->abuse, n, T0 + 62 * S));
}

/* Old windows stop counting: a full window later the earlier events weigh
 * less, two windows later nothing. */
static void test_window_decay(void **state)
{
	fixture_t *f = *state;
	const char *n = "decay.example.com";
	assert_false(abuse_change_applied(f->abuse, n, T0));
	assert_false(abuse_change_applied(f->abuse, n, T0 + S));
	/* 45 s into the next window: 2 * 15/60 = 0.5, +1 -> 1.5 < 3 */
	assert_false(abuse_change_applied(f->abuse, n, T0 + 105 * S));
	/* next window: only the one at 105 s still weighs (1 * 10/60) */
	assert_false(abuse_change_applied(f->abuse, n, T0 + 170 * S));
	assert_false(abuse_change_blocked(f->abuse, n, T0 + 171 * S));
}

static void test_source_limit(void **state)
{
	fixture_t *f = *state;
	abuse_t *a = f->abuse;
	addr_t bad = addr("198.51.100.7");
	addr_t other = addr("198.51.100.8");

	for (int i = 0; i < 4; i++) {
		assert_false(abuse_source_throttled(a, &bad, T0 + (uint64_t)i * S));
		assert_false(abuse_auth_failed(a, &bad, T0 + (uint64_t)i * S));
	}
	assert_true(abuse_auth_failed(a, &bad, T0 + 4 * S));
	assert_true(abuse_source_throttled(a, &bad, T0 + 5 * S));
	/* failures while blocked do not extend the block */
	assert_true(abuse_auth_failed(a, &bad, T0 + 600 * S));
	assert_false(abuse_source_throttled(a, &other, T0 + 5 * S));
	assert_true(abuse_source_throttled(a, &bad, T0 + 4 * S + 900 * S - 1));
	assert_false(abuse_source_throttled(a, &bad, T0 + 4 * S + 900 * S));
	/* a v4-mapped IPv6 address is the same source */
	assert_false(abuse_auth_failed(a, &other, T0));
	addr_t mapped = addr("::ffff:198.51.100.8");
	for (int i = 1; i < 4; i++)
		assert_false(abuse_auth_failed(a, &mapped, T0 + (uint64_t)i * S));
	assert_true(abuse_auth_failed(a, &other, T0 + 4 * S));
}

/* IPv6 sources are counted per /64. */
static void test_source_ipv6_prefix(void **state)
{
	fixture_t *f = *state;
	abuse_t *a = f->abuse;
	char text[ADDR_TEXT_MAX];
	for (int i = 1; i <= 4; i++) {
		snprintf(text, sizeof(text), "2001:db8:1:2::%x", i);
		addr_t x = addr(text);
		assert_false(abuse_auth_failed(a, &x, T0));
	}
	addr_t last = addr("2001:db8:1:2:ffff::1");
	assert_true(abuse_auth_failed(a, &last, T0));
	addr_t same_net = addr("2001:db8:1:2::99");
	addr_t next_net = addr("2001:db8:1:3::1");
	assert_true(abuse_source_throttled(a, &same_net, T0 + S));
	assert_false(abuse_source_throttled(a, &next_net, T0 + S));
}

static void test_disabled_limits(void **state)
{
	fixture_t *f = *state;
	abuse_opts_t off = default_opts;
	off.max_changes = 0;
	off.max_auth_failures = 0;
	abuse_set_opts(f->abuse, &off);
	addr_t x = addr("203.0.113.1");
	for (int i = 0; i < 50; i++) {
		assert_false(abuse_change_applied(f->abuse, "d.example.com", T0));
		assert_false(abuse_auth_failed(f->abuse, &x, T0));
	}
	assert_false(abuse_change_blocked(f->abuse, "d.example.com", T0));
	assert_false(abuse_source_throttled(f->abuse, &x, T0));
	assert_int_equal(abuse_entries(f->abuse), 0);
}

/* Reloading keeps the counts; a lower limit applies to the next event. */
static void test_set_opts_keeps_counts(void **state)
{
	fixture_t *f = *state;
	assert_false(abuse_change_applied(f->abuse, "e.example.com", T0));
	abuse_opts_t o = default_opts;
	o.max_changes = 2;
	abuse_set_opts(f->abuse, &o);
	assert_true(abuse_change_applied(f->abuse, "e.example.com", T0 + S));
}

static void test_sweep_frees_expired(void **state)
{
	fixture_t *f = *state;
	abuse_t *a = f->abuse;
	addr_t x = addr("192.0.2.1");
	assert_false(abuse_change_applied(a, "f.example.com", T0));
	for (int i = 0; i < 5; i++)
		abuse_auth_failed(a, &x, T0);
	addr_t y = addr("192.0.2.2");
	assert_false(abuse_auth_failed(a, &y, T0));
	assert_int_equal(abuse_entries(a), 3);

	/* the name's counters matter for two windows (120 s) */
	abuse_sweep(a, T0 + 119 * S);
	assert_int_equal(abuse_entries(a), 3);
	abuse_sweep(a, T0 + 120 * S);
	assert_int_equal(abuse_entries(a), 2);
	/* 192.0.2.1 is blocked for 900 s; 192.0.2.2 counts for 2 * 600 s */
	abuse_sweep(a, T0 + 899 * S);
	assert_int_equal(abuse_entries(a), 2);
	assert_true(abuse_source_throttled(a, &x, T0 + 899 * S));
	abuse_sweep(a, T0 + 900 * S);
	assert_int_equal(abuse_entries(a), 1);
	abuse_sweep(a, T0 + 1199 * S);
	assert_int_equal(abuse_entries(a), 1);
	abuse_sweep(a, T0 + 1200 * S);
	assert_int_equal(abuse_entries(a), 0);
	assert_false(abuse_source_throttled(a, &x, T0 + 1200 * S));
}

/* The table never holds more than max_entries: the oldest goes first. */
static void test_entry_cap(void **state)
{
	abuse_opts_t o = default_opts;
	o.max_entries = 1000;
	fixture_t *f;
	setup_with(state, &o);
	f = *state;
	char name[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "h%d.example.com", i);
		abuse_change_applied(f->abuse, name, T0);
		abuse_change_applied(f->abuse, name, T0);
	}
	assert_int_equal(abuse_entries(f->abuse), 1000);
	/* h4999 is recent and kept its count of 2: one more blocks it */
	assert_true(abuse_change_applied(f->abuse, "h4999.example.com", T0));
	/* h0 was evicted: it starts from nothing */
	assert_false(abuse_change_applied(f->abuse, "h0.example.com", T0));
	teardown(state);
}

static void sweep_wait_cb(uv_timer_t *t)
{
	(void)t; /* only keeps the loop alive past the sweep period */
}

/* The sweep timer runs by itself on the loop's clock. */
static void test_sweep_timer(void **state)
{
	abuse_opts_t o = default_opts;
	o.change_window_s = 1;
	o.change_block_s = 1;
	fixture_t *f;
	setup_with(state, &o);
	f = *state;
	uv_update_time(&f->loop);
	uint64_t now = uv_now(&f->loop);
	assert_false(abuse_change_applied(f->abuse, "g.example.com", now));
	assert_int_equal(abuse_entries(f->abuse), 1);
	uv_timer_t wait;
	assert_int_equal(uv_timer_init(&f->loop, &wait), 0);
	assert_int_equal(uv_timer_start(&wait, sweep_wait_cb, 2500, 0), 0);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(abuse_entries(f->abuse), 0);
	uv_close((uv_handle_t *)&wait, NULL);
	teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_name_limit_and_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_slow_changes_never_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_edge_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_decay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_ipv6_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_opts_keeps_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_frees_expired, setup, teardown),
		cmocka_unit_test(test_entry_cap),
		cmocka_unit_test(test_sweep_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
