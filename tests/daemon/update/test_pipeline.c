/* pipeline: the real dummy plugin through provider.c, a temporary store.
 *
 * Providers: ok (succeeds), slow (150 ms), stuck (10 s, past the 1 s
 * deadline), bad (fails with a message), half (100 ms, applies A and
 * fails AAAA). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abuse.h"
#include "conf.h"
#include "http_client.h"
#include "pipeline.h"
#include "provider.h"
#include "store.h"

#define KEY "Zx8Qp2Lm5Nv7Rt1Yu4Io9Pa3Sd6Fg0Hj2Kl5Zx8Cv1Bn4Mq7W"
#define MAX_RES 16

typedef struct res {
	pipeline_status_t status;
	char ipv4[ADDR_TEXT_MAX], ipv6[ADDR_TEXT_MAX], message[128];
	bool c4, c6;
	bool f4, f6; /* failed_ipv4/6 */
	pipeline_status_t fst;
	int64_t last_change;
	uint64_t at; /* uv_now() when it completed */
	int order;
} res_t;

typedef struct fx {
	uv_loop_t loop;
	char dir[64], conf_path[96], db_path[96];
	conf_t *conf;
	store_t *store;
	store_writer_t *writer;
	http_client_t *http;
	provider_t *prov[8];
	size_t n_prov;
	pipeline_t *p;
	res_t res[MAX_RES];
	int done;
} fx_t;

static fx_t *cur; /* the running test's fixture, for done_cb */

static provider_t *lookup(const char *name, void *arg)
{
	fx_t *f = arg;
	for (size_t i = 0; i < f->n_prov; i++)
		if (strcmp(provider_name(f->prov[i]), name) == 0)
			return f->prov[i];
	return NULL;
}

static void add_record(fx_t *f, const char *name, const char *provider)
{
	store_record_t rec = { .source = STORE_SRC_CTL };
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.provider, sizeof(rec.provider), "%s", provider);
	assert_int_equal(key_hash(KEY, strlen(KEY), rec.key_hash), 0);
	assert_int_equal(store_record_add(f->store, &rec), 0);
}

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	char err[512] = "";
	const char *plugins = getenv("DDNS_TEST_PLUGIN_DIR");
	assert_non_null(plugins);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ddns-pipeline.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->conf_path, sizeof(f->conf_path), "%s/ddns.conf", f->dir);
	snprintf(f->db_path, sizeof(f->db_path), "%s/ddns.sqlite", f->dir);
	FILE *c = fopen(f->conf_path, "w");
	assert_non_null(c);
	fprintf(c, "http = { listen = [ \"127.0.0.1:0\" ]; };\n"
	           "database = \"%s\";\nplugin_dir = \"%s\";\n"
	           "providers = {\n"
	           "  ok = { plugin = \"dummy\"; };\n"
	           "  slow = { plugin = \"dummy\"; delay_ms = 150; };\n"
	           "  stuck = { plugin = \"dummy\"; delay_ms = 10000; };\n"
	           "  bad = { plugin = \"dummy\"; fail = \"zone is locked\"; };\n"
	           "  half = { plugin = \"dummy\"; fail_family = \"AAAA\"; delay_ms = 100; };\n"
	           "};\n", f->db_path, plugins);
	fclose(c);
	assert_int_equal(conf_load(f->conf_path, plugins, &f->conf, err, sizeof(err)), 0);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(store_open(f->db_path, &f->store), 0);
	assert_int_equal(store_writer_start(&f->loop, f->db_path, true, &f->writer), 0);
	assert_int_equal(http_client_new(&f->loop, &f->http), 0);
	provider_env_t env = { .loop = &f->loop, .http = f->http, .store = f->store };
	for (size_t i = 0; i < f->conf->n_providers; i++) {
		int rc = provider_create(&env, f->conf, &f->conf->providers[i],
		                         &f->prov[f->n_prov], err, sizeof(err));
		if (rc != 0)
			fail_msg("provider_create: %s", err);
		f->n_prov++;
	}
	add_record(f, "a.example.com", "ok");
	add_record(f, "s.example.com", "slow");
	add_record(f, "t.example.com", "stuck");
	add_record(f, "b.example.com", "bad");
	add_record(f, "h.example.com", "half");
	pipeline_opts_t o = { .update_timeout_ms = 1000, .auth_fail_delay_ms = 200 };
	assert_int_equal(pipeline_new(&f->loop, f->store, f->writer, lookup, f, &o, &f->p), 0);
	*state = cur = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	char cmd[128];
	pipeline_free(f->p);
	for (size_t i = 0; i < f->n_prov; i++) {
		provider_cancel_all(f->prov[i]);
		provider_unref(f->prov[i]);
	}
	http_client_free(f->http);
	store_writer_stop(f->writer, NULL, NULL);
	while (uv_run(&f->loop, UV_RUN_DEFAULT) != 0)
		; /* done_cb's uv_stop() may end a run early */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	store_close(f->store);
	conf_free(f->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void done_cb(const pipeline_result_t *r, void *arg)
{
	res_t *out = arg;
	fx_t *f = cur;
	out->status = r->status;
	snprintf(out->ipv4, sizeof(out->ipv4), "%s", r->ipv4);
	snprintf(out->ipv6, sizeof(out->ipv6), "%s", r->ipv6);
	snprintf(out->message, sizeof(out->message), "%s", r->message);
	out->c4 = r->changed_ipv4;
	out->c6 = r->changed_ipv6;
	out->f4 = r->failed_ipv4;
	out->f6 = r->failed_ipv6;
	out->fst = r->failed_status;
	out->last_change = r->last_change;
	out->at = uv_now(&f->loop);
	out->order = f->done++;
	/* wait_done's uv_run(UV_RUN_ONCE) returns now: a result that came
	 * in the timers phase must not then wait in the poll for the next
	 * timer (an abuse block's end, seconds later) */
	uv_stop(&f->loop);
}

/* Submit; the result lands in f->res[i]. */
static void submit(fx_t *f, int i, const char *name, const char *key,
                   const char *v4, const char *v6)
{
	pipeline_request_t req = { .name = name, .key = key, .key_len = strlen(key),
	                           .ipv4 = v4, .ipv6 = v6, .client = "192.0.2.1" };
	f->res[i].status = -1;
	assert_int_equal(pipeline_submit(f->p, &req, done_cb, &f->res[i]), 0);
}

static void wait_done(fx_t *f, int n)
{
	uint64_t start = uv_now(&f->loop);
	while (f->done < n && uv_now(&f->loop) - start < 20000)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->done, n);
}

typedef struct hcount {
	int applied, failed, timeout, abuse;
	char last_new[ADDR_TEXT_MAX], last_msg[512];
} hcount_t;

static int hist_cb(const store_history_t *h, void *arg)
{
	hcount_t *c = arg;
	if (h->result == DDNS_OUTCOME_APPLIED) {
		if (c->applied++ == 0) /* newest first */
			snprintf(c->last_new, sizeof(c->last_new), "%s", h->new_ip);
	} else if (h->result == DDNS_OUTCOME_FAILED) {
		c->failed++;
		snprintf(c->last_msg, sizeof(c->last_msg), "%s", h->message);
	} else if (h->result == DDNS_OUTCOME_TIMEOUT) {
		c->timeout++;
	} else if (h->result == DDNS_OUTCOME_ABUSE) {
		c->abuse++;
	}
	return 0;
}

static void flushed_cb(int err, void *arg)
{
	assert_int_equal(err, 0);
	*(bool *)arg = true;
}

/* Run the loop until every write queued so far is committed (abuse rows
 * and last_seen are written in the background). */
static void writes_committed(fx_t *f)
{
	bool flushed = false;
	assert_int_equal(store_writer_barrier(f->writer, flushed_cb, &flushed), 0);
	while (!flushed)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static hcount_t history(fx_t *f, const char *name)
{
	hcount_t c = { 0 };
	writes_committed(f);
	assert_int_equal(store_history_foreach(f->store, name, 100, hist_cb, &c), 0);
	return c;
}

static void test_changed_then_unchanged(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "a.example.com", KEY, "203.0.113.7", NULL);
	assert_int_equal(f->done, 0); /* never from inside submit */
	wait_done(f, 1);
	assert_int_equal(f->res[0].status, PIPELINE_CHANGED);
	assert_string_equal(f->res[0].ipv4, "203.0.113.7");
	assert_true(f->res[0].c4);
	assert_false(f->res[0].c6);
	assert_true(f->res[0].last_change > 0);
	assert_int_equal(store_record_get(f->store, "a.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "203.0.113.7");
	assert_int_equal(history(f, "a.example.com").applied, 1);

	submit(f, 1, "a.example.com", KEY, "203.0.113.7", NULL);
	assert_int_equal(f->done, 1);
	wait_done(f, 2);
	assert_int_equal(f->res[1].status, PIPELINE_UNCHANGED);
	assert_int_equal(f->res[1].last_change, f->res[0].last_change);
	assert_int_equal(history(f, "a.example.com").applied, 1);

	/* last_seen is batched, and written by a flush. */
	pipeline_flush(f->p);
	writes_committed(f);
	assert_int_equal(store_record_get(f->store, "a.example.com", &rec), 0);
	assert_true(rec.last_seen > 0);
}

static void test_v4_v6_independent(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "a.example.com", KEY, "198.51.100.1", NULL);
	wait_done(f, 1);
	submit(f, 1, "a.example.com", KEY, NULL, "2001:db8::7");
	wait_done(f, 2);
	assert_int_equal(f->res[1].status, PIPELINE_CHANGED);
	assert_false(f->res[1].c4);
	assert_true(f->res[1].c6);
	assert_string_equal(f->res[1].ipv4, "198.51.100.1");
	assert_string_equal(f->res[1].ipv6, "2001:db8::7");
	submit(f, 2, "a.example.com", KEY, "198.51.100.2", NULL);
	wait_done(f, 3);
	assert_int_equal(store_record_get(f->store, "a.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "198.51.100.2");
	assert_string_equal(rec.ipv6, "2001:db8::7");
}

/* Wrong key and unknown name: same outcome, both after the delay, and a
 * good request submitted after them is answered first. */
static void test_auth_failure_delay(void **state)
{
	fx_t *f = *state;
	/* 2 s: the good request's durable commit (an fsync, slow on a busy
	 * disk) must still come well before the delay ends */
	pipeline_opts_t o = { .update_timeout_ms = 1000, .auth_fail_delay_ms = 2000 };
	pipeline_set_opts(f->p, &o);
	uint64_t t0 = uv_now(&f->loop);
	submit(f, 0, "a.example.com", "wrong-key-wrong-key", "192.0.2.9", NULL);
	submit(f, 1, "nosuch.example.com", KEY, "192.0.2.9", NULL);
	submit(f, 2, "a.example.com", KEY, "192.0.2.10", NULL);
	wait_done(f, 3);
	assert_int_equal(f->res[0].status, PIPELINE_AUTH_FAILED);
	assert_int_equal(f->res[1].status, PIPELINE_AUTH_FAILED);
	assert_int_equal(f->res[2].status, PIPELINE_CHANGED);
	assert_int_equal(f->res[2].order, 0);
	assert_true(f->res[0].at - t0 >= 1990);
	assert_true(f->res[1].at - t0 >= 1990);
	assert_string_equal(f->res[0].ipv4, "");
	assert_int_equal(history(f, "a.example.com").applied, 1);
}

static void test_provider_failure(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "b.example.com", KEY, "192.0.2.44", NULL);
	wait_done(f, 1);
	assert_int_equal(f->res[0].status, PIPELINE_PROVIDER_FAILED);
	assert_non_null(strstr(f->res[0].message, "zone is locked"));
	assert_int_equal(store_record_get(f->store, "b.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, ""); /* nothing recorded as applied */
	assert_int_equal(rec.last_change, 0);
	hcount_t h = history(f, "b.example.com");
	assert_int_equal(h.failed, 1);
	assert_int_equal(h.applied, 0);
	assert_non_null(strstr(h.last_msg, "zone is locked"));
}

static void test_timeout(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "t.example.com", KEY, "192.0.2.45", NULL);
	wait_done(f, 1);
	assert_int_equal(f->res[0].status, PIPELINE_TIMEOUT);
	assert_int_equal(store_record_get(f->store, "t.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "");
	hcount_t h = history(f, "t.example.com");
	assert_int_equal(h.timeout, 1);
	assert_int_equal(h.applied, 0);
}

/* Three requests at once on one slow record: the first goes out, the other
 * two wait and are merged (the latest wins): two provider calls. */
static void test_coalescing(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "s.example.com", KEY, "192.0.2.1", NULL);
	submit(f, 1, "s.example.com", KEY, "192.0.2.2", NULL);
	submit(f, 2, "s.example.com", KEY, "192.0.2.3", "2001:db8::3");
	assert_int_equal(pipeline_pending(f->p), 3);
	wait_done(f, 3);
	assert_int_equal(pipeline_pending(f->p), 0);
	assert_int_equal(f->res[0].status, PIPELINE_CHANGED);
	assert_string_equal(f->res[0].ipv4, "192.0.2.1");
	assert_int_equal(f->res[0].order, 0);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(f->res[i].status, PIPELINE_CHANGED);
		assert_string_equal(f->res[i].ipv4, "192.0.2.3");
		assert_string_equal(f->res[i].ipv6, "2001:db8::3");
	}
	hcount_t h = history(f, "s.example.com");
	/* batch 1: ipv4; batch 2: ipv4 + ipv6 (one row per family) */
	assert_int_equal(h.applied, 3);
	assert_int_equal(store_record_get(f->store, "s.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "192.0.2.3");
	assert_string_equal(rec.ipv6, "2001:db8::3");
}

/* A request equal to the store while another is in flight waits for it:
 * after the in-flight change it is a change back, not "unchanged". */
static void test_unchanged_waits_for_inflight(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "s.example.com", KEY, "192.0.2.1", NULL);
	wait_done(f, 1);
	submit(f, 1, "s.example.com", KEY, "192.0.2.2", NULL);
	submit(f, 2, "s.example.com", KEY, "192.0.2.1", NULL);
	wait_done(f, 3);
	assert_int_equal(f->res[2].status, PIPELINE_CHANGED);
	assert_int_equal(store_record_get(f->store, "s.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "192.0.2.1");
}

/* sync_ok: an unchanged address is answered inside submit; records kept in
 * memory are forgotten on pipeline_records_changed(). */
static void test_sync_and_records_changed(void **state)
{
	fx_t *f = *state;
	char hash[KEY_HASH_MAX];
	const char *k2 = "Rotated0Rotated0Rotated0Rotated0Rotated0Rotated0xy";
	pipeline_request_t req = { .name = "a.example.com", .key = KEY,
	                           .key_len = strlen(KEY), .ipv4 = "192.0.2.70",
	                           .client = "192.0.2.1", .sync_ok = true };
	assert_int_equal(pipeline_submit(f->p, &req, done_cb, &f->res[0]), 0);
	assert_int_equal(f->done, 0); /* a change is never synchronous */
	wait_done(f, 1);
	assert_int_equal(pipeline_submit(f->p, &req, done_cb, &f->res[1]), 0);
	assert_int_equal(f->done, 2); /* unchanged: answered at once */
	assert_int_equal(f->res[1].status, PIPELINE_UNCHANGED);
	assert_string_equal(f->res[1].ipv4, "192.0.2.70");
	assert_int_equal(pipeline_pending(f->p), 0);

	assert_int_equal(key_hash(k2, strlen(k2), hash), 0);
	assert_int_equal(store_record_set_key(f->store, "a.example.com", hash), 0);
	pipeline_records_changed(f->p);
	assert_int_equal(pipeline_submit(f->p, &req, done_cb, &f->res[2]), 0);
	wait_done(f, 3);
	assert_int_equal(f->res[2].status, PIPELINE_AUTH_FAILED);
	req.key = k2;
	req.key_len = strlen(k2);
	assert_int_equal(pipeline_submit(f->p, &req, done_cb, &f->res[3]), 0);
	assert_int_equal(f->done, 4);
	assert_int_equal(f->res[3].status, PIPELINE_UNCHANGED);
}

static void test_free_completes_delays(void **state)
{
	fx_t *f = *state;
	submit(f, 0, "a.example.com", "nope-nope-nope-nope", "192.0.2.9", NULL);
	pipeline_free(f->p);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->res[0].status, PIPELINE_AUTH_FAILED);
	pipeline_opts_t o = { .update_timeout_ms = 1000, .auth_fail_delay_ms = 200 };
	assert_int_equal(pipeline_new(&f->loop, f->store, f->writer, lookup, f, &o, &f->p), 0);
}

/* Submit from @p client and run until it completes. */
static pipeline_status_t submit_from(fx_t *f, const char *client, const char *name,
                                     const char *key, const char *v4)
{
	pipeline_request_t req = { .name = name, .key = key, .key_len = strlen(key),
	                           .ipv4 = v4, .client = client };
	int n = f->done;
	res_t *r = &f->res[n % MAX_RES];
	assert_int_equal(pipeline_submit(f->p, &req, done_cb, r), 0);
	wait_done(f, n + 1);
	return r->status;
}

/* A throttled source or a blocked name is refused at every request, but
 * the history gets one row per block: a refused client must not cost a
 * disk write per request.  The next block gets its own row. */
static void test_abuse_one_row_per_block(void **state)
{
	fx_t *f = *state;
	abuse_t *a;
	abuse_opts_t ao = { .max_changes = 2, .change_window_s = 60, .change_block_s = 1,
	                    .max_auth_failures = 2, .auth_window_s = 60, .auth_block_s = 1 };
	pipeline_opts_t o = { .update_timeout_ms = 1000, .auth_fail_delay_ms = 1,
	                      .auth_throttle_delay_ms = 1 };
	pipeline_set_opts(f->p, &o);
	assert_int_equal(abuse_new(&f->loop, &ao, &a), 0);
	pipeline_set_abuse(f->p, a);

	for (int block = 0; block < 2; block++) {
		for (int i = 0; i < 2; i++)
			assert_int_equal(submit_from(f, "198.51.100.6", "a.example.com", "bad-key",
			                             "192.0.2.5"), PIPELINE_AUTH_FAILED);
		for (int i = 0; i < 20; i++)
			assert_int_equal(submit_from(f, "198.51.100.6", i % 2 ? "a.example.com" :
			                             "nosuch.example.com", "bad-key", "192.0.2.5"),
			                 PIPELINE_ABUSE);
		assert_int_equal(history(f, "a.example.com").abuse +
		                 history(f, "nosuch.example.com").abuse, block + 1);
		assert_int_equal(history(f, "a.example.com").applied, block);
		/* others are served meanwhile; after the block, the source's
		 * wrong keys get the plain answer again */
		assert_int_equal(submit_from(f, "198.51.100.7", "a.example.com", KEY,
		                             "192.0.2.5"),
		                 block == 0 ? PIPELINE_CHANGED : PIPELINE_UNCHANGED);
		addr_t src;
		assert_int_equal(addr_parse("198.51.100.6", &src), 0);
		uint64_t t0 = uv_now(&f->loop);
		while (abuse_source_throttled(a, &src, uv_now(&f->loop))) {
			assert_true(uv_now(&f->loop) - t0 < 5000);
			usleep(20000);
			uv_update_time(&f->loop);
		}
	}
	assert_int_equal(history(f, "a.example.com").abuse +
	                 history(f, "nosuch.example.com").abuse, 2);

	/* a name changed too often: one row for its block too */
	char ip[32];
	for (int i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", 100 + i);
		pipeline_status_t st = submit_from(f, "198.51.100.7", "s.example.com", KEY, ip);
		assert_int_equal(st, i < 2 ? PIPELINE_CHANGED : PIPELINE_ABUSE);
	}
	assert_int_equal(history(f, "s.example.com").abuse, 1);
	assert_int_equal(history(f, "s.example.com").applied, 2);
	pipeline_set_abuse(f->p, NULL);
	abuse_free(a);
}

/* Run the loop until @p name holds @p ipv6 in the store (5 s at most). */
static void wait_ipv6(fx_t *f, const char *name, const char *ipv6)
{
	store_record_t rec;
	uint64_t start = uv_now(&f->loop);
	for (;;) {
		assert_int_equal(store_record_get(f->store, name, &rec), 0);
		if (strcmp(rec.ipv6, ipv6) == 0)
			return;
		if (uv_now(&f->loop) - start > 5000)
			fail_msg("%s: AAAA %s, want %s", name, rec.ipv6, ipv6);
		uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(1000);
		uv_update_time(&f->loop);
	}
}

static pipeline_follower_t follower(const char *name, const char *router,
                                    unsigned len, uint8_t last, uint8_t sub)
{
	pipeline_follower_t v = { .name = name, .router = router, .prefix_len = len };
	v.suffix[15] = last;
	v.suffix[7] = sub; /* inside the host bits of a /48 only */
	return v;
}

/* A router's AAAA moves its followers, each through its own provider; the
 * one whose provider fails keeps nothing new and gets a failure row. */
static void test_followers(void **state)
{
	fx_t *f = *state;
	add_record(f, "f1.example.com", "ok");
	pipeline_follower_t v[] = {
		follower("f1.example.com", "a.example.com", 64, 1, 0),
		follower("b.example.com", "a.example.com", 64, 2, 0),
		follower("s.example.com", "a.example.com", 48, 3, 7),
	};
	pipeline_records_changed(f->p);
	/* no AAAA at the router yet: nothing sent */
	assert_int_equal(pipeline_set_followers(f->p, v, 3), 0);
	assert_int_equal(history(f, NULL).failed + history(f, NULL).applied, 0);

	submit(f, 0, "a.example.com", KEY, NULL, "2001:db8:1:2::ff");
	wait_done(f, 1);
	assert_int_equal(f->res[0].status, PIPELINE_CHANGED);
	wait_ipv6(f, "f1.example.com", "2001:db8:1:2::1");
	wait_ipv6(f, "s.example.com", "2001:db8:1:7::3");
	hcount_t h = history(f, "b.example.com");
	while (h.failed == 0) { /* its row is written in the background */
		uv_run(&f->loop, UV_RUN_ONCE);
		h = history(f, "b.example.com");
	}
	assert_int_equal(h.failed, 1);
	assert_int_equal(h.applied, 0);
	assert_string_equal(h.last_msg, "prefix of a.example.com: zone is locked");
	store_record_t rec;
	assert_int_equal(store_record_get(f->store, "b.example.com", &rec), 0);
	assert_string_equal(rec.ipv6, "");
	h = history(f, "f1.example.com");
	assert_int_equal(h.applied, 1);
	assert_string_equal(h.last_new, "2001:db8:1:2::1");
	/* the in-memory record moved too: the next request compares with it */
	assert_int_equal(pipeline_record_get(f->p, "f1.example.com", &rec), 0);
	assert_string_equal(rec.ipv6, "2001:db8:1:2::1");

	/* A follower's own update in flight (slow: 150 ms) when the router
	 * moves: its own address first, then the router's prefix. */
	submit(f, 1, "s.example.com", KEY, NULL, "2001:db8:ffff::5");
	submit(f, 2, "a.example.com", KEY, NULL, "2001:db8:9:9::ff");
	wait_done(f, 3);
	assert_int_equal(f->res[1].status, PIPELINE_CHANGED);
	assert_string_equal(f->res[1].ipv6, "2001:db8:ffff::5");
	wait_ipv6(f, "s.example.com", "2001:db8:9:7::3");
	assert_int_equal(history(f, "s.example.com").applied, 3);
	wait_ipv6(f, "f1.example.com", "2001:db8:9:9::1");

	/* new followers (a reload): moved at once to the router's prefix */
	v[0] = follower("f1.example.com", "a.example.com", 64, 0x11, 0);
	assert_int_equal(pipeline_set_followers(f->p, v, 1), 0);
	wait_ipv6(f, "f1.example.com", "2001:db8:9:9::11");
	/* b.example.com follows no more: the router's next change leaves it */
	int before = history(f, "b.example.com").failed;
	submit(f, 3, "a.example.com", KEY, NULL, "2001:db8:7:7::ff");
	wait_done(f, 4);
	wait_ipv6(f, "f1.example.com", "2001:db8:7:7::11");
	assert_int_equal(history(f, "b.example.com").failed, before);
	assert_int_equal(history(f, "s.example.com").applied, 3);
}

/* The owner behind the same address as a guesser (a shared NAT): the
 * guesser's wrong keys throttle the address, the owner's right key is
 * served at once all the same, ahead of the guesses held back. */
static void test_throttle_never_denies_a_right_key(void **state)
{
	fx_t *f = *state;
	abuse_t *a;
	abuse_opts_t ao = { .max_auth_failures = 3, .auth_window_s = 60, .auth_block_s = 60 };
	pipeline_opts_t o = { .update_timeout_ms = 1000, .auth_fail_delay_ms = 1,
	                      .auth_throttle_delay_ms = 400 };
	pipeline_set_opts(f->p, &o);
	assert_int_equal(abuse_new(&f->loop, &ao, &a), 0);
	pipeline_set_abuse(f->p, a);
	const char *nat = "198.51.100.9";
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit_from(f, nat, "a.example.com", "guess-guess-guess",
		                             "192.0.2.66"), PIPELINE_AUTH_FAILED);
	addr_t nat_addr;
	assert_int_equal(addr_parse(nat, &nat_addr), 0);
	assert_true(abuse_source_throttled(a, &nat_addr, uv_now(&f->loop)));

	/* three guesses in flight, then the owner from the same address */
	int base = f->done;
	uint64_t t0 = uv_now(&f->loop);
	pipeline_request_t guess = { .name = "a.example.com", .key = "guess-guess-guess",
	                             .key_len = 17, .ipv4 = "192.0.2.66", .client = nat };
	for (int i = 0; i < 3; i++)
		assert_int_equal(pipeline_submit(f->p, &guess, done_cb, &f->res[i]), 0);
	pipeline_request_t owner = { .name = "a.example.com", .key = KEY,
	                             .key_len = strlen(KEY), .ipv4 = "192.0.2.77",
	                             .client = nat };
	assert_int_equal(pipeline_submit(f->p, &owner, done_cb, &f->res[3]), 0);
	wait_done(f, base + 4);
	assert_int_equal(f->res[3].status, PIPELINE_CHANGED);
	assert_int_equal(f->res[3].order, base); /* first, not behind the guesses */
	assert_true(f->res[3].at - t0 < 400);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->res[i].status, PIPELINE_ABUSE);
		assert_true(f->res[i].at - t0 >= 395); /* held: the guessing bound */
	}
	store_record_t rec;
	assert_int_equal(store_record_get(f->store, "a.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "192.0.2.77");
	/* an unknown name is answered exactly like a wrong key */
	assert_int_equal(submit_from(f, nat, "nosuch.example.com", "guess-guess-guess",
	                             "192.0.2.66"), PIPELINE_ABUSE);
	assert_int_equal(history(f, "a.example.com").abuse, 1);
	pipeline_set_abuse(f->p, NULL);
	abuse_free(a);
}

/* A caller that proved a valid key in the same request (dyndns2: one
 * password, many names) is not guessing: its failures neither count nor
 * get throttled. */
static void test_proven_failures_do_not_count(void **state)
{
	fx_t *f = *state;
	abuse_t *a;
	abuse_opts_t ao = { .max_auth_failures = 3, .auth_window_s = 60, .auth_block_s = 60 };
	pipeline_opts_t o = { .update_timeout_ms = 1000, .auth_fail_delay_ms = 1,
	                      .auth_throttle_delay_ms = 1 };
	pipeline_set_opts(f->p, &o);
	assert_int_equal(abuse_new(&f->loop, &ao, &a), 0);
	pipeline_set_abuse(f->p, a);
	const char *src = "198.51.100.10";
	for (int i = 0; i < 12; i++) {
		char name[64];
		snprintf(name, sizeof(name), "stale%d.example.com", i);
		pipeline_request_t req = { .name = name, .key = KEY, .key_len = strlen(KEY),
		                           .ipv4 = "192.0.2.8", .client = src, .proven = true };
		int n = f->done;
		assert_int_equal(pipeline_submit(f->p, &req, done_cb, &f->res[n % MAX_RES]), 0);
		wait_done(f, n + 1);
		assert_int_equal(f->res[n % MAX_RES].status, PIPELINE_AUTH_FAILED);
	}
	addr_t src_addr;
	assert_int_equal(addr_parse(src, &src_addr), 0);
	assert_false(abuse_source_throttled(a, &src_addr, uv_now(&f->loop)));
	/* real guesses from there still count */
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit_from(f, src, "a.example.com", "guess-guess-guess",
		                             "192.0.2.8"), PIPELINE_AUTH_FAILED);
	assert_true(abuse_source_throttled(a, &src_addr, uv_now(&f->loop)));
	pipeline_set_abuse(f->p, NULL);
	abuse_free(a);
}

/* The provider applies A and fails AAAA: A is stored with its history row,
 * the AAAA failure gets its own, and a request that asked for AAAA hears
 * which family failed; merged requests that asked for A alone got all
 * they asked for. */
static void test_partial(void **state)
{
	fx_t *f = *state;
	store_record_t rec;
	submit(f, 0, "h.example.com", KEY, "192.0.2.61", "2001:db8::61");
	wait_done(f, 1);
	assert_int_equal(f->res[0].status, PIPELINE_PARTIAL);
	assert_true(f->res[0].c4);
	assert_false(f->res[0].c6);
	assert_false(f->res[0].f4);
	assert_true(f->res[0].f6);
	assert_int_equal(f->res[0].fst, PIPELINE_PROVIDER_FAILED);
	assert_string_equal(f->res[0].message, "AAAA: dummy: AAAA fails as configured");
	assert_string_equal(f->res[0].ipv4, "192.0.2.61");
	assert_string_equal(f->res[0].ipv6, "");
	assert_int_equal(store_record_get(f->store, "h.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "192.0.2.61");
	assert_string_equal(rec.ipv6, "");
	assert_true(rec.last_change > 0);
	hcount_t h = history(f, "h.example.com");
	assert_int_equal(h.applied, 1);
	assert_string_equal(h.last_new, "192.0.2.61");
	assert_int_equal(h.failed, 1);
	assert_string_equal(h.last_msg, "dummy: AAAA fails as configured");

	/* one request in flight; an A-only and an AAAA-only one merge behind it */
	submit(f, 1, "h.example.com", KEY, "192.0.2.62", NULL);
	submit(f, 2, "h.example.com", KEY, "192.0.2.63", NULL);
	submit(f, 3, "h.example.com", KEY, NULL, "2001:db8::63");
	wait_done(f, 4);
	assert_int_equal(f->res[1].status, PIPELINE_CHANGED);
	assert_int_equal(f->res[2].status, PIPELINE_CHANGED);
	assert_string_equal(f->res[2].ipv4, "192.0.2.63");
	assert_string_equal(f->res[2].message, "");
	assert_int_equal(f->res[3].status, PIPELINE_PARTIAL);
	assert_true(f->res[3].f6);
	assert_false(f->res[3].c6);
	assert_non_null(strstr(f->res[3].message, "AAAA: "));
	assert_int_equal(pipeline_record_get(f->p, "h.example.com", &rec), 0);
	assert_string_equal(rec.ipv4, "192.0.2.63");
	assert_string_equal(rec.ipv6, "");
	h = history(f, "h.example.com");
	assert_int_equal(h.applied, 3);
	assert_int_equal(h.failed, 2);
}

/* ACME TXT sets (pipeline_txt.c): the record's own key only, a bad value
 * refused before any key check, at most PIPELINE_TXT_MAX live values per
 * record. */
static int txt_submit(fx_t *f, int i, const char *name, const char *key, const char *value)
{
	pipeline_txt_request_t req = { .name = name, .key = key, .key_len = strlen(key),
	                               .client = "192.0.2.1", .value = value };
	f->res[i].status = -1;
	return pipeline_txt_submit(f->p, &req, done_cb, &f->res[i]);
}

static void test_txt(void **state)
{
	fx_t *f = *state;
	assert_int_equal(txt_submit(f, 0, "a.example.com", "not the key", "v0"), 0);
	wait_done(f, 1);
	assert_int_equal(f->res[0].status, PIPELINE_AUTH_FAILED);
	assert_int_equal(txt_submit(f, 1, "a.example.com", KEY, "bad value"), -EINVAL);
	assert_int_equal(txt_submit(f, 1, "a.example.com", KEY, ""), -EINVAL);
	char v[PIPELINE_TXT_MAX + 1][8];
	for (int i = 0; i < PIPELINE_TXT_MAX; i++) {
		snprintf(v[i], sizeof(v[i]), "v%d", i);
		assert_int_equal(txt_submit(f, 1 + i, "a.example.com", KEY, v[i]), 0);
	}
	wait_done(f, 1 + PIPELINE_TXT_MAX);
	for (int i = 0; i < PIPELINE_TXT_MAX; i++)
		assert_int_equal(f->res[1 + i].status, PIPELINE_CHANGED);
	/* a value already there is renewed; one more is refused at once */
	assert_int_equal(txt_submit(f, 12, "a.example.com", KEY, "v3"), 0);
	wait_done(f, 2 + PIPELINE_TXT_MAX);
	assert_int_equal(f->res[12].status, PIPELINE_UNCHANGED);
	assert_int_equal(txt_submit(f, 13, "a.example.com", KEY, "v-extra"), -E2BIG);
	/* another record's set is its own */
	assert_int_equal(txt_submit(f, 13, "s.example.com", KEY, "v-extra"), 0);
	wait_done(f, 3 + PIPELINE_TXT_MAX);
	assert_int_equal(f->res[13].status, PIPELINE_CHANGED);
}

/* A request a plugin authorised (RFC 2136 with TSIG): no key, no delay;
 * an unknown record is -ENOENT at once; a clear takes every value. */
static void test_txt_authorized(void **state)
{
	fx_t *f = *state;
	pipeline_txt_request_t req = { .name = "a.example.com", .client = "192.0.2.1",
	                               .value = "tsig-1", .authorized = true };
	f->res[0].status = -1;
	assert_int_equal(pipeline_txt_submit(f->p, &req, done_cb, &f->res[0]), 0);
	req.value = "tsig-2";
	f->res[1].status = -1;
	assert_int_equal(pipeline_txt_submit(f->p, &req, done_cb, &f->res[1]), 0);
	wait_done(f, 2);
	assert_int_equal(f->res[0].status, PIPELINE_CHANGED);
	assert_int_equal(f->res[1].status, PIPELINE_CHANGED);
	req.name = "nosuch.example.com";
	assert_int_equal(pipeline_txt_submit(f->p, &req, done_cb, &f->res[2]), -ENOENT);
	/* a value NULL only with remove: every value goes */
	req.name = "a.example.com";
	req.value = NULL;
	assert_int_equal(pipeline_txt_submit(f->p, &req, done_cb, &f->res[2]), -EINVAL);
	req.remove = true;
	f->res[2].status = -1;
	assert_int_equal(pipeline_txt_submit(f->p, &req, done_cb, &f->res[2]), 0);
	wait_done(f, 3);
	assert_int_equal(f->res[2].status, PIPELINE_CHANGED);
	/* empty now: clearing again changes nothing */
	f->res[3].status = -1;
	assert_int_equal(pipeline_txt_submit(f->p, &req, done_cb, &f->res[3]), 0);
	wait_done(f, 4);
	assert_int_equal(f->res[3].status, PIPELINE_UNCHANGED);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_changed_then_unchanged),
		T(test_v4_v6_independent),
		T(test_auth_failure_delay),
		T(test_provider_failure),
		T(test_timeout),
		T(test_coalescing),
		T(test_unchanged_waits_for_inflight),
		T(test_sync_and_records_changed),
		T(test_free_completes_delays),
		T(test_abuse_one_row_per_block),
		T(test_followers),
		T(test_throttle_never_denies_a_right_key),
		T(test_proven_failures_do_not_count),
		T(test_partial),
		T(test_txt),
		T(test_txt_authorized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
