/**
 * @file test_tsig.c
 * @brief Unit tests of builtin_dns's TSIG keys, checks and signatures
 * (tsig.c), against libknot's client side.
 */
#include "xfr_test.h"

#include <errno.h>
#include "answer.h"

static void test_parse(void **state)
{
	(void)state;
	dns_tsig_keys_t k;
	char err[256];
	xt_keys(&k);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.keys[0].algorithm, DNSSEC_TSIG_HMAC_SHA256);
	/* the algorithm left out is hmac-sha256, not libknot's hmac-md5 */
	assert_int_equal(k.keys[1].algorithm, DNSSEC_TSIG_HMAC_SHA256);
	knot_dname_storage_t name;
	knot_dname_from_str(name, "XFR-KEY.", sizeof(name));
	knot_dname_to_lower(name);
	assert_ptr_equal(dns_tsig_keys_find(&k, name), &k.keys[0]);
	dns_tsig_keys_free(&k);

	static const char *const bad[][1] = {
		{ "hmac-nope:k:" XT_SECRET }, { "k:" }, { "hmac-sha256:k:###" }, { "justaname" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(dns_tsig_keys_parse(bad[i], 1, &k, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "[algorithm:]name:base64-secret"));
		assert_null(strstr(err, XT_SECRET)); /* never the secret */
	}
	static const char *const twice[] = { "a:" XT_SECRET, "hmac-sha512:A:" XT_SECRET };
	assert_int_equal(dns_tsig_keys_parse(twice, 2, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "listed already"));
	assert_null(strstr(err, XT_SECRET)); /* never the secret */
}

/* A signed query passes whether parsed with KEEPWIRE or not; the wrong
 * secret, an unknown name, another algorithm do not. */
static void test_check(void **state)
{
	(void)state;
	dns_tsig_keys_t k;
	xt_keys(&k);
	uint8_t buf[1024], mac[64];
	size_t mac_len;
	size_t len = xt_query(buf, sizeof(buf), XT_ZONE, KNOT_RRTYPE_SOA, 0, &k.keys[0], mac,
	                      &mac_len);
	for (int keep = 0; keep < 2; keep++) {
		uint8_t copy[1024];
		memcpy(copy, buf, len);
		knot_pkt_t *q = knot_pkt_new(copy, (uint16_t)len, NULL);
		assert_int_equal(knot_pkt_parse(q, keep ? KNOT_PF_KEEPWIRE : 0), KNOT_EOK);
		const knot_tsig_key_t *key;
		assert_int_equal(dns_tsig_check(&k, q, &key), KNOT_RCODE_NOERROR);
		assert_ptr_equal(key, &k.keys[0]);
		knot_pkt_free(q);
	}
	knot_tsig_key_t wrong, unknown, md5;
	assert_int_equal(knot_tsig_key_init(&wrong, "hmac-sha256", "xfr-key",
	                                    "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc="), KNOT_EOK);
	assert_int_equal(knot_tsig_key_init(&unknown, "hmac-sha256", "who", XT_SECRET), KNOT_EOK);
	assert_int_equal(knot_tsig_key_init(&md5, "hmac-md5", "xfr-key", XT_SECRET), KNOT_EOK);
	const struct { knot_tsig_key_t *key; uint16_t want; } cases[] = {
		{ &wrong, KNOT_RCODE_BADSIG }, { &unknown, KNOT_RCODE_BADKEY },
		{ &md5, KNOT_RCODE_BADKEY },
	};
	for (size_t i = 0; i < 3; i++) {
		len = xt_query(buf, sizeof(buf), XT_ZONE, KNOT_RRTYPE_SOA, 0, cases[i].key, mac,
		               &mac_len);
		knot_pkt_t *q = knot_pkt_new(buf, (uint16_t)len, NULL);
		assert_int_equal(knot_pkt_parse(q, KNOT_PF_KEEPWIRE), KNOT_EOK);
		const knot_tsig_key_t *key = &k.keys[0];
		assert_int_equal(dns_tsig_check(&k, q, &key), cases[i].want);
		assert_null(key);
		knot_pkt_free(q);
	}
	knot_tsig_key_deinit(&wrong);
	knot_tsig_key_deinit(&unknown);
	knot_tsig_key_deinit(&md5);
	dns_tsig_keys_free(&k);
}

/* A response to a signed query made here (a parsed query, the answer's
 * header and question) signed message after message. */
static size_t response(const uint8_t *q, size_t qlen, uint8_t *out, size_t max)
{
	uint8_t copy[1024];
	memcpy(copy, q, qlen);
	knot_pkt_t *qp = knot_pkt_new(copy, (uint16_t)qlen, NULL);
	assert_int_equal(knot_pkt_parse(qp, 0), KNOT_EOK);
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)max, NULL);
	assert_int_equal(knot_pkt_init_response(r, qp), KNOT_EOK);
	size_t len = r->size;
	knot_pkt_free(r);
	knot_pkt_free(qp);
	return len;
}

/* dns_tsig_sign(): the first message verifies with the request MAC
 * (knot_tsig_client_check), the next over the previous MAC
 * (knot_tsig_client_check_next); too little room is -ENOSPC, no key signs
 * nothing. */
static void test_sign(void **state)
{
	(void)state;
	dns_tsig_keys_t k;
	xt_keys(&k);
	uint8_t q[1024], mac[64];
	size_t mac_len;
	size_t qlen = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_AXFR, 0, &k.keys[0], mac,
	                       &mac_len);
	uint8_t copy[1024];
	memcpy(copy, q, qlen);
	knot_pkt_t *qp = knot_pkt_new(copy, (uint16_t)qlen, NULL);
	assert_int_equal(knot_pkt_parse(qp, 0), KNOT_EOK);
	const knot_tsig_key_t *key;
	assert_int_equal(dns_tsig_check(&k, qp, &key), KNOT_RCODE_NOERROR);
	dns_tsig_signer_t s;
	dns_tsig_signer_init(&s, key, qp);
	assert_true(dns_tsig_room(&s) > 0);

	uint8_t r[1024];
	size_t rlen = response(q, qlen, r, sizeof(r));
	size_t small = rlen + dns_tsig_room(&s) - 1;
	assert_int_equal(dns_tsig_sign(&s, r, &rlen, small), -ENOSPC);
	rlen = response(q, qlen, r, sizeof(r));
	assert_int_equal(dns_tsig_sign(&s, r, &rlen, sizeof(r)), 0);
	knot_pkt_t *p = parse_response(r, rlen);
	assert_non_null(p->tsig_rr);
	assert_int_equal(knot_tsig_client_check(p->tsig_rr, p->wire, p->size, mac, mac_len,
	                                        &k.keys[0], 0), KNOT_EOK);
	uint8_t prev[64];
	size_t prev_len = knot_tsig_rdata_mac_length(p->tsig_rr);
	memcpy(prev, knot_tsig_rdata_mac(p->tsig_rr), prev_len);
	knot_pkt_free(p);
	/* the second message: over the first's MAC, not the request's */
	rlen = response(q, qlen, r, sizeof(r));
	assert_int_equal(dns_tsig_sign(&s, r, &rlen, sizeof(r)), 0);
	p = parse_response(r, rlen);
	assert_int_equal(knot_tsig_client_check_next(p->tsig_rr, p->wire, p->size, prev,
	                                             prev_len, &k.keys[0], 0), KNOT_EOK);
	assert_int_not_equal(knot_tsig_client_check_next(p->tsig_rr, p->wire, p->size, mac,
	                                                 mac_len, &k.keys[0], 0), KNOT_EOK);
	knot_pkt_free(p);

	dns_tsig_signer_t none;
	dns_tsig_signer_init(&none, NULL, qp);
	assert_int_equal(dns_tsig_room(&none), 0);
	rlen = response(q, qlen, r, sizeof(r));
	size_t before = rlen;
	assert_int_equal(dns_tsig_sign(&none, r, &rlen, sizeof(r)), 0);
	assert_int_equal(rlen, before);
	knot_pkt_free(qp);
	dns_tsig_keys_free(&k);
}

/* dns_answer(): a signed query's answer verifies with the client's MAC;
 * a bad one is NOTAUTH/BADSIG with no answer. */
static void test_answer_signed(void **state)
{
	(void)state;
	dns_tsig_keys_t k;
	xt_keys(&k);
	dns_db_t *db = xt_db(1, &k);
	dns_answerer_t *a;
	assert_int_equal(dns_answerer_new(&a), 0);
	uint8_t q[1024], r[2048], mac[64];
	size_t mac_len;
	size_t len = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_SOA, 0, &k.keys[0], mac, &mac_len);
	size_t rlen = dns_answer(a, db, q, len, NULL, true, r, sizeof(r));
	knot_pkt_t *p = parse_response(r, rlen);
	assert_int_equal(knot_wire_get_rcode(r), KNOT_RCODE_NOERROR);
	assert_true(knot_wire_get_aa(r));
	assert_int_equal(knot_wire_get_ancount(r), 1);
	assert_non_null(p->tsig_rr);
	assert_int_equal(knot_tsig_client_check(p->tsig_rr, p->wire, p->size, mac, mac_len,
	                                        &k.keys[0], 0), KNOT_EOK);
	knot_pkt_free(p);

	knot_tsig_key_t wrong;
	assert_int_equal(knot_tsig_key_init(&wrong, "hmac-sha256", "xfr-key",
	                                    "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc="), KNOT_EOK);
	len = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_SOA, 0, &wrong, mac, &mac_len);
	rlen = dns_answer(a, db, q, len, NULL, false, r, sizeof(r));
	p = parse_response(r, rlen);
	assert_int_equal(knot_wire_get_rcode(r), KNOT_RCODE_NOTAUTH);
	assert_int_equal(knot_wire_get_ancount(r), 0);
	assert_non_null(p->tsig_rr);
	assert_int_equal(knot_tsig_rdata_error(p->tsig_rr), KNOT_RCODE_BADSIG);
	assert_int_equal(knot_tsig_rdata_mac_length(p->tsig_rr), 0); /* unsigned */
	knot_pkt_free(p);
	knot_tsig_key_deinit(&wrong);
	dns_answerer_free(a);
	dns_db_free(db);
	dns_tsig_keys_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_answer_signed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
