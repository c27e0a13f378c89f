/**
 * @file xfr_test.h
 * @brief Test helpers for the zone-transfer tests: a db, a TSIG key, and
 * signed queries built and checked with libknot's client calls.
 */
#ifndef DDNS_TEST_XFR_H
#define DDNS_TEST_XFR_H

#include "dns_query.h"

#include <stdio.h>
#include <stdlib.h>
#include "tsig.h"
#include "zone.h"

#define XT_ZONE "dyn.example.com"
#define XT_SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="

/** A db of XT_ZONE at serial 100 with glue and @p n records hostN with an
 *  IPv4 each (and nas with a LAN address). */
static inline dns_db_t *xt_db(size_t n, const dns_tsig_keys_t *keys)
{
	static const char *const zones[] = { XT_ZONE };
	static const char *const ns[] = { "ns1." XT_ZONE "=192.0.2.53" };
	dns_db_conf_t conf = { .ttl = 60, .soa_ttl = 3600, .refresh = 3600, .retry = 600,
	                       .expire = 604800, .minimum = 5 };
	char err[256] = "";
	dns_db_t *db = NULL;
	if (dns_db_new(&conf, zones, 1, ns, 1, 100, &db, err, sizeof(err), NULL) != 0)
		fail_msg("dns_db_new: %s", err);
	db->tsig = keys;
	assert_int_equal(dns_db_set_record(db, "nas." XT_ZONE, "198.51.100.1", NULL,
	                                   "192.168.1.20", NULL), 0);
	for (size_t i = 0; i < n; i++) {
		char name[64], ip[32];
		snprintf(name, sizeof(name), "host%zu." XT_ZONE, i);
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		assert_int_equal(dns_db_set_record(db, name, ip, NULL, NULL, NULL), 0);
	}
	return db;
}

static inline void xt_keys(dns_tsig_keys_t *k)
{
	static const char *const items[] = { "hmac-sha256:xfr-key:" XT_SECRET,
	                                     "other-key:" XT_SECRET };
	char err[256];
	assert_int_equal(dns_tsig_keys_parse(items, 2, k, err, sizeof(err)), 0);
}

/** A query for @p name/@p type (with the client's SOA at @p serial for
 *  IXFR), signed with @p key (NULL: unsigned); its MAC in @p mac. */
static inline size_t xt_query(uint8_t *buf, size_t max, const char *name, uint16_t type,
                              uint32_t serial, const knot_tsig_key_t *key, uint8_t *mac,
                              size_t *mac_len)
{
	knot_dname_storage_t qname;
	assert_non_null(knot_dname_from_str(qname, name, sizeof(qname)));
	knot_pkt_t *p = knot_pkt_new(buf, (uint16_t)max, NULL);
	assert_non_null(p);
	knot_pkt_clear(p);
	knot_wire_set_id(p->wire, 0x4242);
	assert_int_equal(knot_pkt_put_question(p, qname, KNOT_CLASS_IN, type), KNOT_EOK);
	if (type == KNOT_RRTYPE_IXFR) {
		/* mname ".", rname ".", then serial and four timers */
		uint8_t rdata[22] = { 0 };
		knot_wire_write_u32(rdata + 2, serial);
		knot_rrset_t soa;
		knot_rrset_init(&soa, qname, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 3600);
		assert_int_equal(knot_rrset_add_rdata(&soa, rdata, sizeof(rdata), NULL), KNOT_EOK);
		assert_int_equal(knot_pkt_begin(p, KNOT_AUTHORITY), KNOT_EOK);
		assert_int_equal(knot_pkt_put(p, KNOT_COMPR_HINT_NONE, &soa, 0), KNOT_EOK);
		knot_rdataset_clear(&soa.rrs, NULL);
	}
	size_t len = p->size;
	knot_pkt_free(p);
	if (key != NULL) {
		*mac_len = 64;
		assert_int_equal(knot_tsig_sign(buf, &len, max, NULL, 0, mac, mac_len, key, 0, 0),
		                 KNOT_EOK);
	}
	return len;
}

#endif
