/**
 * @file test_xsign.c
 * @brief Unit tests of the signed zone secondaries receive (xsign.c,
 * nsec3.c): the NSEC3 chain is whole and in hash order; a thread signs
 * the zone whole, which is not ready until then; a re-sign three
 * days on renews some RRsets' RRSIGs, removing exactly the bytes the zone
 * held; an address update's step names the RRSIG the zone held and adds
 * the new one, with no NSEC3 change; a new name changes the chain by its
 * predecessor's record and its own.
 */
#include "xfr_test.h"

#include <errno.h>
#include <unistd.h>
#include "diff.h"
#include "journal.h"
#include "sign.h" /* with builtin_dns/keys.h (a bare "keys.h" is the daemon's) */
#include "nsec3.h"
#include "txt.h"
#include "xsign.h"

static char dir[] = "/tmp/ddns-xsign-XXXXXX";

/* Every RRset the signed zone has beyond the unsigned one, kept. */
typedef struct seen {
	knot_rrset_t v[4096];
	size_t n;
} seen_t;

static int keep(void *arg, const knot_rrset_t *rr)
{
	seen_t *s = arg;
	assert_true(s->n < 4096);
	knot_rrset_t *c = &s->v[s->n++];
	knot_rrset_init(c, knot_dname_copy(rr->owner, NULL), rr->type, rr->rclass, rr->ttl);
	assert_int_equal(knot_rdataset_copy(&c->rrs, &rr->rrs, NULL), KNOT_EOK);
	return 0;
}

static void seen_clear(seen_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].owner);
		knot_rdataset_clear(&s->v[i].rrs, NULL);
	}
	s->n = 0;
}

static size_t count(const seen_t *s, uint16_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].type == type;
	return n;
}

/* Whether @p s has an RR equal to @p rr's (owner, type, one RDATA). */
static bool has(const seen_t *s, const knot_rrset_t *rr)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].type == rr->type && knot_dname_is_equal(s->v[i].owner, rr->owner) &&
		    knot_rdataset_member(&s->v[i].rrs, rr->rrs.rdata))
			return true;
	return false;
}

static dns_zone_t *zone0;
static uint32_t raise_cb(void *arg)
{
	(void)arg;
	uint32_t old = zone0->serial;
	dns_zone_touch(zone0, old + 1);
	return old;
}

static void test_signed_zone(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	char keys[64], err[256];
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	dns_keystore_t *ks;
	assert_int_equal(dns_keystore_open(keys, &ks, err, sizeof(err)), 0);
	dns_db_t *db = xt_db(100, NULL);
	dns_zone_t *z = zone0 = &db->zones[0];
	const dns_key_t *k;
	assert_int_equal(dns_keystore_make(ks, z->apex, 13, &k, err, sizeof(err)), 0);
	dns_zkey_t *step;
	assert_int_equal(dns_zkey_new(k, &k, 1, &k, 1, k, 3600, &step), 0);
	z->key = step;

	/* the chain: every name, in hash order, each pointing at the next */
	dns_nsec3_t chain;
	assert_int_equal(dns_nsec3_build(db, z, &chain), 0);
	assert_int_equal(chain.n, 1 + 1 + 1 + 100); /* apex, ns1, nas, host0..99 */
	for (size_t i = 1; i < chain.n; i++)
		assert_true(memcmp(chain.v[i - 1].hash, chain.v[i].hash, DNS_NSEC3_HASH_LEN) < 0);
	dns_nsec3_free(&chain);

	const uint32_t t0 = 1800000000;
	dns_xsign_t *x;
	assert_int_equal(dns_xsign_new(&x), 0);
	assert_int_equal(dns_xsign_reset(x, db, z, t0), 0);
	/* a thread signs the zone whole; it is not ready meanwhile */
	dns_xsign_done_t ready[4];
	size_t n_ready = 0;
	for (int i = 0; i < 60000 && n_ready == 0; i++) {
		if (dns_xsign_busy(x))
			assert_false(dns_xsign_ready(x, z->apex));
		n_ready = dns_xsign_poll(x, ready, 4);
		if (n_ready == 0)
			usleep(1000);
	}
	assert_int_equal(n_ready, 1);
	assert_true(knot_dname_is_equal(ready[0].apex, z->apex));
	assert_int_equal(ready[0].signatures, 6 + 2 + 100 + 103);
	assert_true(dns_xsign_ready(x, z->apex));
	assert_false(dns_xsign_busy(x));
	static seen_t s0, s1, s2;
	assert_int_equal(dns_xsign_put_zone(x, db, z, keep, &s0), 0);
	assert_int_equal(count(&s0, KNOT_RRTYPE_NSEC3), 103);
	assert_int_equal(count(&s0, KNOT_RRTYPE_NSEC3PARAM), 1);
	assert_int_equal(count(&s0, KNOT_RRTYPE_DNSKEY), 1);
	/* SOA, NS, DNSKEY, CDS, CDNSKEY, NSEC3PARAM, ns1 A, nas A, 100 A, 103 NSEC3 */
	assert_int_equal(count(&s0, KNOT_RRTYPE_RRSIG), 6 + 2 + 100 + 103);
	/* the same again: from the store, the same bytes */
	assert_int_equal(dns_xsign_put_zone(x, db, z, keep, &s1), 0);
	assert_int_equal(s1.n, s0.n);
	for (size_t i = 0; i < s1.n; i++)
		assert_true(has(&s0, &s1.v[i]));
	seen_clear(&s1);

	/* a re-sign three days on: some windows moved, exactly those change */
	dns_journal_t *j;
	assert_int_equal(dns_journal_new(100, &j), 0);
	assert_int_equal(dns_xsign_resign(x, db, z, t0 + 3 * 86400, j, raise_cb, NULL), 1);
	const dns_zone_journal_t *zj = dns_journal_find(j, z->apex);
	assert_non_null(zj);
	const dns_change_t *c = zj->tail;
	assert_int_equal(c->to, z->serial);
	assert_int_equal(c->n_removed, c->n_added);
	/* 3/7 of ~213 RRsets expected, and the SOA's */
	assert_true(c->n_removed > 40 && c->n_removed < 150);
	assert_int_equal(dns_xsign_put_zone(x, db, z, keep, &s1), 0);
	for (size_t i = 0; i < c->n_removed; i++) {
		assert_int_equal(c->removed[i].type, KNOT_RRTYPE_RRSIG);
		if (knot_rrsig_type_covered(c->removed[i].rrs.rdata) != KNOT_RRTYPE_SOA) {
			assert_true(has(&s0, &c->removed[i]));  /* what the zone held */
			assert_false(has(&s1, &c->removed[i])); /* and holds no more */
		}
	}
	for (size_t i = 0; i < c->n_added; i++)
		if (knot_rrsig_type_covered(c->added[i].rrs.rdata) != KNOT_RRTYPE_SOA)
			assert_true(has(&s1, &c->added[i]));
	/* nothing moved within the same hour */
	assert_int_equal(dns_xsign_resign(x, db, z, t0 + 3 * 86400 + 60, j, raise_cb, NULL), 0);

	/* an address update: its RRSIG goes and comes, the chain stays */
	dns_snap_t snap;
	assert_int_equal(dns_snap_take(&snap, db, "host7." XT_ZONE), 0);
	assert_int_equal(dns_db_update(db, "host7." XT_ZONE, "10.9.9.9", NULL, z->serial + 1), 1);
	assert_int_equal(dns_snap_commit(&snap, db, j), 1);
	assert_int_equal(dns_xsign_step(x, db, z, zj->tail), 0);
	c = zj->tail;
	assert_int_equal(c->n_removed, 3); /* A, its RRSIG, the old SOA's RRSIG */
	assert_int_equal(c->n_added, 3);
	assert_true(has(&s1, &c->removed[1]));
	for (size_t i = 0; i < c->n_added; i++)
		assert_int_not_equal(c->added[i].type, KNOT_RRTYPE_NSEC3);

	/* a new name: its NSEC3 comes, its predecessor's changes */
	static const char *const v[] = { "token" };
	assert_int_equal(dns_snap_take(&snap, db, "_acme-challenge.host7." XT_ZONE), 0);
	assert_int_equal(dns_db_set_txt(db, "_acme-challenge.host7." XT_ZONE, v, 1, 0,
	                                z->serial + 1), 1);
	assert_int_equal(dns_snap_commit(&snap, db, j), 1);
	assert_int_equal(dns_xsign_step(x, db, z, zj->tail), 0);
	c = zj->tail;
	size_t n3_rem = 0, n3_add = 0;
	for (size_t i = 0; i < c->n_removed; i++)
		n3_rem += c->removed[i].type == KNOT_RRTYPE_NSEC3;
	for (size_t i = 0; i < c->n_added; i++)
		n3_add += c->added[i].type == KNOT_RRTYPE_NSEC3;
	assert_int_equal(n3_rem, 1);
	assert_int_equal(n3_add, 2);
	assert_int_equal(dns_xsign_put_zone(x, db, z, keep, &s2), 0);
	assert_int_equal(count(&s2, KNOT_RRTYPE_NSEC3), 104);
	for (size_t i = 0; i < c->n_added; i++) /* the TXT itself is the unsigned zone's */
		if (c->added[i].type != KNOT_RRTYPE_TXT)
			assert_true(has(&s2, &c->added[i]));

	seen_clear(&s0);
	seen_clear(&s1);
	seen_clear(&s2);
	dns_journal_free(j);
	dns_xsign_free(x);
	dns_zkey_free(step);
	dns_db_free(db);
	dns_keystore_close(ks);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
