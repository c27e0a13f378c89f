/* rfc2136 msg.c: the UPDATE as libknot parses it, and the answer check
 * against answers signed (or refused) the way a server does it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "rfc2136.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="

static knot_tsig_key_t key, other;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(knot_tsig_key_init(&key, "hmac-sha256", "ddnsd-key", SECRET), KNOT_EOK);
	assert_int_equal(knot_tsig_key_init(&other, "hmac-sha256", "ddnsd-key",
	                                     "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI="), KNOT_EOK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	knot_tsig_key_deinit(&key);
	knot_tsig_key_deinit(&other);
	return 0;
}

/* The server side: parse the query, check its TSIG, answer with @p rcode
 * signed (tsig_err 0) or with a TSIG error, as Knot does. */
static size_t answer(const r2_msg_t *m, uint8_t *out, uint16_t rcode, uint16_t tsig_err,
                     const knot_tsig_key_t *k)
{
	uint8_t q[R2_MSG_MAX], digest[64];
	size_t dlen = sizeof(digest), len;
	knot_pkt_t *p;

	memcpy(q, m->wire, m->len);
	p = knot_pkt_new(q, (uint16_t)m->len, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_non_null(p->tsig_rr);
	assert_int_equal(knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &key), KNOT_EOK);
	len = KNOT_WIRE_HEADER_SIZE;
	memcpy(out, m->wire, len);
	knot_wire_set_qr(out);
	knot_wire_set_rcode(out, rcode);
	knot_wire_set_qdcount(out, 0);
	knot_wire_set_ancount(out, 0);
	knot_wire_set_nscount(out, 0);
	knot_wire_set_arcount(out, 0);
	if (tsig_err == 0)
		assert_int_equal(knot_tsig_sign(out, &len, R2_MSG_MAX, knot_tsig_rdata_mac(p->tsig_rr),
		                                knot_tsig_rdata_mac_length(p->tsig_rr), digest, &dlen,
		                                k, 0, 0), KNOT_EOK);
	else
		assert_int_equal(knot_tsig_add(out, &len, R2_MSG_MAX, tsig_err, p->tsig_rr), KNOT_EOK);
	knot_pkt_free(p);
	return len;
}

static void test_build_layout(void **state)
{
	r2_msg_t m;
	char err[256];
	knot_pkt_t *p;
	const knot_pktsection_t *up;

	(void)state;
	assert_int_equal(r2_msg_build(&m, 0x1234, "example.test", "home.example.test", "192.0.2.7",
	                              "2001:db8::7", 60, &key, err, sizeof(err)), 0);
	p = knot_pkt_new(m.wire, (uint16_t)m.len, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_int_equal(knot_wire_get_opcode(p->wire), KNOT_OPCODE_UPDATE);
	assert_int_equal(knot_wire_get_id(p->wire), 0x1234);
	assert_int_equal(knot_pkt_qtype(p), KNOT_RRTYPE_SOA);
	assert_true(knot_dname_is_equal(knot_pkt_qname(p), (const uint8_t *)"\7example\4test"));
	assert_int_equal(knot_wire_get_ancount(p->wire), 0);
	up = knot_pkt_section(p, KNOT_AUTHORITY);
	assert_int_equal(up->count, 4);
	assert_int_equal(knot_pkt_rr(up, 0)->rclass, KNOT_CLASS_ANY);
	assert_int_equal(knot_pkt_rr(up, 0)->type, KNOT_RRTYPE_A);
	assert_int_equal(knot_pkt_rr(up, 0)->rrs.rdata->len, 0);
	assert_int_equal(knot_pkt_rr(up, 1)->rclass, KNOT_CLASS_IN);
	assert_int_equal(knot_pkt_rr(up, 1)->ttl, 60);
	assert_memory_equal(knot_pkt_rr(up, 1)->rrs.rdata->data, "\xc0\x00\x02\x07", 4);
	assert_int_equal(knot_pkt_rr(up, 2)->rclass, KNOT_CLASS_ANY);
	assert_int_equal(knot_pkt_rr(up, 3)->type, KNOT_RRTYPE_AAAA);
	assert_non_null(p->tsig_rr);
	assert_int_equal(knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &key), KNOT_EOK);
	knot_pkt_free(p);
}

static void test_build_refuses(void **state)
{
	r2_msg_t m;
	char err[256];

	(void)state;
	assert_int_equal(r2_msg_build(&m, 1, "example.test", "home.other.test", "192.0.2.7", NULL,
	                              60, &key, err, sizeof(err)), DDNS_ENOTFOUND);
	assert_non_null(strstr(err, "not in zone"));
	assert_int_equal(r2_msg_build(&m, 1, "example.test", "xexample.test", "192.0.2.7", NULL,
	                              60, &key, err, sizeof(err)), DDNS_ENOTFOUND);
	assert_int_equal(r2_msg_build(&m, 1, "example.test", "a.example.test", "192.0.2.300", NULL,
	                              60, &key, err, sizeof(err)), -EINVAL);
}

static void test_check(void **state)
{
	r2_msg_t m;
	uint8_t out[R2_MSG_MAX];
	char err[256];
	size_t len;

	(void)state;
	assert_int_equal(r2_msg_build(&m, 77, "example.test", "a.example.test", "192.0.2.7", NULL,
	                              60, &key, err, sizeof(err)), 0);
	len = answer(&m, out, KNOT_RCODE_NOERROR, 0, &key);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), 0);
	/* Signed with another key: the answer's TSIG does not verify. */
	len = answer(&m, out, KNOT_RCODE_NOERROR, 0, &other);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_EBADREPLY);
	assert_non_null(strstr(err, "TSIG does not verify"));
	len = answer(&m, out, KNOT_RCODE_REFUSED, 0, &key);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_EAUTH);
	assert_non_null(strstr(err, "REFUSED"));
	len = answer(&m, out, KNOT_RCODE_NOTZONE, 0, &key);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_ENOTFOUND);
	len = answer(&m, out, KNOT_RCODE_NOTAUTH, KNOT_RCODE_BADKEY, &key);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_EAUTH);
	assert_non_null(strstr(err, "BADKEY"));
	assert_non_null(strstr(err, "not permitted"));
	len = answer(&m, out, KNOT_RCODE_NOTAUTH, KNOT_RCODE_BADSIG, &key);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_EAUTH);
	assert_non_null(strstr(err, "BADSIG"));
	/* Truncated: retry over TCP. */
	len = answer(&m, out, KNOT_RCODE_NOERROR, 0, &key);
	knot_wire_set_tc(out);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), 1);
	/* Another ID is not the answer. */
	len = answer(&m, out, KNOT_RCODE_NOERROR, 0, &key);
	knot_wire_set_id(out, 78);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_EBADREPLY);
}

/* A TXT set: its RRset deleted, then the values added as one RRset (ACME
 * puts two at once for a wildcard and its apex); none: only deleted. */
static void test_build_txt(void **state)
{
	r2_msg_t m;
	char err[256], big[300];
	const char *two[] = { "token-one", "token two \"quoted\"" };
	knot_pkt_t *p;
	const knot_pktsection_t *up;

	(void)state;
	assert_int_equal(r2_msg_build_txt(&m, 9, "example.test", "_acme-challenge.home.example.test",
	                                  two, 2, 120, &key, err, sizeof(err)), 0);
	p = knot_pkt_new(m.wire, (uint16_t)m.len, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_int_equal(knot_wire_get_opcode(p->wire), KNOT_OPCODE_UPDATE);
	up = knot_pkt_section(p, KNOT_AUTHORITY);
	/* the delete, then one RR per value (libknot parses RR by RR) */
	assert_int_equal(up->count, 3);
	assert_int_equal(knot_pkt_rr(up, 0)->rclass, KNOT_CLASS_ANY);
	assert_int_equal(knot_pkt_rr(up, 0)->type, KNOT_RRTYPE_TXT);
	const knot_rrset_t *add = knot_pkt_rr(up, 1);
	assert_int_equal(add->rclass, KNOT_CLASS_IN);
	assert_int_equal(add->type, KNOT_RRTYPE_TXT);
	assert_int_equal(add->ttl, 120);
	/* each value one <character-string>: length byte, text */
	knot_rdata_t *rd = add->rrs.rdata;
	assert_int_equal(rd->len, 10);
	assert_memory_equal(rd->data, "\x09token-one", 10);
	rd = knot_pkt_rr(up, 2)->rrs.rdata;
	assert_int_equal(knot_pkt_rr(up, 2)->rclass, KNOT_CLASS_IN);
	assert_int_equal(rd->data[0], strlen(two[1]));
	assert_memory_equal(rd->data + 1, two[1], strlen(two[1]));
	assert_true(knot_dname_is_equal(add->owner, (const uint8_t *)
	                                "\x0f_acme-challenge\4home\7example\4test"));
	knot_pkt_free(p);

	assert_int_equal(r2_msg_build_txt(&m, 9, "example.test", "_acme-challenge.example.test",
	                                  NULL, 0, 60, &key, err, sizeof(err)), 0);
	p = knot_pkt_new(m.wire, (uint16_t)m.len, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_int_equal(knot_pkt_section(p, KNOT_AUTHORITY)->count, 1);
	knot_pkt_free(p);

	const char *many[R2_TXT_MAX + 1];
	for (int i = 0; i <= R2_TXT_MAX; i++)
		many[i] = "v";
	assert_int_equal(r2_msg_build_txt(&m, 9, "example.test", "_acme-challenge.example.test",
	                                  many, R2_TXT_MAX + 1, 60, &key, err, sizeof(err)), -E2BIG);
	memset(big, 'x', 256);
	big[256] = '\0';
	const char *one[] = { big };
	assert_int_equal(r2_msg_build_txt(&m, 9, "example.test", "_acme-challenge.example.test",
	                                  one, 1, 60, &key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "255"));
	/* Ten values of 255 bytes fit in one message. */
	big[255] = '\0';
	for (int i = 0; i < R2_TXT_MAX; i++)
		many[i] = big;
	assert_int_equal(r2_msg_build_txt(&m, 9, "example.test", "_acme-challenge.example.test",
	                                  many, R2_TXT_MAX, 60, &key, err, sizeof(err)), 0);
}

/* A signed answer to an SOA query @p m with an SOA of @p owner in section
 * @p sec (KNOT_ANSWER: the name is an apex; KNOT_AUTHORITY: its zone). */
static size_t soa_answer(const r2_msg_t *m, uint8_t *out, knot_section_t sec,
                         const char *owner, uint16_t rcode)
{
	uint8_t q[R2_MSG_MAX], digest[64], rdata[22] = { 0 };
	size_t dlen = sizeof(digest), len;
	knot_pkt_t *p, *a;
	knot_dname_t *o = knot_dname_from_str_alloc(owner);
	knot_rrset_t *soa = knot_rrset_new(o, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 60, NULL);

	memcpy(q, m->wire, m->len);
	p = knot_pkt_new(q, (uint16_t)m->len, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_int_equal(knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &key), KNOT_EOK);
	a = knot_pkt_new(out, R2_MSG_MAX, NULL);
	assert_int_equal(knot_pkt_init_response(a, p), KNOT_EOK);
	knot_wire_set_rcode(a->wire, rcode);
	knot_wire_set_aa(a->wire);
	/* MNAME and RNAME the root, serial/refresh/retry/expire/minimum 0 */
	assert_int_equal(knot_rrset_add_rdata(soa, rdata, sizeof(rdata), NULL), KNOT_EOK);
	if (sec == KNOT_AUTHORITY)
		assert_int_equal(knot_pkt_begin(a, KNOT_AUTHORITY), KNOT_EOK);
	assert_int_equal(knot_pkt_put(a, KNOT_COMPR_HINT_NONE, soa, 0), KNOT_EOK);
	len = a->size;
	assert_int_equal(knot_tsig_sign(out, &len, R2_MSG_MAX, knot_tsig_rdata_mac(p->tsig_rr),
	                                knot_tsig_rdata_mac_length(p->tsig_rr), digest, &dlen,
	                                &key, 0, 0), KNOT_EOK);
	knot_pkt_free(a);
	knot_pkt_free(p);
	knot_rrset_free(soa, NULL);
	knot_dname_free(o, NULL);
	return len;
}

/* Zone discovery: a signed SOA query with RD clear; the zone read from the
 * answer (an apex) or the authority section (NXDOMAIN for a new name);
 * REFUSED and a foreign key's MAC are errors. */
static void test_soa_lookup(void **state)
{
	r2_msg_t m;
	char err[256];
	uint8_t out[R2_MSG_MAX];
	size_t len;
	knot_pkt_t *p;
	uint8_t copy[R2_MSG_MAX];

	(void)state;
	assert_int_equal(r2_msg_build_soa(&m, 0x4321, "Home.Example.Test", &key, err, sizeof(err)),
	                 0);
	/* Parsing takes the TSIG off the wire: parse a copy. */
	memcpy(copy, m.wire, m.len);
	p = knot_pkt_new(copy, (uint16_t)m.len, NULL);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	assert_int_equal(knot_wire_get_opcode(p->wire), KNOT_OPCODE_QUERY);
	assert_false(knot_wire_get_rd(p->wire));
	assert_int_equal(knot_pkt_qtype(p), KNOT_RRTYPE_SOA);
	assert_true(knot_dname_is_equal(knot_pkt_qname(p),
	                                (const uint8_t *)"\4home\7example\4test"));
	assert_int_equal(knot_tsig_server_check(p->tsig_rr, p->wire, p->size, &key), KNOT_EOK);
	knot_pkt_free(p);

	len = soa_answer(&m, out, KNOT_AUTHORITY, "Example.TEST.", KNOT_RCODE_NXDOMAIN);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), 0);
	assert_string_equal(m.zone, "example.test");

	assert_int_equal(r2_msg_build_soa(&m, 7, "sub.example.test", &key, err, sizeof(err)), 0);
	len = soa_answer(&m, out, KNOT_ANSWER, "sub.example.test.", KNOT_RCODE_NOERROR);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), 0);
	assert_string_equal(m.zone, "sub.example.test");

	len = answer(&m, out, KNOT_RCODE_REFUSED, 0, &key);
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_ENOTFOUND);
	assert_non_null(strstr(err, "REFUSED"));
	len = answer(&m, out, KNOT_RCODE_NOERROR, 0, &key); /* no SOA anywhere */
	assert_int_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), DDNS_ENOTFOUND);
	assert_non_null(strstr(err, "names no zone"));
	len = soa_answer(&m, out, KNOT_AUTHORITY, "example.test.", KNOT_RCODE_NOERROR);
	out[len - 30] ^= 0xff; /* inside the MAC */
	assert_int_not_equal(r2_msg_check(&m, out, len, &key, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_layout),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_soa_lookup),
		cmocka_unit_test(test_build_txt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
