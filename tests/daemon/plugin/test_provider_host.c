/* The host services table as a plugin sees it, through the hostcheck test
 * module: records_foreach over a real store, an fd watch, HTTP through the
 * host's curl client to a real libmicrohttpd server, and reclaiming the
 * timer and request a leaky plugin leaves behind at destroy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "conf.h"
#include "provider.h"
#include "provider_fixture.h"
#include "provider_priv.h"
#include <sys/stat.h>

static char dir[256];
static char conf_path[300], db_path[300];
static conf_t *conf;
static store_t *store;
static struct MHD_Daemon *mhd;
static atomic_bool stopping;
static uv_loop_t loop;
static provider_env_t env;

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version,
                               const char *data, size_t *data_size, void **con_cls)
{
	(void)cls;
	(void)method;
	(void)version;
	(void)data;
	(void)data_size;
	(void)con_cls;
	char body[128];
	if (strcmp(url, "/slow") == 0) {
		for (int i = 0; i < 100 && !atomic_load(&stopping); i++)
			usleep(50000);
	}
	const char *xt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test");
	int n = snprintf(body, sizeof(body), "hello %s", xt != NULL ? xt : "-");
	struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, body,
	                                                         MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void add_record(const char *name, const char *provider, const char *lan4,
                       const char *ip6)
{
	store_record_t rec = { .source = STORE_SRC_CTL };
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.provider, sizeof(rec.provider), "%s", provider);
	snprintf(rec.key_hash, sizeof(rec.key_hash), "sha256:%064d", 0);
	snprintf(rec.lan_ipv4, sizeof(rec.lan_ipv4), "%s", lan4);
	snprintf(rec.ipv6, sizeof(rec.ipv6), "%s", ip6);
	assert_int_equal(store_record_add(store, &rec), 0);
}

static int group_setup(void **state)
{
	(void)state;
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
	                       0, NULL, NULL, handler, NULL, MHD_OPTION_END);
	assert_non_null(mhd);
	unsigned port = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT)->port;

	snprintf(dir, sizeof(dir), "/tmp/ddns-test-phost.XXXXXX");
	conf = pfx_conf_load(dir, conf_path, sizeof(conf_path),
	        "http = { listen = \"127.0.0.1:1\"; }; database = \"ddns.sqlite\";\n"
	        "providers = {\n"
	        "  hc = { plugin = \"%s/hostcheck.so\"; url = \"http://127.0.0.1:%u/hello\";\n"
	        "         label = \"set\"; tries = 7; loud = false; };\n"
	        "  quiet = { plugin = \"%s/hostcheck.so\"; };\n"
	        "  leaky = { plugin = \"%s/hostcheck.so\"; leak = true;\n"
	        "            url = \"http://127.0.0.1:%u/slow\"; };\n"
	        "};\n", TEST_MODULE_DIR, port, TEST_MODULE_DIR, TEST_MODULE_DIR, port);
	snprintf(db_path, sizeof(db_path), "%s/ddns.sqlite", dir);
	assert_int_equal(store_open(db_path, &store), 0);
	add_record("a.example.com", "hc", "192.168.1.5", "");
	add_record("b.example.com", "hc", "", "2001:db8::1");
	add_record("c.example.com", "other", "", "");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	atomic_store(&stopping, true);
	MHD_stop_daemon(mhd);
	store_close(store);
	conf_free(conf);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	env = (provider_env_t){ .loop = &loop, .store = store };
	assert_int_equal(http_client_new(&loop, &env.http), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	http_client_free(env.http);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

typedef struct outcome {
	int calls, result;
	char message[512];
} outcome_t;

static void done_cb(const provider_outcome_t *out, void *arg)
{
	outcome_t *o = arg;
	o->calls++;
	o->result = out->result;
	snprintf(o->message, sizeof(o->message), "%s", out->message != NULL ? out->message : "");
}

static provider_t *make(const char *name)
{
	return pfx_make(&env, conf, name);
}

static void run_update(provider_t *p, outcome_t *o)
{
	provider_change_t c = { .name = "a.example.com", .ipv4 = "203.0.113.9",
	                        .timeout_ms = 10000 };
	assert_int_equal(provider_update(p, &c, done_cb, o), 0);
	pfx_wait(&loop, &o->calls, 15000);
}

static void test_services(void **state)
{
	(void)state;
	provider_t *p = make("hc");
	outcome_t o = { 0 };
	run_update(p, &o);
	assert_int_equal(o.result, 0);
	assert_string_equal(o.message, "hc records: a.example.com/192.168.1.5/(null) "
	                    "b.example.com/(null)/2001:db8::1 [timed out] {set 7 0}; http 200 hello "
	                    "hostcheck");
	provider_unref(p);

	/* an instance that owns no records sees none */
	p = make("quiet");
	outcome_t q = { 0 };
	run_update(p, &q);
	/* and its absent options read as their declared defaults */
	assert_string_equal(q.message, "quiet records: [timed out] {plain 3 1}");
	provider_unref(p);
}

/* hostcheck with leak = true leaves a 1 h timer and a request to a slow
 * endpoint at destroy: the host stops both, says so, and the loop closes. */
static void test_reclaims_leaks(void **state)
{
	(void)state;
	pfx_capture_t cap;
	pfx_capture_start(&cap, dir);
	provider_t *p = make("leaky");
	for (int i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(http_client_active(env.http), 1);
	provider_unref(p);
	pfx_capture_stop(&cap);
	assert_int_equal(http_client_active(env.http), 0);
	char buf[4096] = "";
	pfx_capture_read(&cap, buf, sizeof(buf));
	assert_non_null(strstr(buf, "provider leaky: plugin hostcheck left a timer running"));
	assert_non_null(strstr(buf, "provider leaky: plugin hostcheck left an HTTP request running"));
}

/* state_dir: "plugins/<instance>" beside the database, 0700, the same
 * path at every call and for a recreated instance; a file in its place is
 * refused, not followed. */
static void test_state_dir(void **state)
{
	(void)state;
	provider_t *p = make("quiet");
	const char *d = provider_host_table.state_dir(&p->ctx);
	assert_non_null(d);
	char want[512];
	snprintf(want, sizeof(want), "%s/plugins/quiet", dir);
	assert_string_equal(d, want);
	assert_ptr_equal(provider_host_table.state_dir(&p->ctx), d);
	struct stat st;
	assert_int_equal(stat(d, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	provider_unref(p);
	p = make("quiet");
	assert_string_equal(provider_host_table.state_dir(&p->ctx), want);
	provider_unref(p);

	char file[512];
	snprintf(file, sizeof(file), "%s/plugins/hc", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	pfx_capture_t cap;
	pfx_capture_start(&cap, dir);
	p = make("hc");
	assert_null(provider_host_table.state_dir(&p->ctx));
	provider_unref(p);
	pfx_capture_stop(&cap);
	char buf[4096] = "";
	pfx_capture_read(&cap, buf, sizeof(buf));
	assert_non_null(strstr(buf, "plugins/hc: cannot make the state directory: Not a directory"));
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaims_leaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
