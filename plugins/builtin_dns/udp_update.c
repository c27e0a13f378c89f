/**
 * @file udp_update.c
 * @brief builtin_dns: RFC 2136 UPDATE over UDP.  A UDP worker thread
 * cannot call the host, so it hands the message over (a bounded queue and
 * an eventfd the loop watches); the loop gives it to update.c and sends
 * the reply from the same socket and address once the change is done.
 */
#include "server_priv.h"
#include "update.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* More UPDATEs waiting than this are dropped (the client retries): a flood
 * of them costs the workers a copy each, not unbounded memory. */
#define UPD_QUEUE_MAX 64
#define UPD_CTL_MAX 64

struct dns_udp_upd {
	struct dns_udp_upd *next;
	dns_server_t *srv;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	_Alignas(struct cmsghdr) uint8_t ctl[UPD_CTL_MAX];
	size_t ctl_len;
	size_t len;
	uint8_t msg[];
};

/* Any thread: queue @p msg for the loop. */
static void defer(void *arg, int fd, const uint8_t *msg, size_t len,
                  const struct sockaddr_storage *peer, socklen_t peer_len, const uint8_t *ctl,
                  size_t ctl_len)
{
	dns_server_t *s = arg;
	if (ctl_len > UPD_CTL_MAX)
		return;
	dns_udp_upd_t *m = malloc(sizeof(*m) + len);
	if (m == NULL)
		return;
	m->srv = s;
	m->fd = fd;
	m->peer = *peer;
	m->peer_len = peer_len;
	memcpy(m->ctl, ctl, ctl_len);
	m->ctl_len = ctl_len;
	m->len = len;
	memcpy(m->msg, msg, len);
	pthread_mutex_lock(&s->upd_lock);
	bool full = s->upd_n >= UPD_QUEUE_MAX;
	if (!full) {
		m->next = s->upd_queue;
		s->upd_queue = m;
		s->upd_n++;
	}
	pthread_mutex_unlock(&s->upd_lock);
	if (full) {
		free(m);
		return;
	}
	uint64_t one = 1;
	ssize_t w = write(s->upd_efd, &one, sizeof(one));
	(void)w; /* a full counter still wakes the loop */
}

static void send_reply(const dns_udp_upd_t *m, const uint8_t *reply, size_t len)
{
	struct iovec iov = { (void *)reply, len };
	struct msghdr h = { .msg_name = (void *)&m->peer, .msg_namelen = m->peer_len,
	                    .msg_iov = &iov, .msg_iovlen = 1,
	                    .msg_control = m->ctl_len ? (void *)m->ctl : NULL,
	                    .msg_controllen = m->ctl_len };
	if (sendmsg(m->fd, &h, MSG_DONTWAIT) < 0)
		SRV_LOG(m->srv, DDNS_LOG_DEBUG, "update: reply not sent: %s", strerror(errno));
}

static void unlink_waiting(dns_udp_upd_t *m)
{
	for (dns_udp_upd_t **pp = &m->srv->upd_waiting; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

/* update.c's reply, once the changes are done (len 0: abandoned). */
static void reply_cb(const uint8_t *reply, size_t len, void *arg)
{
	dns_udp_upd_t *m = arg;
	if (len > 0)
		send_reply(m, reply, len);
	unlink_waiting(m);
	free(m);
}

/* Loop: take what the workers queued. */
static void on_event(int fd, unsigned events, void *arg)
{
	(void)events;
	dns_server_t *s = arg;
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));
	(void)r;
	pthread_mutex_lock(&s->upd_lock);
	dns_udp_upd_t *q = s->upd_queue;
	s->upd_queue = NULL;
	s->upd_n = 0;
	pthread_mutex_unlock(&s->upd_lock);
	/* The queue is newest first: answer in arrival order. */
	dns_udp_upd_t *rev = NULL;
	while (q != NULL) {
		dns_udp_upd_t *next = q->next;
		q->next = rev;
		rev = q;
		q = next;
	}
	for (dns_udp_upd_t *m = rev, *next; m != NULL; m = next) {
		next = m->next;
		uint8_t out[1024];
		m->next = s->upd_waiting; /* reply_cb() may run inside */
		s->upd_waiting = m;
		size_t len = dns_upd_handle(s->conf.upd, s->ref->db, m->msg, m->len,
		                            (struct sockaddr *)&m->peer, out, sizeof(out),
		                            reply_cb, m);
		if (len > 0) {
			send_reply(m, out, len);
			unlink_waiting(m);
			free(m);
		}
	}
}

int dns_udp_upd_start(dns_server_t *s)
{
	s->upd_efd = -1;
	if (s->conf.upd == NULL)
		return 0;
	pthread_mutex_init(&s->upd_lock, NULL);
	s->upd_lock_made = true;
	s->upd_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->upd_efd < 0)
		return -errno;
	int ret = s->conf.host->fd_watch(s->conf.ctx, s->upd_efd, DDNS_FD_READ, on_event, s,
	                                 &s->upd_watch);
	if (ret != 0)
		return ret;
	dns_udp_set_defer(s->udp, defer, s);
	return 0;
}

void dns_udp_upd_set_worker(dns_server_t *s, dns_udp_t *u)
{
	if (s->conf.upd != NULL)
		dns_udp_set_defer(u, defer, s);
}

void dns_udp_upd_stop(dns_server_t *s)
{
	if (s->upd_watch != NULL)
		s->conf.host->fd_unwatch(s->upd_watch);
	s->upd_watch = NULL;
	/* Requests waiting for the host: their replies would go to sockets
	 * about to close. */
	while (s->upd_waiting != NULL) {
		dns_udp_upd_t *m = s->upd_waiting;
		s->upd_waiting = m->next;
		dns_upd_forget(s->conf.upd, m);
		free(m);
	}
	while (s->upd_queue != NULL) {
		dns_udp_upd_t *m = s->upd_queue;
		s->upd_queue = m->next;
		free(m);
	}
	if (s->upd_efd >= 0)
		close(s->upd_efd);
	s->upd_efd = -1;
	if (s->upd_lock_made)
		pthread_mutex_destroy(&s->upd_lock);
	s->upd_lock_made = false;
}
