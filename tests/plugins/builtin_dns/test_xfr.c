/**
 * @file test_xfr.c
 * @brief Unit tests of zone transfers (xfr.c): who may transfer, AXFR as a
 * signed multi-message stream sharing one image per serial, IXFR from the
 * journal, the whole zone when the journal does not reach, one SOA when
 * the client is current.
 */
#include "xfr_test.h"

#include <errno.h>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
/* libasan's (sanitizer/allocator_interface.h is not in Debian's gcc) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#include "diff.h"
#include "journal.h"
#include "txt.h"
#include "xfr.h"

typedef struct fixture {
	dns_tsig_keys_t keys;
	dns_secondary_t sec;
	dns_journal_t *journal;
	dns_xfr_t *x;
	dns_db_t *db;
	struct sockaddr_in from; /* the secondary's address */
} fixture_t;

static int setup_n(void **state, size_t n)
{
	fixture_t *f = calloc(1, sizeof(*f));
	xt_keys(&f->keys);
	char err[256];
	assert_int_equal(dns_secondary_parse("127.0.0.9:5301 xfr-key", &f->keys, &f->sec, err,
	                                     sizeof(err)), 0);
	assert_int_equal(dns_journal_new(10, &f->journal), 0);
	assert_int_equal(dns_xfr_new(&f->sec, 1, f->journal, &f->x), 0);
	f->db = xt_db(n, &f->keys);
	f->from = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(40000) };
	inet_pton(AF_INET, "127.0.0.9", &f->from.sin_addr);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_n(state, 10); }
static int setup_big(void **state) { return setup_n(state, 20000); }

static int teardown(void **state)
{
	fixture_t *f = *state;
	dns_xfr_free(f->x);
	dns_journal_free(f->journal);
	dns_db_free(f->db);
	dns_tsig_keys_free(&f->keys);
	free(f);
	return 0;
}

static void test_secondary_parse(void **state)
{
	fixture_t *f = *state;
	dns_secondary_t s;
	char err[256];
	assert_int_equal(dns_secondary_parse("[2001:db8::1]:53 xfr-key", &f->keys, &s, err,
	                                     sizeof(err)), 0);
	assert_int_equal(s.addr.ss_family, AF_INET6);
	assert_int_equal(dns_secondary_parse("192.0.2.1", &f->keys, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs a TSIG key"));
	assert_int_equal(dns_secondary_parse("192.0.2.1 nokey", &f->keys, &s, err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "no key \"nokey\""));
	assert_int_equal(dns_secondary_parse("nowhere xfr-key", &f->keys, &s, err, sizeof(err)),
	                 -EINVAL);
}

/* Ask for a transfer: the immediate reply's rcode, or -1 with *stream. */
static int ask(fixture_t *f, const struct sockaddr *from, uint16_t type, uint32_t serial,
               const knot_tsig_key_t *key, uint8_t *mac, size_t *mac_len,
               dns_xfr_stream_t **stream)
{
	uint8_t q[1024], out[65535];
	size_t len = xt_query(q, sizeof(q), XT_ZONE, type, serial, key, mac, mac_len);
	size_t rlen = dns_xfr_query(f->x, f->db, q, len, from, out, sizeof(out), stream);
	if (*stream != NULL) {
		assert_int_equal(rlen, 0);
		return -1;
	}
	assert_true(rlen >= KNOT_WIRE_HEADER_SIZE);
	return knot_wire_get_rcode(out);
}

typedef struct got {
	size_t msgs, soa, a, aaaa, txt, ns, lan;
	uint32_t first_serial, last_serial;
} got_t;

/* Read a stream to its end, checking each message's TSIG in turn. */
static void drain(dns_xfr_stream_t *s, const knot_tsig_key_t *key, const uint8_t *mac,
                  size_t mac_len, got_t *g)
{
	uint8_t prev[64], out[65535];
	size_t prev_len = mac_len, len;
	memcpy(prev, mac, mac_len);
	memset(g, 0, sizeof(*g));
	while ((len = dns_xfr_stream_next(s, out, sizeof(out))) > 0) {
		knot_pkt_t *p = parse_response(out, len);
		assert_int_equal(knot_wire_get_id(out), 0x4242);
		assert_non_null(p->tsig_rr);
		int ret = g->msgs == 0
		        ? knot_tsig_client_check(p->tsig_rr, p->wire, p->size, prev, prev_len, key, 0)
		        : knot_tsig_client_check_next(p->tsig_rr, p->wire, p->size, prev, prev_len,
		                                      key, 0);
		assert_int_equal(ret, KNOT_EOK);
		prev_len = knot_tsig_rdata_mac_length(p->tsig_rr);
		memcpy(prev, knot_tsig_rdata_mac(p->tsig_rr), prev_len);
		const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
		for (uint16_t i = 0; i < an->count; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, i);
			if (rr->type == KNOT_RRTYPE_SOA) {
				if (g->soa++ == 0)
					g->first_serial = knot_soa_serial(rr->rrs.rdata);
				g->last_serial = knot_soa_serial(rr->rrs.rdata);
			}
			g->a += rr->type == KNOT_RRTYPE_A ? rr->rrs.count : 0;
			g->aaaa += rr->type == KNOT_RRTYPE_AAAA;
			g->txt += rr->type == KNOT_RRTYPE_TXT;
			if (rr->type == KNOT_RRTYPE_AAAA && rr->rrs.rdata->data[0] == 0xfd)
				g->lan++;
			g->ns += rr->type == KNOT_RRTYPE_NS;
			if (rr->type == KNOT_RRTYPE_A && rr->rrs.rdata->data[0] == 192 &&
			    rr->rrs.rdata->data[1] == 168)
				g->lan++;
		}
		g->msgs++;
		knot_pkt_free(p);
	}
	dns_xfr_stream_free(s);
}

static void test_refusals(void **state)
{
	fixture_t *f = *state;
	dns_xfr_stream_t *s = NULL;
	uint8_t mac[64];
	size_t mac_len = 0;
	struct sockaddr_in other = f->from;
	inet_pton(AF_INET, "127.0.0.8", &other.sin_addr);
	knot_tsig_key_t wrong;
	assert_int_equal(knot_tsig_key_init(&wrong, "hmac-sha256", "xfr-key",
	                                    "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc="), KNOT_EOK);
	const struct sockaddr *me = (const struct sockaddr *)&f->from;
	assert_int_equal(ask(f, me, KNOT_RRTYPE_AXFR, 0, NULL, mac, &mac_len, &s),
	                 KNOT_RCODE_NOTAUTH); /* unsigned */
	assert_int_equal(ask(f, (struct sockaddr *)&other, KNOT_RRTYPE_AXFR, 0, &f->keys.keys[0],
	                     mac, &mac_len, &s), KNOT_RCODE_NOTAUTH); /* not its address */
	assert_int_equal(ask(f, me, KNOT_RRTYPE_AXFR, 0, &f->keys.keys[1], mac, &mac_len, &s),
	                 KNOT_RCODE_NOTAUTH); /* another valid key */
	assert_int_equal(ask(f, me, KNOT_RRTYPE_IXFR, 1, &wrong, mac, &mac_len, &s),
	                 KNOT_RCODE_NOTAUTH);
	{ /* the refusal says why, in its TSIG */
		uint8_t q[1024], out[512];
		size_t len = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_AXFR, 0, &wrong, mac,
		                      &mac_len);
		size_t rlen = dns_xfr_query(f->x, f->db, q, len, me, out, sizeof(out), &s);
		assert_null(s);
		knot_pkt_t *p = parse_response(out, rlen);
		assert_int_equal(knot_wire_get_rcode(out), KNOT_RCODE_NOTAUTH);
		assert_int_equal(knot_wire_get_ancount(out), 0);
		assert_non_null(p->tsig_rr);
		assert_int_equal(knot_tsig_rdata_error(p->tsig_rr), KNOT_RCODE_BADSIG);
		knot_pkt_free(p);
	}
	dns_xfr_counts_t c;
	dns_xfr_counts(f->x, &c);
	assert_int_equal(c.refused, 5);
	/* no secondaries at all: REFUSED */
	dns_xfr_t *none;
	assert_int_equal(dns_xfr_new(NULL, 0, NULL, &none), 0);
	uint8_t q[1024], out[512];
	size_t len = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_AXFR, 0, NULL, mac, &mac_len);
	assert_true(dns_xfr_query(none, f->db, q, len, me, out, sizeof(out), &s) > 0);
	assert_int_equal(knot_wire_get_rcode(out), KNOT_RCODE_REFUSED);
	/* not a transfer: 0, for dns_answer() */
	len = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_SOA, 0, NULL, mac, &mac_len);
	assert_int_equal(dns_xfr_query(f->x, f->db, q, len, me, out, sizeof(out), &s), 0);
	assert_null(s);
	dns_xfr_free(none);
	knot_tsig_key_deinit(&wrong);
}

/* Bytes the heap holds now (ASan keeps its own count: mallinfo2() is not
 * its allocator's). */
static size_t heap_bytes(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

/* 20,000 records: several messages, each signed, SOA first and last, the
 * WAN view only; a second reader of the same serial shares the image. */
static void test_axfr(void **state)
{
	fixture_t *f = *state;
	dns_xfr_stream_t *s1 = NULL, *s2 = NULL;
	uint8_t mac1[64], mac2[64];
	size_t l1, l2;
	const struct sockaddr *me = (const struct sockaddr *)&f->from;
	size_t before = heap_bytes();
	assert_int_equal(ask(f, me, KNOT_RRTYPE_AXFR, 0, &f->keys.keys[0], mac1, &l1, &s1), -1);
	size_t first = heap_bytes() - before;
	before = heap_bytes();
	assert_int_equal(ask(f, me, KNOT_RRTYPE_AXFR, 0, &f->keys.keys[0], mac2, &l2, &s2), -1);
	size_t second = heap_bytes() - before;
	/* the first built the image (20,000 A: well over 300 kB), the second
	 * shares it: a stream's own state only */
	print_message("first AXFR stream: %zu bytes (the image), second: %zu\n", first, second);
	assert_true(first > 300 * 1000);
	assert_true(second < first / 50);
	got_t g;
	drain(s1, &f->keys.keys[0], mac1, l1, &g);
	assert_true(g.msgs > 1);
	assert_int_equal(g.soa, 2);
	assert_int_equal(g.first_serial, 100);
	assert_int_equal(g.last_serial, 100);
	assert_int_equal(g.ns, 1);
	assert_int_equal(g.a, 20000 + 2); /* the hosts, nas's WAN address, the glue */
	assert_int_equal(g.lan, 0);
	got_t g2;
	drain(s2, &f->keys.keys[0], mac2, l2, &g2);
	assert_int_equal(g2.a, g.a);
	dns_xfr_counts_t c;
	dns_xfr_counts(f->x, &c);
	assert_int_equal(c.axfr, 2);
}

/* The AXFR holds every record's A, AAAA and TXT and the glue, never a LAN
 * address; a reader that started before a change keeps its serial's
 * image, one that starts after gets the new serial. */
static void test_axfr_change(void **state)
{
	fixture_t *f = *state;
	const struct sockaddr *me = (const struct sockaddr *)&f->from;
	assert_int_equal(dns_db_set_record(f->db, "v6." XT_ZONE, NULL, "2001:db8::6", NULL,
	                                   "fd00::6"), 0);
	dns_xfr_stream_t *s1 = NULL, *s2 = NULL;
	uint8_t mac1[64], mac2[64];
	size_t l1, l2;
	assert_int_equal(ask(f, me, KNOT_RRTYPE_AXFR, 0, &f->keys.keys[0], mac1, &l1, &s1), -1);
	const char *v[] = { "token" };
	assert_int_equal(dns_db_set_txt(f->db, "_acme-challenge.host1." XT_ZONE, v, 1, 0, 0), 1);
	assert_int_equal(dns_db_update(f->db, "host2." XT_ZONE, NULL, "2001:db8::2", 0), 1);
	uint32_t now_serial = f->db->zones[0].serial;
	assert_true(now_serial > 100);
	assert_int_equal(ask(f, me, KNOT_RRTYPE_AXFR, 0, &f->keys.keys[0], mac2, &l2, &s2), -1);
	got_t g1, g2;
	drain(s1, &f->keys.keys[0], mac1, l1, &g1);
	drain(s2, &f->keys.keys[0], mac2, l2, &g2);
	assert_int_equal(g1.first_serial, 100);
	assert_int_equal(g1.last_serial, 100);
	assert_int_equal(g1.a, 10 + 2);
	assert_int_equal(g1.aaaa, 1);
	assert_int_equal(g1.txt, 0);
	assert_int_equal(g2.first_serial, now_serial);
	assert_int_equal(g2.last_serial, now_serial);
	assert_int_equal(g2.soa, 2);
	assert_int_equal(g2.a, 10 + 2);
	assert_int_equal(g2.aaaa, 2);
	assert_int_equal(g2.txt, 1);
	assert_int_equal(g2.ns, 1);
	assert_int_equal(g1.lan + g2.lan, 0);
}

/* IXFR: from a journal serial, only the steps; from an unknown one, the
 * whole zone; from the current one, one SOA. */
static void test_ixfr(void **state)
{
	fixture_t *f = *state;
	const struct sockaddr *me = (const struct sockaddr *)&f->from;
	for (int i = 0; i < 2; i++) {
		dns_snap_t snap;
		assert_int_equal(dns_snap_take(&snap, f->db, "host3." XT_ZONE), 0);
		assert_int_equal(dns_db_update(f->db, "host3." XT_ZONE, i ? "203.0.113.2" :
		                               "203.0.113.1", NULL, 1000 + i), 1);
		assert_int_equal(dns_snap_commit(&snap, f->db, f->journal), 1);
	}
	dns_xfr_stream_t *s = NULL;
	uint8_t mac[64];
	size_t l;
	assert_int_equal(ask(f, me, KNOT_RRTYPE_IXFR, 100, &f->keys.keys[0], mac, &l, &s), -1);
	got_t g;
	drain(s, &f->keys.keys[0], mac, l, &g);
	assert_int_equal(g.msgs, 1);
	/* new SOA, (old SOA, -A, SOA, +A) twice, new SOA */
	assert_int_equal(g.soa, 6);
	assert_int_equal(g.a, 4);
	assert_int_equal(g.first_serial, 1001);
	assert_int_equal(g.last_serial, 1001);
	assert_int_equal(ask(f, me, KNOT_RRTYPE_IXFR, 1000, &f->keys.keys[0], mac, &l, &s), -1);
	drain(s, &f->keys.keys[0], mac, l, &g);
	assert_int_equal(g.soa, 4);
	assert_int_equal(ask(f, me, KNOT_RRTYPE_IXFR, 55, &f->keys.keys[0], mac, &l, &s), -1);
	drain(s, &f->keys.keys[0], mac, l, &g);
	assert_int_equal(g.soa, 2); /* the whole zone */
	assert_int_equal(g.a, 10 + 2);
	{ /* current: one SOA, at once, signed */
		uint8_t q[1024], out[1024];
		size_t len = xt_query(q, sizeof(q), XT_ZONE, KNOT_RRTYPE_IXFR, 1001,
		                      &f->keys.keys[0], mac, &l);
		size_t rlen = dns_xfr_query(f->x, f->db, q, len, me, out, sizeof(out), &s);
		assert_null(s);
		knot_pkt_t *p = parse_response(out, rlen);
		assert_int_equal(knot_wire_get_rcode(out), KNOT_RCODE_NOERROR);
		const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
		assert_int_equal(an->count, 1);
		assert_int_equal(knot_pkt_rr(an, 0)->type, KNOT_RRTYPE_SOA);
		assert_int_equal(knot_soa_serial(knot_pkt_rr(an, 0)->rrs.rdata), 1001);
		assert_non_null(p->tsig_rr);
		assert_int_equal(knot_tsig_client_check(p->tsig_rr, p->wire, p->size, mac, l,
		                                        &f->keys.keys[0], 0), KNOT_EOK);
		knot_pkt_free(p);
	}
	/* a rebuild from the store, compared whole (diff.c): one more name */
	dns_db_t *db2 = xt_db(11, &f->keys);
	assert_int_equal(dns_db_update(db2, "host3." XT_ZONE, "203.0.113.2", NULL, 0), 1);
	dns_db_bump_serials(db2, f->db, 2000);
	assert_int_equal(db2->zones[0].serial, 2000);
	assert_int_equal(dns_diff_dbs(f->journal, f->db, db2), 0);
	dns_db_free(f->db);
	f->db = db2;
	assert_int_equal(ask(f, me, KNOT_RRTYPE_IXFR, 1001, &f->keys.keys[0], mac, &l, &s), -1);
	drain(s, &f->keys.keys[0], mac, l, &g);
	assert_int_equal(g.soa, 4);
	assert_int_equal(g.a, 1); /* host10 added, nothing removed */
	assert_int_equal(g.first_serial, 2000);
	/* and from the start, all three steps */
	assert_int_equal(ask(f, me, KNOT_RRTYPE_IXFR, 100, &f->keys.keys[0], mac, &l, &s), -1);
	drain(s, &f->keys.keys[0], mac, l, &g);
	assert_int_equal(g.soa, 8);
	assert_int_equal(g.a, 5);
	dns_xfr_counts_t c;
	dns_xfr_counts(f->x, &c);
	assert_int_equal(c.ixfr, 5);
	assert_int_equal(c.ixfr_as_axfr, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_secondary_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_axfr, setup_big, teardown),
		cmocka_unit_test_setup_teardown(test_axfr_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
