/**
 * @file dns_query.h
 * @brief Test helpers: build queries and read responses with libknot.
 */
#ifndef DDNS_TEST_DNS_QUERY_H
#define DDNS_TEST_DNS_QUERY_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libknot/libknot.h>

/** No OPT record in the query. */
#define NO_EDNS (-1)

/** Write a query for @p name / @p type (class IN) into @p buf (512 bytes);
 *  with an OPT of @p edns_size and version @p edns_ver unless NO_EDNS. */
static inline size_t mkquery_class(uint8_t *buf, const char *name, uint16_t type,
                                   uint16_t qclass, int edns_size, uint8_t edns_ver)
{
	knot_dname_storage_t qname;
	assert_non_null(knot_dname_from_str(qname, name, sizeof(qname)));
	knot_pkt_t *p = knot_pkt_new(buf, 512, NULL);
	assert_non_null(p);
	knot_pkt_clear(p); /* a given wire is not zeroed by knot_pkt_new */
	knot_wire_set_id(p->wire, 0x1234);
	knot_wire_set_rd(p->wire);
	assert_int_equal(knot_pkt_put_question(p, qname, qclass, type), KNOT_EOK);
	if (edns_size != NO_EDNS) {
		knot_rrset_t opt;
		assert_int_equal(knot_edns_init(&opt, (uint16_t)edns_size, 0, edns_ver,
		                                &p->mm), KNOT_EOK);
		assert_int_equal(knot_pkt_begin(p, KNOT_ADDITIONAL), KNOT_EOK);
		assert_int_equal(knot_pkt_put(p, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE),
		                 KNOT_EOK);
	}
	size_t len = p->size;
	knot_pkt_free(p);
	return len;
}

static inline size_t mkquery(uint8_t *buf, const char *name, uint16_t type, int edns_size)
{
	return mkquery_class(buf, name, type, KNOT_CLASS_IN, edns_size, 0);
}

/** Parse a response (the caller frees it with knot_pkt_free). */
static inline knot_pkt_t *parse_response(uint8_t *buf, size_t len)
{
	assert_true(len >= KNOT_WIRE_HEADER_SIZE);
	knot_pkt_t *p = knot_pkt_new(buf, (uint16_t)len, NULL);
	assert_non_null(p);
	assert_int_equal(knot_pkt_parse(p, 0), KNOT_EOK);
	return p;
}

/** Number of RRsets in @p section of @p p. */
static inline uint16_t section_count(const knot_pkt_t *p, knot_section_t section)
{
	return knot_pkt_section(p, section)->count;
}

/** RRset @p i of @p section. */
static inline const knot_rrset_t *section_rr(const knot_pkt_t *p, knot_section_t section,
                                             uint16_t i)
{
	return knot_pkt_rr(knot_pkt_section(p, section), i);
}

/** The address in the first rdata of @p rr as text. */
static inline const char *rr_addr(const knot_rrset_t *rr, char *buf, size_t len)
{
	const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, 0);
	return inet_ntop(rd->len == 4 ? AF_INET : AF_INET6, rd->data, buf, (socklen_t)len);
}

/** A client address. */
static inline struct sockaddr_storage client_addr(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(5353);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(5353);
	}
	return ss;
}

#endif
