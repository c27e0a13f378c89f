/* provider: instances of dummy.so and the strict test module on a real
 * libuv loop.  Every completion arrives exactly once and never inside
 * provider_update(); deadlines and shutdown complete updates; an instance
 * with updates in flight outlives its last reference; secrets stay out of
 * the log; every test ends with uv_loop_close() == 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "provider.h"
#include "provider_fixture.h"

static char dir[256];
static char conf_path[300];
static conf_t *conf;
static uv_loop_t loop;
static provider_env_t env;

typedef struct outcome {
	int calls;
	int result;
	char message[256];
	int rr[PROVIDER_RR_N];
	char rr_message[PROVIDER_RR_N][256];
	bool in_update; /* set around provider_update() to catch early calls */
	provider_t *unref_on_done;
} outcome_t;

static void done_cb(const provider_outcome_t *out, void *arg)
{
	outcome_t *o = arg;
	assert_false(o->in_update);
	o->calls++;
	o->result = out->result;
	snprintf(o->message, sizeof(o->message), "%s", out->message != NULL ? out->message : "");
	for (int i = 0; i < PROVIDER_RR_N; i++) {
		o->rr[i] = out->rr[i];
		snprintf(o->rr_message[i], sizeof(o->rr_message[i]), "%s",
		         out->rr_message[i] != NULL ? out->rr_message[i] : "(none)");
	}
	if (o->unref_on_done != NULL)
		provider_unref(o->unref_on_done);
}

static int group_setup(void **state)
{
	(void)state;
	const char *pd = getenv("DDNS_TEST_PLUGIN_DIR");
	assert_non_null(pd);
	snprintf(dir, sizeof(dir), "/tmp/ddns-test-provider.XXXXXX");
	conf = pfx_conf_load(dir, conf_path, sizeof(conf_path),
	        "http = { listen = \"127.0.0.1:1\"; }; database = \"d\";\n"
	        "plugin_dir = \"%s\";\n"
	        "providers = {\n"
	        "  ok = { plugin = \"dummy\"; };\n"
	        "  failing = { plugin = \"dummy\"; fail = \"boom: zone is locked\"; };\n"
	        "  slow = { plugin = \"dummy\"; delay_ms = 60000; };\n"
	        "  brief = { plugin = \"dummy\"; delay_ms = 20; };\n"
	        "  picky = { plugin = \"dummy\"; fail_names = [ \"bad.example.com\" ]; };\n"
	        "  strict = { plugin = \"%s/strict.so\"; token = \"s3cr3t-t0ken\"; zone = \"z\"; };\n"
	        "  badttl = { plugin = \"%s/strict.so\"; token = \"t\";\n    ttl = 0; };\n"
	        "  abi = { plugin = \"%s/broken_abi.so\"; };\n"
	        "  late = { plugin = \"%s/misbehaving.so\"; answer_after_ms = 150; };\n"
	        "  half = { plugin = \"dummy\"; fail_family = \"AAAA\"; };\n"
	        "  notxt = { plugin = \"dummy\"; fail_family = \"TXT\"; delay_ms = 20; };\n"
	        "};\n", pd, TEST_MODULE_DIR, TEST_MODULE_DIR, TEST_MODULE_DIR, TEST_MODULE_DIR);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	conf_free(conf);
	unlink(conf_path);
	rmdir(dir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	env = (provider_env_t){ .loop = &loop };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

static provider_t *make(const char *name)
{
	return pfx_make(&env, conf, name);
}

static void start(provider_t *p, const char *name, uint32_t timeout_ms, outcome_t *o)
{
	provider_change_t c = { .name = name, .ipv4 = "203.0.113.7", .timeout_ms = timeout_ms };
	o->in_update = true;
	assert_int_equal(provider_update(p, &c, done_cb, o), 0);
	o->in_update = false;
}

/* Run the loop until @p o has an answer (bounded: a stuck test fails). */
static void wait_for(outcome_t *o)
{
	pfx_wait(&loop, &o->calls, 10000);
}

static void test_success_is_deferred(void **state)
{
	(void)state;
	provider_t *p = make("ok");
	assert_string_equal(provider_name(p), "ok");
	assert_string_equal(provider_plugin(p), "dummy");
	assert_string_equal(provider_fingerprint(p), conf_find_provider(conf, "ok")->fingerprint);
	outcome_t o = { 0 };
	start(p, "a.example.com", 5000, &o);
	/* dummy completes inside update(); the caller still hears later */
	assert_int_equal(o.calls, 0);
	assert_int_equal(provider_inflight(p), 1);
	wait_for(&o);
	assert_int_equal(o.result, 0);
	assert_string_equal(o.message, "dummy: applied");
	assert_int_equal(provider_inflight(p), 0);
	provider_unref(p);
}

/* A result per record type: the dummy with fail_family = "AAAA" confirms A
 * (host->update_result) and fails the update; the caller sees A confirmed,
 * AAAA failed, and the whole a failure.  Asked for AAAA alone, it fails
 * with no confirmation. */
static void test_per_family(void **state)
{
	(void)state;
	provider_t *p = make("half");
	outcome_t o = { 0 };
	provider_change_t c = { .name = "a.example.com", .ipv4 = "203.0.113.7",
	                        .ipv6 = "2001:db8::7", .timeout_ms = 5000 };
	assert_int_equal(provider_update(p, &c, done_cb, &o), 0);
	wait_for(&o);
	assert_int_equal(o.result, DDNS_EPROVIDER);
	assert_string_equal(o.message, "dummy: AAAA fails as configured");
	assert_int_equal(o.rr[PROVIDER_RR_A], DDNS_OK);
	assert_string_equal(o.rr_message[PROVIDER_RR_A], "dummy: A applied");
	assert_int_equal(o.rr[PROVIDER_RR_AAAA], DDNS_EPROVIDER);
	assert_string_equal(o.rr_message[PROVIDER_RR_AAAA], "(none)"); /* the message */

	outcome_t six = { 0 };
	c.ipv4 = NULL;
	assert_int_equal(provider_update(p, &c, done_cb, &six), 0);
	wait_for(&six);
	assert_int_equal(six.result, DDNS_EPROVIDER);
	assert_int_equal(six.rr[PROVIDER_RR_AAAA], DDNS_EPROVIDER);

	outcome_t four = { 0 }; /* A alone: nothing fails */
	start(p, "a.example.com", 5000, &four);
	wait_for(&four);
	assert_int_equal(four.result, DDNS_OK);
	assert_int_equal(four.rr[PROVIDER_RR_A], DDNS_OK);
	provider_unref(p);
}

/* TXT record sets (the ACME DNS-01 entry point): the dummy (DDNS_CAP_TXT)
 * gets the set as copies and says what it got, per type too; a failure is
 * a TXT failure; a plugin without the capability is refused at once; a
 * malformed set never reaches a plugin. */
static void test_txt(void **state)
{
	(void)state;
	provider_t *p = make("ok");
	const char *vals[] = { "gfj9Xq-Rk1", "second value" };
	char name[] = "_acme-challenge.A.example.com.";
	provider_change_t c = { .name = "a.example.com", .txt_name = name, .txt_values = vals,
	                        .n_txt_values = 2, .txt_ttl = 60, .timeout_ms = 5000 };
	outcome_t o = { 0 };
	assert_int_equal(provider_update(p, &c, done_cb, &o), 0);
	name[0] = 'X'; /* the plugin has its own copy */
	vals[0] = "changed";
	wait_for(&o);
	assert_int_equal(o.result, DDNS_OK);
	assert_string_equal(o.message, "dummy: TXT _acme-challenge.a.example.com = "
	                    "\"gfj9Xq-Rk1\" \"second value\" (ttl 60)");
	assert_int_equal(o.rr[PROVIDER_RR_TXT], DDNS_OK);

	outcome_t del = { 0 }; /* no values: the set goes */
	c.txt_name = "_acme-challenge.a.example.com";
	c.n_txt_values = 0;
	assert_int_equal(provider_update(p, &c, done_cb, &del), 0);
	wait_for(&del);
	assert_string_equal(del.message, "dummy: TXT _acme-challenge.a.example.com = "
	                    "(deleted) (ttl 60)");

	/* malformed: never sent */
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *bad[] = { big };
	outcome_t none = { 0 };
	c.txt_values = bad;
	c.n_txt_values = 1;
	assert_int_equal(provider_update(p, &c, done_cb, &none), -EINVAL);
	c.txt_values = vals;
	c.txt_name = "not a name";
	assert_int_equal(provider_update(p, &c, done_cb, &none), -EINVAL);
	c.txt_name = "_acme-challenge.a.example.com";
	c.ipv4 = "192.0.2.1"; /* one TXT set or addresses, not both */
	assert_int_equal(provider_update(p, &c, done_cb, &none), -EINVAL);
	c.ipv4 = NULL;
	assert_int_equal(none.calls, 0);
	assert_int_equal(provider_inflight(p), 0);
	provider_unref(p);

	/* the provider fails the TXT set: a TXT failure */
	p = make("notxt");
	outcome_t f = { 0 };
	assert_int_equal(provider_update(p, &c, done_cb, &f), 0);
	wait_for(&f);
	assert_int_equal(f.result, DDNS_EPROVIDER);
	assert_int_equal(f.rr[PROVIDER_RR_TXT], DDNS_EPROVIDER);
	assert_string_equal(f.message, "dummy: TXT fails as configured");
	provider_unref(p);

	/* a plugin without DDNS_CAP_TXT is never asked, and the log says which */
	pfx_capture_t cap;
	pfx_capture_start(&cap, dir);
	p = make("strict");
	outcome_t s = { 0 };
	assert_int_equal(provider_update(p, &c, done_cb, &s), DDNS_EPROVIDER);
	pfx_capture_stop(&cap);
	assert_int_equal(s.calls, 0);
	char buf[4096] = "";
	pfx_capture_read(&cap, buf, sizeof(buf));
	assert_non_null(strstr(buf, "provider strict: TXT _acme-challenge.a.example.com: "
	                            "plugin strict cannot set TXT records"));
	provider_unref(p);
}

static void test_failure_message(void **state)
{
	(void)state;
	provider_t *p = make("failing");
	outcome_t o = { 0 };
	start(p, "a.example.com", 5000, &o);
	wait_for(&o);
	assert_int_equal(o.result, DDNS_EPROVIDER);
	assert_string_equal(o.message, "boom: zone is locked");
	provider_unref(p);

	p = make("picky");
	outcome_t good = { 0 }, bad = { 0 };
	start(p, "good.example.com", 5000, &good);
	start(p, "bad.example.com", 5000, &bad);
	wait_for(&good);
	wait_for(&bad);
	assert_int_equal(good.result, 0);
	assert_int_equal(bad.result, DDNS_EPROVIDER);
	provider_unref(p);
}

static void test_deadline_once(void **state)
{
	(void)state;
	provider_t *p = make("slow");
	outcome_t o = { 0 };
	start(p, "a.example.com", 50, &o);
	wait_for(&o);
	assert_int_equal(o.result, DDNS_ETIMEOUT);
	assert_non_null(strstr(o.message, "deadline"));
	/* the plugin's late cancel completion must not reach the caller again */
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(o.calls, 1);
	assert_int_equal(provider_inflight(p), 0);
	provider_unref(p);
}

static void test_cancel_all(void **state)
{
	(void)state;
	provider_t *p = make("slow");
	outcome_t a = { 0 }, b = { 0 };
	start(p, "a.example.com", 60000, &a);
	start(p, "b.example.com", 60000, &b);
	assert_int_equal(provider_inflight(p), 2);
	provider_cancel_all(p);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.result, DDNS_ECANCELED);
	assert_int_equal(b.result, DDNS_ECANCELED);
	assert_int_equal(provider_inflight(p), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(a.calls, 1);
	provider_unref(p);
}

/* The last reference goes while an update is in flight: the instance lives
 * until the update ends, then goes (the loop then closes clean). */
static void test_destroy_when_idle(void **state)
{
	(void)state;
	provider_t *p = make("brief");
	outcome_t o = { 0 };
	start(p, "a.example.com", 10000, &o);
	provider_unref(p);
	wait_for(&o);
	assert_int_equal(o.result, 0);

	/* dropping the last reference from inside the completion is safe too */
	p = make("ok");
	outcome_t o2 = { .unref_on_done = p };
	start(p, "a.example.com", 10000, &o2);
	wait_for(&o2);
}

/* A plugin without cancel still holds an update the host gave up on: its
 * instance is not destroyed (the contract of destroy) until it answers,
 * and that late answer reaches nobody. */
static void test_no_destroy_while_plugin_holds(void **state)
{
	(void)state;
	provider_t *p = make("late");
	outcome_t o = { 0 };
	start(p, "a.example.com", 20, &o);
	wait_for(&o);
	assert_int_equal(o.result, DDNS_ETIMEOUT);
	assert_int_equal(provider_inflight(p), 0);
	provider_unref(p); /* the plugin's destroy() aborts if called now */
	for (int i = 0; i < 3; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	/* teardown runs the loop until the late answer and the destroy */
	assert_int_equal(o.calls, 1);
}

static void test_sync_error(void **state)
{
	(void)state;
	provider_t *p = make("strict");
	outcome_t o = { 0 };
	provider_change_t c = { .name = "a.example.com", .ipv6 = "2001:db8::1" };
	assert_int_equal(provider_update(p, &c, done_cb, &o), DDNS_ENOTFOUND);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(o.calls, 0);
	assert_int_equal(provider_inflight(p), 0);
	provider_unref(p);
}

static void test_create_errors(void **state)
{
	(void)state;
	provider_t *p = NULL;
	char err[512] = "", want[1024];
	assert_int_equal(provider_create(&env, conf, conf_find_provider(conf, "badttl"), &p,
	                                 err, sizeof(err)), DDNS_ECONFIG);
	assert_null(p);
	snprintf(want, sizeof(want), "%s:11: providers.badttl.ttl: must be at least 1 (got 0)",
	         conf_path);
	assert_string_equal(err, want);
	assert_int_equal(provider_create(&env, conf, conf_find_provider(conf, "abi"), &p,
	                                 err, sizeof(err)), DDNS_EABI);
	snprintf(want, sizeof(want), "%s:12: providers.abi: plugin %s/broken_abi.so: built "
	         "for plugin ABI 999, this ddnsd speaks ABI 2 (and 1): rebuild it against this "
	         "ddnsd's <ddns/plugin.h>", conf_path, TEST_MODULE_DIR);
	assert_string_equal(err, want);
}

/* Capture what the instance logs at creation: options yes, secrets never. */
static void test_secret_not_logged(void **state)
{
	(void)state;
	pfx_capture_t cap;
	pfx_capture_start(&cap, dir);
	provider_t *p = make("strict");
	pfx_capture_stop(&cap);
	char buf[4096] = "";
	pfx_capture_read(&cap, buf, sizeof(buf));
	assert_non_null(strstr(buf, "provider strict: plugin strict 0.1"));
	assert_non_null(strstr(buf, "token=(secret)"));
	assert_non_null(strstr(buf, "zone=\"z\""));
	assert_null(strstr(buf, "s3cr3t"));
	provider_unref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success_is_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_destroy_while_plugin_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_when_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_not_logged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
