/**
 * @file udp.c
 * @brief builtin_dns: answer UDP queries in batches (recvmmsg/sendmmsg).
 */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer.h"

#define UDP_BATCH 64
/* Larger queries than this are not queries we answer (RFC 6891 payloads
 * are for responses); they are dropped, truncated by the kernel. */
#define UDP_RX_MAX 2048
#define UDP_CTL_MAX CMSG_SPACE(sizeof(struct in6_pktinfo))

struct dns_udp {
	dns_answerer_t *ans;
	struct mmsghdr rx[UDP_BATCH], tx[UDP_BATCH];
	struct iovec riov[UDP_BATCH], tiov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	_Alignas(struct cmsghdr) uint8_t rctl[UDP_BATCH][UDP_CTL_MAX];
	_Alignas(struct cmsghdr) uint8_t tctl[UDP_BATCH][UDP_CTL_MAX];
	uint8_t rbuf[UDP_BATCH][UDP_RX_MAX];
	uint8_t tbuf[UDP_BATCH][DNS_EDNS_PAYLOAD];
	const ddns_host_t *host; /* dns_answered(), or NULL */
	ddns_ctx_t *ctx;
	uint64_t answered;
	dns_rrl_t *rrl;          /* response rate limiting, or NULL */
	dns_udp_defer_cb defer;  /* UPDATE goes there, or NULL */
	void *defer_arg;
};

void dns_udp_set_defer(dns_udp_t *u, dns_udp_defer_cb cb, void *arg)
{
	u->defer = cb;
	u->defer_arg = arg;
}

int dns_udp_new(dns_udp_t **out)
{
	dns_udp_t *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	if (dns_answerer_new(&u->ans) != 0) {
		free(u);
		return -ENOMEM;
	}
	for (int i = 0; i < UDP_BATCH; i++) {
		u->riov[i] = (struct iovec){ u->rbuf[i], UDP_RX_MAX };
		u->rx[i].msg_hdr.msg_iov = &u->riov[i];
		u->rx[i].msg_hdr.msg_iovlen = 1;
	}
	*out = u;
	return 0;
}

void dns_udp_count_to(dns_udp_t *u, const ddns_host_t *host, ddns_ctx_t *ctx)
{
	if (host != NULL && DDNS_HOST_HAS(host, dns_answered) && host->dns_answered != NULL) {
		u->host = host;
		u->ctx = ctx;
	}
}

/* One call per response code in the batch: the host's counter is shared
 * by every worker, so it is touched once per batch, not per packet. */
static void count_batch(dns_udp_t *u, int m)
{
	uint64_t n[16] = { 0 };
	if (u->host == NULL)
		return;
	for (int i = 0; i < m; i++)
		n[knot_wire_get_rcode(u->tbuf[i])]++;
	for (unsigned r = 0; r < 16; r++) {
		if (n[r] != 0)
			u->host->dns_answered(u->ctx, r, n[r]);
	}
}

int dns_udp_set_rrl(dns_udp_t *u, const dns_rrl_conf_t *conf)
{
	return dns_rrl_new(conf, &u->rrl);
}

void dns_udp_rrl_counts(const dns_udp_t *u, uint64_t *dropped, uint64_t *slipped)
{
	dns_rrl_counts(u->rrl, dropped, slipped);
}

void dns_udp_sign_counts(const dns_udp_t *u, uint64_t *made, uint64_t *hits)
{
	dns_answerer_sign_counts(u->ans, made, hits);
}

/* A slipped response: header and question only, TC=1, so a real client
 * asks again over TCP.  Returns the new length. */
static size_t slip_truncate(uint8_t *wire, size_t len)
{
	size_t keep = KNOT_WIRE_HEADER_SIZE;
	if (knot_wire_get_qdcount(wire) >= 1) {
		keep += (size_t)knot_dname_size(wire + KNOT_WIRE_HEADER_SIZE) + 4;
		knot_wire_set_qdcount(wire, 1);
	}
	if (keep > len)
		keep = len;
	knot_wire_set_ancount(wire, 0);
	knot_wire_set_nscount(wire, 0);
	knot_wire_set_arcount(wire, 0);
	knot_wire_set_tc(wire);
	return keep;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t dns_udp_answered(const dns_udp_t *u)
{
	return u->answered;
}

void dns_udp_free(dns_udp_t *u)
{
	if (u == NULL)
		return;
	dns_answerer_free(u->ans);
	dns_rrl_free(u->rrl);
	free(u);
}

/* Reply from the address the query came to (wildcard sockets only carry
 * pktinfo); returns the control length for the reply. */
static size_t reply_pktinfo(struct msghdr *rx, uint8_t *ctl)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(rx); c; c = CMSG_NXTHDR(rx, c)) {
		struct cmsghdr *o = (struct cmsghdr *)ctl;
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static void send_all(int fd, struct mmsghdr *tx, int n)
{
	int sent = 0;
	while (sent < n) {
		int r = sendmmsg(fd, tx + sent, (unsigned)(n - sent), MSG_DONTWAIT);
		if (r > 0) {
			sent += r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			/* A full socket buffer or an unreachable client: the client
			 * retries; skip this one rather than spin. */
			sent++;
		}
	}
}

/* One recvmmsg (with @p flags), the answers, one sendmmsg.  Returns the
 * number of datagrams read, or a negative errno. */
static int udp_batch(dns_udp_t *u, int fd, dns_dbref_t *ref, int flags)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		struct msghdr *h = &u->rx[i].msg_hdr;
		h->msg_name = &u->peer[i];
		h->msg_namelen = sizeof(u->peer[i]);
		h->msg_control = u->rctl[i];
		h->msg_controllen = UDP_CTL_MAX;
		h->msg_flags = 0;
	}
	int n = recvmmsg(fd, u->rx, UDP_BATCH, flags, NULL);
	if (n < 0)
		return -errno;
	int m = 0;
	uint64_t now = u->rrl != NULL ? mono_ms() : 0; /* once a batch */
	pthread_rwlock_rdlock(&ref->lock);
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &u->rx[i].msg_hdr;
		if (h->msg_flags & MSG_TRUNC)
			continue;
		if (u->defer != NULL && u->rx[i].msg_len >= KNOT_WIRE_HEADER_SIZE &&
		    knot_wire_get_opcode(u->rbuf[i]) == KNOT_OPCODE_UPDATE &&
		    !knot_wire_get_qr(u->rbuf[i])) {
			_Alignas(struct cmsghdr) uint8_t ctl[UDP_CTL_MAX];
			size_t clen = reply_pktinfo(h, ctl);
			u->defer(u->defer_arg, fd, u->rbuf[i], u->rx[i].msg_len, &u->peer[i],
			         h->msg_namelen, ctl, clen);
			continue;
		}
		size_t len = dns_answer(u->ans, ref->db, u->rbuf[i], u->rx[i].msg_len,
		                        (struct sockaddr *)&u->peer[i], false,
		                        u->tbuf[m], DNS_EDNS_PAYLOAD);
		if (len == 0)
			continue;
		int verdict = dns_rrl_check(u->rrl, (struct sockaddr *)&u->peer[i], now);
		if (verdict == DNS_RRL_DROP)
			continue;
		if (verdict == DNS_RRL_SLIP)
			len = slip_truncate(u->tbuf[m], len);
		struct msghdr *t = &u->tx[m].msg_hdr;
		u->tiov[m] = (struct iovec){ u->tbuf[m], len };
		t->msg_name = &u->peer[i];
		t->msg_namelen = h->msg_namelen;
		t->msg_iov = &u->tiov[m];
		t->msg_iovlen = 1;
		t->msg_controllen = reply_pktinfo(h, u->tctl[m]);
		t->msg_control = t->msg_controllen ? u->tctl[m] : NULL;
		t->msg_flags = 0;
		m++;
	}
	pthread_rwlock_unlock(&ref->lock);
	send_all(fd, u->tx, m);
	count_batch(u, m);
	u->answered += (uint64_t)m;
	return n;
}

int dns_udp_drain(dns_udp_t *u, int fd, dns_dbref_t *ref, int rounds)
{
	for (int round = 0; round < rounds; round++) {
		int n = udp_batch(u, fd, ref, MSG_DONTWAIT);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return 0;
		if (n < 0)
			return n;
		if (n < UDP_BATCH)
			return 0;
	}
	return 1;
}

void dns_udp_serve(dns_udp_t *u, int fd, dns_dbref_t *ref, const atomic_bool *stop)
{
	/* Blocking read: waiting and reading are one system call, where a
	 * poll-then-read loop makes two per wakeup. */
	while (!atomic_load(stop)) {
		int n = udp_batch(u, fd, ref, MSG_WAITFORONE);
		if (n == 0 && atomic_load(stop))
			break; /* woken by shutdown() */
	}
}
