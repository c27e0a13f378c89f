/**
 * @file tcp.c
 * @brief builtin_dns: DNS over TCP (RFC 7766) on the host's loop.
 *
 * Each connection reads 2-byte-length framed queries (several may be
 * pipelined), answers them in order, and writes the responses; while a
 * response is not fully written it stops reading.  A connection silent for
 * tcp_idle_ms, or one past tcp_clients, is closed.
 *
 * Fairness: one source may hold at most tcp_max_per_source connections
 * (a source is an IPv4 /32 or an IPv6 /64: one host, where a /24 would let
 * one attacker lock out its neighbours and a NAT's users share a /32
 * anyway), so it cannot take every slot.  And each exchange has a
 * deadline, tcp_query_ms: a query must arrive whole, and its response be
 * read, within it; trickling a byte now and then keeps a connection from
 * being idle but not from that deadline.  Both are counted and logged at
 * most once per DNS_TCP_LOG_MS, since the plugin API has no metric hook
 * but dns_answered().
 *
 * When the server stops because a reload replaced it, its connections move
 * to the new server on the same address, so a query the client had sent
 * (or was about to send) is still answered.
 */
#include "server_priv.h"
#include "update.h"
#include "xfr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_MSG_MAX 65535
/* At most one log line about the limits this often. */
#define DNS_TCP_LOG_MS 10000

struct dns_tcp_conn {
	dns_server_t *srv;
	const dns_listener_t *from; /* accepted on: the heir is found by it */
	dns_tcp_conn_t *prev, *next;
	int fd;
	ddns_fd_watch_t *watch;
	unsigned watching;      /* DDNS_FD_READ or DDNS_FD_WRITE */
	ddns_timer_t *timer;
	uint64_t last_ms;       /* last activity, for the idle timeout */
	uint64_t query_ms;      /* the exchange under way began: its deadline */
	bool fresh;             /* answered (or new) since: the next byte restarts it */
	struct sockaddr_storage peer;
	dns_xfr_stream_t *stream; /* a zone transfer being sent, or NULL */
	bool waiting;           /* an UPDATE's changes are on their way: its
	                           reply comes first, the next query after */
	size_t in_len, out_len, out_off;
	uint8_t in[2 + TCP_MSG_MAX];
	uint8_t out[2 + TCP_MSG_MAX];
};

static void conn_io(int fd, unsigned events, void *arg);
static void conn_idle(void *arg);

/* Stop watching and timing @p c and take it off its server's list. */
static void conn_unlink(dns_tcp_conn_t *c)
{
	dns_server_t *s = c->srv;
	const ddns_host_t *h = s->conf.host;
	h->fd_unwatch(c->watch);
	c->watch = NULL;
	c->watching = 0;
	if (c->timer)
		h->timer_stop(c->timer);
	c->timer = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->n_conns--;
}

static void conn_link(dns_server_t *s, dns_tcp_conn_t *c)
{
	c->srv = s;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
}

static void conn_close(dns_tcp_conn_t *c)
{
	dns_upd_forget(c->srv->conf.upd, c);
	dns_xfr_stream_free(c->stream);
	conn_unlink(c);
	close(c->fd);
	free(c);
}

/* Watch for @p events only (reading and writing alternate). */
static int conn_watch(dns_tcp_conn_t *c, unsigned events)
{
	const ddns_host_t *h = c->srv->conf.host;
	if (c->watching == events || c->srv->draining)
		return 0;
	h->fd_unwatch(c->watch);
	c->watch = NULL;
	c->watching = 0;
	int ret = h->fd_watch(c->srv->conf.ctx, c->fd, events, conn_io, c, &c->watch);
	if (ret == 0)
		c->watching = events;
	return ret;
}

static int conn_arm_timer(dns_tcp_conn_t *c, uint64_t ms)
{
	return c->srv->conf.host->timer_start(c->srv->conf.ctx, ms, conn_idle, c, &c->timer);
}

/* One warning per DNS_TCP_LOG_MS for what the limits turned away, with
 * the counts since the last one: a flood is not a flood of log lines. */
static void note_limited(dns_server_t *s, const struct sockaddr_storage *peer,
                         const char *what)
{
	uint64_t now = s->conf.host->now_ms();
	if (s->limit_log_ms != 0 && now - s->limit_log_ms < DNS_TCP_LOG_MS)
		return;
	char addr[INET6_ADDRSTRLEN] = "?";
	const void *a = peer->ss_family == AF_INET6
	              ? (const void *)&((const struct sockaddr_in6 *)peer)->sin6_addr
	              : (const void *)&((const struct sockaddr_in *)peer)->sin_addr;
	inet_ntop(peer->ss_family, a, addr, sizeof(addr));
	SRV_LOG(s, DDNS_LOG_WARNING, "tcp: %s: %s; so far %llu connection(s) refused past "
	        "tcp_max_per_source, %llu closed past tcp_query_timeout_ms", addr, what,
	        (unsigned long long)s->tcp_refused_per_source,
	        (unsigned long long)s->tcp_query_timeouts);
	s->limit_log_ms = now;
}

static void conn_idle(void *arg)
{
	dns_tcp_conn_t *c = arg;
	dns_server_t *s = c->srv;
	uint64_t now = s->conf.host->now_ms();
	uint64_t idle = now - c->last_ms;
	c->timer = NULL; /* fired: freed by the host */
	if (idle >= s->conf.tcp_idle_ms)
		goto close;
	uint64_t wait = s->conf.tcp_idle_ms - idle;
	/* Waiting for a client idle since its last answer, the timer still
	 * comes every tcp_query_ms: an exchange may begin meanwhile, and
	 * re-arming the timer on every first byte would cost a timer per
	 * query.  So a slow query is closed between one and two deadlines. */
	if (wait > s->conf.tcp_query_ms)
		wait = s->conf.tcp_query_ms;
	if (c->in_len > 0 || c->out_len > 0 || !c->fresh) {
		uint64_t busy = now - c->query_ms;
		if (busy >= s->conf.tcp_query_ms) {
			s->tcp_query_timeouts++;
			note_limited(s, &c->peer, "a query not sent or an answer not read "
			             "within tcp_query_timeout_ms: closed");
			goto close;
		}
		if (s->conf.tcp_query_ms - busy < wait)
			wait = s->conf.tcp_query_ms - busy;
	}
	if (conn_arm_timer(c, wait) == 0)
		return;
close:
	conn_close(c);
}

/* The first timer: whichever of the two bounds comes first. */
static uint64_t conn_first_wait(const dns_server_t *s)
{
	return s->conf.tcp_query_ms < s->conf.tcp_idle_ms ? s->conf.tcp_query_ms
	                                                  : s->conf.tcp_idle_ms;
}

/* Write what is pending.  1: all written, 0: would block, <0: error. */
static int conn_flush(dns_tcp_conn_t *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 1;
}

static int conn_process(dns_tcp_conn_t *c);

/* The reply to an UPDATE, once its changes are done: sent, then the
 * queries buffered meanwhile are answered.  No reply: the request was
 * abandoned (the instance stops), and so is the connection. */
static void conn_upd_reply(const uint8_t *reply, size_t len, void *arg)
{
	dns_tcp_conn_t *c = arg;
	c->waiting = false;
	if (len == 0 || len > TCP_MSG_MAX) {
		conn_close(c);
		return;
	}
	memcpy(c->out + 2, reply, len);
	knot_wire_write_u16(c->out, (uint16_t)len);
	c->out_len = 2 + len;
	c->query_ms = c->srv->conf.host->now_ms();
	c->fresh = true;
	int ret = conn_flush(c);
	if (ret == 0)
		ret = conn_watch(c, DDNS_FD_WRITE);
	else if (ret > 0)
		ret = conn_process(c);
	if (ret < 0)
		conn_close(c);
}

/* The answer to the query @p msg bytes long at c->in + 2, into c->out + 2:
 * its length, 0 for none; a zone transfer starts c->stream instead, an
 * UPDATE may set c->waiting. */
static size_t conn_answer(dns_tcp_conn_t *c, size_t msg)
{
	dns_server_t *s = c->srv;
	if (s->conf.upd != NULL && msg >= KNOT_WIRE_HEADER_SIZE &&
	    knot_wire_get_opcode(c->in + 2) == KNOT_OPCODE_UPDATE && !knot_wire_get_qr(c->in + 2)) {
		/* on the loop: only the loop writes the db, no lock */
		size_t len = dns_upd_handle(s->conf.upd, s->ref->db, c->in + 2, msg,
		                            (struct sockaddr *)&c->peer, c->out + 2, TCP_MSG_MAX,
		                            conn_upd_reply, c);
		c->waiting = len == 0;
		return len;
	}
	pthread_rwlock_rdlock(&s->ref->lock);
	size_t len = dns_xfr_query(s->conf.xfr, s->ref->db, c->in + 2, msg,
	                           (struct sockaddr *)&c->peer, c->out + 2, TCP_MSG_MAX,
	                           &c->stream);
	if (len == 0 && c->stream == NULL)
		len = dns_answer(s->tcp_ans, s->ref->db, c->in + 2, msg,
		                 (struct sockaddr *)&c->peer, true, c->out + 2, TCP_MSG_MAX);
	pthread_rwlock_unlock(&s->ref->lock);
	return len;
}

/* Answer the complete queries buffered, and send the messages of a zone
 * transfer (the next query waits for its end).  <0: close the connection. */
static int conn_process(dns_tcp_conn_t *c)
{
	dns_server_t *s = c->srv;
	while (c->out_len == 0 && !c->waiting && (c->stream != NULL || c->in_len >= 2)) {
		size_t len;
		if (c->stream != NULL) {
			len = dns_xfr_stream_next(c->stream, c->out + 2, TCP_MSG_MAX);
			if (len == 0) {
				dns_xfr_stream_free(c->stream);
				c->stream = NULL;
				continue;
			}
		} else {
			size_t msg = knot_wire_read_u16(c->in);
			if (c->in_len < 2 + msg)
				return conn_watch(c, DDNS_FD_READ);
			len = conn_answer(c, msg);
			memmove(c->in, c->in + 2 + msg, c->in_len - 2 - msg);
			c->in_len -= 2 + msg;
			if (c->stream != NULL)
				continue; /* its first message comes next round */
			if (c->waiting)
				return conn_watch(c, DDNS_FD_READ); /* conn_upd_reply() goes on */
		}
		if (len == 0)
			continue; /* not a query: nothing to say, and the clock runs on */
		/* The next exchange's clock, or, in a transfer, the next
		 * message's: each must be read within tcp_query_timeout_ms. */
		c->query_ms = s->conf.host->now_ms();
		c->fresh = true;
		knot_wire_write_u16(c->out, (uint16_t)len);
		c->out_len = 2 + len;
		const ddns_host_t *h = s->conf.host;
		if (h != NULL && DDNS_HOST_HAS(h, dns_answered) && h->dns_answered != NULL &&
		    c->stream == NULL)
			h->dns_answered(s->conf.ctx, knot_wire_get_rcode(c->out + 2), 1);
		int ret = conn_flush(c);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return conn_watch(c, DDNS_FD_WRITE);
	}
	return conn_watch(c, DDNS_FD_READ);
}

static void conn_io(int fd, unsigned events, void *arg)
{
	dns_tcp_conn_t *c = arg;
	c->last_ms = c->srv->conf.host->now_ms();
	if (c->in_len == 0 && c->out_len == 0 && c->fresh) {
		/* Idle since an answer: a new exchange begins.  Only an answer
		 * earns that, so empty frames do not keep resetting the clock. */
		c->query_ms = c->last_ms;
		c->fresh = false;
	}
	if (c->out_len > 0) {
		int ret = conn_flush(c);
		if (ret < 0)
			goto close;
		if (ret == 0)
			return;
	}
	if (c->watching == DDNS_FD_READ) {
		ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n == 0)
			goto close;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			goto close;
		}
		c->in_len += (size_t)n;
	}
	if (conn_process(c) != 0)
		goto close;
	return;
close:
	conn_close(c);
}

static void conn_open(dns_server_t *s, const dns_listener_t *l, int fd,
                      const struct sockaddr_storage *peer)
{
	dns_tcp_conn_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		SRV_LOG(s, DDNS_LOG_ERR, "tcp: out of memory for a connection");
		close(fd);
		return;
	}
	c->from = l;
	c->fd = fd;
	c->peer = *peer;
	c->last_ms = c->query_ms = s->conf.host->now_ms();
	c->fresh = true;
	conn_link(s, c);
	if (conn_watch(c, DDNS_FD_READ) != 0 || conn_arm_timer(c, conn_first_wait(s)) != 0) {
		SRV_LOG(s, DDNS_LOG_ERR, "tcp: cannot watch a new connection");
		conn_close(c);
	}
}

/* Same source: the same IPv4 address, or the same IPv6 /64. */
static bool same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 8) == 0;
	return false;
}

/* Has @p peer its share of connections already?  A walk of at most
 * tcp_clients connections, once per accept: nothing per query. */
static bool source_full(const dns_server_t *s, const struct sockaddr_storage *peer)
{
	unsigned n = 0;
	for (const dns_tcp_conn_t *c = s->conns; c != NULL; c = c->next)
		if (same_source(&c->peer, peer) && ++n >= s->conf.tcp_max_per_source)
			return true;
	return false;
}

void dns_tcp_accept(int fd, unsigned events, void *arg)
{
	dns_listener_t *l = arg;
	dns_server_t *s = l->srv;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &len,
		                  SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				SRV_LOG(s, DDNS_LOG_WARNING, "tcp %s: accept: %s", l->name,
				        strerror(errno));
			return;
		}
		if (s->n_conns >= s->conf.tcp_clients) {
			/* Full: the client sees the close and tries again later. */
			SRV_LOG(s, DDNS_LOG_DEBUG, "tcp %s: %u connections, refusing one more",
			        l->name, s->n_conns);
			close(cfd);
			continue;
		}
		if (source_full(s, &peer)) {
			s->tcp_refused_per_source++;
			note_limited(s, &peer, "at tcp_max_per_source connections: refusing more");
			close(cfd);
			continue;
		}
		conn_open(s, l, cfd, &peer);
	}
}

/* The heir's loop picks @p c up where it was: what is buffered is answered
 * now, what the client sends next is read by the heir's watch. */
static void conn_move(dns_tcp_conn_t *c, const dns_listener_t *heir)
{
	conn_unlink(c);
	c->from = heir;
	conn_link(heir->srv, c);
	c->last_ms = c->query_ms = heir->srv->conf.host->now_ms();
	int ret = c->out_len > 0 ? conn_watch(c, DDNS_FD_WRITE) : conn_process(c);
	if (ret != 0 || conn_arm_timer(c, conn_first_wait(heir->srv)) != 0)
		conn_close(c);
}

/* No heir: answer what the client already sent (the socket buffer is read
 * without waiting), write what fits, close. */
static void conn_finish(dns_tcp_conn_t *c)
{
	for (int round = 0; round < 64; round++) {
		if (c->out_len > 0 && conn_flush(c) != 1)
			break;
		if (conn_process(c) != 0 || c->out_len > 0)
			break;
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
		                 MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		if (n > 0)
			c->in_len += (size_t)n;
	}
	conn_close(c);
}

unsigned dns_tcp_hand_over_all(dns_server_t *s)
{
	unsigned moved = 0;
	while (s->conns) {
		dns_tcp_conn_t *c = s->conns;
		const dns_listener_t *heir = c->from != NULL ? c->from->heir : NULL;
		if (c->stream != NULL || c->waiting) {
			/* A transfer is this instance's zone image, an UPDATE
			 * waits for this instance: they end here, and the client
			 * asks the heir again. */
			conn_close(c);
		} else if (heir != NULL) {
			conn_move(c, heir);
			moved++;
		} else {
			conn_finish(c);
		}
	}
	return moved;
}
