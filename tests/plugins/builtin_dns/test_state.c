/**
 * @file test_state.c
 * @brief Unit tests of what outlives an instance (state.c): serials and
 * the journal written by the writer thread and read back by a new open,
 * damaged files set aside, and the content digest behind "unchanged".
 */
#include "xfr_test.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include "diff.h"
#include "journal.h"
#include "state.h"
#include "txt.h"

static const knot_dname_t *apex(void)
{
	static knot_dname_storage_t a;
	knot_dname_from_str(a, XT_ZONE, sizeof(a));
	return a;
}

/* A db of XT_ZONE (A TTL @p ttl) with host0..host<n-1>, inserted from the
 * last when @p backwards (another order of the hash chains). */
static dns_db_t *digest_db(size_t n, uint32_t ttl, bool backwards)
{
	static const char *const zones[] = { XT_ZONE };
	static const char *const ns[] = { "ns1." XT_ZONE "=192.0.2.53" };
	dns_db_conf_t conf = { .ttl = ttl, .soa_ttl = 3600, .refresh = 3600, .retry = 600,
	                       .expire = 604800, .minimum = 5 };
	char err[256] = "";
	dns_db_t *db = NULL;
	if (dns_db_new(&conf, zones, 1, ns, 1, 100, &db, err, sizeof(err), NULL) != 0)
		fail_msg("dns_db_new: %s", err);
	for (size_t k = 0; k < n; k++) {
		size_t i = backwards ? n - 1 - k : k;
		char name[64], ip[32], ip6[64];
		snprintf(name, sizeof(name), "host%zu." XT_ZONE, i);
		snprintf(ip, sizeof(ip), "10.0.%zu.%zu", i >> 8, i & 255);
		snprintf(ip6, sizeof(ip6), "2001:db8::%zx", i + 1);
		assert_int_equal(dns_db_set_record(db, name, ip, ip6, NULL, NULL), 0);
	}
	return db;
}

static uint64_t digest(const dns_db_t *db)
{
	return dns_zone_digest(db, &db->zones[0]);
}

static void rm_dir(const char *dir)
{
	char cmd[100];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Saved, closed (the writer thread writes before it ends) and opened again:
 * an unchanged zone keeps its serial, a changed one goes to
 * max(stored + 1, now), a zone never stored keeps its own, and the journal
 * still reaches back to before the "restart". */
static void test_reopen(void **state)
{
	(void)state;
	char dir[] = "/tmp/ddns-state-XXXXXX", err[256], warn[512];
	assert_non_null(mkdtemp(dir));
	dns_state_t *st;
	assert_int_equal(dns_state_open(dir, 10, &st, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	assert_false(dns_state_shared(st));
	dns_db_t *db = xt_db(2, NULL);
	dns_zone_set_serial((dns_zone_t *)dns_db_zone_by_apex(db, apex()), 1000);
	dns_snap_t snap;
	assert_int_equal(dns_snap_take(&snap, db, "host1." XT_ZONE), 0);
	assert_int_equal(dns_db_update(db, "host1." XT_ZONE, "203.0.113.1", NULL, 5), 1);
	assert_int_equal(dns_snap_commit(&snap, db, dns_state_journal(st)), 1);
	uint32_t serial = db->zones[0].serial;
	assert_int_equal(serial, 1001);
	assert_int_equal(dns_state_save(st, db, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	dns_state_close(st);

	assert_int_equal(dns_state_open(dir, 10, &st, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	const dns_change_t *c =
	    dns_journal_since(dns_journal_zone(dns_state_journal(st), apex()), 1000, serial);
	assert_non_null(c);
	assert_int_equal(c->n_removed, 1);
	assert_int_equal(c->n_added, 1);
	assert_null(c->next);

	/* the same content, built anew at serial 100: the stored serial */
	dns_db_t *same = xt_db(2, NULL);
	assert_int_equal(dns_db_update(same, "host1." XT_ZONE, "203.0.113.1", NULL, 5), 1);
	dns_state_restore_serials(st, same, 7);
	assert_int_equal(same->zones[0].serial, serial);
	/* changed, with a clock behind the serial: stored + 1 */
	dns_db_t *other = xt_db(3, NULL);
	dns_state_restore_serials(st, other, 7);
	assert_int_equal(other->zones[0].serial, serial + 1);
	/* changed, with a clock past it: now */
	dns_db_t *later = xt_db(3, NULL);
	dns_state_restore_serials(st, later, 2000000000u);
	assert_int_equal(later->zones[0].serial, 2000000000u);
	dns_state_close(st);

	/* a zone the state never saw keeps its own serial */
	static const char *const zones[] = { "elsewhere.example.org" };
	dns_db_conf_t conf = { .ttl = 60, .soa_ttl = 3600, .refresh = 3600, .retry = 600,
	                       .expire = 604800, .minimum = 5 };
	dns_db_t *new_zone;
	assert_int_equal(dns_db_new(&conf, zones, 1, NULL, 0, 42, &new_zone, err, sizeof(err), NULL),
	                 0);
	assert_int_equal(dns_state_open(dir, 10, &st, err, sizeof(err), warn, sizeof(warn)), 0);
	dns_state_restore_serials(st, new_zone, 7);
	assert_int_equal(new_zone->zones[0].serial, 42);
	dns_state_close(st);
	rm_dir(dir);
	dns_db_free(new_zone);
	dns_db_free(db);
	dns_db_free(same);
	dns_db_free(other);
	dns_db_free(later);
}

/* Two opens of one directory share the state: the first close writes
 * nothing over the second's newer data. */
static void test_shared(void **state)
{
	(void)state;
	char dir[] = "/tmp/ddns-state-XXXXXX", err[256], warn[512];
	assert_non_null(mkdtemp(dir));
	dns_state_t *a, *b;
	assert_int_equal(dns_state_open(dir, 10, &a, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_int_equal(dns_state_open(dir, 10, &b, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_ptr_equal(a, b);
	assert_true(dns_state_shared(a));
	dns_db_t *db = xt_db(1, NULL);
	dns_zone_set_serial(&db->zones[0], 555);
	assert_int_equal(dns_state_save(b, db, err, sizeof(err)), 0);
	dns_state_close(a);
	assert_false(dns_state_shared(b));
	dns_state_close(b);
	assert_int_equal(dns_state_open(dir, 10, &a, err, sizeof(err), warn, sizeof(warn)), 0);
	dns_db_t *again = xt_db(1, NULL);
	dns_state_restore_serials(a, again, 7);
	assert_int_equal(again->zones[0].serial, 555);
	dns_state_close(a);
	rm_dir(dir);
	dns_db_free(db);
	dns_db_free(again);
}

/* A file that is not of this format is moved to <name>.bad and named in
 * the warning; the start goes on without it.  One that cannot be read is a
 * warning too. */
static void test_bad_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/ddns-state-XXXXXX", err[256], warn[512], path[300], bad[310];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/serials", dir);
	snprintf(bad, sizeof(bad), "%s/serials.bad", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a serials file\n", f);
	fclose(f);
	dns_state_t *st;
	assert_int_equal(dns_state_open(dir, 10, &st, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_non_null(strstr(warn, "serials.bad"));
	assert_int_equal(access(bad, F_OK), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	dns_db_t *db = xt_db(1, NULL);
	dns_state_restore_serials(st, db, 7);
	assert_int_equal(db->zones[0].serial, 100); /* nothing stored: its own */
	dns_state_close(st);

	snprintf(path, sizeof(path), "%s/journal", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	assert_int_equal(dns_state_open(dir, 10, &st, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_non_null(strstr(warn, "journal.bad"));
	dns_state_close(st);

	snprintf(path, sizeof(path), "%s/serials", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(dns_state_open(dir, 10, &st, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_non_null(strstr(warn, "serials: cannot read"));
	dns_state_close(st);
	rm_dir(dir);
	dns_db_free(db);
}

/* The digest: the same content in any order is equal; any address, TTL or
 * TXT value changes it; the serial does not. */
static void test_digest(void **state)
{
	(void)state;
	dns_db_t *a = digest_db(300, 60, false), *b = digest_db(300, 60, true);
	uint64_t d = digest(a);
	assert_true(d == digest(b));
	dns_zone_set_serial(&b->zones[0], 123456);
	assert_true(d == digest(b));

	/* one IPv4, then back */
	assert_int_equal(dns_db_update(b, "host7." XT_ZONE, "10.9.9.9", NULL, 0), 1);
	assert_true(d != digest(b));
	assert_int_equal(dns_db_update(b, "host7." XT_ZONE, "10.0.0.7", NULL, 0), 1);
	assert_true(d == digest(b));
	/* one IPv6 */
	assert_int_equal(dns_db_update(b, "host7." XT_ZONE, NULL, "2001:db8::99", 0), 1);
	assert_true(d != digest(b));
	assert_int_equal(dns_db_update(b, "host7." XT_ZONE, NULL, "2001:db8::8", 0), 1);
	assert_true(d == digest(b));
	/* two names swap their addresses: the owner counts */
	assert_int_equal(dns_db_update(b, "host1." XT_ZONE, "10.0.0.2", NULL, 0), 1);
	assert_int_equal(dns_db_update(b, "host2." XT_ZONE, "10.0.0.1", NULL, 0), 1);
	assert_true(d != digest(b));
	dns_db_free(b);

	/* the TTL */
	b = digest_db(300, 61, false);
	assert_true(d != digest(b));
	dns_db_free(b);

	/* a TXT value, its TTL, and its removal */
	b = digest_db(300, 60, false);
	const char *v1[] = { "token-one" }, *v2[] = { "token-two" };
	const char *txt = "_acme-challenge.host3." XT_ZONE;
	assert_int_equal(dns_db_set_txt(b, txt, v1, 1, 0, 0), 1);
	uint64_t with_txt = digest(b);
	assert_true(with_txt != d);
	assert_int_equal(dns_db_set_txt(b, txt, v2, 1, 0, 0), 1);
	assert_true(digest(b) != with_txt);
	assert_true(digest(b) != d);
	assert_int_equal(dns_db_set_txt(b, txt, v1, 1, 120, 0), 1);
	assert_true(digest(b) != with_txt);
	assert_int_equal(dns_db_set_txt(b, txt, v1, 1, 0, 0), 1);
	assert_true(digest(b) == with_txt);
	dns_db_free(b);

	/* a LAN address is not transferred: not in the digest */
	b = digest_db(300, 60, false);
	assert_int_equal(dns_db_set_record(b, "host5." XT_ZONE, "10.0.0.5", "2001:db8::6",
	                                   "192.168.1.5", NULL), 0);
	assert_true(d == digest(b));
	dns_db_free(b);
	dns_db_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_digest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
