/**
 * @file answer.c
 * @brief builtin_dns: build the response to one query (libknot wire format).
 */
#include "answer.h"
#include "sign.h"
#include "tsig.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Room for two knot_pkt_t, their RRset arrays and EDNS option tables. */
#define ARENA_SIZE (32 * 1024)

struct dns_answerer {
	knot_mm_t mm;       /* libknot allocates packets from the arena */
	dns_signer_t *signer; /* RRSIGs of this thread, made when first needed */
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
	/* Made now, not when first needed: /metrics reads its counts from
	 * the loop while this thread answers.  Its cache is calloc'd, so its
	 * pages cost nothing until a zone is signed. */
	if (dns_signer_new(&a->signer) != 0) {
		free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void dns_answerer_free(dns_answerer_t *a)
{
	if (a != NULL)
		dns_signer_free(a->signer);
	free(a);
}

void dns_answerer_sign_counts(const dns_answerer_t *a, uint64_t *made, uint64_t *hits)
{
	dns_signer_counts(a != NULL ? a->signer : NULL, made, hits);
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

/* What signing an answer needs: the zone's key, this thread's signer. */
typedef struct dnssec_ctx {
	bool want;             /* DO was set */
	dns_answerer_t *answerer; /* whose signer signs */
	const dns_zkey_t *key; /* NULL: unsigned answers */
	dns_signer_t *signer;
	uint32_t now;
} dnssec_ctx_t;

/* RFC 9824 §3: the type an NSEC names for a name that does not exist. */
#define RRTYPE_NXNAME 128

static int put_signed(knot_pkt_t *r, const dnssec_ctx_t *d, const knot_rrset_t *rr,
                      uint16_t hint, uint16_t flags, uint32_t ttl, bool cache)
{
	int ret = knot_pkt_put(r, hint, rr, flags);
	if (ret != KNOT_EOK || d->key == NULL)
		return ret;
	/* The apex key sets are signed by the keys the parent's DS may name
	 * (both during a rollover: RFC 7344 §4.1 for CDS/CDNSKEY). */
	if (rr->type == KNOT_RRTYPE_DNSKEY || rr->type == KNOT_RRTYPE_CDS ||
	    rr->type == KNOT_RRTYPE_CDNSKEY) {
		for (size_t i = 0; ret == KNOT_EOK && i < d->key->n_ksk; i++)
			ret = dns_sign_put(d->signer, d->key->ksk[i], rr, ttl, r, hint, cache, d->now);
		return ret;
	}
	return dns_sign_put(d->signer, d->key->zsk, rr, ttl, r, hint, cache, d->now);
}

/* The compact denial (RFC 9824) for @p qname: an NSEC whose next name is
 * its immediate successor, so nothing can be enumerated; its bitmap has
 * the node's types, or, for a name that does not exist, RRSIG, NSEC and
 * NXNAME.  Cached with the node's; one for a random name is not. */
static int put_nsec(knot_pkt_t *r, const dnssec_ctx_t *d, const knot_dname_t *qname,
                    const dns_node_t *node, const dns_zone_t *zone, uint32_t ttl)
{
	uint8_t rdata[KNOT_DNAME_MAXLEN + 2 + 34];
	size_t qlen = knot_dname_size(qname), n = 0;
	if (qlen + 2 <= KNOT_DNAME_MAXLEN) {
		rdata[n++] = 1; /* \000.<qname> */
		rdata[n++] = 0;
	}
	memcpy(rdata + n, qname, qlen);
	n += qlen;
	uint8_t bits[17] = { 0 }; /* window 0: types 0..135 */
	uint16_t types[12];
	size_t nt = 0;
	types[nt++] = KNOT_RRTYPE_RRSIG;
	types[nt++] = KNOT_RRTYPE_NSEC;
	if (node == NULL) {
		types[nt++] = RRTYPE_NXNAME;
	} else {
		if (!knot_rrset_empty(&node->a) || !knot_rrset_empty(&node->lan_a))
			types[nt++] = KNOT_RRTYPE_A;
		if (!knot_rrset_empty(&node->aaaa) || !knot_rrset_empty(&node->lan_aaaa))
			types[nt++] = KNOT_RRTYPE_AAAA;
		if (!knot_rrset_empty(&node->txt))
			types[nt++] = KNOT_RRTYPE_TXT;
		if (node->apex) {
			types[nt++] = KNOT_RRTYPE_SOA;
			if (!knot_rrset_empty(&zone->ns))
				types[nt++] = KNOT_RRTYPE_NS;
			types[nt++] = KNOT_RRTYPE_DNSKEY;
			types[nt++] = KNOT_RRTYPE_CDS;
			types[nt++] = KNOT_RRTYPE_CDNSKEY;
		}
	}
	uint16_t top = 0;
	for (size_t i = 0; i < nt; i++) {
		bits[types[i] / 8] |= (uint8_t)(0x80 >> (types[i] % 8));
		if (types[i] > top)
			top = types[i];
	}
	rdata[n++] = 0;                       /* window 0 */
	rdata[n++] = (uint8_t)(top / 8 + 1);  /* its length */
	memcpy(rdata + n, bits, top / 8 + 1u);
	n += top / 8 + 1u;
	knot_rrset_t nsec;
	knot_rrset_init(&nsec, (knot_dname_t *)qname, KNOT_RRTYPE_NSEC, KNOT_CLASS_IN, ttl);
	int ret = knot_rrset_add_rdata(&nsec, rdata, (uint16_t)n, &r->mm);
	if (ret == KNOT_EOK)
		ret = put_signed(r, d, &nsec, KNOT_COMPR_HINT_QNAME, 0, ttl, node != NULL);
	return ret;
}

/* NODATA or NXDOMAIN: the SOA (RFC 2308), signed, and the denial. */
static uint16_t put_denial(knot_pkt_t *r, const dnssec_ctx_t *d, const knot_dname_t *qname,
                           const dns_node_t *node, const dns_zone_t *zone)
{
	put_negative(r, zone);
	if (d->key == NULL)
		return node != NULL ? KNOT_RCODE_NOERROR : KNOT_RCODE_NXDOMAIN;
	uint32_t min = knot_soa_minimum(zone->soa.rrs.rdata);
	if (dns_sign_put(d->signer, d->key->zsk, &zone->soa, min < zone->soa.ttl ? min : zone->soa.ttl,
	                 r, KNOT_COMPR_HINT_NONE, true, d->now) != KNOT_EOK ||
	    put_nsec(r, d, qname, node, zone, min) != KNOT_EOK)
		return KNOT_RCODE_NOERROR; /* TC is set */
	/* RFC 9824 §3.2: without the CO flag, a signed denial of a name is
	 * NOERROR, its NSEC saying NXNAME. */
	return KNOT_RCODE_NOERROR;
}

/* Fill the sections of @p r for the IN-class query @p q; returns the rcode. */
static uint16_t answer_in(const dns_db_t *db, const knot_pkt_t *q, knot_pkt_t *r,
                          const struct sockaddr *client, dnssec_ctx_t *d)
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
	if (qtype == KNOT_RRTYPE_OPT || qtype == KNOT_RRTYPE_TSIG || qtype == RRTYPE_NXNAME)
		return KNOT_RCODE_FORMERR; /* RFC 9824 §3.4: NXNAME is no query */
	knot_wire_set_aa(r->wire);
	dns_answerer_t *a = d->answerer;
	if (d->want && zone->key != NULL) {
		d->key = zone->key;
		d->signer = a->signer;
		d->now = (uint32_t)time(NULL);
	}
	if (node == NULL)
		return put_denial(r, d, qname, NULL, zone);
	const knot_rrset_t *rr = node_rrset(node, qtype, client);
	const dns_zkey_t *zk = zone->key;
	if (rr == NULL && node->apex && zk != NULL)
		rr = qtype == KNOT_RRTYPE_DNSKEY ? &zk->dnskey : qtype == KNOT_RRTYPE_CDS ? &zk->cds
		   : qtype == KNOT_RRTYPE_CDNSKEY ? &zk->cdnskey : NULL;
	if (rr == NULL)
		return put_denial(r, d, qname, node, zone);
	size_t pos = r->size;
	int ret = put_signed(r, d, rr, KNOT_COMPR_HINT_QNAME, 0, rr->ttl, true);
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
	dnssec_ctx_t dsec = { 0 };
	if (edns && knot_edns_do(q->opt_rr)) {
		knot_edns_set_do(&opt);
		dsec.want = true; /* answer_in() takes the zone's key, if it has one */
		dsec.answerer = a;
	}

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
		rcode = answer_in(db, q, r, client, &dsec);

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
