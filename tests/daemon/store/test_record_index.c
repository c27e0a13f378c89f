/* Unit tests for the in-memory record index (daemon/record_index.c). */
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
#include "record_index.h"

#define HASH_A "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HASH_B "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static store_record_t rec(const char *name, const char *provider, const char *hash)
{
	store_record_t r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.provider, sizeof(r.provider), "%s", provider);
	snprintf(r.key_hash, sizeof(r.key_hash), "%s", hash);
	r.source = STORE_SRC_CTL;
	return r;
}

static void test_round_trip(void **state)
{
	(void)state;
	rindex_t x = { 0 };
	store_record_t r = rec("a.example.com", "home", HASH_A), out;
	snprintf(r.ipv4, sizeof(r.ipv4), "192.0.2.1");
	snprintf(r.ipv6, sizeof(r.ipv6), "2001:db8::1");
	snprintf(r.lan_ipv4, sizeof(r.lan_ipv4), "10.0.0.2");
	r.last_change = 1700000000;
	assert_int_equal(rindex_put(&x, &r), 0);
	assert_int_equal(rindex_get(&x, "a.example.com", &out), 0);
	assert_string_equal(out.name, "a.example.com");
	assert_string_equal(out.provider, "home");
	assert_string_equal(out.key_hash, HASH_A);
	assert_string_equal(out.ipv4, "192.0.2.1");
	assert_string_equal(out.ipv6, "2001:db8::1");
	assert_string_equal(out.lan_ipv4, "10.0.0.2");
	assert_string_equal(out.lan_ipv6, "");
	assert_int_equal(out.last_change, 1700000000);
	assert_int_equal(out.source, STORE_SRC_CTL);
	assert_int_equal(rindex_get(&x, "b.example.com", &out), -ENOENT);
	assert_int_equal(rindex_get(&x, "a.example.co", &out), -ENOENT);

	/* replace: new key and provider, one entry */
	r = rec("a.example.com", "other", HASH_B);
	assert_int_equal(rindex_put(&x, &r), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(rindex_get(&x, "a.example.com", &out), 0);
	assert_string_equal(out.key_hash, HASH_B);
	assert_string_equal(out.provider, "other");
	assert_string_equal(out.ipv4, "");

	/* a committed change: one family at a time */
	assert_int_equal(rindex_set_addrs(&x, "a.example.com", "198.51.100.7", NULL, 42), 0);
	assert_int_equal(rindex_set_addrs(&x, "a.example.com", NULL, "2001:db8::7", 43), 0);
	assert_int_equal(rindex_get(&x, "a.example.com", &out), 0);
	assert_string_equal(out.ipv4, "198.51.100.7");
	assert_string_equal(out.ipv6, "2001:db8::7");
	assert_int_equal(out.last_change, 43);
	assert_int_equal(rindex_set_addrs(&x, "a.example.com", "198.051.100.7", NULL, 44),
	                 -EINVAL);
	assert_int_equal(rindex_get(&x, "a.example.com", &out), 0);
	assert_string_equal(out.ipv4, "198.51.100.7"); /* unchanged */
	assert_int_equal(rindex_set_addrs(&x, "nope.example.com", "192.0.2.1", NULL, 1), -ENOENT);

	rindex_remove(&x, "a.example.com");
	rindex_remove(&x, "a.example.com");
	assert_int_equal(x.n, 0);
	assert_int_equal(rindex_get(&x, "a.example.com", &out), -ENOENT);
	rindex_clear(&x);
}

/* What the store would not hold is refused, not mangled. */
static void test_refuses_malformed(void **state)
{
	(void)state;
	rindex_t x = { 0 };
	store_record_t r = rec("a.example.com", "home", "sha256:abc");
	assert_int_equal(rindex_put(&x, &r), -EINVAL);
	r = rec("a.example.com", "home", HASH_A);
	r.key_hash[10] = 'X';
	assert_int_equal(rindex_put(&x, &r), -EINVAL);
	r = rec("a.example.com", "home", HASH_A);
	snprintf(r.ipv6, sizeof(r.ipv6), "2001:DB8::1"); /* not canonical */
	assert_int_equal(rindex_put(&x, &r), -EINVAL);
	assert_int_equal(x.n, 0);
	rindex_clear(&x);
}

/* Many records: the table grows, every one is found, memory is what the
 * header says (about 160 bytes a record with malloc's overhead). */
static void test_many(void **state)
{
	(void)state;
	rindex_t x = { 0 };
	char name[64];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "host%d.dyn.example.com", i);
		store_record_t r = rec(name, i % 2 ? "odd" : "even", HASH_A);
		snprintf(r.ipv4, sizeof(r.ipv4), "10.0.%d.%d", (i >> 8) & 255, i & 255);
		assert_int_equal(rindex_put(&x, &r), 0);
	}
	assert_int_equal(x.n, 20000);
	assert_int_equal(x.n_providers, 2);
	assert_true(x.n_buckets >= x.n);
	assert_true(x.bytes / x.n < 160);
	store_record_t out;
	for (int i = 0; i < 20000; i += 7) {
		snprintf(name, sizeof(name), "host%d.dyn.example.com", i);
		assert_int_equal(rindex_get(&x, name, &out), 0);
		assert_string_equal(out.provider, i % 2 ? "odd" : "even");
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.%d.%d", (i >> 8) & 255, i & 255);
		assert_string_equal(out.ipv4, ip);
	}
	rindex_clear(&x);
	assert_int_equal(x.n, 0);
}

static void test_load_from_store(void **state)
{
	(void)state;
	char dir[] = "/tmp/ddns-test-rindex.XXXXXX", path[96];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ddns.sqlite", dir);
	store_t *st;
	assert_int_equal(store_open(path, &st), 0);
	store_record_t a = rec("a.example.com", "home", HASH_A);
	store_record_t b = rec("b.example.com", "home", HASH_B);
	assert_int_equal(store_record_add(st, &a), 0);
	assert_int_equal(store_record_add(st, &b), 0);
	assert_int_equal(store_commit_update(st, "b.example.com", "192.0.2.9", NULL, 77,
	                                     "192.0.2.1", ""), 0);
	rindex_t x = { 0 };
	store_record_t gone = rec("gone.example.com", "home", HASH_A);
	assert_int_equal(rindex_put(&x, &gone), 0);
	assert_int_equal(rindex_load(&x, st), 0);
	assert_int_equal(x.n, 2);
	store_record_t out;
	assert_int_equal(rindex_get(&x, "gone.example.com", &out), -ENOENT);
	assert_int_equal(rindex_get(&x, "b.example.com", &out), 0);
	assert_string_equal(out.ipv4, "192.0.2.9");
	assert_int_equal(out.last_change, 77);
	rindex_clear(&x);
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	log_setup(DDNS_LOG_ERR, LOG_TARGET_STDERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refuses_malformed),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_load_from_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
