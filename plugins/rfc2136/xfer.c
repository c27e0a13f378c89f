/*
 * The transport of one UPDATE (see xfer.h).  A reply that fails its checks
 * (wrong ID) is dropped and the wait goes on, so a stray datagram cannot
 * end the exchange.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xfer.h"

#define R2_UDP_FIRST_WAIT_MS 1000u
#define R2_TCP_MAX 65535u

struct r2_xfer {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	const r2_target_t *target;
	r2_msg_t *msg;
	const knot_tsig_key_t *key;
	uint64_t deadline_ms;
	r2_xfer_done_cb done;
	void *arg;
	int fd;
	int tcp;
	unsigned wait_ms;
	ddns_fd_watch_t *watch;
	ddns_timer_t *timer;
	size_t out_pos;  /* TCP: bytes of length+message written */
	size_t in_len;   /* TCP: bytes read into in[] */
	uint8_t in[R2_TCP_MAX + 2];
};

/* What is exchanged, for log lines and messages. */
static const char *x_what(const r2_xfer_t *x)
{
	return x->msg->opcode == KNOT_OPCODE_UPDATE ? "UPDATE" : "SOA query";
}

int r2_target_parse(const char *s, r2_target_t *t)
{
	char host[64];
	const char *port = "53", *colon;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	                          .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -EINVAL;
		hl = (size_t)(end - s - 1);
		if (end[1] == ':')
			port = end + 2;
		s++;
	} else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - s);
		port = colon + 1;
	} else {
		hl = strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host) || *port == '\0' || atoi(port) <= 0 || atoi(port) > 65535)
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return -EINVAL;
	memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
	t->addrlen = ai->ai_addrlen;
	snprintf(t->text, sizeof(t->text), ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
	freeaddrinfo(ai);
	return 0;
}

static void x_close(r2_xfer_t *x)
{
	if (x->watch != NULL)
		x->host->fd_unwatch(x->watch);
	x->watch = NULL;
	if (x->timer != NULL)
		x->host->timer_stop(x->timer);
	x->timer = NULL;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

static void x_finish(r2_xfer_t *x, int rc, const char *message)
{
	x_close(x);
	x->done(rc, message, x->arg);
	free(x);
}

static void x_fail(r2_xfer_t *x, int rc, const char *what)
{
	char m[256];

	snprintf(m, sizeof(m), "%s %s: %s", what, x->target->text,
	         rc < 0 && rc > -4096 ? strerror(-rc) : x->host->strerror(rc));
	x_finish(x, rc, m);
}

static void on_io(int fd, unsigned events, void *arg);
static void on_timer(void *arg);

static int x_arm(r2_xfer_t *x, unsigned events, uint64_t wait_ms)
{
	uint64_t now = x->host->now_ms();
	int rc;

	if (x->watch != NULL)
		x->host->fd_unwatch(x->watch);
	x->watch = NULL;
	if ((rc = x->host->fd_watch(x->ctx, x->fd, events, on_io, x, &x->watch)) < 0)
		return rc;
	if (wait_ms == 0)
		return 0; /* keep the running timer */
	if (x->timer != NULL)
		x->host->timer_stop(x->timer);
	x->timer = NULL;
	if (now >= x->deadline_ms)
		return DDNS_ETIMEOUT;
	if (now + wait_ms > x->deadline_ms)
		wait_ms = x->deadline_ms - now;
	return x->host->timer_start(x->ctx, wait_ms, on_timer, x, &x->timer);
}

static int x_open(r2_xfer_t *x, int type)
{
	x_close(x);
	x->fd = socket(x->target->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		return -errno;
	if (connect(x->fd, (const struct sockaddr *)&x->target->addr, x->target->addrlen) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	return 0;
}

static int x_udp_send(r2_xfer_t *x)
{
	if (send(x->fd, x->msg->wire, x->msg->len, 0) < 0 && errno != EAGAIN)
		return -errno;
	return x_arm(x, DDNS_FD_READ, x->wait_ms);
}

static int x_tcp_start(r2_xfer_t *x)
{
	int rc;

	x->tcp = 1;
	x->out_pos = 0;
	x->in_len = 0;
	if ((rc = x_open(x, SOCK_STREAM)) < 0)
		return rc;
	/* One timer for the whole TCP exchange: until the deadline. */
	return x_arm(x, DDNS_FD_WRITE, x->deadline_ms - x->host->now_ms() + 1);
}

/* An answer is whole in in[]/len: 0 done, 1 keep waiting. */
static int x_answer(r2_xfer_t *x, uint8_t *wire, size_t len)
{
	char err[256] = "";
	int rc;

	if (len >= 2 && (((unsigned)wire[0] << 8) | wire[1]) != x->msg->id)
		return 1; /* not ours: wait on */
	rc = r2_msg_check(x->msg, wire, len, x->key, err, sizeof(err));
	if (rc == 1 && !x->tcp) {
		x->host->log(x->ctx, DDNS_LOG_INFO, "%s answer from %s truncated: again over TCP",
		             x_what(x), x->target->text);
		if ((rc = x_tcp_start(x)) < 0)
			x_fail(x, rc, "cannot reach over TCP");
		return 0;
	}
	if (rc == 1) {
		x_finish(x, DDNS_EBADREPLY, "the server truncated its answer over TCP");
		return 0;
	}
	if (rc == 0)
		snprintf(err, sizeof(err), "NOERROR from %s", x->target->text);
	x_finish(x, rc, err);
	return 0;
}

static void on_tcp(r2_xfer_t *x, unsigned events)
{
	ssize_t n;
	int rc;

	if (events & DDNS_FD_WRITE) {
		uint8_t out[2 + R2_MSG_MAX];
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0) {
			x_fail(x, -err, "cannot connect over TCP to");
			return;
		}
		out[0] = (uint8_t)(x->msg->len >> 8);
		out[1] = (uint8_t)x->msg->len;
		memcpy(out + 2, x->msg->wire, x->msg->len);
		n = send(x->fd, out + x->out_pos, x->msg->len + 2 - x->out_pos, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			x_fail(x, -errno, "cannot send over TCP to");
			return;
		}
		if (n > 0)
			x->out_pos += (size_t)n;
		if (x->out_pos == x->msg->len + 2 && (rc = x_arm(x, DDNS_FD_READ, 0)) < 0) {
			x_fail(x, rc, "cannot wait for");
			return;
		}
		return;
	}
	n = recv(x->fd, x->in + x->in_len, sizeof(x->in) - x->in_len, 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		x_fail(x, n == 0 ? -ECONNRESET : -errno, "TCP connection lost with");
		return;
	}
	x->in_len += (size_t)n;
	if (x->in_len >= 2) {
		size_t want = ((size_t)x->in[0] << 8) | x->in[1];
		if (x->in_len >= want + 2) {
			if (x_answer(x, x->in + 2, want) == 1)
				x_finish(x, DDNS_EBADREPLY, "the server answered over TCP with another message ID");
		}
	}
}

static void on_io(int fd, unsigned events, void *arg)
{
	r2_xfer_t *x = arg;
	ssize_t n;

	(void)fd;
	if (x->tcp) {
		on_tcp(x, events);
		return;
	}
	n = recv(x->fd, x->in, sizeof(x->in), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) { /* ECONNREFUSED from an ICMP port unreachable: nothing listens */
		x_fail(x, -errno, "no DNS server at");
		return;
	}
	x_answer(x, x->in, (size_t)n);
}

static void on_timer(void *arg)
{
	r2_xfer_t *x = arg;
	int rc;

	x->timer = NULL; /* fired: the host freed it */
	if (x->tcp || x->host->now_ms() >= x->deadline_ms) {
		x_fail(x, DDNS_ETIMEOUT, x->msg->opcode == KNOT_OPCODE_UPDATE
		                             ? "no answer to the UPDATE from"
		                             : "no answer to the SOA query (zone lookup) from");
		return;
	}
	x->wait_ms *= 2;
	x->host->log(x->ctx, DDNS_LOG_INFO, "no answer from %s yet: %s sent again", x->target->text,
	             x_what(x));
	if ((rc = x_udp_send(x)) < 0)
		x_fail(x, rc, "cannot send to");
}

int r2_xfer_start(ddns_ctx_t *ctx, const ddns_host_t *host, const r2_target_t *t,
                  r2_msg_t *msg, const knot_tsig_key_t *key, uint64_t deadline_ms,
                  r2_xfer_done_cb done, void *arg, r2_xfer_t **out)
{
	r2_xfer_t *x = calloc(1, sizeof(*x));
	int rc;

	if (x == NULL)
		return -ENOMEM;
	*x = (r2_xfer_t){ .ctx = ctx, .host = host, .target = t, .msg = msg, .key = key,
	                  .deadline_ms = deadline_ms, .done = done, .arg = arg, .fd = -1,
	                  .wait_ms = R2_UDP_FIRST_WAIT_MS };
	/* A message past the UDP size every server takes goes over TCP at once. */
	rc = msg->len > 512 ? x_tcp_start(x) : x_open(x, SOCK_DGRAM);
	if (rc == 0 && !x->tcp)
		rc = x_udp_send(x);
	if (rc < 0) {
		x_close(x);
		free(x);
		return rc;
	}
	*out = x;
	return 0;
}

void r2_xfer_cancel(r2_xfer_t *x)
{
	x_close(x);
	free(x);
}
