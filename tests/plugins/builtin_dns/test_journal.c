/**
 * @file test_journal.c
 * @brief Unit tests of the IXFR journal (journal.c), the db changes it is
 * fed (diff.c); the state kept across restarts is test_state.c's.
 */
#include "xfr_test.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "diff.h"
#include "journal.h"

static knot_rrset_t a_rr(const char *name, const char *ip)
{
	static knot_dname_storage_t owners[8];
	static int next;
	knot_dname_t *o = owners[next++ % 8];
	knot_dname_from_str(o, name, sizeof(owners[0]));
	knot_rrset_t rr;
	knot_rrset_init(&rr, o, KNOT_RRTYPE_A, KNOT_CLASS_IN, 60);
	uint8_t addr[4];
	inet_pton(AF_INET, ip, addr);
	assert_int_equal(knot_rrset_add_rdata(&rr, addr, 4, NULL), KNOT_EOK);
	return rr;
}

static const knot_dname_t *apex(void)
{
	static knot_dname_storage_t a;
	knot_dname_from_str(a, XT_ZONE, sizeof(a));
	return a;
}

/* A chain: since() walks from any step to the end, a hole resets, max
 * drops the oldest, and a chain not ending at the current serial is none. */
static void test_chain(void **state)
{
	(void)state;
	dns_journal_t *j;
	assert_int_equal(dns_journal_new(3, &j), 0);
	dns_zone_journal_t *z = dns_journal_zone(j, apex());
	knot_rrset_t r1 = a_rr("h." XT_ZONE, "192.0.2.1"), r2 = a_rr("h." XT_ZONE, "192.0.2.2");
	assert_int_equal(dns_journal_add(j, z, 1, 2, NULL, 0, &r1, 1), 0);
	assert_int_equal(dns_journal_add(j, z, 2, 3, &r1, 1, &r2, 1), 0);
	assert_int_equal(dns_journal_add(j, z, 3, 4, &r2, 1, &r1, 1), 0);
	assert_int_equal(z->n, 3);
	const dns_change_t *c = dns_journal_since(z, 2, 4);
	assert_non_null(c);
	assert_int_equal(c->from, 2);
	assert_int_equal(c->next->to, 4);
	assert_null(dns_journal_since(z, 2, 5)); /* the chain does not reach 5 */
	assert_null(dns_journal_since(z, 9, 4));
	assert_int_equal(dns_journal_add(j, z, 4, 5, NULL, 0, &r2, 1), 0);
	assert_int_equal(z->n, 3); /* max: the oldest went */
	assert_null(dns_journal_since(z, 1, 5));
	assert_non_null(dns_journal_since(z, 2, 5));
	assert_int_equal(dns_journal_add(j, z, 7, 8, NULL, 0, &r1, 1), 0); /* a hole */
	assert_int_equal(z->n, 1);
	assert_null(dns_journal_since(z, 4, 8));
	knot_rdataset_clear(&r1.rrs, NULL);
	knot_rdataset_clear(&r2.rrs, NULL);
	dns_journal_free(j);
}

/* save -> load gives the same chain; a truncated or altered buffer is
 * refused and leaves no half chain. */
static void test_save_load(void **state)
{
	(void)state;
	dns_journal_t *j, *k;
	assert_int_equal(dns_journal_new(10, &j), 0);
	dns_zone_journal_t *z = dns_journal_zone(j, apex());
	knot_rrset_t r1 = a_rr("h." XT_ZONE, "192.0.2.1"), r2 = a_rr("h." XT_ZONE, "192.0.2.2");
	dns_journal_add(j, z, 10, 11, NULL, 0, &r1, 1);
	dns_journal_add(j, z, 11, 12, &r1, 1, &r2, 1);
	uint8_t *buf;
	size_t len;
	assert_int_equal(dns_journal_save(j, &buf, &len), 0);
	assert_int_equal(dns_journal_new(10, &k), 0);
	assert_int_equal(dns_journal_load(k, buf, len), 0);
	const dns_change_t *c = dns_journal_since(dns_journal_zone(k, apex()), 10, 12);
	assert_non_null(c);
	assert_int_equal(c->n_added, 1);
	assert_true(knot_rrset_equal(&c->added[0], &r1, true));
	assert_true(knot_rrset_equal(&c->next->removed[0], &r1, true));
	assert_true(knot_rrset_equal(&c->next->added[0], &r2, true));
	dns_journal_free(k);
	for (size_t cut = 8; cut < len; cut += 7) {
		assert_int_equal(dns_journal_new(10, &k), 0);
		int ret = dns_journal_load(k, buf, cut);
		assert_int_equal(ret, -EINVAL);
		assert_null(dns_journal_since(dns_journal_zone(k, apex()), 10, 12));
		dns_journal_free(k);
	}
	buf[0] ^= 1;
	assert_int_equal(dns_journal_new(10, &k), 0);
	assert_int_equal(dns_journal_load(k, buf, len), -EINVAL);
	dns_journal_free(k);
	free(buf);
	knot_rdataset_clear(&r1.rrs, NULL);
	knot_rdataset_clear(&r2.rrs, NULL);
	dns_journal_free(j);
}

/* Every byte of a saved journal altered in turn: the load is whole or
 * -EINVAL, and a refused zone holds no half chain (ASan: no leak, no
 * read past the buffer).  A damaged second zone leaves the first's chain. */
static void test_damaged(void **state)
{
	(void)state;
	static knot_dname_storage_t other;
	knot_dname_from_str(other, "other.example.org", sizeof(other));
	dns_journal_t *j, *k;
	assert_int_equal(dns_journal_new(10, &j), 0);
	knot_rrset_t r1 = a_rr("h." XT_ZONE, "192.0.2.1"), r2 = a_rr("h." XT_ZONE, "192.0.2.2");
	knot_rrset_t o1 = a_rr("x.other.example.org", "192.0.2.9");
	dns_zone_journal_t *z = dns_journal_zone(j, apex());
	assert_int_equal(dns_journal_add(j, z, 10, 11, NULL, 0, &r1, 1), 0);
	assert_int_equal(dns_journal_add(j, z, 11, 12, &r1, 1, &r2, 1), 0);
	dns_zone_journal_t *zo = dns_journal_zone(j, other);
	assert_int_equal(dns_journal_add(j, zo, 1, 2, NULL, 0, &o1, 1), 0);
	assert_int_equal(dns_journal_add(j, zo, 2, 3, &o1, 1, NULL, 0), 0);
	uint8_t *buf;
	size_t len;
	assert_int_equal(dns_journal_save(j, &buf, &len), 0);
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	size_t refused = 0;
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			buf[i] ^= masks[m];
			assert_int_equal(dns_journal_new(10, &k), 0);
			int ret = dns_journal_load(k, buf, len);
			assert_true(ret == 0 || ret == -EINVAL);
			if (ret == -EINVAL) {
				refused++;
				/* (one at a time: making a zone moves the others) */
				assert_true(dns_journal_zone(k, apex())->n % 2 == 0);
				assert_true(dns_journal_zone(k, other)->n % 2 == 0);
			}
			dns_journal_free(k);
			buf[i] ^= masks[m];
		}
	}
	assert_true(refused > 0);
	/* cut inside the second zone's chain: the first is whole, the second none */
	assert_int_equal(dns_journal_new(10, &k), 0);
	assert_int_equal(dns_journal_load(k, buf, len - 3), -EINVAL);
	size_t n_first = dns_journal_zone(k, apex())->n;
	size_t n_second = dns_journal_zone(k, other)->n;
	assert_int_equal(n_first, 2);
	assert_int_equal(n_second, 0);
	assert_non_null(dns_journal_since(dns_journal_zone(k, apex()), 10, 12));
	dns_journal_free(k);
	free(buf);
	knot_rdataset_clear(&r1.rrs, NULL);
	knot_rdataset_clear(&r2.rrs, NULL);
	knot_rdataset_clear(&o1.rrs, NULL);
	dns_journal_free(j);
}

/* An update in place becomes one step: the old A removed, the new added;
 * a rebuild compared whole gives the same; the LAN view never enters. */
static void test_diff(void **state)
{
	(void)state;
	dns_journal_t *j;
	assert_int_equal(dns_journal_new(10, &j), 0);
	dns_db_t *db = xt_db(2, NULL);
	dns_snap_t snap;
	assert_int_equal(dns_snap_take(&snap, db, "host1." XT_ZONE), 0);
	assert_int_equal(dns_db_update(db, "host1." XT_ZONE, "203.0.113.1", NULL, 500), 1);
	assert_int_equal(dns_snap_commit(&snap, db, j), 1);
	const dns_zone_journal_t *z = dns_journal_zone(j, apex());
	assert_int_equal(z->n, 1);
	assert_int_equal(z->head->from, 100);
	assert_int_equal(z->head->to, 500);
	assert_int_equal(z->head->n_removed, 1);
	assert_int_equal(z->head->n_added, 1);
	assert_int_equal(z->head->added[0].type, KNOT_RRTYPE_A);
	/* no change, no step */
	assert_int_equal(dns_snap_take(&snap, db, "host1." XT_ZONE), 0);
	assert_int_equal(dns_db_update(db, "host1." XT_ZONE, "203.0.113.1", NULL, 600), 0);
	assert_int_equal(dns_snap_commit(&snap, db, j), 0);
	/* a rebuild: a new name, a LAN address changed (not transferred) */
	dns_db_t *db2 = xt_db(3, NULL);
	assert_int_equal(dns_db_update(db2, "host1." XT_ZONE, "203.0.113.1", NULL, 0), 1);
	assert_int_equal(dns_db_set_record(db2, "nas." XT_ZONE, "198.51.100.1", NULL,
	                                   "192.168.1.99", NULL), 0);
	dns_db_bump_serials(db2, db, 700);
	assert_int_equal(dns_diff_dbs(j, db, db2), 0);
	assert_int_equal(z->n, 2);
	assert_int_equal(z->tail->from, 500);
	assert_int_equal(z->tail->n_removed, 0);
	assert_int_equal(z->tail->n_added, 1); /* host2 alone */
	dns_db_free(db2);
	dns_db_free(db);
	dns_journal_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
