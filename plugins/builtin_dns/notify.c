/**
 * @file notify.c
 * @brief builtin_dns: NOTIFY to secondaries (notify.h).
 */
#include "notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOTIFY_MSG_MAX 1024

/* One zone to one secondary. */
typedef struct pending {
	struct pending *next;
	dns_notify_t *nt;
	const dns_secondary_t *sec;
	knot_dname_t *apex;        /* owned */
	uint32_t serial;           /* sent */
	uint16_t id;
	unsigned tries;
	bool waiting;              /* a message is out, not yet answered */
	ddns_timer_t *timer;
	uint8_t wire[NOTIFY_MSG_MAX];
	size_t len;
	uint8_t digest[64];        /* the MAC sent, to check the answer's TSIG */
	size_t digest_len;
	knot_rrset_t soa;          /* the SOA to hint with, owned rdata */
} pending_t;

struct dns_notify {
	const ddns_host_t *host;
	ddns_ctx_t *ctx;
	const dns_secondary_t *sec;
	size_t n_sec;
	uint64_t retry_ms;
	int fd4, fd6;
	ddns_fd_watch_t *w4, *w6;
	pending_t *pending;
	dns_notify_counts_t counts;
};

#define NT_LOG(nt, level, ...) (nt)->host->log((nt)->ctx, (level), __VA_ARGS__)

static void on_reply(int fd, unsigned events, void *arg);

static const char *rcode_name(int rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "an unknown rcode";
}

static int open_socket(dns_notify_t *nt, int family, int *fd, ddns_fd_watch_t **w)
{
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	int ret = nt->host->fd_watch(nt->ctx, *fd, DDNS_FD_READ, on_reply, nt, w);
	if (ret != 0) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

int dns_notify_new(const ddns_host_t *host, ddns_ctx_t *ctx, const dns_secondary_t *sec,
                   size_t n, uint64_t retry_ms, dns_notify_t **out)
{
	dns_notify_t *nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		return -ENOMEM;
	nt->host = host;
	nt->ctx = ctx;
	nt->sec = sec;
	nt->n_sec = n;
	nt->retry_ms = retry_ms;
	nt->fd4 = nt->fd6 = -1;
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		int fam = sec[i].addr.ss_family;
		if (fam == AF_INET && nt->fd4 < 0)
			ret = open_socket(nt, AF_INET, &nt->fd4, &nt->w4);
		else if (fam == AF_INET6 && nt->fd6 < 0)
			ret = open_socket(nt, AF_INET6, &nt->fd6, &nt->w6);
	}
	if (ret != 0) {
		NT_LOG(nt, DDNS_LOG_ERR, "notify: cannot open a UDP socket: %s", strerror(-ret));
		dns_notify_free(nt);
		return ret;
	}
	*out = nt;
	return 0;
}

static void pending_free(pending_t *p)
{
	if (p->timer != NULL)
		p->nt->host->timer_stop(p->timer);
	knot_rdataset_clear(&p->soa.rrs, NULL);
	free(p->apex);
	free(p);
}

void dns_notify_free(dns_notify_t *nt)
{
	if (nt == NULL)
		return;
	while (nt->pending != NULL) {
		pending_t *next = nt->pending->next;
		pending_free(nt->pending);
		nt->pending = next;
	}
	nt->host->fd_unwatch(nt->w4);
	nt->host->fd_unwatch(nt->w6);
	if (nt->fd4 >= 0)
		close(nt->fd4);
	if (nt->fd6 >= 0)
		close(nt->fd6);
	free(nt);
}

void dns_notify_counts(const dns_notify_t *nt, dns_notify_counts_t *out)
{
	memset(out, 0, sizeof(*out));
	if (nt != NULL)
		*out = nt->counts;
}

/* Build and sign a fresh message (new ID) for @p p's SOA. */
static int build(pending_t *p)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	p->id = id;
	knot_pkt_t *pkt = knot_pkt_new(p->wire, NOTIFY_MSG_MAX, NULL);
	if (pkt == NULL)
		return -ENOMEM;
	knot_pkt_clear(pkt); /* a buffer given is taken as a packet to parse */
	knot_wire_set_id(pkt->wire, id);
	knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_NOTIFY);
	knot_wire_set_aa(pkt->wire);
	int ret = knot_pkt_put_question(pkt, p->apex, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	if (ret == KNOT_EOK)
		ret = knot_pkt_begin(pkt, KNOT_ANSWER);
	if (ret == KNOT_EOK) /* §3.7: the new SOA as a hint */
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, &p->soa, 0);
	size_t size = pkt->size;
	knot_pkt_free(pkt);
	p->digest_len = sizeof(p->digest);
	if (ret == KNOT_EOK)
		ret = knot_tsig_sign(p->wire, &size, NOTIFY_MSG_MAX, NULL, 0, p->digest,
		                     &p->digest_len, p->sec->key, 0, 0);
	p->len = size;
	return ret == KNOT_EOK ? 0 : -EINVAL;
}

static void on_timer(void *arg);

static void send_one(pending_t *p)
{
	dns_notify_t *nt = p->nt;
	int fd = p->sec->addr.ss_family == AF_INET6 ? nt->fd6 : nt->fd4;
	if (p->tries == 0 && build(p) != 0) {
		NT_LOG(nt, DDNS_LOG_ERR, "notify %s: cannot build the message", p->sec->text);
		return;
	}
	p->tries++;
	p->waiting = true;
	nt->counts.sent++;
	if (sendto(fd, p->wire, p->len, 0, (const struct sockaddr *)&p->sec->addr,
	           p->sec->addr_len) < 0)
		NT_LOG(nt, DDNS_LOG_WARNING, "notify %s: %s (tries again)", p->sec->text,
		       strerror(errno));
	if (p->timer == NULL &&
	    nt->host->timer_start(nt->ctx, nt->retry_ms, on_timer, p, &p->timer) != 0)
		NT_LOG(nt, DDNS_LOG_ERR, "notify %s: cannot arm the resend timer", p->sec->text);
}

/* Send @p p's current SOA from scratch (a new serial, or the last one again). */
static void restart(pending_t *p)
{
	p->tries = 0;
	send_one(p);
}

static void on_timer(void *arg)
{
	pending_t *p = arg;
	p->timer = NULL;
	if (!p->waiting)
		return;
	if (p->tries >= DNS_NOTIFY_TRIES) {
		p->waiting = false;
		p->nt->counts.failed++;
		char zone[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
		knot_dname_to_str(zone, p->apex, sizeof(zone));
		NT_LOG(p->nt, DDNS_LOG_WARNING, "notify %s: zone %s serial %u: no answer after %u "
		       "tries; the secondary catches up at its SOA refresh", p->sec->text, zone,
		       p->serial, p->tries);
		return;
	}
	send_one(p);
}

void dns_notify_zone(dns_notify_t *nt, const dns_zone_t *z)
{
	if (nt == NULL)
		return;
	for (size_t i = 0; i < nt->n_sec; i++) {
		pending_t *p = nt->pending;
		while (p != NULL && !(p->sec == &nt->sec[i] && knot_dname_is_equal(p->apex, z->apex)))
			p = p->next;
		if (p == NULL) {
			p = calloc(1, sizeof(*p));
			if (p == NULL || (p->apex = knot_dname_copy(z->apex, NULL)) == NULL) {
				free(p);
				NT_LOG(nt, DDNS_LOG_ERR, "notify %s: out of memory", nt->sec[i].text);
				continue;
			}
			p->nt = nt;
			p->sec = &nt->sec[i];
			knot_rrset_init(&p->soa, p->apex, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 0);
			p->next = nt->pending;
			nt->pending = p;
		}
		knot_rdataset_clear(&p->soa.rrs, NULL);
		p->soa.ttl = z->soa.ttl;
		if (knot_rdataset_copy(&p->soa.rrs, &z->soa.rrs, NULL) != KNOT_EOK)
			continue;
		p->serial = z->serial;
		/* A message still out names an older serial: this one replaces
		 * it at once (a new ID; a late answer to the old one is
		 * ignored), so a secondary hears of a change without waiting
		 * for a retry. */
		restart(p);
	}
}

/* The answer to one of ours: same ID, from the secondary's address. */
static void on_reply(int fd, unsigned events, void *arg)
{
	(void)events;
	dns_notify_t *nt = arg;
	for (int round = 0; round < 64; round++) {
		uint8_t buf[NOTIFY_MSG_MAX];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
		                     &flen);
		if (n < 0)
			return;
		if ((size_t)n < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(buf) ||
		    knot_wire_get_opcode(buf) != KNOT_OPCODE_NOTIFY)
			continue;
		pending_t *p = nt->pending;
		while (p != NULL && !(p->waiting && p->id == knot_wire_get_id(buf) &&
		                      flen == p->sec->addr_len &&
		                      memcmp(&from, &p->sec->addr, flen) == 0))
			p = p->next;
		if (p == NULL)
			continue; /* late, or not ours */
		knot_pkt_t *r = knot_pkt_new(buf, (uint16_t)n, NULL);
		if (r == NULL || knot_pkt_parse(r, 0) != KNOT_EOK) {
			knot_pkt_free(r);
			continue;
		}
		uint8_t rcode = knot_wire_get_rcode(buf);
		int tsig = r->tsig_rr == NULL ? KNOT_TSIG_EBADSIG
		         : knot_tsig_client_check(r->tsig_rr, r->wire, r->size, p->digest,
		                                  p->digest_len, p->sec->key, 0);
		uint16_t terr = r->tsig_rr != NULL ? knot_tsig_rdata_error(r->tsig_rr) : 0;
		knot_pkt_free(r);
		if (tsig != KNOT_EOK && rcode == KNOT_RCODE_NOERROR)
			continue; /* unsigned or forged: wait for the real answer */
		p->waiting = false;
		if (p->timer != NULL) {
			nt->host->timer_stop(p->timer);
			p->timer = NULL;
		}
		if (rcode == KNOT_RCODE_NOERROR) {
			nt->counts.answered++;
		} else {
			nt->counts.failed++;
			NT_LOG(nt, DDNS_LOG_WARNING, "notify %s: answered %s%s%s", p->sec->text,
			       rcode_name(rcode), terr ? ", TSIG error " : "",
			       terr ? rcode_name(terr) : "");
		}
	}
}
