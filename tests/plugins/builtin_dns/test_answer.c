/**
 * @file test_answer.c
 * @brief Unit tests of builtin_dns's answer function: every answer kind.
 */
#include "dns_query.h"

#include <stdio.h>
#include <stdlib.h>

#include "answer.h"
#include "zone.h"

typedef struct fixture {
	dns_db_t *db;
	dns_answerer_t *ans;
	uint8_t query[512];
	uint8_t resp[DNS_MAX_RESPONSE];
} fixture_t;

#define HOME4 "203.0.113.7"
#define HOME6 "2001:db8::7"

static dns_db_t *make_db(const char *const *ns, size_t n_ns)
{
	static const char *const zones[] = { "example.com", "dyn.example.org" };
	dns_db_conf_t conf = { .ttl = 1, .soa_ttl = 3600, .refresh = 3600, .retry = 600,
	                       .expire = 604800, .minimum = 5,
	                       .contact = "host.master@example.com" };
	char err[256] = "";
	dns_db_t *db = NULL;
	int ret = dns_db_new(&conf, zones, 2, ns, n_ns, 1000, &db, err, sizeof(err), NULL);
	if (ret != 0)
		fail_msg("dns_db_new: %s", err);
	assert_int_equal(dns_db_set_record(db, "a.example.com", HOME4, HOME6,
	                                   "192.168.1.100", "fd00::100"), 0);
	assert_int_equal(dns_db_set_record(db, "x.y.example.com", "198.51.100.1", NULL,
	                                   NULL, NULL), 0);
	assert_int_equal(dns_db_set_record(db, "v6.example.com", NULL, "2001:db8::6",
	                                   NULL, NULL), 0);
	assert_int_equal(dns_db_set_record(db, "lan4only.example.com", "198.51.100.9",
	                                   "2001:db8::9", "10.0.0.9", NULL), 0);
	assert_int_equal(dns_db_set_record(db, "home.dyn.example.org", "198.51.100.20",
	                                   NULL, NULL, NULL), 0);
	return db;
}

static int setup(void **state)
{
	static const char *const ns[] = { "ns1.example.com=192.0.2.53,2001:db8::53",
	                                  "ns.example.net" };
	fixture_t *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->db = make_db(ns, 2);
	assert_int_equal(dns_answerer_new(&f->ans), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	dns_db_free(f->db);
	dns_answerer_free(f->ans);
	free(f);
	return 0;
}

/* Ask @p name/@p type from @p from over UDP (or TCP); parsed response. */
static knot_pkt_t *ask_full(fixture_t *f, const char *name, uint16_t type, int edns,
                            const char *from, bool tcp, size_t *len_out)
{
	size_t qlen = mkquery(f->query, name, type, edns);
	struct sockaddr_storage ss = client_addr(from);
	size_t len = dns_answer(f->ans, f->db, f->query, qlen, (struct sockaddr *)&ss, tcp,
	                        f->resp, sizeof(f->resp));
	if (len_out)
		*len_out = len;
	knot_pkt_t *p = parse_response(f->resp, len);
	assert_int_equal(knot_wire_get_id(p->wire), 0x1234);
	assert_true(knot_wire_get_qr(p->wire));
	assert_true(knot_wire_get_rd(p->wire));
	return p;
}

static knot_pkt_t *ask(fixture_t *f, const char *name, uint16_t type, const char *from)
{
	return ask_full(f, name, type, NO_EDNS, from, false, NULL);
}

static void expect_addr(const knot_pkt_t *p, uint16_t type, const char *want)
{
	char buf[INET6_ADDRSTRLEN];
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_true(knot_wire_get_aa(p->wire));
	assert_int_equal(knot_wire_get_ancount(p->wire), 1);
	const knot_rrset_t *rr = section_rr(p, KNOT_ANSWER, 0);
	assert_int_equal(rr->type, type);
	assert_int_equal(rr->ttl, 1);
	assert_string_equal(rr_addr(rr, buf, sizeof(buf)), want);
}

/* Negative answer: rcode, no answer, the zone's SOA in authority. */
static void expect_negative(const knot_pkt_t *p, uint16_t rcode, const char *zone)
{
	char buf[KNOT_DNAME_TXT_MAXLEN];
	assert_int_equal(knot_wire_get_rcode(p->wire), rcode);
	assert_true(knot_wire_get_aa(p->wire));
	assert_int_equal(knot_wire_get_ancount(p->wire), 0);
	assert_int_equal(knot_wire_get_nscount(p->wire), 1);
	const knot_rrset_t *soa = section_rr(p, KNOT_AUTHORITY, 0);
	assert_int_equal(soa->type, KNOT_RRTYPE_SOA);
	assert_string_equal(knot_dname_to_str(buf, soa->owner, sizeof(buf)), zone);
	assert_int_equal(soa->ttl, 5); /* the SOA minimum, RFC 2308 */
}

static void test_a_wan(void **state)
{
	knot_pkt_t *p = ask(*state, "a.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	expect_addr(p, KNOT_RRTYPE_A, HOME4);
	knot_pkt_free(p);
	p = ask(*state, "a.example.com", KNOT_RRTYPE_AAAA, "2001:db8:ffff::1");
	expect_addr(p, KNOT_RRTYPE_AAAA, HOME6);
	knot_pkt_free(p);
}

static void test_lan_answer(void **state)
{
	/* From the record's own WAN address (either family): the LAN address. */
	knot_pkt_t *p = ask(*state, "a.example.com", KNOT_RRTYPE_A, HOME4);
	expect_addr(p, KNOT_RRTYPE_A, "192.168.1.100");
	knot_pkt_free(p);
	p = ask(*state, "a.example.com", KNOT_RRTYPE_AAAA, HOME4);
	expect_addr(p, KNOT_RRTYPE_AAAA, "fd00::100");
	knot_pkt_free(p);
	p = ask(*state, "a.example.com", KNOT_RRTYPE_A, HOME6);
	expect_addr(p, KNOT_RRTYPE_A, "192.168.1.100");
	knot_pkt_free(p);
	p = ask(*state, "a.example.com", KNOT_RRTYPE_A, "::ffff:" HOME4);
	expect_addr(p, KNOT_RRTYPE_A, "192.168.1.100");
	knot_pkt_free(p);
	/* No LAN address of the asked family: the WAN one. */
	p = ask(*state, "lan4only.example.com", KNOT_RRTYPE_AAAA, "198.51.100.9");
	expect_addr(p, KNOT_RRTYPE_AAAA, "2001:db8::9");
	knot_pkt_free(p);
	p = ask(*state, "lan4only.example.com", KNOT_RRTYPE_A, "198.51.100.9");
	expect_addr(p, KNOT_RRTYPE_A, "10.0.0.9");
	knot_pkt_free(p);
	/* Another record's WAN address is not home for this one. */
	p = ask(*state, "lan4only.example.com", KNOT_RRTYPE_A, HOME4);
	expect_addr(p, KNOT_RRTYPE_A, "198.51.100.9");
	knot_pkt_free(p);
}

static void test_nxdomain(void **state)
{
	knot_pkt_t *p = ask(*state, "nope.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NXDOMAIN, "example.com.");
	knot_pkt_free(p);
	p = ask(*state, "deep.nope.dyn.example.org", KNOT_RRTYPE_AAAA, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NXDOMAIN, "dyn.example.org.");
	knot_pkt_free(p);
	/* Below a record is nothing either. */
	p = ask(*state, "b.a.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NXDOMAIN, "example.com.");
	knot_pkt_free(p);
}

static void test_nodata(void **state)
{
	/* An empty non-terminal exists. */
	knot_pkt_t *p = ask(*state, "y.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NOERROR, "example.com.");
	knot_pkt_free(p);
	/* Another type of an existing name. */
	p = ask(*state, "a.example.com", KNOT_RRTYPE_MX, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NOERROR, "example.com.");
	knot_pkt_free(p);
	p = ask(*state, "v6.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NOERROR, "example.com.");
	knot_pkt_free(p);
	p = ask(*state, "a.example.com", KNOT_RRTYPE_SOA, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NOERROR, "example.com.");
	knot_pkt_free(p);
	p = ask(*state, "example.com", KNOT_RRTYPE_A, "198.51.100.77");
	expect_negative(p, KNOT_RCODE_NOERROR, "example.com.");
	knot_pkt_free(p);
}

static void test_apex_soa_ns(void **state)
{
	fixture_t *f = *state;
	char buf[KNOT_DNAME_TXT_MAXLEN];
	knot_pkt_t *p = ask(f, "example.com", KNOT_RRTYPE_SOA, "198.51.100.77");
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_true(knot_wire_get_aa(p->wire));
	assert_int_equal(knot_wire_get_ancount(p->wire), 1);
	const knot_rrset_t *soa = section_rr(p, KNOT_ANSWER, 0);
	assert_int_equal(soa->type, KNOT_RRTYPE_SOA);
	const knot_rdata_t *rd = knot_rdataset_at(&soa->rrs, 0);
	assert_string_equal(knot_dname_to_str(buf, knot_soa_primary(rd), sizeof(buf)),
	                    "ns1.example.com.");
	assert_string_equal(knot_dname_to_str(buf, knot_soa_mailbox(rd), sizeof(buf)),
	                    "host\\.master.example.com.");
	assert_int_equal(knot_soa_serial(rd), 1000);
	assert_int_equal(knot_soa_minimum(rd), 5);
	knot_pkt_free(p);

	p = ask(f, "example.com", KNOT_RRTYPE_NS, "198.51.100.77");
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_true(knot_wire_get_aa(p->wire));
	assert_int_equal(knot_wire_get_ancount(p->wire), 2);
	assert_int_equal(section_count(p, KNOT_ANSWER), 2); /* one RR per parsed RRset */
	assert_int_equal(section_rr(p, KNOT_ANSWER, 0)->type, KNOT_RRTYPE_NS);
	assert_int_equal(section_rr(p, KNOT_ANSWER, 1)->type, KNOT_RRTYPE_NS);
	/* Glue for the in-zone name only: its A and AAAA. */
	assert_int_equal(knot_wire_get_arcount(p->wire), 2);
	const knot_rrset_t *g = section_rr(p, KNOT_ADDITIONAL, 0);
	assert_string_equal(knot_dname_to_str(buf, g->owner, sizeof(buf)), "ns1.example.com.");
	assert_string_equal(rr_addr(g, buf, sizeof(buf)), "192.0.2.53");
	assert_string_equal(rr_addr(section_rr(p, KNOT_ADDITIONAL, 1), buf, sizeof(buf)),
	                    "2001:db8::53");
	knot_pkt_free(p);

	/* The NS name itself answers with its address. */
	p = ask(f, "ns1.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	assert_int_equal(knot_wire_get_ancount(p->wire), 1);
	assert_string_equal(rr_addr(section_rr(p, KNOT_ANSWER, 0), buf, sizeof(buf)),
	                    "192.0.2.53");
	assert_int_equal(section_rr(p, KNOT_ANSWER, 0)->ttl, 3600); /* as its NS */
	knot_pkt_free(p);
	/* The other zone has the same NS, no glue (ns1 is not inside it). */
	p = ask(f, "dyn.example.org", KNOT_RRTYPE_NS, "198.51.100.77");
	assert_int_equal(knot_wire_get_ancount(p->wire), 2);
	assert_int_equal(knot_wire_get_arcount(p->wire), 0);
	knot_pkt_free(p);
}

/* Several glue addresses of one family: all of them, in the answer to the
 * name and in the additional section of the NS answer. */
static void test_glue_several(void **state)
{
	static const char *const ns[] = {
		"ns1.example.com=192.0.2.1,192.0.2.2,2001:db8::1,2001:db8::2" };
	fixture_t *f = *state;
	dns_db_free(f->db);
	f->db = make_db(ns, 1);
	knot_pkt_t *p = ask(f, "ns1.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	assert_int_equal(knot_wire_get_ancount(p->wire), 2);
	knot_pkt_free(p);
	p = ask(f, "ns1.example.com", KNOT_RRTYPE_AAAA, "198.51.100.77");
	assert_int_equal(knot_wire_get_ancount(p->wire), 2);
	knot_pkt_free(p);
	p = ask(f, "example.com", KNOT_RRTYPE_NS, "198.51.100.77");
	assert_int_equal(knot_wire_get_ancount(p->wire), 1);
	assert_int_equal(knot_wire_get_arcount(p->wire), 4);
	assert_false(knot_wire_get_tc(p->wire));
	knot_pkt_free(p);
}

/* Forty in-zone NS names with dual glue: each glue owner is a pointer to
 * its name in the NS RDATA, so at least 19 glue RRs fit in 1232 bytes
 * (Knot 3.2 fits 19; uncompressed owners fit 12). */
static void test_glue_compressed(void **state)
{
	const char *ns[40];
	char names[40][64];
	for (int i = 0; i < 40; i++) {
		/* listed in reverse: the glue is still found for each name */
		snprintf(names[i], sizeof(names[i]), "ns%02d.example.com=192.0.2.%d,2001:db8::%d",
		         39 - i, 39 - i, 39 - i);
		ns[i] = names[i];
	}
	fixture_t *f = *state;
	dns_db_free(f->db);
	f->db = make_db(ns, 40);
	size_t len;
	knot_pkt_t *p = ask_full(f, "example.com", KNOT_RRTYPE_NS, 1232, "198.51.100.77",
	                         false, &len);
	assert_false(knot_wire_get_tc(p->wire));
	assert_true(len <= 1232);
	assert_int_equal(knot_wire_get_ancount(p->wire), 40);
	uint16_t glue = knot_wire_get_arcount(p->wire) - 1; /* less the OPT */
	print_message("glue RRs in 1232 bytes: %u of 80\n", glue);
	assert_true(glue >= 19);
	/* Each glue owner is its NS name, written as a 2-byte pointer. */
	const knot_pktsection_t *ar = knot_pkt_section(p, KNOT_ADDITIONAL);
	char buf[KNOT_DNAME_TXT_MAXLEN], want[64];
	for (uint16_t i = 0; i < ar->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(ar, i);
		if (rr->type == KNOT_RRTYPE_OPT)
			continue;
		uint16_t pos = knot_pkt_rr_offset(ar, i);
		assert_int_equal(f->resp[pos] & 0xc0, 0xc0);
		char addr[INET6_ADDRSTRLEN];
		rr_addr(rr, addr, sizeof(addr));
		const char *num = strrchr(addr, rr->type == KNOT_RRTYPE_A ? '.' : ':') + 1;
		snprintf(want, sizeof(want), "ns%02d.example.com.", atoi(num));
		assert_string_equal(knot_dname_to_str(buf, rr->owner, sizeof(buf)), want);
	}
	knot_pkt_free(p);
	/* Over TCP every glue RR is there, each owner still the right name. */
	p = ask_full(f, "example.com", KNOT_RRTYPE_NS, NO_EDNS, "198.51.100.77", true, &len);
	assert_int_equal(knot_wire_get_arcount(p->wire), 80);
	knot_pkt_free(p);
}

static void test_refused(void **state)
{
	knot_pkt_t *p = ask(*state, "example.net", KNOT_RRTYPE_A, "198.51.100.77");
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	assert_false(knot_wire_get_aa(p->wire));
	assert_int_equal(knot_wire_get_ancount(p->wire), 0);
	knot_pkt_free(p);
	/* A parent of a zone is not ours either. */
	p = ask(*state, "example.org", KNOT_RRTYPE_SOA, "198.51.100.77");
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	knot_pkt_free(p);
	/* Zone transfers are not offered. */
	p = ask(*state, "example.com", KNOT_RRTYPE_AXFR, "198.51.100.77");
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	knot_pkt_free(p);
}

static void test_class_chaos_refused(void **state)
{
	fixture_t *f = *state;
	size_t qlen = mkquery_class(f->query, "version.bind", KNOT_RRTYPE_TXT,
	                            KNOT_CLASS_CH, NO_EDNS, 0);
	struct sockaddr_storage ss = client_addr("127.0.0.1");
	size_t len = dns_answer(f->ans, f->db, f->query, qlen, (struct sockaddr *)&ss,
	                        false, f->resp, sizeof(f->resp));
	knot_pkt_t *p = parse_response(f->resp, len);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	knot_pkt_free(p);
}

static void test_any_rfc8482(void **state)
{
	knot_pkt_t *p = ask(*state, "a.example.com", KNOT_RRTYPE_ANY, "198.51.100.77");
	expect_addr(p, KNOT_RRTYPE_A, HOME4); /* one RRset, not all */
	knot_pkt_free(p);
	p = ask(*state, "v6.example.com", KNOT_RRTYPE_ANY, "198.51.100.77");
	expect_addr(p, KNOT_RRTYPE_AAAA, "2001:db8::6");
	knot_pkt_free(p);
	p = ask(*state, "example.com", KNOT_RRTYPE_ANY, "198.51.100.77");
	assert_int_equal(knot_wire_get_ancount(p->wire), 1);
	assert_int_equal(section_rr(p, KNOT_ANSWER, 0)->type, KNOT_RRTYPE_SOA);
	knot_pkt_free(p);
}

static void test_case_preserved(void **state)
{
	fixture_t *f = *state;
	knot_pkt_t *p = ask(f, "A.ExAmPle.COM", KNOT_RRTYPE_A, "198.51.100.77");
	expect_addr(p, KNOT_RRTYPE_A, HOME4);
	/* The question is the query's, byte for byte, and the answer's owner
	 * points at it. */
	size_t qsize = knot_dname_size(f->query + KNOT_WIRE_HEADER_SIZE);
	assert_memory_equal(f->resp + KNOT_WIRE_HEADER_SIZE,
	                    f->query + KNOT_WIRE_HEADER_SIZE, qsize + 4);
	assert_memory_equal(f->resp + KNOT_WIRE_HEADER_SIZE + qsize + 4, "\xc0\x0c", 2);
	knot_pkt_free(p);
}

static void test_edns(void **state)
{
	fixture_t *f = *state;
	knot_pkt_t *p = ask_full(f, "a.example.com", KNOT_RRTYPE_A, 4096, "198.51.100.77",
	                         false, NULL);
	expect_addr(p, KNOT_RRTYPE_A, HOME4);
	assert_non_null(p->opt_rr);
	assert_int_equal(knot_edns_get_payload(p->opt_rr), 1232);
	assert_int_equal(knot_edns_get_version(p->opt_rr), 0);
	knot_pkt_free(p);
	/* Without EDNS, no OPT. */
	p = ask(f, "a.example.com", KNOT_RRTYPE_A, "198.51.100.77");
	assert_null(p->opt_rr);
	knot_pkt_free(p);
	/* Negative answers carry it too. */
	p = ask_full(f, "zz.example.com", KNOT_RRTYPE_A, 1232, "198.51.100.77", false, NULL);
	expect_negative(p, KNOT_RCODE_NXDOMAIN, "example.com.");
	assert_non_null(p->opt_rr);
	knot_pkt_free(p);
}

/* RFC 1995 §3: an IXFR carries the client's SOA in authority.  Well formed,
 * so REFUSED (no transfers), not FORMERR. */
static void test_ixfr_with_soa(void **state)
{
	fixture_t *f = *state;
	knot_dname_storage_t apex;
	assert_non_null(knot_dname_from_str(apex, "example.com", sizeof(apex)));
	knot_pkt_t *q = knot_pkt_new(f->query, sizeof(f->query), NULL);
	assert_non_null(q);
	knot_pkt_clear(q);
	knot_wire_set_id(q->wire, 0x1234);
	assert_int_equal(knot_pkt_put_question(q, apex, KNOT_CLASS_IN, KNOT_RRTYPE_IXFR),
	                 KNOT_EOK);
	/* serial and the four timers, 1 each */
	static const uint8_t timers[20] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
	                                    0, 0, 0, 1, 0, 0, 0, 1 };
	knot_rrset_t *soa = knot_rrset_new(apex, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0, NULL);
	assert_non_null(soa);
	uint8_t plain[64]; /* mname, rname, timers */
	size_t o = 0;
	memcpy(plain + o, "\3ns1\7example\3com\0", 17); o += 17;
	memcpy(plain + o, "\7example\3com\0", 13); o += 13;
	memcpy(plain + o, timers, 20); o += 20;
	assert_int_equal(knot_rrset_add_rdata(soa, plain, (uint16_t)o, NULL), KNOT_EOK);
	assert_int_equal(knot_pkt_begin(q, KNOT_AUTHORITY), KNOT_EOK);
	assert_int_equal(knot_pkt_put(q, KNOT_COMPR_HINT_NONE, soa, 0), KNOT_EOK);
	size_t qlen = q->size;
	assert_int_equal(knot_wire_get_nscount(f->query), 1);
	knot_pkt_free(q);
	knot_rrset_free(soa, NULL);
	for (int tcp = 0; tcp <= 1; tcp++) {
		struct sockaddr_storage ss = client_addr("127.0.0.1");
		size_t len = dns_answer(f->ans, f->db, f->query, qlen, (struct sockaddr *)&ss,
		                        tcp, f->resp, sizeof(f->resp));
		knot_pkt_t *p = parse_response(f->resp, len);
		assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
		assert_int_equal(knot_wire_get_ancount(p->wire), 0);
		knot_pkt_free(p);
	}
	/* An A query with an authority section is still malformed. */
	knot_wire_write_u16(f->query + KNOT_WIRE_HEADER_SIZE + 13, KNOT_RRTYPE_A);
	struct sockaddr_storage ss = client_addr("127.0.0.1");
	dns_answer(f->ans, f->db, f->query, qlen, (struct sockaddr *)&ss, false, f->resp,
	           sizeof(f->resp));
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_FORMERR);
}

/* RFC 3225 §3: the response's OPT carries the query's DO bit. */
static void test_edns_do(void **state)
{
	fixture_t *f = *state;
	size_t qlen = mkquery(f->query, "a.example.com", KNOT_RRTYPE_A, 1232);
	/* The OPT is last: its TTL field's flags are 4 bytes from the rdlen. */
	uint8_t *flags = f->query + qlen - 2 - 2;
	assert_int_equal(knot_wire_read_u16(flags), 0);
	knot_wire_write_u16(flags, (uint16_t)KNOT_EDNS_DO_MASK);
	struct sockaddr_storage ss = client_addr("198.51.100.77");
	size_t len = dns_answer(f->ans, f->db, f->query, qlen, (struct sockaddr *)&ss, false,
	                        f->resp, sizeof(f->resp));
	knot_pkt_t *p = parse_response(f->resp, len);
	expect_addr(p, KNOT_RRTYPE_A, HOME4);
	assert_non_null(p->opt_rr);
	assert_true(knot_edns_do(p->opt_rr));
	knot_pkt_free(p);
	/* Without DO in the query, none in the response. */
	p = ask_full(f, "a.example.com", KNOT_RRTYPE_A, 1232, "198.51.100.77", false, NULL);
	assert_non_null(p->opt_rr);
	assert_false(knot_edns_do(p->opt_rr));
	knot_pkt_free(p);
}

static void test_badvers(void **state)
{
	fixture_t *f = *state;
	size_t qlen = mkquery_class(f->query, "a.example.com", KNOT_RRTYPE_A, KNOT_CLASS_IN,
	                            1232, 1);
	struct sockaddr_storage ss = client_addr("127.0.0.1");
	size_t len = dns_answer(f->ans, f->db, f->query, qlen, (struct sockaddr *)&ss,
	                        false, f->resp, sizeof(f->resp));
	knot_pkt_t *p = parse_response(f->resp, len);
	assert_non_null(p->opt_rr);
	assert_int_equal(knot_pkt_ext_rcode(p), KNOT_RCODE_BADVERS);
	assert_int_equal(knot_edns_get_version(p->opt_rr), 0);
	assert_int_equal(knot_wire_get_ancount(p->wire), 0);
	knot_pkt_free(p);
}

/* Forty long NS names make an NS answer of about 2.5 kB. */
static void test_truncation(void **state)
{
	const char *ns[40];
	char names[40][64];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), 
		         "ns-%02d-with-a-long-label-that-does-not-compress.example.net", i);
		ns[i] = names[i];
	}
	fixture_t *f = *state;
	dns_db_free(f->db);
	f->db = make_db(ns, 40);
	size_t len;
	knot_pkt_t *p = ask_full(f, "example.com", KNOT_RRTYPE_NS, NO_EDNS, "198.51.100.77",
	                         false, &len);
	assert_true(knot_wire_get_tc(p->wire));
	assert_true(len <= 512);
	knot_pkt_free(p);
	p = ask_full(f, "example.com", KNOT_RRTYPE_NS, 1232, "198.51.100.77", false, &len);
	assert_true(knot_wire_get_tc(p->wire));
	assert_true(len <= 1232);
	assert_non_null(p->opt_rr);
	knot_pkt_free(p);
	/* A large EDNS size is capped at 1232 over UDP. */
	p = ask_full(f, "example.com", KNOT_RRTYPE_NS, 65000, "198.51.100.77", false, &len);
	assert_true(knot_wire_get_tc(p->wire));
	assert_true(len <= 1232);
	knot_pkt_free(p);
	/* TCP: everything. */
	p = ask_full(f, "example.com", KNOT_RRTYPE_NS, NO_EDNS, "198.51.100.77", true, &len);
	assert_false(knot_wire_get_tc(p->wire));
	assert_true(len > 1232);
	assert_int_equal(section_count(p, KNOT_ANSWER), 40);
	knot_pkt_free(p);
	/* A small answer still fits in 512. */
	p = ask_full(f, "a.example.com", KNOT_RRTYPE_A, NO_EDNS, "198.51.100.77", false, &len);
	assert_false(knot_wire_get_tc(p->wire));
	knot_pkt_free(p);
}

static size_t answer_raw(fixture_t *f, const uint8_t *q, size_t qlen)
{
	struct sockaddr_storage ss = client_addr("127.0.0.1");
	return dns_answer(f->ans, f->db, q, qlen, (struct sockaddr *)&ss, false, f->resp,
	                  sizeof(f->resp));
}

static void test_formerr(void **state)
{
	fixture_t *f = *state;
	size_t qlen = mkquery(f->query, "a.example.com", KNOT_RRTYPE_A, NO_EDNS);
	/* Two questions (the same one twice). */
	uint8_t two[600];
	size_t qsz = qlen - KNOT_WIRE_HEADER_SIZE;
	memcpy(two, f->query, qlen);
	memcpy(two + qlen, f->query + KNOT_WIRE_HEADER_SIZE, qsz);
	knot_wire_set_qdcount(two, 2);
	size_t len = answer_raw(f, two, qlen + qsz);
	assert_int_equal(len, KNOT_WIRE_HEADER_SIZE);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_FORMERR);
	assert_true(knot_wire_get_qr(f->resp));
	assert_int_equal(knot_wire_get_id(f->resp), 0x1234);
	/* No question. */
	knot_wire_set_qdcount(two, 0);
	len = answer_raw(f, two, KNOT_WIRE_HEADER_SIZE);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_FORMERR);
	/* Truncated question. */
	len = answer_raw(f, f->query, qlen - 3);
	assert_int_equal(len, KNOT_WIRE_HEADER_SIZE);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_FORMERR);
	/* An answer section in a query. */
	memcpy(two, f->query, qlen);
	knot_wire_set_ancount(two, 1);
	len = answer_raw(f, two, qlen);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_FORMERR);
	/* A label pointing at itself. */
	memcpy(two, f->query, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_qdcount(two, 1);
	memcpy(two + 12, "\xc0\x0c\x00\x01\x00\x01", 6);
	len = answer_raw(f, two, 18);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_FORMERR);
}

static void test_notimp(void **state)
{
	fixture_t *f = *state;
	size_t qlen = mkquery(f->query, "example.com", KNOT_RRTYPE_SOA, NO_EDNS);
	knot_wire_set_opcode(f->query, KNOT_OPCODE_NOTIFY);
	size_t len = answer_raw(f, f->query, qlen);
	knot_pkt_t *p = parse_response(f->resp, len);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTIMPL);
	assert_int_equal(knot_wire_get_opcode(p->wire), KNOT_OPCODE_NOTIFY);
	assert_false(knot_wire_get_aa(p->wire));
	knot_pkt_free(p);
	knot_wire_set_opcode(f->query, KNOT_OPCODE_UPDATE);
	len = answer_raw(f, f->query, qlen);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_NOTIMPL);
	/* An unparseable non-QUERY is NOTIMP too. */
	len = answer_raw(f, f->query, 14);
	assert_int_equal(len, KNOT_WIRE_HEADER_SIZE);
	assert_int_equal(knot_wire_get_rcode(f->resp), KNOT_RCODE_NOTIMPL);
}

static void test_dropped(void **state)
{
	fixture_t *f = *state;
	size_t qlen = mkquery(f->query, "a.example.com", KNOT_RRTYPE_A, NO_EDNS);
	knot_wire_set_qr(f->query);
	assert_int_equal(answer_raw(f, f->query, qlen), 0);
	assert_int_equal(answer_raw(f, f->query, 11), 0);
	assert_int_equal(answer_raw(f, f->query, 0), 0);
}

static void test_garbage(void **state)
{
	fixture_t *f = *state;
	uint8_t buf[700];
	unsigned seed = 42;
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (len > 2 && i % 2)
			buf[2] &= 0x7f; /* a query, so it is parsed */
		size_t out = answer_raw(f, buf, len);
		assert_true(out == 0 || out >= KNOT_WIRE_HEADER_SIZE);
		assert_true(out <= 512);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_wan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lan_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nxdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apex_soa_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glue_several, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glue_compressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_class_chaos_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_rfc8482, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_preserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_badvers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr_with_soa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edns_do, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formerr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notimp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
