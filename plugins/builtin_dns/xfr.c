/**
 * @file xfr.c
 * @brief builtin_dns: AXFR and IXFR to configured secondaries (xfr.h).
 */
#include "xfr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "answer.h"
#include "server.h"

/* A message leaves room for the largest TSIG RR a connection adds. */
#define XFR_MSG_MAX (65535 - 512)

/* Messages built for a transfer, without ID or TSIG. */
typedef struct xfr_msgs {
	uint8_t **wire;
	uint16_t *len;
	size_t n, cap;
} xfr_msgs_t;

/* The AXFR of one zone at one serial, shared by the streams sending it. */
typedef struct xfr_image {
	struct xfr_image *next;
	knot_dname_t *apex;
	uint32_t serial;
	uint16_t qtype;        /* AXFR, or IXFR sent whole */
	unsigned refs;         /* streams, plus one while it is the cache's newest */
	bool cached;           /* the cache's newest: that one reference is the cache's */
	xfr_msgs_t msgs;
} xfr_image_t;

struct dns_xfr {
	const dns_secondary_t *sec;
	size_t n_sec;
	const dns_journal_t *journal;
	dns_xsign_t *xsign;    /* signed zones (dnssec with secondaries), or NULL */
	xfr_image_t *images;
	dns_xfr_counts_t counts;
};

struct dns_xfr_stream {
	dns_xfr_t *x;
	xfr_image_t *img;      /* shared, or NULL: own */
	xfr_msgs_t own;
	size_t next;
	uint16_t id;
	dns_tsig_signer_t signer;
};

/* ---- secondaries ---- */

int dns_secondary_parse(const char *item, const dns_tsig_keys_t *keys, dns_secondary_t *out,
                        char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	const char *sp = strchr(item, ' ');
	char addr[80];
	if (sp == NULL || (size_t)(sp - item) >= sizeof(addr)) {
		snprintf(err, err_len, "\"%s\": not \"ADDRESS[:PORT] KEY-NAME\" (a secondary "
		         "needs a TSIG key from tsig_keys)", item);
		return -EINVAL;
	}
	memcpy(addr, item, (size_t)(sp - item));
	addr[sp - item] = '\0';
	if (dns_listen_parse(addr, &out->addr, &out->addr_len) != 0) {
		snprintf(err, err_len, "\"%s\": \"%s\" is not an address, \"addr:port\" or "
		         "\"[v6]:port\"", item, addr);
		return -EINVAL;
	}
	while (*sp == ' ')
		sp++;
	knot_dname_storage_t name;
	if (*sp != '\0' && knot_dname_from_str(name, sp, sizeof(name)) != NULL)
		knot_dname_to_lower(name);
	else
		sp = "";
	if (*sp == '\0' ||
	    (out->key = dns_tsig_keys_find(keys, name)) == NULL) {
		snprintf(err, err_len, "\"%s\": no key \"%s\" in tsig_keys", item, sp);
		return -EINVAL;
	}
	snprintf(out->text, sizeof(out->text), "%s", addr);
	return 0;
}

/* The IPv4 address of a v4 or v4-mapped v6 sockaddr, or NULL. */
static const uint8_t *v4_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a) ? a->s6_addr + 12 : NULL;
}

static bool same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *a4 = v4_of(a), *b4 = v4_of(b);
	if (a4 != NULL || b4 != NULL)
		return a4 != NULL && b4 != NULL && memcmp(a4, b4, 4) == 0;
	return a->sa_family == AF_INET6 && b->sa_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

bool dns_xfr_is_secondary(const dns_xfr_t *x, const struct sockaddr *peer)
{
	for (size_t i = 0; x != NULL && i < x->n_sec; i++)
		if (same_host((const struct sockaddr *)&x->sec[i].addr, peer))
			return true;
	return false;
}

/* ---- building messages ---- */

static void msgs_clear(xfr_msgs_t *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->wire[i]);
	free(m->wire);
	free(m->len);
	memset(m, 0, sizeof(*m));
}

typedef struct pack {
	xfr_msgs_t *m;
	knot_pkt_t *pkt;
	const knot_dname_t *qname;
	uint16_t qtype;
} pack_t;

static int pack_flush(pack_t *p)
{
	knot_pkt_t *pkt = p->pkt;
	p->pkt = NULL;
	if (pkt == NULL)
		return 0;
	int ret = 0;
	if (p->m->n == p->m->cap) {
		size_t cap = p->m->cap ? p->m->cap * 2 : 8;
		uint8_t **w = realloc(p->m->wire, cap * sizeof(*w));
		if (w != NULL)
			p->m->wire = w;
		uint16_t *l = w ? realloc(p->m->len, cap * sizeof(*l)) : NULL;
		if (l != NULL) {
			p->m->len = l;
			p->m->cap = cap;
		} else {
			ret = -ENOMEM;
		}
	}
	uint8_t *copy = ret == 0 ? malloc(pkt->size) : NULL;
	if (copy != NULL) {
		memcpy(copy, pkt->wire, pkt->size);
		p->m->wire[p->m->n] = copy;
		p->m->len[p->m->n++] = (uint16_t)pkt->size;
	} else {
		ret = -ENOMEM;
	}
	knot_pkt_free(pkt);
	return ret;
}

static int pack_begin(pack_t *p)
{
	p->pkt = knot_pkt_new(NULL, XFR_MSG_MAX, NULL);
	if (p->pkt == NULL)
		return -ENOMEM;
	knot_wire_set_qr(p->pkt->wire);
	knot_wire_set_aa(p->pkt->wire);
	if (knot_pkt_put_question(p->pkt, p->qname, KNOT_CLASS_IN, p->qtype) != KNOT_EOK)
		return -ENOMEM;
	return knot_pkt_begin(p->pkt, KNOT_ANSWER) == KNOT_EOK ? 0 : -ENOMEM;
}

static int pack_put(pack_t *p, const knot_rrset_t *rr)
{
	if (knot_rrset_empty(rr))
		return 0;
	int ret = p->pkt == NULL ? pack_begin(p) : 0;
	if (ret != 0)
		return ret;
	ret = knot_pkt_put(p->pkt, KNOT_COMPR_HINT_NONE, rr, KNOT_PF_NOTRUNC);
	if (ret == KNOT_ESPACE && knot_wire_get_ancount(p->pkt->wire) > 0) {
		if ((ret = pack_flush(p)) != 0 || (ret = pack_begin(p)) != 0)
			return ret;
		ret = knot_pkt_put(p->pkt, KNOT_COMPR_HINT_NONE, rr, KNOT_PF_NOTRUNC);
	}
	return ret == KNOT_EOK ? 0 : ret == KNOT_ENOMEM ? -ENOMEM : -E2BIG;
}

/* The zone's SOA with @p serial: into @p rr (free its rdataset after). */
static int soa_at(const dns_zone_t *z, uint32_t serial, knot_rrset_t *rr)
{
	knot_rrset_init(rr, z->soa.owner, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, z->soa.ttl);
	if (knot_rdataset_copy(&rr->rrs, &z->soa.rrs, NULL) != KNOT_EOK)
		return -ENOMEM;
	knot_soa_serial_set(rr->rrs.rdata, serial);
	return 0;
}

static int pack_soa(pack_t *p, const dns_zone_t *z, uint32_t serial)
{
	knot_rrset_t soa;
	int ret = soa_at(z, serial, &soa);
	if (ret == 0)
		ret = pack_put(p, &soa);
	knot_rdataset_clear(&soa.rrs, NULL);
	return ret;
}

static int pack_put_cb(void *arg, const knot_rrset_t *rr)
{
	return pack_put(arg, rr);
}

/* The whole zone: SOA, NS, every name's A, AAAA, TXT, for a signed zone
 * its RRSIGs, key sets and NSEC3 chain, SOA (RFC 5936 §2.2). */
static int pack_zone(pack_t *p, const dns_db_t *db, const dns_zone_t *z, dns_xsign_t *xs)
{
	int ret = pack_put(p, &z->soa);
	if (ret == 0)
		ret = pack_put(p, &z->ns);
	for (size_t b = 0; ret == 0 && b < db->n_buckets; b++)
		for (const dns_node_t *n = db->buckets[b]; ret == 0 && n; n = n->next) {
			if (n->zone != z)
				continue;
			if ((ret = pack_put(p, &n->a)) == 0 && (ret = pack_put(p, &n->aaaa)) == 0)
				ret = pack_put(p, &n->txt);
		}
	if (ret == 0 && xs != NULL && z->key != NULL)
		ret = dns_xsign_put_zone(xs, db, z, pack_put_cb, p);
	if (ret == 0)
		ret = pack_put(p, &z->soa);
	return ret == 0 ? pack_flush(p) : ret;
}

/* IXFR (RFC 1995 §4): the new SOA, then per step the old SOA, what went,
 * the step's SOA, what came; the new SOA again. */
static int pack_steps(pack_t *p, const dns_zone_t *z, const dns_change_t *c)
{
	int ret = pack_put(p, &z->soa);
	for (; ret == 0 && c != NULL; c = c->next) {
		ret = pack_soa(p, z, c->from);
		for (size_t i = 0; ret == 0 && i < c->n_removed; i++)
			ret = pack_put(p, &c->removed[i]);
		if (ret == 0)
			ret = pack_soa(p, z, c->to);
		for (size_t i = 0; ret == 0 && i < c->n_added; i++)
			ret = pack_put(p, &c->added[i]);
	}
	if (ret == 0)
		ret = pack_put(p, &z->soa);
	return ret == 0 ? pack_flush(p) : ret;
}

/* ---- the cache of zone images ---- */

static void image_unref(dns_xfr_t *x, xfr_image_t *img)
{
	if (img == NULL || --img->refs > 0)
		return;
	for (xfr_image_t **pp = &x->images; *pp; pp = &(*pp)->next)
		if (*pp == img) {
			*pp = img->next;
			break;
		}
	msgs_clear(&img->msgs);
	free(img->apex);
	free(img);
}

/* The image of zone @p z for @p qtype, built if the cache has none at the
 * zone's serial (the cache's older one goes when its last stream ends). */
static xfr_image_t *image_get(dns_xfr_t *x, const dns_db_t *db, const dns_zone_t *z,
                              uint16_t qtype)
{
	xfr_image_t *old = NULL;
	for (xfr_image_t *i = x->images; i != NULL; i = i->next) {
		if (i->qtype != qtype || !knot_dname_is_equal(i->apex, z->apex) || !i->cached)
			continue;
		if (i->serial == z->serial) {
			i->refs++;
			return i;
		}
		old = i;
	}
	xfr_image_t *img = calloc(1, sizeof(*img));
	if (img == NULL || (img->apex = knot_dname_copy(z->apex, NULL)) == NULL) {
		free(img);
		return NULL;
	}
	pack_t p = { .m = &img->msgs, .qname = z->apex, .qtype = qtype };
	if (pack_zone(&p, db, z, x->xsign) != 0) {
		knot_pkt_free(p.pkt);
		msgs_clear(&img->msgs);
		free(img->apex);
		free(img);
		return NULL;
	}
	img->serial = z->serial;
	img->qtype = qtype;
	img->refs = 2; /* the cache's and the caller's */
	img->cached = true;
	img->next = x->images;
	x->images = img;
	if (old != NULL) {
		old->cached = false; /* no longer the newest: the cache lets go */
		image_unref(x, old);
	}
	return img;
}

int dns_xfr_new(const dns_secondary_t *secondaries, size_t n, const dns_journal_t *journal,
                dns_xfr_t **out)
{
	dns_xfr_t *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->sec = secondaries;
	x->n_sec = n;
	x->journal = journal;
	*out = x;
	return 0;
}

void dns_xfr_set_xsign(dns_xfr_t *x, dns_xsign_t *xs)
{
	x->xsign = xs;
}

void dns_xfr_free(dns_xfr_t *x)
{
	if (x == NULL)
		return;
	while (x->images != NULL) {
		x->images->refs = 1;
		image_unref(x, x->images);
	}
	free(x);
}

void dns_xfr_counts(const dns_xfr_t *x, dns_xfr_counts_t *out)
{
	memset(out, 0, sizeof(*out));
	if (x != NULL)
		*out = x->counts;
}

/* ---- queries ---- */

/* The qtype of a query's first question, 0 when it has none. */
static uint16_t peek_qtype(const uint8_t *q, size_t len)
{
	if (len < KNOT_WIRE_HEADER_SIZE + 5 || knot_wire_get_qdcount(q) != 1 ||
	    knot_wire_get_qr(q) || knot_wire_get_opcode(q) != KNOT_OPCODE_QUERY)
		return 0;
	int n = knot_dname_wire_check(q + KNOT_WIRE_HEADER_SIZE, q + len, NULL);
	if (n <= 0 || (size_t)n + KNOT_WIRE_HEADER_SIZE + 4 > len)
		return 0;
	return knot_wire_read_u16(q + KNOT_WIRE_HEADER_SIZE + n);
}

/* A reply of the header and question only, with @p rcode. */
static size_t reply_rcode(const knot_pkt_t *q, uint8_t *out, size_t max, uint16_t rcode)
{
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)max, NULL);
	if (r == NULL || knot_pkt_init_response(r, q) != KNOT_EOK) {
		knot_pkt_free(r);
		return 0;
	}
	knot_wire_set_rcode(r->wire, (uint8_t)rcode);
	size_t size = r->size;
	knot_pkt_free(r);
	return size;
}

static size_t refuse(dns_xfr_t *x, const knot_pkt_t *q, uint8_t *out, size_t max,
                     uint16_t rcode, uint16_t tsig_error)
{
	if (x != NULL)
		x->counts.refused++;
	size_t size = reply_rcode(q, out, max, rcode);
	if (size > 0 && q->tsig_rr != NULL && tsig_error != KNOT_RCODE_NOERROR &&
	    dns_tsig_error_reply(out, &size, max, tsig_error, q) != 0)
		return 0;
	return size;
}

/* The client's serial of an IXFR: the SOA in its authority section. */
static bool ixfr_serial(const knot_pkt_t *q, const dns_zone_t *z, uint32_t *serial)
{
	const knot_pktsection_t *ns = knot_pkt_section(q, KNOT_AUTHORITY);
	if (ns->count != 1)
		return false;
	const knot_rrset_t *soa = knot_pkt_rr(ns, 0);
	if (soa->type != KNOT_RRTYPE_SOA || soa->rrs.count != 1 ||
	    !knot_dname_is_case_equal(soa->owner, z->apex))
		return false;
	*serial = knot_soa_serial(soa->rrs.rdata);
	return true;
}

/* One SOA: the client is current (RFC 1995 §2). */
static size_t reply_soa(const knot_pkt_t *q, const dns_zone_t *z, dns_tsig_signer_t *sig,
                        uint8_t *out, size_t max)
{
	knot_pkt_t *r = knot_pkt_new(out, (uint16_t)max, NULL);
	size_t size = 0;
	if (r != NULL && knot_pkt_init_response(r, q) == KNOT_EOK &&
	    knot_pkt_reserve(r, (uint16_t)dns_tsig_room(sig)) == KNOT_EOK &&
	    knot_pkt_put(r, KNOT_COMPR_HINT_QNAME, &z->soa, 0) == KNOT_EOK) {
		knot_wire_set_aa(r->wire);
		size = r->size;
		if (dns_tsig_sign(sig, r->wire, &size, max) != 0)
			size = 0;
	}
	knot_pkt_free(r);
	return size;
}

static dns_xfr_stream_t *stream_new(dns_xfr_t *x, const knot_pkt_t *q,
                                    const knot_tsig_key_t *key)
{
	dns_xfr_stream_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->x = x;
	s->id = knot_wire_get_id(q->wire);
	dns_tsig_signer_init(&s->signer, key, q);
	return s;
}

size_t dns_xfr_query(dns_xfr_t *x, const dns_db_t *db, const uint8_t *query, size_t len,
                     const struct sockaddr *peer, uint8_t *out, size_t max,
                     dns_xfr_stream_t **stream)
{
	*stream = NULL;
	uint16_t qtype = peek_qtype(query, len);
	if (qtype != KNOT_RRTYPE_AXFR && qtype != KNOT_RRTYPE_IXFR)
		return 0;
	knot_pkt_t *q = knot_pkt_new((uint8_t *)query, (uint16_t)len, NULL);
	if (q == NULL)
		return 0;
	size_t ret = 0;
	if (knot_pkt_parse(q, KNOT_PF_KEEPWIRE) != KNOT_EOK ||
	    knot_pkt_qclass(q) != KNOT_CLASS_IN) {
		knot_pkt_free(q);
		return 0; /* dns_answer() says what is wrong with it */
	}
	const dns_zone_t *z = dns_db_zone_by_apex(db, knot_pkt_qname(q));
	/* Who asks comes first: a stranger learns nothing about the zones. */
	const dns_secondary_t *sec = NULL;
	for (size_t i = 0; x != NULL && i < x->n_sec; i++)
		if (same_host((const struct sockaddr *)&x->sec[i].addr, peer))
			sec = &x->sec[i];
	const knot_tsig_key_t *key = NULL;
	uint16_t terr = q->tsig_rr != NULL && x != NULL
	              ? dns_tsig_check(db->tsig, q, &key) : KNOT_RCODE_NOERROR;
	if (x == NULL || x->n_sec == 0)
		ret = refuse(x, q, out, max, KNOT_RCODE_REFUSED, KNOT_RCODE_NOERROR);
	else if (terr != KNOT_RCODE_NOERROR)
		ret = refuse(x, q, out, max, KNOT_RCODE_NOTAUTH, terr);
	else if (sec == NULL || key == NULL || key != sec->key)
		ret = refuse(x, q, out, max, KNOT_RCODE_NOTAUTH, KNOT_RCODE_NOERROR);
	else if (z == NULL)
		ret = refuse(x, q, out, max, KNOT_RCODE_NOTAUTH, KNOT_RCODE_NOERROR);
	else {
		uint32_t from = 0;
		const dns_change_t *steps = NULL;
		if (qtype == KNOT_RRTYPE_IXFR && !ixfr_serial(q, z, &from)) {
			ret = refuse(x, q, out, max, KNOT_RCODE_FORMERR, KNOT_RCODE_NOERROR);
			goto done;
		}
		dns_tsig_signer_t sig;
		dns_tsig_signer_init(&sig, key, q);
		if (qtype == KNOT_RRTYPE_IXFR && (int32_t)(from - z->serial) >= 0) {
			ret = reply_soa(q, z, &sig, out, max); /* current, or ahead */
			x->counts.ixfr++;
			goto done;
		}
		dns_xfr_stream_t *s = stream_new(x, q, key);
		if (s == NULL)
			goto done;
		if (qtype == KNOT_RRTYPE_IXFR)
			steps = dns_journal_since(dns_journal_find(x->journal, z->apex), from,
			                          z->serial);
		if (steps != NULL) {
			pack_t p = { .m = &s->own, .qname = z->apex, .qtype = qtype };
			if (pack_steps(&p, z, steps) != 0) {
				knot_pkt_free(p.pkt);
				dns_xfr_stream_free(s);
				goto done;
			}
			x->counts.ixfr++;
		} else {
			/* A signed zone whose signatures a thread is still making:
			 * SERVFAIL now, NOTIFY once it is ready. */
			if (x->xsign != NULL && z->key != NULL && !dns_xsign_ready(x->xsign, z->apex)) {
				dns_xfr_stream_free(s);
				goto done;
			}
			if ((s->img = image_get(x, db, z, qtype)) == NULL) {
				dns_xfr_stream_free(s);
				goto done;
			}
			if (qtype == KNOT_RRTYPE_IXFR)
				x->counts.ixfr_as_axfr++;
			else
				x->counts.axfr++;
		}
		*stream = s;
	}
done:
	knot_pkt_free(q);
	if (ret == 0 && *stream == NULL) /* out of memory: say so, not silence */
		ret = max >= KNOT_WIRE_HEADER_SIZE
		      ? dns_answer_header_only(query, out, KNOT_RCODE_SERVFAIL) : 0;
	return ret;
}

size_t dns_xfr_stream_next(dns_xfr_stream_t *s, uint8_t *out, size_t max)
{
	const xfr_msgs_t *m = s->img != NULL ? &s->img->msgs : &s->own;
	if (s->next >= m->n)
		return 0;
	size_t size = m->len[s->next];
	if (size > max)
		return 0;
	memcpy(out, m->wire[s->next], size);
	s->next++;
	knot_wire_set_id(out, s->id);
	if (dns_tsig_sign(&s->signer, out, &size, max) != 0)
		return 0;
	return size;
}

void dns_xfr_stream_free(dns_xfr_stream_t *s)
{
	if (s == NULL)
		return;
	image_unref(s->x, s->img);
	msgs_clear(&s->own);
	free(s);
}
