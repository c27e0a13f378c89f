/* conf: a good file read completely, defaults, relative paths, fingerprints,
 * and each kind of error with its exact "file:line: setting: problem". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"

#define HASH "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[PATH_MAX];
static char path[PATH_MAX + 16];

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/ddns-test-conf.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	snprintf(path, sizeof(path), "%s/ddns.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void write_file(const char *name, const char *text)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Minimal valid head; each error case appends to it.  Lines 1-4. */
#define HEAD "http = { listen = [ \"127.0.0.1:8080\" ]; };\n" \
	"database = \"ddns.sqlite\";\n" \
	"providers = { demo = { plugin = \"dummy\"; }; };\n" \
	"\n"

static void expect_error(const char *text, int line, const char *rest)
{
	write_file("ddns.conf", text);
	conf_t *c = NULL;
	char err[512] = "";
	int rc = conf_load(path, "/plugins", &c, err, sizeof(err));
	if (rc == 0)
		print_error("accepted: %s\n", text);
	assert_true(rc < 0);
	assert_null(c);
	char want[PATH_MAX + 1024];
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, rest);
	assert_string_equal(err, want);
}

static void test_good(void **state)
{
	(void)state;
	write_file("cert.pem", "x");
	write_file("key.pem", "x");
	write_file("ddns.conf",
		"http = {\n"
		"  listen = [ \"127.0.0.1:8080\", \"[::1]:8081\" ];\n"
		"  tls_certificate = \"cert.pem\"; tls_key = \"key.pem\";\n"
		"  trusted_proxies = [ \"10.0.0.0/8\", \"::1\" ];\n"
		"  max_body = 8192;\n"
		"};\n"
		"database = \"state/ddns.sqlite\"; database_sync = \"normal\";\n"
		"user = \"ddns\";\n"
		"plugin_dir = \"plugins\";\n"
		"log_level = \"debug\"; log_syslog = true;\n"
		"update_timeout_ms = 5000; auth_fail_delay_ms = 100; shutdown_timeout_ms = 3000;\n"
		"dyndns2_query_credentials = \"always\"; "
		"abuse = { max_changes = 3; change_window_s = 60; auth_block_s = 5; };\n"
		"providers = {\n"
		"  demo = { plugin = \"dummy\"; delay_ms = 5; };\n"
		"  other = { plugin = \"/opt/x/acme.so\"; token = \"t\"; };\n"
		"};\n"
		"records = (\n"
		"  { domain = \"A.Example.COM.\"; provider = \"demo\"; key_hash = \"" HASH "\";\n"
		"    lan_ip = [ \"192.168.1.10\", \"FD00::1\" ]; },\n"
		"  { domain = \"b.example.com\"; provider = \"other\"; key_hash = \"" HASH "\";\n"
		"    lan_ipv6 = \"fd00::2\"; }\n"
		");\n");
	conf_t *c = NULL;
	char err[512] = "";
	int rc = conf_load(path, "/usr/lib/ddns/plugins", &c, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(c->n_http_listen, 2);
	assert_string_equal(c->http_listen[1], "[::1]:8081");
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s/cert.pem", dir);
	assert_string_equal(c->tls_certificate, want);
	assert_int_equal(c->n_trusted_proxies, 2);
	assert_int_equal(c->trusted_proxies[0].prefix, 8);
	assert_int_equal(c->trusted_proxies[1].prefix, 128);
	assert_int_equal(c->max_body, 8192);
	snprintf(want, sizeof(want), "%s/state/ddns.sqlite", dir);
	assert_string_equal(c->database, want);
	snprintf(want, sizeof(want), "%s/plugins", dir);
	assert_string_equal(c->plugin_dir, want);
	assert_string_equal(c->user, "ddns");
	assert_string_equal(c->log_level, "debug");
	assert_true(c->log_syslog);
	assert_false(c->database_sync_full);
	assert_int_equal(c->update_timeout_ms, 5000);
	assert_int_equal(c->auth_fail_delay_ms, 100);
	assert_int_equal(c->shutdown_timeout_ms, 3000);
	assert_int_equal(c->dyndns2_query_credentials, CONF_QCRED_ALWAYS);
	assert_int_equal(c->abuse.max_changes, 3);
	assert_int_equal(c->abuse.change_window_s, 60);
	assert_int_equal(c->abuse.change_block_s, 3600);
	assert_int_equal(c->abuse.auth_block_s, 5);
	assert_int_equal(c->n_providers, 2);
	const conf_provider_t *p = conf_find_provider(c, "other");
	assert_non_null(p);
	assert_string_equal(p->plugin, "/opt/x/acme.so");
	assert_string_equal(p->file, path);
	assert_int_equal(p->line, 15);
	assert_null(conf_find_provider(c, "nope"));
	assert_int_equal(c->n_records, 2);
	assert_string_equal(c->records[0].name, "a.example.com");
	assert_string_equal(c->records[0].provider, "demo");
	assert_string_equal(c->records[0].key_hash, HASH);
	assert_string_equal(c->records[0].lan_ipv4, "192.168.1.10");
	assert_string_equal(c->records[0].lan_ipv6, "fd00::1");
	assert_int_equal(c->records[0].line, 18);
	assert_string_equal(c->records[1].lan_ipv4, "");
	assert_string_equal(c->records[1].lan_ipv6, "fd00::2");
	conf_free(c);
}

static void test_defaults(void **state)
{
	(void)state;
	write_file("ddns.conf", HEAD);
	conf_t *c = NULL;
	char err[512] = "";
	assert_int_equal(conf_load(path, "/usr/lib/ddns/plugins", &c, err, sizeof(err)), 0);
	assert_int_equal(c->max_body, 4096);
	assert_int_equal(c->update_timeout_ms, 30000);
	assert_int_equal(c->auth_fail_delay_ms, 2000);
	assert_int_equal(c->auth_throttle_delay_ms, 30000);
	assert_int_equal(c->n_ops_listen, 0);
	assert_int_equal(c->n_ops_allow, 2); /* loopback: 127.0.0.0/8, ::1 */
	assert_int_equal(c->ops_allow[0].prefix, 8);
	assert_int_equal(c->ops_allow[1].prefix, 128);
	assert_int_equal(c->shutdown_timeout_ms, 10000);
	assert_string_equal(c->log_level, "info");
	assert_false(c->log_syslog);
	assert_true(c->database_sync_full);
	assert_int_equal(c->dyndns2_query_credentials, CONF_QCRED_HTTPS);
	assert_null(c->user);
	assert_null(c->tls_certificate);
	assert_null(c->tls_priorities); /* the server's default, TLS 1.2 and 1.3 */
	assert_string_equal(c->plugin_dir, "/usr/lib/ddns/plugins");
	assert_int_equal(c->abuse.max_changes, 10);
	assert_int_equal(c->abuse.change_window_s, 3600);
	assert_int_equal(c->abuse.max_auth_failures, 10);
	assert_int_equal(c->abuse.auth_window_s, 600);
	assert_int_equal(c->abuse.auth_block_s, 900);
	assert_int_equal(c->max_header_bytes, 16384);
	assert_int_equal(c->max_connections, 1024);
	assert_int_equal(c->max_connections_per_ip, 128);
	assert_int_equal(c->connection_timeout_s, 30);
	assert_int_equal(c->request_timeout_s, 20);
	assert_int_equal(c->n_records, 0);
	assert_string_equal(c->path, path);
	conf_free(c);
}

/* The http connection limits, set; 0 turns the per-address limit off. */
static void test_http_limits(void **state)
{
	(void)state;
	write_file("ddns.conf",
	           "http = { listen = \"127.0.0.1:1\"; max_header_bytes = 4096;\n"
	           "  max_connections = 2000; max_connections_per_ip = 0;\n"
	           "  connection_timeout_s = 5; request_timeout_s = 7; };\n"
	           "database = \"x\";\n");
	conf_t *c = NULL;
	char err[512] = "";
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c->max_header_bytes, 4096);
	assert_int_equal(c->max_connections, 2000);
	assert_int_equal(c->max_connections_per_ip, 0);
	assert_int_equal(c->connection_timeout_s, 5);
	assert_int_equal(c->request_timeout_s, 7);
	conf_free(c);

	const char *l = "http = { listen = \"127.0.0.1:1\";\n";
	char text[512];
	struct { const char *set, *err; } bad[] = {
		{ "max_header_bytes = 100;",
		  "http.max_header_bytes: must be between 2048 and 1048576" },
		{ "max_connections = 0;", "http.max_connections: must be between 1 and 1000000" },
		{ "max_connections_per_ip = -1;",
		  "http.max_connections_per_ip: must be between 0 and 1000000" },
		{ "connection_timeout_s = 0;",
		  "http.connection_timeout_s: must be between 1 and 3600" },
		{ "request_timeout_s = \"20\";", "http.request_timeout_s: must be an integer" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s  %s };\ndatabase = \"x\";\n", l, bad[i].set);
		expect_error(text, 2, bad[i].err);
	}
}

/* Unreadable TLS files are named at load; the PEM is checked at start. */
static void test_tls_files(void **state)
{
	(void)state;
	write_file("c.pem", "x");
	write_file("k.pem", "x");
	write_file("ddns.conf",
	           "http = { listen = \"127.0.0.1:1\";\n"
	           "  tls_certificate = \"c.pem\"; tls_key = \"k.pem\"; };\n"
	           "database = \"x\";\n");
	conf_t *c = NULL;
	char err[512] = "", want[PATH_MAX + 64];
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/c.pem", dir);
	assert_string_equal(c->tls_certificate, want);
	snprintf(want, sizeof(want), "%s/k.pem", dir);
	assert_string_equal(c->tls_key, want);
	conf_free(c);
	char text[512];
	snprintf(text, sizeof(text), "http = { listen = \"127.0.0.1:1\";\n"
	         "  tls_certificate = \"c.pem\";\n  tls_key = \"nope.pem\"; };\n"
	         "database = \"x\";\n");
	snprintf(want, sizeof(want), "http.tls_key: cannot read %s/nope.pem: %s",
	         dir, strerror(ENOENT));
	expect_error(text, 3, want);

	/* tls_priorities: kept as written when GnuTLS understands it */
	write_file("ddns.conf", "http = { listen = \"127.0.0.1:1\";\n"
	           "  tls_priorities = \"NORMAL:-VERS-ALL:+VERS-TLS1.3\"; };\n"
	           "database = \"x\";\n");
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c->tls_priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	conf_free(c);
	expect_error("http = { listen = \"127.0.0.1:1\";\n"
	             "  tls_priorities = \"NORMAL:+VERS-TLS9\"; };\ndatabase = \"x\";\n",
	             2, "http.tls_priorities: not a GnuTLS priority string: "
	             "\"+VERS-TLS9\" is not understood (The request is invalid.)");
	expect_error("http = { listen = \"127.0.0.1:1\";\n"
	             "  tls_priorities = 12; };\ndatabase = \"x\";\n",
	             2, "http.tls_priorities: must be a string");
}

/* The web admin's group: absent means off; defaults; a listener off
 * loopback needs TLS (its own or http's); errors name file:line. */
static void test_admin(void **state)
{
	(void)state;
	conf_t *c = NULL;
	char err[512] = "";
	write_file("ddns.conf", HEAD);
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_false(c->admin.enabled);
	assert_int_equal(c->admin.n_listen, 0);
	conf_free(c);

	write_file("ddns.conf", HEAD "admin = { };\n");
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_true(c->admin.enabled);
	assert_int_equal(c->admin.n_listen, 1);
	assert_string_equal(c->admin.listen[0], "127.0.0.1:8081");
	assert_null(c->admin.public_url);
	assert_int_equal(c->admin.session_idle_s, 1800);
	assert_int_equal(c->admin.session_max_s, 43200);
	conf_free(c);

	write_file("ddns.conf", HEAD "admin = { listen = [ \"[::1]:9\", \"127.0.0.2:9\" ];\n"
	           "  public_url = \"https://ddns.example.com/\"; session_idle_s = 60; };\n");
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c->admin.n_listen, 2);
	assert_string_equal(c->admin.public_url, "https://ddns.example.com");
	assert_int_equal(c->admin.session_idle_s, 60);
	conf_free(c);

	/* off loopback: only with a certificate (http's here) */
	write_file("c.pem", "x");
	write_file("k.pem", "x");
	write_file("ddns.conf", "http = { listen = \"127.0.0.1:1\";\n"
	           "  tls_certificate = \"c.pem\"; tls_key = \"k.pem\"; };\n"
	           "database = \"x\";\nadmin = { listen = \"0.0.0.0:8081\"; };\n");
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_null(c->admin.tls_certificate);
	conf_free(c);
	expect_error(HEAD "admin = {\n  listen = [ \"192.0.2.1:8081\" ]; };\n", 6,
	             "admin.listen: \"192.0.2.1:8081\" is not a loopback address: passwords "
	             "would cross the network in clear; give tls_certificate and tls_key "
	             "(here or in http)");
	expect_error(HEAD "admin = { listen = [ \"nope\" ]; };\n", 5,
	             "admin.listen: \"nope\" is not \"address:port\" (\"[::1]:8080\" for IPv6)");
	expect_error(HEAD "admin = { tls_certificate = \"c.pem\"; };\n", 5,
	             "admin.tls_key: missing (tls_certificate and tls_key go together)");
	expect_error(HEAD "admin = { public_url = \"ftp://x\"; };\n", 5,
	             "admin.public_url: \"ftp://x\" is not an http:// or https:// URL");
	expect_error(HEAD "admin = { session_max_s = 5; };\n", 5,
	             "admin.session_max_s: must be between 60 and 2592000");
	expect_error(HEAD "admin = { lissten = \"127.0.0.1:1\"; };\n", 5,
	             "admin.lissten: unknown setting");
	expect_error(HEAD "admin = 1;\n", 5, "admin: must be a group { ... }");
}

/* A relative -c path still gives absolute paths, against the file's folder. */
static void test_relative_config_path(void **state)
{
	(void)state;
	write_file("ddns.conf", HEAD);
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	conf_t *c = NULL;
	char err[512] = "";
	int rc = conf_load("ddns.conf", NULL, &c, err, sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s/ddns.sqlite", dir);
	assert_string_equal(c->database, want);
	assert_null(c->plugin_dir);
	conf_free(c);
}

static void test_include(void **state)
{
	(void)state;
	write_file("records.conf", "records = (\n"
	           "  { domain = \"a.example.com\"; provider = \"demo\"; key_hash = \"x\"; }\n);\n");
	write_file("ddns.conf", HEAD "@include \"records.conf\"\n");
	conf_t *c = NULL;
	char err[512] = "";
	assert_true(conf_load(path, NULL, &c, err, sizeof(err)) < 0);
	char want[PATH_MAX + 128];
	/* libconfig names an included file as the @include line wrote it */
	snprintf(want, sizeof(want), "records.conf:2: records.[0].key_hash: "
	         "not a \"sha256:<64 hex>\" hash");
	assert_string_equal(err, want);
}

static void test_fingerprint(void **state)
{
	(void)state;
	conf_t *a = NULL, *b = NULL, *c = NULL;
	char err[512];
	write_file("ddns.conf", "http = { listen = \"127.0.0.1:1\"; }; database = \"d\";\n"
	           "providers = { p = { plugin = \"dummy\"; delay_ms = 5; fail = \"x\"; }; };\n");
	assert_int_equal(conf_load(path, NULL, &a, err, sizeof(err)), 0);
	write_file("ddns.conf", "http = { listen = \"127.0.0.1:1\"; }; database = \"d\";\n"
	           "providers = { p = { fail = \"x\"; plugin = \"dummy\";\n delay_ms = 5; }; };\n");
	assert_int_equal(conf_load(path, NULL, &b, err, sizeof(err)), 0);
	write_file("ddns.conf", "http = { listen = \"127.0.0.1:1\"; }; database = \"d\";\n"
	           "providers = { p = { plugin = \"dummy\"; delay_ms = 6; fail = \"x\"; }; };\n");
	assert_int_equal(conf_load(path, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(a->providers[0].fingerprint, b->providers[0].fingerprint);
	assert_string_not_equal(a->providers[0].fingerprint, c->providers[0].fingerprint);
	conf_free(a);
	conf_free(b);
	conf_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(HEAD "records = ( { domain = } );\n", 5, "syntax error: syntax error");
	expect_error(HEAD "databse = \"x\";\n", 5, "databse: unknown setting");
	expect_error(HEAD "update_timeout_ms = \"5\";\n", 5,
	             "update_timeout_ms: must be an integer");
	expect_error(HEAD "update_timeout_ms = 0;\n", 5,
	             "update_timeout_ms: must be between 1 and 3600000");
	expect_error(HEAD "log_level = \"loud\";\n", 5, "log_level: \"loud\" is not one "
	             "of error, warning, notice, info, debug");
	expect_error(HEAD "log_syslog = 1;\n", 5, "log_syslog: must be true or false");
	expect_error(HEAD "database_sync = \"off\";\n", 5,
	             "database_sync: \"off\" is not \"full\" or \"normal\"");
	expect_error(HEAD "auth_throttle_delay_ms = 600001;\n", 5,
	             "auth_throttle_delay_ms: must be between 0 and 600000");
	expect_error(HEAD "dyndns2_query_credentials = \"yes\";\n", 5,
	             "dyndns2_query_credentials: \"yes\" is not \"https\", \"always\" or \"never\"");
	expect_error("database = \"x\";\nhttp = {\n  listen = [ \"127.0.0.1\" ];\n};\n", 3,
	             "http.listen: \"127.0.0.1\" is not \"address:port\" (\"[::1]:8080\" for IPv6)");
	expect_error("database = \"x\";\nhttp = { listen = [ ]; };\n", 2,
	             "http.listen: needs at least one \"address:port\"");
	expect_error("database = \"x\";\n", 0, "http: missing (it holds `listen`)");
	expect_error("http = { listen = \"127.0.0.1:1\";\n  lsten = 2; };\ndatabase = \"x\";\n", 2,
	             "http.lsten: unknown setting");
	expect_error("http = { listen = \"127.0.0.1:1\";\n trusted_proxies = [ \"10.0.0.0/33\" ]; };\n"
	             "database = \"x\";\n", 2, "http.trusted_proxies: \"10.0.0.0/33\" is not an "
	             "address or prefix (\"10.0.0.0/8\", \"fd00::/8\")");
	expect_error("http = { listen = \"127.0.0.1:1\";\n tls_certificate = \"c.pem\"; };\n"
	             "database = \"x\";\n", 1,
	             "http.tls_key: missing (tls_certificate and tls_key go together)");
	expect_error("http = { listen = \"127.0.0.1:1\"; };\n", 0,
	             "database: missing (the sqlite file of the store)");
	expect_error(HEAD "abuse = {\n max_changes = -1; };\n", 6,
	             "abuse.max_changes: must be between 0 and 1000000");
	expect_error(HEAD "providers2 = 1;\n", 5, "providers2: unknown setting");
	expect_error("http = { listen = \"127.0.0.1:1\"; }; database = \"x\";\n"
	             "providers = {\n  p = { delay_ms = 1; };\n};\n", 3,
	             "providers.p.plugin: missing (a plugin name such as \"dummy\", "
	             "or the path of a .so file)");
	expect_error("http = { listen = \"127.0.0.1:1\"; }; database = \"x\";\n"
	             "providers = {\n  p = { plugin = \"Du mmy\"; };\n};\n", 3,
	             "providers.p.plugin: \"Du mmy\" is neither a plugin name ([a-z0-9_-]) "
	             "nor a path to a .so file");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"demo\";\n"
	             "   key_hash = \"sha256:00\"; }\n);\n", 7,
	             "records.[0].key_hash: not a \"sha256:<64 hex>\" hash");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"nope\";"
	             " key_hash = \"" HASH "\"; }\n);\n", 6,
	             "records.[0].provider: no provider \"nope\" in `providers`");
	expect_error(HEAD "records = (\n { domain = \"a..example.com\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\"; }\n);\n", 6,
	             "records.[0].domain: \"a..example.com\" is not a valid domain name");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\"; },\n"
	             " { domain = \"A.example.com.\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\"; }\n);\n", 7,
	             "records.[1].domain: \"a.example.com\" is already defined at line 6");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\";\n   lan_ip = \"192.168.1.300\"; }\n);\n", 7,
	             "records.[0].lan_ip: \"192.168.1.300\" is not an IP address");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\";\n   lan_ip = [ \"10.0.0.1\", \"10.0.0.2\" ]; }\n);\n", 7,
	             "records.[0].lan_ip: more than one IPv4 LAN address");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\";\n   lan_ipv6 = \"10.0.0.1\"; }\n);\n", 7,
	             "records.[0].lan_ipv6: \"10.0.0.1\" is not an IPv6 address");
	expect_error(HEAD "records = (\n { domain = \"a.example.com\"; provider = \"demo\";"
	             " key_hash = \"" HASH "\";\n   lan = \"10.0.0.1\"; }\n);\n", 7,
	             "records.[0].lan: unknown setting");
	expect_error(HEAD "records = (\n { provider = \"demo\"; key_hash = \"" HASH "\"; }\n);\n", 6,
	             "records.[0].domain: missing");
}

static void test_missing_file(void **state)
{
	(void)state;
	conf_t *c = NULL;
	char err[512], p[PATH_MAX + 32], want[PATH_MAX + 128];
	snprintf(p, sizeof(p), "%s/none.conf", dir);
	assert_int_equal(conf_load(p, NULL, &c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", p);
	assert_string_equal(err, want);
	conf_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_config_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
