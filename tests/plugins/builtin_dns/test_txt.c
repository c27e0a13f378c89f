/**
 * @file test_txt.c
 * @brief Unit tests of builtin_dns's TXT sets (txt.c): limits, the serial,
 * answers, removal, and survival across a rebuild.
 */
#include "dns_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "answer.h"
#include "txt.h"

#define ACME "_acme-challenge.nas.dyn.example.com"

static dns_db_t *db_make(void)
{
	static const char *const zones[] = { "dyn.example.com" };
	static const char *const ns[] = { "ns1.dyn.example.com=192.0.2.53" };
	dns_db_conf_t conf = { .ttl = 1, .soa_ttl = 3600, .refresh = 3600, .retry = 600,
	                       .expire = 604800, .minimum = 5 };
	char err[256] = "";
	dns_db_t *db = NULL;
	if (dns_db_new(&conf, zones, 1, ns, 1, 100, &db, err, sizeof(err), NULL) != 0)
		fail_msg("dns_db_new: %s", err);
	assert_int_equal(dns_db_set_record(db, "nas.dyn.example.com", "192.0.2.1", NULL,
	                                   NULL, NULL), 0);
	return db;
}

static const dns_node_t *node(const dns_db_t *db, const char *name)
{
	knot_dname_storage_t buf;
	assert_non_null(knot_dname_from_str(buf, name, sizeof(buf)));
	knot_dname_to_lower(buf);
	return dns_db_node(db, buf);
}

static uint32_t serial(const dns_db_t *db)
{
	return dns_db_zone_by_name(db, "dyn.example.com")->serial;
}

/* Ask @p name / @p type; the parsed response (caller frees). */
static knot_pkt_t *ask(const dns_db_t *db, uint8_t *resp, size_t resp_len,
                       const char *name, uint16_t type)
{
	uint8_t q[512];
	dns_answerer_t *a = NULL;
	assert_int_equal(dns_answerer_new(&a), 0);
	size_t qlen = mkquery(q, name, type, 1232);
	struct sockaddr_storage ss = client_addr("198.51.100.1");
	size_t len = dns_answer(a, db, q, qlen, (struct sockaddr *)&ss, false, resp, resp_len);
	dns_answerer_free(a);
	return parse_response(resp, len);
}

/* Whether the TXT rrset @p rr holds the string @p want. */
static bool txt_has(const knot_rrset_t *rr, const char *want)
{
	size_t len = strlen(want);
	for (uint16_t i = 0; i < rr->rrs.count; i++) {
		const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, i);
		if (rd->len == len + 1 && rd->data[0] == len && memcmp(rd->data + 1, want, len) == 0)
			return true;
	}
	return false;
}

static void test_set_and_answer(void **state)
{
	(void)state;
	dns_db_t *db = db_make();
	uint32_t s0 = serial(db);
	/* An ACME order for a name and its wildcard: two values at once. */
	const char *v[] = { "LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo",
	                    "Tk9UX0FfUkVBTF9DSEFMTEVOR0VfQlVUX0xPTkdfRU5PVUdI" };
	assert_int_equal(dns_db_set_txt(db, ACME, v, 2, 60, 0), 1);
	assert_true(serial(db) > s0);
	uint32_t s1 = serial(db);
	/* The same set again changes nothing, the serial stays. */
	assert_int_equal(dns_db_set_txt(db, ACME, v, 2, 60, 0), 0);
	assert_int_equal(serial(db), s1);

	uint8_t resp[4096];
	knot_pkt_t *p = ask(db, resp, sizeof(resp), "_ACME-challenge.nas.dyn.example.com",
	                    KNOT_RRTYPE_TXT);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_true(knot_wire_get_aa(p->wire));
	/* knot_pkt_parse() gives one RRset per RR. */
	assert_int_equal(section_count(p, KNOT_ANSWER), 2);
	bool seen[2] = { false, false };
	for (uint16_t i = 0; i < 2; i++) {
		const knot_rrset_t *rr = section_rr(p, KNOT_ANSWER, i);
		assert_int_equal(rr->type, KNOT_RRTYPE_TXT);
		assert_int_equal(rr->ttl, 60);
		seen[0] |= txt_has(rr, v[0]);
		seen[1] |= txt_has(rr, v[1]);
	}
	assert_true(seen[0] && seen[1]);
	knot_pkt_free(p);
	/* The name holds no address: A is NODATA, not NXDOMAIN. */
	p = ask(db, resp, sizeof(resp), ACME, KNOT_RRTYPE_A);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_int_equal(section_count(p, KNOT_ANSWER), 0);
	knot_pkt_free(p);
	/* The record's own name has no TXT. */
	p = ask(db, resp, sizeof(resp), "nas.dyn.example.com", KNOT_RRTYPE_TXT);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_int_equal(section_count(p, KNOT_ANSWER), 0);
	knot_pkt_free(p);
	dns_db_free(db);
}

static void test_delete_prunes(void **state)
{
	(void)state;
	dns_db_t *db = db_make();
	const char *v[] = { "token" };
	size_t nodes = db->n_nodes;
	assert_int_equal(dns_db_set_txt(db, ACME, v, 1, 0, 0), 1);
	assert_int_equal(db->n_nodes, nodes + 1);
	assert_int_equal(node(db, ACME)->txt.ttl, 1); /* 0: the db's ttl */
	uint32_t s1 = serial(db);
	assert_int_equal(dns_db_set_txt(db, ACME, NULL, 0, 0, 0), 1);
	assert_true(serial(db) > s1);
	assert_null(node(db, ACME));
	assert_int_equal(db->n_nodes, nodes);
	uint8_t resp[4096];
	knot_pkt_t *p = ask(db, resp, sizeof(resp), ACME, KNOT_RRTYPE_TXT);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NXDOMAIN);
	knot_pkt_free(p);
	/* Deleting what is not there changes nothing. */
	uint32_t s2 = serial(db);
	assert_int_equal(dns_db_set_txt(db, ACME, NULL, 0, 0, 0), 0);
	assert_int_equal(serial(db), s2);
	/* A record removed under its challenge leaves the challenge served. */
	assert_int_equal(dns_db_set_txt(db, ACME, v, 1, 0, 0), 1);
	assert_int_equal(dns_db_remove_record(db, "nas.dyn.example.com", 0), 1);
	assert_non_null(node(db, ACME));
	assert_int_equal(dns_db_set_txt(db, ACME, NULL, 0, 0, 0), 1);
	assert_null(node(db, "nas.dyn.example.com"));
	dns_db_free(db);
}

static void test_limits(void **state)
{
	(void)state;
	dns_db_t *db = db_make();
	const char *v[DNS_TXT_MAX_VALUES + 1];
	char bufs[DNS_TXT_MAX_VALUES + 1][8];
	for (size_t i = 0; i < DNS_TXT_MAX_VALUES + 1; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "v%zu", i);
		v[i] = bufs[i];
	}
	uint32_t s0 = serial(db);
	assert_int_equal(dns_db_set_txt(db, ACME, v, DNS_TXT_MAX_VALUES + 1, 0, 0), -E2BIG);
	assert_null(node(db, ACME));
	assert_int_equal(serial(db), s0);
	assert_int_equal(dns_db_set_txt(db, ACME, v, DNS_TXT_MAX_VALUES, 0, 0), 1);
	assert_int_equal(node(db, ACME)->txt.rrs.count, DNS_TXT_MAX_VALUES);
	/* A value over 255 bytes: refused, the set unchanged. */
	char big[257];
	memset(big, 'x', 256);
	big[256] = '\0';
	const char *vb[] = { "ok", big };
	assert_int_equal(dns_db_set_txt(db, ACME, vb, 2, 0, 0), -EINVAL);
	assert_int_equal(node(db, ACME)->txt.rrs.count, DNS_TXT_MAX_VALUES);
	big[255] = '\0';
	assert_int_equal(dns_db_set_txt(db, ACME, vb, 2, 0, 0), 1);
	assert_int_equal(node(db, ACME)->txt.rrs.count, 2);
	/* Outside every zone; at the apex; at an in-zone NS name. */
	assert_int_equal(dns_db_set_txt(db, "_acme-challenge.example.net", v, 1, 0, 0), -ENOENT);
	assert_int_equal(dns_db_set_txt(db, "dyn.example.com", v, 1, 0, 0), -EEXIST);
	assert_int_equal(dns_db_set_txt(db, "ns1.dyn.example.com", v, 1, 0, 0), -EEXIST);
	assert_int_equal(dns_db_set_txt(db, "bad..name", v, 1, 0, 0), -EINVAL);
	dns_db_free(db);
}

static void test_carried_over_rebuild(void **state)
{
	(void)state;
	dns_db_t *old = db_make();
	const char *v[] = { "a", "b" };
	assert_int_equal(dns_db_set_txt(old, ACME, v, 2, 30, 0), 1);
	dns_db_t *db = db_make();
	assert_int_equal(dns_db_carry_txt(db, old), 0);
	const dns_node_t *n = node(db, ACME);
	assert_non_null(n);
	assert_int_equal(n->txt.ttl, 30);
	assert_true(knot_rdataset_eq(&n->txt.rrs, &node(old, ACME)->txt.rrs));
	/* The same content: the rebuild keeps the old serial. */
	dns_db_bump_serials(db, old, 0);
	assert_int_equal(serial(db), serial(old));
	dns_db_free(db);
	dns_db_free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_answer),
		cmocka_unit_test(test_delete_prunes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_carried_over_rebuild),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
