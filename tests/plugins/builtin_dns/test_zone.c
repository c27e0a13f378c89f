/**
 * @file test_zone.c
 * @brief Unit tests of builtin_dns's zone database.
 */
#include "dns_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "zone.h"

static const dns_db_conf_t conf = { .ttl = 1, .soa_ttl = 3600, .refresh = 3600,
                                    .retry = 600, .expire = 604800, .minimum = 1 };

static dns_db_t *db_make(const char *const *zones, size_t n, const char *const *ns,
                         size_t n_ns)
{
	char err[256] = "";
	dns_db_t *db = NULL;
	if (dns_db_new(&conf, zones, n, ns, n_ns, 100, &db, err, sizeof(err), NULL) != 0)
		fail_msg("dns_db_new: %s", err);
	return db;
}

static const dns_node_t *node(const dns_db_t *db, const char *name)
{
	knot_dname_storage_t buf;
	assert_non_null(knot_dname_from_str(buf, name, sizeof(buf)));
	knot_dname_to_lower(buf);
	return dns_db_node(db, buf);
}

static void test_longest_match(void **state)
{
	static const char *const zones[] = { "example.com", "dyn.example.com" };
	dns_db_t *db = db_make(zones, 2, NULL, 0);
	assert_int_equal(dns_db_set_record(db, "a.dyn.example.com", "192.0.2.1", NULL,
	                                   NULL, NULL), 0);
	assert_int_equal(dns_db_set_record(db, "b.example.com", "192.0.2.2", NULL, NULL,
	                                   NULL), 0);
	assert_ptr_equal(node(db, "a.dyn.example.com")->zone,
	                 dns_db_zone_by_name(db, "dyn.example.com"));
	assert_ptr_equal(node(db, "b.example.com")->zone,
	                 dns_db_zone_by_name(db, "example.com"));
	/* Outside every zone. */
	assert_int_equal(dns_db_set_record(db, "a.example.net", "192.0.2.1", NULL, NULL,
	                                   NULL), -ENOENT);
	assert_int_equal(dns_db_set_record(db, "com", "192.0.2.1", NULL, NULL, NULL), -ENOENT);
	assert_int_equal(db->n_records, 2);
	dns_db_free(db);
}

static void test_empty_non_terminals(void **state)
{
	static const char *const zones[] = { "example.com" };
	dns_db_t *db = db_make(zones, 1, NULL, 0);
	assert_int_equal(dns_db_set_record(db, "a.b.c.example.com", "192.0.2.1", NULL,
	                                   NULL, NULL), 0);
	const dns_node_t *n = node(db, "b.c.example.com");
	assert_non_null(n);
	assert_false(n->record);
	assert_non_null(node(db, "c.example.com"));
	assert_true(node(db, "example.com")->apex);
	assert_null(node(db, "x.c.example.com"));
	/* Case does not matter. */
	assert_int_equal(dns_db_set_record(db, "Up.Example.COM", "192.0.2.9", NULL, NULL,
	                                   NULL), 0);
	assert_non_null(node(db, "up.example.com"));
	dns_db_free(db);
}

/* A record removed in place: an emptied leaf goes with the empty
 * non-terminals above it, a name with names below stays as one. */
static void test_remove_record(void **state)
{
	(void)state;
	static const char *const zones[] = { "example.com" };
	dns_db_t *db = db_make(zones, 1, NULL, 0);
	const dns_zone_t *z = dns_db_zone_by_name(db, "example.com");
	assert_int_equal(dns_db_set_record(db, "a.b.c.example.com", "192.0.2.1", NULL,
	                                   NULL, NULL), 0);
	assert_int_equal(dns_db_set_record(db, "c.example.com", "192.0.2.3", NULL,
	                                   NULL, NULL), 0);
	size_t nodes = db->n_nodes; /* apex, c, b.c, a.b.c */
	assert_int_equal(nodes, 4);
	uint32_t s0 = z->serial;
	/* c has a name below it: it stays, as an empty non-terminal */
	assert_int_equal(dns_db_remove_record(db, "c.example.com", 50), 1);
	assert_non_null(node(db, "c.example.com"));
	assert_false(node(db, "c.example.com")->record);
	assert_int_equal(node(db, "c.example.com")->a.rrs.count, 0);
	assert_int_equal(db->n_records, 1);
	assert_true(z->serial != s0);
	/* the leaf goes, and b.c and c with it: NXDOMAIN again */
	assert_int_equal(dns_db_remove_record(db, "a.b.c.example.com", 50), 1);
	assert_null(node(db, "a.b.c.example.com"));
	assert_null(node(db, "b.c.example.com"));
	assert_null(node(db, "c.example.com"));
	assert_non_null(node(db, "example.com"));
	assert_int_equal(db->n_nodes, 1);
	assert_int_equal(db->n_records, 0);
	/* not a record, or unknown: nothing */
	assert_int_equal(dns_db_remove_record(db, "example.com", 50), 0);
	assert_int_equal(dns_db_remove_record(db, "nope.example.com", 50), 0);
	/* and names come back */
	assert_int_equal(dns_db_set_record(db, "b.c.example.com", "192.0.2.4", NULL,
	                                   NULL, NULL), 0);
	assert_int_equal(node(db, "c.example.com")->n_children, 1);
	dns_db_free(db);
}

/* A record as the store holds it now, keeping an update the store has not
 * committed yet. */
static void test_apply_record(void **state)
{
	(void)state;
	static const char *const zones[] = { "example.com" };
	dns_db_t *db = db_make(zones, 1, NULL, 0);
	const dns_zone_t *z = dns_db_zone_by_name(db, "example.com");
	assert_int_equal(dns_db_apply_record(db, "h.example.com", "192.0.2.1", NULL,
	                                     "10.0.0.1", NULL, 0, 200), 0);
	const dns_node_t *n = node(db, "h.example.com");
	assert_true(n->record && n->has_wan4);
	assert_int_equal(n->lan_a.rrs.count, 1);
	assert_int_equal(z->serial, 200);
	/* an update at 300, its commit still on the way */
	assert_int_equal(dns_db_update(db, "h.example.com", "192.0.2.9", NULL, 300), 1);
	assert_int_equal(dns_db_apply_record(db, "h.example.com", "192.0.2.1", NULL,
	                                     "10.0.0.2", NULL, 250, 301), 0);
	const uint8_t nine[4] = { 192, 0, 2, 9 }, two[4] = { 10, 0, 0, 2 };
	assert_memory_equal(n->wan4, nine, 4);               /* kept */
	assert_memory_equal(n->a.rrs.rdata->data, nine, 4);
	assert_memory_equal(n->lan_a.rrs.rdata->data, two, 4); /* taken */
	/* once the store has it, the store wins */
	assert_int_equal(dns_db_apply_record(db, "h.example.com", "192.0.2.5", NULL,
	                                     NULL, NULL, 300, 302), 0);
	const uint8_t five[4] = { 192, 0, 2, 5 };
	assert_memory_equal(n->a.rrs.rdata->data, five, 4);
	assert_int_equal(n->lan_a.rrs.count, 0);
	assert_int_equal(dns_db_apply_record(db, "h.example.net", "192.0.2.5", NULL,
	                                     NULL, NULL, 0, 303), -ENOENT);
	dns_db_free(db);
}

static void test_bad_input(void **state)
{
	static const char *const zones[] = { "example.com" };
	dns_db_t *db = db_make(zones, 1, NULL, 0);
	assert_int_equal(dns_db_set_record(db, "a.example.com", "999.1.1.1", NULL, NULL,
	                                   NULL), -EINVAL);
	assert_int_equal(dns_db_set_record(db, "a.example.com", NULL, "192.0.2.1", NULL,
	                                   NULL), -EINVAL);
	assert_int_equal(dns_db_set_record(db, "", "192.0.2.1", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(dns_db_update(db, "a.example.com", "nope", NULL, 5), -EINVAL);
	assert_null(node(db, "a.example.com"));
	dns_db_free(db);
}

static void test_update_serial(void **state)
{
	static const char *const zones[] = { "example.com", "example.org" };
	dns_db_t *db = db_make(zones, 2, NULL, 0);
	const dns_zone_t *z = dns_db_zone_by_name(db, "example.com");
	const dns_zone_t *other = dns_db_zone_by_name(db, "example.org");
	assert_int_equal(z->serial, 100);
	assert_int_equal(dns_db_set_record(db, "a.example.com", "192.0.2.1", NULL, NULL,
	                                   NULL), 0);
	/* Same address: nothing changes. */
	assert_int_equal(dns_db_update(db, "a.example.com", "192.0.2.1", NULL, 5000), 0);
	assert_int_equal(z->serial, 100);
	/* A change: max(serial + 1, now). */
	assert_int_equal(dns_db_update(db, "a.example.com", "192.0.2.2", NULL, 5000), 1);
	assert_int_equal(z->serial, 5000);
	assert_int_equal(knot_soa_serial(z->soa.rrs.rdata), 5000);
	assert_int_equal(dns_db_update(db, "a.example.com", NULL, "2001:db8::1", 5000), 1);
	assert_int_equal(z->serial, 5001);
	assert_int_equal(other->serial, 100);
	const dns_node_t *n = node(db, "a.example.com");
	assert_true(n->has_wan4 && n->has_wan6);
	assert_memory_equal(n->wan4, "\xc0\x00\x02\x02", 4);
	assert_memory_equal(knot_rdataset_at(&n->a.rrs, 0)->data, "\xc0\x00\x02\x02", 4);
	assert_int_equal(n->aaaa.rrs.count, 1);
	/* An update of a name not yet known adds it. */
	assert_int_equal(dns_db_update(db, "new.example.org", "192.0.2.7", NULL, 10), 1);
	assert_int_equal(other->serial, 101);
	assert_non_null(node(db, "new.example.org"));
	assert_int_equal(dns_db_update(db, "new.example.net", "192.0.2.7", NULL, 10), -ENOENT);

	/* A rebuilt db continues every serial upward. */
	dns_db_t *db2 = db_make(zones, 2, NULL, 0);
	dns_db_bump_serials(db2, db, 50);
	assert_int_equal(dns_db_zone_by_name(db2, "example.com")->serial, 5002);
	assert_int_equal(dns_db_zone_by_name(db2, "example.org")->serial, 102);
	/* The store still has the old address (its commit is pending): the
	 * update applied at 5000 is carried over; a newer store row wins. */
	assert_int_equal(dns_db_set_record(db2, "a.example.com", "192.0.2.1", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_carry_update(db2, db, "a.example.com", 4999), 1);
	n = node(db2, "a.example.com");
	assert_memory_equal(n->wan4, "\xc0\x00\x02\x02", 4);
	assert_memory_equal(knot_rdataset_at(&n->a.rrs, 0)->data, "\xc0\x00\x02\x02", 4);
	assert_true(n->has_wan6);
	assert_int_equal(dns_db_set_record(db2, "a.example.com", "192.0.2.9", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_carry_update(db2, db, "a.example.com", 5000), 0);
	assert_memory_equal(node(db2, "a.example.com")->wan4, "\xc0\x00\x02\x09", 4);
	assert_int_equal(dns_db_carry_update(db2, db, "zz.example.com", 0), 0);
	assert_int_equal(dns_db_carry_update(db2, NULL, "a.example.com", 0), 0);
	dns_db_free(db2);
	dns_db_free(db);
}

/* A rebuild raises only the serial of a zone whose content changed. */
static void test_bump_only_changed(void **state)
{
	(void)state;
	static const char *const zones[] = { "example.com", "example.org", "example.net" };
	static const char *const ns[] = { "ns1.example.com=192.0.2.53" };
	dns_db_t *db = db_make(zones, 3, ns, 1);
	assert_int_equal(dns_db_set_record(db, "a.example.com", "192.0.2.1", NULL,
	                                   "10.0.0.1", NULL), 0);
	assert_int_equal(dns_db_set_record(db, "b.example.org", "192.0.2.2", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_set_record(db, "c.x.example.net", "192.0.2.3", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_update(db, "b.example.org", "192.0.2.22", NULL, 700), 1);
	/* The same content, re-read: a record in example.org is new. */
	dns_db_t *db2 = db_make(zones, 3, ns, 1);
	assert_int_equal(dns_db_set_record(db2, "a.example.com", "192.0.2.1", NULL,
	                                   "10.0.0.1", NULL), 0);
	assert_int_equal(dns_db_set_record(db2, "b.example.org", "192.0.2.22", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_set_record(db2, "new.example.org", "192.0.2.9", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_set_record(db2, "c.x.example.net", "192.0.2.3", NULL, NULL,
	                                   NULL), 0);
	dns_db_bump_serials(db2, db, 900);
	assert_int_equal(dns_db_zone_by_name(db2, "example.com")->serial, 100);
	assert_int_equal(dns_db_zone_by_name(db2, "example.org")->serial, 900);
	assert_int_equal(dns_db_zone_by_name(db2, "example.net")->serial, 100);
	assert_int_equal(knot_soa_serial(dns_db_zone_by_name(db2, "example.com")->soa.rrs.rdata),
	                 100);
	/* A LAN address changed (example.com), a record gone (example.net,
	 * with its empty non-terminal): both rise; example.org does not. */
	dns_db_t *db3 = db_make(zones, 3, ns, 1);
	assert_int_equal(dns_db_set_record(db3, "a.example.com", "192.0.2.1", NULL,
	                                   "10.0.0.2", NULL), 0);
	assert_int_equal(dns_db_set_record(db3, "b.example.org", "192.0.2.22", NULL, NULL,
	                                   NULL), 0);
	assert_int_equal(dns_db_set_record(db3, "new.example.org", "192.0.2.9", NULL, NULL,
	                                   NULL), 0);
	dns_db_bump_serials(db3, db2, 950);
	assert_int_equal(dns_db_zone_by_name(db3, "example.com")->serial, 950);
	assert_int_equal(dns_db_zone_by_name(db3, "example.org")->serial, 900);
	assert_int_equal(dns_db_zone_by_name(db3, "example.net")->serial, 950);
	dns_db_free(db3);
	dns_db_free(db2);
	dns_db_free(db);
}

static void test_many_records(void **state)
{
	static const char *const zones[] = { "example.com" };
	dns_db_t *db = db_make(zones, 1, NULL, 0);
	char name[64], ip[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "host%d.example.com", i);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(dns_db_set_record(db, name, ip, NULL, NULL, NULL), 0);
	}
	assert_int_equal(db->n_records, 100000);
	assert_true(db->n_buckets >= db->n_nodes);
	for (int i = 0; i < 100000; i += 997) {
		snprintf(name, sizeof(name), "host%d.example.com", i);
		const dns_node_t *n = node(db, name);
		assert_non_null(n);
		assert_int_equal(n->wan4[3], i & 255);
	}
	dns_db_free(db);
}

/* Every address of an in-zone NS name is glue, and a record never takes
 * the name over: glue wins (doc/builtin-dns.md). */
static void test_glue(void **state)
{
	(void)state;
	static const char *const zones[] = { "example.com" };
	static const char *const ns[] = {
		"ns1.example.com=192.0.2.2,2001:db8::1,192.0.2.1,2001:db8::2,192.0.2.2",
		"ns2.example.com=192.0.2.3" };
	dns_db_t *db = db_make(zones, 1, ns, 2);
	const dns_zone_t *z = dns_db_zone_by_name(db, "example.com");
	assert_int_equal(z->n_glue, 2);
	assert_int_equal(db->n_records, 0);
	const dns_node_t *n = node(db, "ns1.example.com");
	assert_non_null(n);
	assert_true(n->glue);
	assert_int_equal(n->a.rrs.count, 2); /* the repeat is dropped */
	assert_int_equal(n->aaaa.rrs.count, 2);
	assert_memory_equal(knot_rdataset_at(&n->a.rrs, 0)->data, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(knot_rdataset_at(&n->a.rrs, 1)->data, "\xc0\x00\x02\x02", 4);
	assert_int_equal(n->a.ttl, 3600);
	assert_int_equal(node(db, "ns2.example.com")->a.rrs.count, 1);
	uint32_t serial = z->serial;
	/* A record of the same name changes nothing. */
	assert_int_equal(dns_db_set_record(db, "NS1.example.com", "198.51.100.1", NULL, NULL,
	                                   NULL), -EEXIST);
	assert_int_equal(dns_db_update(db, "ns1.example.com", "198.51.100.1", NULL, 5000),
	                 -EEXIST);
	assert_int_equal(dns_db_apply_record(db, "ns1.example.com", "198.51.100.1", NULL,
	                                     NULL, NULL, 0, 5000), -EEXIST);
	assert_int_equal(dns_db_remove_record(db, "ns1.example.com", 5000), 0);
	n = node(db, "ns1.example.com");
	assert_non_null(n);
	assert_int_equal(n->a.rrs.count, 2);
	assert_memory_equal(knot_rdataset_at(&n->a.rrs, 0)->data, "\xc0\x00\x02\x01", 4);
	assert_int_equal(z->serial, serial);
	assert_int_equal(db->n_records, 0);
	dns_db_free(db);
}

static void expect_conf_error(const char *const *zones, size_t n, const char *const *ns,
                              size_t n_ns, const char *contact, const char *want,
                              const char *setting)
{
	char err[256] = "";
	dns_db_t *db = NULL;
	dns_db_conf_t c = conf;
	c.contact = contact;
	const char *got = NULL;
	assert_int_equal(dns_db_new(&c, zones, n, ns, n_ns, 1, &db, err, sizeof(err), &got),
	                 -EINVAL);
	assert_null(db);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	assert_non_null(got);
	assert_string_equal(got, setting); /* the option to blame, told, not guessed */
}

static void test_config_errors(void **state)
{
	static const char *const zones[] = { "example.com" };
	static const char *const bad_zone[] = { "exa..mple.com" };
	static const char *const twice[] = { "example.com", "EXAMPLE.com" };
	static const char *const in_zone[] = { "ns1.example.com" };
	static const char *const outside[] = { "ns1.example.net=192.0.2.1" };
	static const char *const bad_addr[] = { "ns1.example.com=192.0.2.300" };
	expect_conf_error(bad_zone, 1, NULL, 0, NULL, "exa..mple.com", "zone");
	expect_conf_error(twice, 2, NULL, 0, NULL, "twice", "zone");
	expect_conf_error(zones, 1, in_zone, 1, NULL, "needs an address", "ns");
	expect_conf_error(zones, 1, outside, 1, NULL, "outside the zones", "ns");
	expect_conf_error(zones, 1, bad_addr, 1, NULL, "bad address", "ns");
	static const char *const ns_twice[] = { "ns1.example.com=192.0.2.1",
	                                        "NS1.example.com=192.0.2.2" };
	expect_conf_error(zones, 1, ns_twice, 2, NULL, "listed twice", "ns");
	expect_conf_error(zones, 1, NULL, 0, "host..master", "soa_contact", "soa_contact");
}

static void test_soa_defaults(void **state)
{
	static const char *const zones[] = { "example.com" };
	static const char *const ns[] = { "ns.example.net" };
	char buf[KNOT_DNAME_TXT_MAXLEN];
	dns_db_t *db = db_make(zones, 1, ns, 1);
	const dns_zone_t *z = dns_db_zone_by_name(db, "example.com");
	const knot_rdata_t *rd = z->soa.rrs.rdata;
	assert_string_equal(knot_dname_to_str(buf, knot_soa_primary(rd), sizeof(buf)),
	                    "ns.example.net.");
	assert_string_equal(knot_dname_to_str(buf, knot_soa_mailbox(rd), sizeof(buf)),
	                    "hostmaster.example.com.");
	assert_int_equal(knot_soa_refresh(rd), 3600);
	assert_int_equal(z->ns.rrs.count, 1);
	assert_int_equal(z->n_glue, 0);
	dns_db_free(db);
	/* Without NS, the SOA names the apex and NS has no data. */
	db = db_make(zones, 1, NULL, 0);
	z = dns_db_zone_by_name(db, "example.com");
	assert_string_equal(knot_dname_to_str(buf, knot_soa_primary(z->soa.rrs.rdata),
	                                      sizeof(buf)), "example.com.");
	assert_true(knot_rrset_empty(&z->ns));
	dns_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_match),
		cmocka_unit_test(test_empty_non_terminals),
		cmocka_unit_test(test_remove_record),
		cmocka_unit_test(test_apply_record),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_update_serial),
		cmocka_unit_test(test_bump_only_changed),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_glue),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_soa_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
