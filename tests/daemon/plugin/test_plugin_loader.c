/* plugin_loader: the dummy loads and is shared; broken modules are refused
 * with the file and the versions; options are checked against declarations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf.h"
#include "plugin_loader.h"

static const char *plugin_dir;
static char dir[256];
static char conf_path[300];

static int setup(void **state)
{
	(void)state;
	plugin_dir = getenv("DDNS_TEST_PLUGIN_DIR");
	assert_non_null(plugin_dir);
	char tmpl[] = "/tmp/ddns-test-loader.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(conf_path, sizeof(conf_path), "%s/ddns.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	rmdir(dir);
	return 0;
}

static void expect_refusal(const char *name_or_path, int code, const char *want)
{
	plugin_module_t *m = NULL;
	char err[512] = "";
	assert_int_equal(plugin_module_load(name_or_path, TEST_MODULE_DIR, &m, err,
	                                    sizeof(err)), code);
	assert_null(m);
	assert_string_equal(err, want);
}

static void test_dummy_loads_and_is_shared(void **state)
{
	(void)state;
	plugin_module_t *a = NULL, *b = NULL;
	char err[512] = "", path[PATH_MAX + 16];
	assert_int_equal(plugin_module_load("dummy", plugin_dir, &a, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/dummy.so", plugin_dir);
	assert_int_equal(plugin_module_load(path, NULL, &b, err, sizeof(err)), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 2);
	assert_string_equal(a->desc->name, "dummy");
	assert_int_equal(a->desc->abi, DDNS_PLUGIN_ABI);
	assert_non_null(plugin_find_option(a->desc, "delay_ms"));
	assert_null(plugin_find_option(a->desc, "token"));
	plugin_module_unref(b);
	plugin_module_unref(a);
}

static void test_broken_modules(void **state)
{
	(void)state;
	char want[1024];
	snprintf(want, sizeof(want), "plugin %s/broken_abi.so: built for plugin ABI 999, "
	         "this ddnsd speaks ABI %d (and 1): rebuild it against this ddnsd's "
	         "<ddns/plugin.h>", TEST_MODULE_DIR, DDNS_PLUGIN_ABI);
	expect_refusal("broken_abi", DDNS_EABI, want);
	snprintf(want, sizeof(want), "plugin %s/broken_size.so: descriptor size %zu, "
	         "smaller than any <ddns/plugin.h> of ABI %d made (%zu to %zu here): "
	         "rebuild it against this ddnsd's <ddns/plugin.h>", TEST_MODULE_DIR,
	         sizeof(ddns_plugin_t) / 2, DDNS_PLUGIN_ABI, (size_t)DDNS_PLUGIN_SIZE_MIN,
	         sizeof(ddns_plugin_t));
	expect_refusal("broken_size", DDNS_EABI, want);
	snprintf(want, sizeof(want), "plugin %s/broken_nosym.so: no ddns_plugin symbol "
	         "(not a ddnsd plugin?)", TEST_MODULE_DIR);
	expect_refusal("broken_nosym", DDNS_EABI, want);
	snprintf(want, sizeof(want), "plugin %s/broken_nocreate.so: descriptor has no "
	         "create", TEST_MODULE_DIR);
	expect_refusal("broken_nocreate", DDNS_EABI, want);
	snprintf(want, sizeof(want), "plugin %s/broken_default.so: option ttl has a "
	         "default that does not fit its type or range", TEST_MODULE_DIR);
	expect_refusal("broken_default", DDNS_EABI, want);
	snprintf(want, sizeof(want), "plugin %s/broken_stride.so: descriptor has options "
	         "but option_size 0 (set both with DDNS_PLUGIN_OPTIONS())", TEST_MODULE_DIR);
	expect_refusal("broken_stride", DDNS_EABI, want);
}

/* The descriptor may grow: a newer header's larger one loads (its extra
 * members ignored); an ABI 1 module loads with what it lacks as NULL and
 * its option table read in ABI 1's layout. */
static void test_descriptor_sizes(void **state)
{
	(void)state;
	plugin_module_t *g = NULL, *o = NULL;
	char err[512] = "";
	assert_int_equal(plugin_module_load("sized_grown", TEST_MODULE_DIR, &g, err,
	                                    sizeof(err)), 0);
	assert_string_equal(g->desc->name, "grown");
	assert_null(g->desc->record_changed);
	assert_int_equal(g->desc->size, sizeof(ddns_plugin_t));
	assert_int_equal(plugin_module_load("sized_oldest", TEST_MODULE_DIR, &o, err,
	                                    sizeof(err)), 0);
	assert_string_equal(o->desc->name, "oldest");
	assert_non_null(o->desc->create);
	assert_int_equal(o->desc->abi, 1);
	assert_null(o->desc->record_changed); /* past its size */
	assert_true(DDNS_PLUGIN_HAS(o->desc, record_changed)); /* our copy has room */
	assert_int_equal(o->desc->caps, 0);
	/* its three options, each found whole through the host's layout */
	const ddns_option_t *ttl = plugin_find_option(o->desc, "ttl");
	assert_non_null(ttl);
	assert_int_equal(ttl->type, DDNS_OPT_INT);
	assert_string_equal(ttl->help, "a TTL");
	assert_int_equal(ttl->min, 0);
	assert_int_equal(ttl->max, 0);
	assert_null(ttl->def);
	assert_non_null(plugin_find_option(o->desc, "create"));
	assert_string_equal(plugin_find_option(o->desc, "create")->help, "create missing records");
	assert_null(plugin_find_option(o->desc, "token"));
	plugin_module_unref(g);
	plugin_module_unref(o);
}

/* A module someone else could have written is refused before dlopen:
 * the file, or a folder above it, writable by group or others or owned by
 * another user.  (The copies are of sized_grown.so.) */
static void test_untrusted_modules(void **state)
{
	(void)state;
	char tdir[] = "/tmp/ddns-test-trust.XXXXXX", so[128], cmd[512], want[1024];
	char err[512] = "";
	plugin_module_t *m = NULL;
	assert_non_null(mkdtemp(tdir));
	snprintf(so, sizeof(so), "%s/copy.so", tdir);
	snprintf(cmd, sizeof(cmd), "cp %s/sized_grown.so %s", TEST_MODULE_DIR, so);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(chmod(so, 0666), 0);
	snprintf(want, sizeof(want), "plugin %s: writable by group or others (mode 0666): "
	         "refusing to load it (chmod go-w %s)", so, so);
	expect_refusal(so, -EPERM, want);
	assert_int_equal(chmod(so, 0755), 0);

	assert_int_equal(chmod(tdir, 0777), 0);
	snprintf(want, sizeof(want), "plugin %s: its folder %s is writable by group or "
	         "others (mode 0777): refusing to load it (chmod go-w %s)", so, tdir, tdir);
	expect_refusal(so, -EPERM, want);
	/* the sticky bit helps a folder above, not the module's own */
	assert_int_equal(chmod(tdir, 01777), 0);
	snprintf(want, sizeof(want), "plugin %s: its folder %s is writable by group or "
	         "others (mode 1777): refusing to load it (chmod go-w %s)", so, tdir, tdir);
	expect_refusal(so, -EPERM, want);
	assert_int_equal(chmod(tdir, 0755), 0);

	if (geteuid() == 0) { /* as root: a file of another user */
		assert_int_equal(chown(so, 65534, 65534), 0);
		snprintf(want, sizeof(want), "plugin %s: owned by uid 65534, neither root nor "
		         "ddnsd's user (uid 0): refusing to load it (chown root %s)", so, so);
		expect_refusal(so, -EPERM, want);
		assert_int_equal(chown(so, 0, 0), 0);
	}
	/* trusted again: loads (through /tmp, world-writable but sticky) */
	assert_int_equal(plugin_module_load(so, NULL, &m, err, sizeof(err)), 0);
	assert_string_equal(m->desc->name, "grown");
	plugin_module_unref(m);
	unlink(so);
	rmdir(tdir);
}

static void test_not_a_module(void **state)
{
	(void)state;
	char want[1024];
	snprintf(want, sizeof(want), "plugin %s/absent.so: No such file or directory",
	         TEST_MODULE_DIR);
	expect_refusal("absent", -ENOENT, want);
	snprintf(want, sizeof(want), "plugin %s: not a regular file", dir);
	expect_refusal(dir, -EINVAL, want);
	expect_refusal("../dummy", -EINVAL, "plugin ../dummy: a plugin path must be absolute");
	expect_refusal("Dummy!", -EINVAL, "plugin \"Dummy!\": a plugin name is a plain "
	               "word ([a-z0-9_-]) or an absolute path");
	/* a file that is not a shared object at all */
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fputs("not ELF\n", f);
	fclose(f);
	plugin_module_t *m = NULL;
	char err[512];
	assert_int_equal(plugin_module_load(conf_path, NULL, &m, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "plugin %s: cannot load: ", conf_path);
	assert_memory_equal(err, want, strlen(want));
}

/* Load a config with one provider `p` whose body is @p body (line 2). */
static conf_t *load(const char *plugin, const char *body)
{
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fprintf(f, "http = { listen = \"127.0.0.1:1\"; }; database = \"d\";\n"
	        "providers = { p = { plugin = \"%s\";\n%s }; };\n", plugin, body);
	fclose(f);
	/* it may hold a secret: others must not read it (see test_secret_mode) */
	assert_int_equal(chmod(conf_path, 0640), 0);
	conf_t *c = NULL;
	char err[512] = "";
	assert_int_equal(conf_load(conf_path, TEST_MODULE_DIR, &c, err, sizeof(err)), 0);
	return c;
}

static void expect_options(const char *plugin, const char *body, int code, const char *rest)
{
	conf_t *c = load(plugin, body);
	plugin_module_t *m = NULL;
	char err[512] = "", want[1024];
	const char *dirp = strcmp(plugin, "dummy") == 0 ? plugin_dir : TEST_MODULE_DIR;
	assert_int_equal(plugin_module_load(plugin, dirp, &m, err, sizeof(err)), 0);
	assert_int_equal(plugin_check_options(m->desc, &c->providers[0], err, sizeof(err)), code);
	if (rest != NULL) {
		snprintf(want, sizeof(want), "%s:%s", conf_path, rest);
		assert_string_equal(err, want);
	}
	plugin_module_unref(m);
	conf_free(c);
}

/* A secret option in a file others can read or write: refused, naming the
 * file, line, mode and the chmod; group read (root:ddns 0640) is fine. */
static void test_secret_mode(void **state)
{
	(void)state;
	static const char body[] = "token = \"t\"; ttl = 5;";
	char err[512] = "", want[1024];
	for (int round = 0; round < 3; round++) {
		mode_t mode = round == 0 ? 0644 : round == 1 ? 0602 : 0640;
		conf_t *c = load("strict", body);
		assert_int_equal(chmod(conf_path, mode), 0);
		plugin_module_t *m = NULL;
		assert_int_equal(plugin_module_load("strict", TEST_MODULE_DIR, &m, err,
		                                    sizeof(err)), 0);
		int rc = plugin_check_options(m->desc, &c->providers[0], err, sizeof(err));
		if (mode == 0640) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, DDNS_ECONFIG);
			snprintf(want, sizeof(want), "%s:3: providers.p.token: a secret in a file "
			         "other users can %s (mode %04o): run chmod o-rw %s", conf_path,
			         mode == 0644 ? "read" : "write", (unsigned)mode, conf_path);
			assert_string_equal(err, want);
		}
		plugin_module_unref(m);
		conf_free(c);
	}
}

static void test_options(void **state)
{
	(void)state;
	expect_options("dummy", "delay_ms = 5; fail_names = [ \"a.b\" ];", 0, NULL);
	expect_options("dummy", "fail_names = \"a.b\";", 0, NULL);
	expect_options("dummy", "delay = 5;", DDNS_ECONFIG,
	               "3: providers.p.delay: plugin dummy has no option \"delay\" "
	               "(it takes: fail, delay_ms, fail_names, fail_family)");
	expect_options("dummy", "delay_ms = \"5\";", DDNS_ECONFIG,
	               "3: providers.p.delay_ms: must be an integer");
	expect_options("dummy", "fail_names = [ 1 ];", DDNS_ECONFIG,
	               "3: providers.p.fail_names: must be a string or a list of strings");
	expect_options("strict", "zone = \"example.com\";", DDNS_ECONFIG,
	               "2: providers.p.token: missing (plugin strict requires it: API token)");
	expect_options("strict", "token = \"t\"; client_id = \"x\";", DDNS_ECONFIG,
	               "3: providers.p.client_id: the v1 API is gone: create a v2 token "
	               "and set `token`");
	expect_options("strict", "token = \"t\"; ttl = 5;", 0, NULL);
	/* ranges are the host's: the module never sees a value outside */
	expect_options("dummy", "delay_ms = 3600000;", 0, NULL);
	expect_options("dummy", "delay_ms = 3600001;", DDNS_ECONFIG,
	               "3: providers.p.delay_ms: 3600001 is out of range (plugin dummy "
	               "takes 0 to 3600000)");
	expect_options("dummy", "delay_ms = -1;", DDNS_ECONFIG,
	               "3: providers.p.delay_ms: -1 is out of range (plugin dummy "
	               "takes 0 to 3600000)");
	expect_options("dummy", "delay_ms = 5000000000L;", DDNS_ECONFIG,
	               "3: providers.p.delay_ms: 5000000000 is out of range (plugin dummy "
	               "takes 0 to 3600000)");
	/* an ABI 1 module's options are checked as before */
	expect_options("sized_oldest", "ttl = 5; zone = \"z\";", 0, NULL);
	expect_options("sized_oldest", "ttl = \"5\";", DDNS_ECONFIG,
	               "3: providers.p.ttl: must be an integer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dummy_loads_and_is_shared),
		cmocka_unit_test(test_broken_modules),
		cmocka_unit_test(test_descriptor_sizes),
		cmocka_unit_test(test_untrusted_modules),
		cmocka_unit_test(test_not_a_module),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_secret_mode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
