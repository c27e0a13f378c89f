/**
 * @file answer.c
 * @brief builtin_dns: build the response to one query (libknot wire format).
 */
#include "answer.h"
#include "tsig.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Room for two knot_pkt_t, their RRset arrays and EDNS option tables. */
#define ARENA_SIZE (32 * 1024)

struct dns_answerer {
	knot_mm_t mm;       /* libknot allocates packets from the arena */
	size_t used;
	_Alignas(16) uint8_t arena[ARENA_SIZE];
};

/* A bump allocator reset per query: no malloc on the query path. */
static void *arena_alloc(void *ctx, size_t len)
{
	dns_answerer_t *a = ctx;
	size_t off = (a->used + 15) & ~(size_t)15;
	if (off > ARENA_SIZE || len > ARENA_SIZE - off)
		return NULL;
	a->used = off + len;
	return a->arena + off;
}

static void arena_free(void *p)
{
	(void)p; /* released all at once by the next query */
}

int dns_answerer_new(dns_answerer_t **out)
{
	dns_answerer_t *a = malloc(sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->mm.ctx = a;
	a->mm.alloc = arena_alloc;
	a->mm.free = arena_free;
	a->used = 0;
	*out = a;
	return 0;
}

void dns_answerer_free(dns_answerer_t *a)
{
	free(a);
}

size_t dns_answer_header_only(const uint8_t *query, uint8_t *out, uint8_t rcode)
{
	memcpy(out, query, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_qr(out);
	knot_wire_clear_aa(out);
	knot_wire_clear_tc(out);
	knot_wire_clear_ra(out);
	knot_wire_clear_z(out);
	knot_wire_clear_ad(out);
	knot_wire_set_rcode(out, rcode);
	knot_wire_set_qdcount(out, 0);
	knot_wire_set_ancount(out, 0);
	knot_wire_set_nscount(out, 0);
	knot_wire_set_arcount(out, 0);
	return KNOT_WIRE_HEADER_SIZE;
}

/* True when @p client is the record's own WAN address: it is at home. */
static bool client_is_home(const dns_node_t *n, const struct sockaddr *client)
{
	if (client == NULL)
		return false;
	if (client->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)client;
		return n->has_wan4 && memcmp(&s->sin_addr, n->wan4, 4) == 0;
	}
	if (client->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)client;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			return n->has_wan4 && memcmp(s->sin6_addr.s6_addr + 12, n->wan4, 4) == 0;
		return n->has_wan6 && memcmp(s->sin6_addr.s6_addr, n->wan6, 16) == 0;
	}
	return false;
}

static const knot_rrset_t *pick(const knot_rrset_t *wan, const knot_rrset_t *lan, bool home)
{
	if (home && !knot_rrset_empty(lan))
		return lan;
	return knot_rrset_empty(wan) ? NULL : wan;
}

/* The RRset that answers @p qtype at @p node, or NULL (no data). */
static const knot_rrset_t *node_rrset(const dns_node_t *node, uint16_t qtype,
                                      const struct sockaddr *client)
{
	const dns_zone_t *zone = node->zone;
	bool home = node->record && client_is_home(node, client);
	const knot_rrset_t *rr;
	switch (qtype) {
	case KNOT_RRTYPE_A:
		return pick(&node->a, &node->lan_a, home);
	case KNOT_RRTYPE_AAAA:
		return pick(&node->aaaa, &node->lan_aaaa, home);
	case KNOT_RRTYPE_SOA:
		return node->apex ? &zone->soa : NULL;
	case KNOT_RRTYPE_NS:
		return node->apex && !knot_rrset_empty(&zone->ns) ? &zone->ns : NULL;
	case KNOT_RRTYPE_TXT:
		return knot_rrset_empty(&node->txt) ? NULL : &node->txt;
	case KNOT_RRTYPE_ANY:
		/* RFC 8482: one RRset is enough; the address is what is wanted. */
		rr = pick(&node->a, &node->lan_a, home);
		if (rr == NULL)
			rr = pick(&node->aaaa, &node->lan_aaaa, home);
		if (rr == NULL && node->apex)
			rr = &zone->soa;
		if (rr == NULL && !knot_rrset_empty(&node->txt))
			rr = &node->txt;
		return rr;
	default:
		return NULL;
	}
}

/* SOA in authority: NXDOMAIN or NODATA.  Its TTL is the SOA minimum
 * (RFC 2308 negative caching). */
static void put_negative(knot_pkt_t *r, const dns_zone_t *zone)
{
	knot_pkt_begin(r, KNOT_AUTHORITY);
	knot_pkt_put(r, KNOT_COMPR_HINT_NONE, &zone->soa, KNOT_PF_SOAMINTTL);
}

/* Addresses of in-zone NS names; optional, so they never set TC.  The NS
 * RRset was written at @p ns_pos: each glue owner is a pointer to its name
 * in that RRset's RDATA (libknot's owner hint), 2 bytes where the name
 * would be ~7, so about twice as much glue fits in 1232 bytes.  z->glue is
 * sorted by the index of its name in z->ns, the order libknot writes the
 * RRs, so one walk over the NS RRs finds every offset. */
static void put_glue(knot_pkt_t *r, const dns_zone_t *zone, size_t ns_pos)
{
	const uint8_t *p = r->wire + ns_pos, *end = r->wire + r->size;
	uint16_t k = 0;
	knot_pkt_begin(r, KNOT_ADDITIONAL);
	for (size_t i = 0; i < zone->n_glue; i++) {
		const dns_node_t *g = zone->glue[i];
		uint16_t hint = KNOT_COMPR_HINT_NONE;
		/* Find the RDATA of NS RR number glue_ns[i]: owner, 10 bytes of
		 * type, class, TTL and RDLENGTH, then the name. */
		while (p < end && k <= zone->glue_ns[i]) {
			int owner = knot_dname_wire_check(p, end, r->wire);
			if (owner <= 0 || end - (p + owner) < 10)
				break;
			const uint8_t *rdata = p + owner + 10;
			if (k == zone->glue_ns[i] && rdata - r->wire <= KNOT_WIRE_PTR_MAX)
				hint = (uint16_t)(rdata - r->wire);
			p = rdata + knot_wire_read_u16(rdata - 2);
			k++;
		}
		if ((!knot_rrset_empty(&g->a) &&
		     knot_pkt_put(r, hint, &g->a, KNOT_PF_NOTRUNC) != KNOT_EOK) ||
		    (!knot_rrset_empty(&g->aaaa) &&
		     knot_pkt_put(r, hint, &g->aaaa, KNOT_PF_NOTRUNC) != KNOT_EOK))
			return;
	}
}

/* Fill the sections of @p r for the IN-class query @p q; returns the rcode. */
static uint16_t answer_in(const dns_db_t *db, const knot_pkt_t *q, knot_pkt_t *r,
                          const struct sockaddr *client)
{
	const knot_dname_t *qname = knot_pkt_qname(q); /* lower case */
	uint16_t qtype = knot_pkt_qtype(q);
	const dns_node_t *node = dns_db_node(db, qname);
	const dns_zone_t *zone = node ? node->zone : dns_db_zone(db, qname);
	if (zone == NULL)
		return KNOT_RCODE_REFUSED;
	/* Zone transfers are not offered; other meta types do not exist here. */
	if (qtype == KNOT_RRTYPE_AXFR || qtype == KNOT_RRTYPE_IXFR)
		return KNOT_RCODE_REFUSED;
	if (qtype == KNOT_RRTYPE_OPT || qtype == KNOT_RRTYPE_TSIG)
		return KNOT_RCODE_FORMERR;
	knot_wire_set_aa(r->wire);
	if (node == NULL) {
		put_negative(r, zone);
		return KNOT_RCODE_NXDOMAIN;
	}
	const knot_rrset_t *rr = node_rrset(node, qtype, client);
	if (rr == NULL) {
		put_negative(r, zone);
		return KNOT_RCODE_NOERROR;
	}
	size_t pos = r->size;
	int ret = knot_pkt_put(r, KNOT_COMPR_HINT_QNAME, rr, 0);
	if (ret == KNOT_ESPACE)
		return KNOT_RCODE_NOERROR; /* TC is set: the client retries over TCP */
	if (ret != KNOT_EOK)
		return KNOT_RCODE_SERVFAIL;
	if (rr == &zone->ns)
		put_glue(r, zone, pos);
	return KNOT_RCODE_NOERROR;
}

/* Largest UDP response the client takes (RFC 6891), capped at ours. */
static uint16_t udp_size(const knot_pkt_t *q)
{
	if (!knot_pkt_has_edns(q))
		return KNOT_WIRE_MIN_PKTSIZE;
	uint16_t size = knot_edns_get_payload(q->opt_rr);
	if (size < KNOT_EDNS_MIN_UDP_PAYLOAD)
		size = KNOT_EDNS_MIN_UDP_PAYLOAD;
	return size > DNS_EDNS_PAYLOAD ? DNS_EDNS_PAYLOAD : size;
}

size_t dns_answer(dns_answerer_t *a, const dns_db_t *db, const uint8_t *query,
                  size_t len, const struct sockaddr *client, bool tcp,
                  uint8_t *out, size_t out_len)
{
	if (len < KNOT_WIRE_HEADER_SIZE || out_len < KNOT_WIRE_MIN_PKTSIZE)
		return 0;
	if (knot_wire_get_qr(query))
		return 0; /* a response: answering could start a loop */
	uint8_t opcode = knot_wire_get_opcode(query);
	uint8_t bad = opcode == KNOT_OPCODE_QUERY ? KNOT_RCODE_FORMERR : KNOT_RCODE_NOTIMPL;
	if (len > DNS_MAX_RESPONSE)
		return dns_answer_header_only(query, out, bad);

	a->used = 0;
	/* libknot does not write to a query parsed with KEEPWIRE. */
	knot_pkt_t *q = knot_pkt_new((uint8_t *)query, (uint16_t)len, &a->mm);
	if (q == NULL)
		return dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL);
	if (knot_pkt_parse(q, KNOT_PF_KEEPWIRE) != KNOT_EOK ||
	    knot_wire_get_qdcount(query) != 1 || q->qname_size == 0)
		return dns_answer_header_only(query, out, bad);

	size_t max = tcp ? DNS_MAX_RESPONSE : udp_size(q);
	if (max > out_len)
		max = out_len;
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)max, &a->mm);
	if (r == NULL || knot_pkt_init_response(r, q) != KNOT_EOK)
		return dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL);
	knot_wire_clear_aa(r->wire);
	knot_wire_clear_z(r->wire);

	/* RFC 8945: a signed query gets a signed answer, or NOTAUTH with the
	 * TSIG error and nothing else when the signature does not hold. */
	dns_tsig_signer_t signer;
	dns_tsig_signer_init(&signer, NULL, q);
	if (q->tsig_rr != NULL) {
		const knot_tsig_key_t *key;
		uint16_t terr = dns_tsig_check(db->tsig, q, &key);
		if (terr != KNOT_RCODE_NOERROR) {
			size_t size = r->size;
			if (dns_tsig_error_reply(r->wire, &size, max, terr, q) != 0)
				return dns_answer_header_only(query, out, KNOT_RCODE_NOTAUTH);
			return size;
		}
		dns_tsig_signer_init(&signer, key, q);
		if (knot_pkt_reserve(r, (uint16_t)dns_tsig_room(&signer)) != KNOT_EOK)
			return dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL);
	}

	knot_rrset_t opt;
	bool edns = knot_pkt_has_edns(q);
	if (edns && (knot_edns_init(&opt, DNS_EDNS_PAYLOAD, 0, 0, &a->mm) != KNOT_EOK ||
	             knot_pkt_reserve(r, knot_edns_wire_size(&opt)) != KNOT_EOK))
		return dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL);
	/* RFC 3225 §3: the DO bit of the query is copied to the response. */
	if (edns && knot_edns_do(q->opt_rr))
		knot_edns_set_do(&opt);

	uint16_t rcode;
	if (edns && knot_edns_get_version(q->opt_rr) != 0)
		rcode = KNOT_RCODE_BADVERS;
	else if (opcode != KNOT_OPCODE_QUERY)
		rcode = KNOT_RCODE_NOTIMPL;
	else if (knot_wire_get_ancount(query) != 0 ||
	         (knot_wire_get_nscount(query) != 0 && knot_pkt_qtype(q) != KNOT_RRTYPE_IXFR))
		/* An IXFR carries the client's SOA in authority (RFC 1995 §3):
		 * well-formed, and refused below like every transfer. */
		rcode = KNOT_RCODE_FORMERR;
	else if (knot_pkt_qclass(q) != KNOT_CLASS_IN)
		rcode = KNOT_RCODE_REFUSED;
	else
		rcode = answer_in(db, q, r, client);

	knot_wire_set_rcode(r->wire, rcode & 0xf);
	if (edns) {
		knot_edns_set_ext_rcode(&opt, (uint8_t)(rcode >> 4));
		knot_pkt_reclaim(r, knot_edns_wire_size(&opt));
		knot_pkt_begin(r, KNOT_ADDITIONAL);
		if (knot_pkt_put(r, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_NOTRUNC) != KNOT_EOK)
			return dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL);
	}
	if (signer.key != NULL) {
		size_t size = r->size;
		if (dns_tsig_sign(&signer, r->wire, &size, max) != 0)
			return dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL);
		return size;
	}
	return r->size;
}
