/**
 * @file parent_ds.c
 * @brief builtin_dns: the parent's DS, asked (parent_ds.h).
 */
#include "parent_ds.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/* One zone's round. */
typedef struct round {
	struct round *next;
	knot_dname_t *apex;       /* owned */
	uint8_t *want;            /* the DS RDATA looked for (owned) */
	uint16_t want_len;
	uint16_t id[DNS_PDS_MAX]; /* per server, the ID of its query */
	bool seen[DNS_PDS_MAX];   /* its answer holds want */
	int fd4, fd6;
	ddns_fd_watch_t *w4, *w6;
	struct dns_pds *owner;
} round_t;

struct dns_pds {
	const ddns_host_t *host;
	ddns_ctx_t *ctx;
	struct sockaddr_storage addr[DNS_PDS_MAX];
	socklen_t addr_len[DNS_PDS_MAX];
	size_t n;
	round_t *rounds;
};

int dns_pds_new(const ddns_host_t *host, ddns_ctx_t *ctx, const char *const *servers,
                size_t n, dns_pds_t **out, char *err, size_t err_len)
{
	if (n > DNS_PDS_MAX) {
		snprintf(err, err_len, "at most %d servers", DNS_PDS_MAX);
		return -EINVAL;
	}
	dns_pds_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->host = host;
	p->ctx = ctx;
	for (size_t i = 0; i < n; i++)
		if (dns_listen_parse(servers[i], &p->addr[i], &p->addr_len[i]) != 0) {
			snprintf(err, err_len, "\"%s\" is not an address or address:port", servers[i]);
			free(p);
			return -EINVAL;
		}
	p->n = n;
	*out = p;
	return 0;
}

static void round_close(round_t *r)
{
	if (r->w4 != NULL)
		r->owner->host->fd_unwatch(r->w4);
	if (r->w6 != NULL)
		r->owner->host->fd_unwatch(r->w6);
	if (r->fd4 >= 0)
		close(r->fd4);
	if (r->fd6 >= 0)
		close(r->fd6);
	r->w4 = r->w6 = NULL;
	r->fd4 = r->fd6 = -1;
}

void dns_pds_free(dns_pds_t *p)
{
	if (p == NULL)
		return;
	while (p->rounds != NULL) {
		round_t *r = p->rounds;
		p->rounds = r->next;
		round_close(r);
		free(r->apex);
		free(r->want);
		free(r);
	}
	free(p);
}

static round_t *round_of(const dns_pds_t *p, const knot_dname_t *apex)
{
	for (round_t *r = p->rounds; r != NULL; r = r->next)
		if (knot_dname_is_equal(r->apex, apex))
			return r;
	return NULL;
}

/* An answer for round @p r from server @p i: does its DS set hold want? */
static bool answer_holds(const round_t *r, const uint8_t *buf, size_t len, uint16_t id)
{
	if (len < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(buf) || knot_wire_get_id(buf) != id ||
	    knot_wire_get_rcode(buf) != KNOT_RCODE_NOERROR)
		return false;
	knot_pkt_t *pkt = knot_pkt_new((uint8_t *)buf, (uint16_t)len, NULL);
	bool holds = false;
	if (pkt != NULL && knot_pkt_parse(pkt, 0) == KNOT_EOK &&
	    knot_pkt_qtype(pkt) == KNOT_RRTYPE_DS &&
	    knot_dname_is_case_equal(knot_pkt_qname(pkt), r->apex)) {
		const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
		for (uint16_t k = 0; !holds && k < an->count; k++) {
			const knot_rrset_t *rr = knot_pkt_rr(an, k);
			if (rr->type != KNOT_RRTYPE_DS || !knot_dname_is_case_equal(rr->owner, r->apex))
				continue;
			knot_rdata_t *rd = rr->rrs.rdata;
			for (uint16_t j = 0; !holds && j < rr->rrs.count; j++, rd = knot_rdataset_next(rd))
				holds = rd->len == r->want_len && memcmp(rd->data, r->want, rd->len) == 0;
		}
	}
	knot_pkt_free(pkt);
	return holds;
}

static void on_answer(int fd, unsigned events, void *arg)
{
	(void)events;
	round_t *r = arg;
	const dns_pds_t *p = r->owner;
	for (int n = 0; n < 64; n++) {
		uint8_t buf[4096];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
		                       &flen);
		if (len < 0)
			return;
		for (size_t i = 0; i < p->n; i++)
			if (flen == p->addr_len[i] && memcmp(&from, &p->addr[i], flen) == 0 &&
			    answer_holds(r, buf, (size_t)len, r->id[i]))
				r->seen[i] = true;
	}
}

static int open_socket(round_t *r, int family, int *fd, ddns_fd_watch_t **w)
{
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	int ret = r->owner->host->fd_watch(r->owner->ctx, *fd, DDNS_FD_READ, on_answer, r, w);
	if (ret != 0) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

int dns_pds_ask(dns_pds_t *p, const knot_dname_t *apex, const uint8_t *want, uint16_t want_len)
{
	round_t *r = round_of(p, apex);
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL || (r->apex = knot_dname_copy(apex, NULL)) == NULL) {
			free(r);
			return -ENOMEM;
		}
		r->owner = p;
		r->fd4 = r->fd6 = -1;
		r->next = p->rounds;
		p->rounds = r;
	}
	round_close(r); /* a new source port a round */
	uint8_t *w = malloc(want_len ? want_len : 1);
	if (w == NULL)
		return -ENOMEM;
	memcpy(w, want, want_len);
	free(r->want);
	r->want = w;
	r->want_len = want_len;
	memset(r->seen, 0, sizeof(r->seen));
	if (getrandom(r->id, sizeof(r->id), 0) != (ssize_t)sizeof(r->id))
		return -EIO;
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < p->n; i++) {
		int fam = p->addr[i].ss_family;
		int *fd = fam == AF_INET ? &r->fd4 : &r->fd6;
		if (*fd < 0)
			ret = open_socket(r, fam, fd, fam == AF_INET ? &r->w4 : &r->w6);
		uint8_t q[KNOT_WIRE_HEADER_SIZE + KNOT_DNAME_MAXLEN + 4 + 11];
		knot_pkt_t *pkt = ret == 0 ? knot_pkt_new(q, sizeof(q), NULL) : NULL;
		knot_rrset_t opt;
		if (pkt != NULL)
			knot_pkt_clear(pkt); /* a buffer given is taken as a packet to parse */
		/* EDNS: a DS set with many digests may pass 512 bytes */
		if (ret == 0 && (pkt == NULL ||
		                 knot_pkt_put_question(pkt, apex, KNOT_CLASS_IN, KNOT_RRTYPE_DS) != KNOT_EOK ||
		                 knot_pkt_begin(pkt, KNOT_ADDITIONAL) != KNOT_EOK ||
		                 knot_edns_init(&opt, 1232, 0, 0, NULL) != KNOT_EOK ||
		                 knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE) != KNOT_EOK))
			ret = -ENOMEM;
		if (ret == 0) {
			knot_wire_set_id(pkt->wire, r->id[i]);
			/* a failed send is a server that does not answer this round */
			(void)sendto(*fd, pkt->wire, pkt->size, 0, (const struct sockaddr *)&p->addr[i],
			             p->addr_len[i]);
		}
		knot_pkt_free(pkt);
	}
	return ret;
}

bool dns_pds_seen(const dns_pds_t *p, const knot_dname_t *apex)
{
	const round_t *r = p != NULL ? round_of(p, apex) : NULL;
	if (r == NULL || p->n == 0)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (!r->seen[i])
			return false;
	return true;
}
