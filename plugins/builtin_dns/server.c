/**
 * @file server.c
 * @brief builtin_dns: bind the listen addresses, run UDP on the loop or on
 * worker threads, hand TCP to tcp.c.
 *
 * A reload that changes an instance's options starts the new server before
 * it stops the old one, on the same addresses.  The handover loses nothing:
 * the new server shares the old one's TCP listening sockets (a dup: no
 * connection waiting in the accept queue is reset) and takes over its open
 * connections; the old UDP sockets leave the SO_REUSEPORT group (connect())
 * before what the kernel had queued on them is answered.
 */
#include "server_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Batches per loop wakeup: bounded so HTTP and TCP are served meanwhile. */
#define UDP_LOOP_ROUNDS 8
/* A detached UDP socket is read until empty, and once more after this long
 * should a datagram the kernel steered to it before connect() land late. */
#define UDP_SETTLE_MS 2

/* The running servers of this process, newest first.  Created and stopped
 * on the host's loop thread only, so no lock. */
static dns_server_t *live;

static void live_remove(dns_server_t *s)
{
	for (dns_server_t **p = &live; *p != NULL; p = &(*p)->live_next) {
		if (*p == s) {
			*p = s->live_next;
			break;
		}
	}
	s->live_next = NULL;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static dns_listener_t *live_tcp_listener(const dns_server_t *except,
                                         const struct sockaddr_storage *addr)
{
	for (dns_server_t *o = live; o != NULL; o = o->live_next) {
		if (o == except)
			continue;
		for (size_t i = 0; i < o->n_ls; i++)
			if (o->ls[i].type == SOCK_STREAM && same_addr(&o->ls[i].addr, addr))
				return &o->ls[i];
	}
	return NULL;
}

static void udp_ready(int fd, unsigned events, void *arg)
{
	dns_listener_t *l = arg;
	int ret = dns_udp_drain(l->srv->udp, fd, l->srv->ref, UDP_LOOP_ROUNDS);
	if (ret < 0 && ret != -ECONNREFUSED)
		SRV_LOG(l->srv, DDNS_LOG_WARNING, "udp %s: %s", l->name, strerror(-ret));
}

static void *worker_main(void *arg)
{
	dns_worker_t *w = arg;
	dns_udp_serve(w->udp, w->fd, w->srv->ref, &w->srv->stop);
	return NULL;
}

static int listener_add(dns_server_t *s, int fd, int type, const char *name,
                        const struct sockaddr_storage *addr)
{
	dns_listener_t *l = &s->ls[s->n_ls++];
	*l = (dns_listener_t){ .srv = s, .fd = fd, .type = type, .addr = *addr };
	snprintf(l->name, sizeof(l->name), "%s", name);
	return s->conf.host->fd_watch(s->conf.ctx, fd, DDNS_FD_READ,
	                              type == SOCK_DGRAM ? udp_ready : dns_tcp_accept, l,
	                              &l->watch);
}

/* A worker's socket blocks in recvmmsg; the timeout only bounds how long
 * a stop could wait should shutdown() not wake it. */
static int worker_socket(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = dns_socket_open(ss, len, SOCK_DGRAM, true);
	if (fd < 0)
		return fd;
	struct timeval tv = { .tv_sec = 1 };
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int workers_start(dns_server_t *s, const struct sockaddr_storage *addrs,
                         const socklen_t *lens)
{
	size_t n = s->conf.udp_threads * s->conf.n_listen;
	s->workers = calloc(n, sizeof(*s->workers));
	if (s->workers == NULL)
		return -ENOMEM;
	for (size_t t = 0; t < n; t++) {
		size_t i = t % s->conf.n_listen;
		dns_worker_t *w = &s->workers[s->n_workers++];
		w->srv = s;
		w->fd = worker_socket(&addrs[i], lens[i]);
		if (w->fd < 0) {
			SRV_LOG(s, DDNS_LOG_ERR, "udp %s: %s", s->conf.listen[i], strerror(-w->fd));
			return w->fd;
		}
		if (dns_udp_new(&w->udp) != 0 || dns_udp_set_rrl(w->udp, &s->conf.rrl) != 0)
			return -ENOMEM;
		dns_udp_count_to(w->udp, s->conf.host, s->conf.ctx);
		dns_udp_upd_set_worker(s, w->udp);
	}
	for (size_t t = 0; t < s->n_workers; t++) {
		int ret = pthread_create(&s->workers[t].thread, NULL, worker_main, &s->workers[t]);
		if (ret != 0)
			return -ret;
		s->workers[t].started = true;
	}
	return 0;
}

/* Join the workers; their sockets stay open, to be drained. */
static void workers_stop(dns_server_t *s)
{
	atomic_store(&s->stop, true);
	for (size_t t = 0; t < s->n_workers; t++)
		if (s->workers[t].fd >= 0)
			shutdown(s->workers[t].fd, SHUT_RD); /* wakes recvmmsg */
	for (size_t t = 0; t < s->n_workers; t++) {
		dns_worker_t *w = &s->workers[t];
		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = false;
	}
}

/* Out of the SO_REUSEPORT group: a connected UDP socket only gets its
 * peer's datagrams (here its own), so the kernel steers every new query to
 * the group's other sockets, while what it had queued here stays readable. */
static void udp_detach(dns_server_t *s, int fd, const char *name)
{
	struct sockaddr_storage self;
	socklen_t len = sizeof(self);
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&self, &len) != 0)
		return;
	if (self.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&self;
		if (a->sin_addr.s_addr == htonl(INADDR_ANY))
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (self.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&self;
		if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
			a->sin6_addr = in6addr_loopback;
	}
	if (connect(fd, (struct sockaddr *)&self, len) != 0)
		SRV_LOG(s, DDNS_LOG_WARNING, "udp %s: cannot leave the port to the new "
		        "instance (%s): queries may be lost at the handover", name,
		        strerror(errno));
}

/* Answer what is queued on every UDP socket (detached: nothing new comes). */
static void udp_drain_all(dns_server_t *s)
{
	for (size_t i = 0; i < s->n_ls + s->n_workers; i++) {
		bool worker = i >= s->n_ls;
		int fd = worker ? s->workers[i - s->n_ls].fd : s->ls[i].fd;
		if (fd < 0 || (!worker && s->ls[i].type != SOCK_DGRAM))
			continue;
		/* Bounded: at most the socket buffer, which no longer fills.  An
		 * ICMP error reported on the socket is no reason to stop. */
		int ret, errors = 0;
		while ((ret = dns_udp_drain(s->udp, fd, s->ref, 64)) == 1 ||
		       (ret < 0 && ++errors < 8))
			;
	}
}

/* Returns how many queued queries were answered. */
static uint64_t udp_stop(dns_server_t *s)
{
	bool any = s->n_workers > 0;
	for (size_t i = 0; i < s->n_ls; i++) {
		if (s->ls[i].type == SOCK_DGRAM) {
			udp_detach(s, s->ls[i].fd, s->ls[i].name);
			any = true;
		}
	}
	for (size_t t = 0; t < s->n_workers; t++)
		udp_detach(s, s->workers[t].fd, s->conf.listen[t % s->conf.n_listen]);
	if (s->workers != NULL)
		workers_stop(s);
	if (!any || s->udp == NULL)
		return 0;
	uint64_t before = dns_udp_answered(s->udp);
	udp_drain_all(s);
	/* A datagram the kernel had steered here just before connect() may
	 * still be on its way into the queue. */
	struct timespec settle = { .tv_nsec = UDP_SETTLE_MS * 1000000L };
	nanosleep(&settle, NULL);
	udp_drain_all(s);
	return dns_udp_answered(s->udp) - before;
}
int dns_server_start(const dns_server_conf_t *conf, dns_dbref_t *ref, dns_server_t **out)
{
	int ret = -ENOMEM;
	struct sockaddr_storage *addrs = calloc(conf->n_listen + 1, sizeof(*addrs));
	socklen_t *lens = calloc(conf->n_listen + 1, sizeof(*lens));
	dns_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL || addrs == NULL || lens == NULL)
		goto fail;
	s->conf = *conf;
	s->ref = ref;
	s->upd_efd = -1;
	atomic_init(&s->stop, false);
	s->ls = calloc(2 * conf->n_listen + 1, sizeof(*s->ls));
	if (s->ls == NULL || dns_udp_new(&s->udp) != 0 ||
	    dns_udp_set_rrl(s->udp, &conf->rrl) != 0 || dns_answerer_new(&s->tcp_ans) != 0)
		goto fail;
	dns_udp_count_to(s->udp, conf->host, conf->ctx);
	if ((ret = dns_udp_upd_start(s)) != 0) {
		SRV_LOG(s, DDNS_LOG_ERR, "update: cannot watch its queue: %s", strerror(-ret));
		goto fail;
	}
	for (size_t i = 0; i < conf->n_listen; i++) {
		if (dns_listen_parse(conf->listen[i], &addrs[i], &lens[i]) != 0) {
			SRV_LOG(s, DDNS_LOG_ERR, "listen \"%s\": not an address[:port]",
			        conf->listen[i]);
			ret = -EINVAL;
			goto fail;
		}
		static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
		for (size_t t = 0; t < 2; t++) {
			if (types[t] == SOCK_DGRAM && conf->udp_threads > 0)
				continue; /* the workers bind their own */
			/* SO_REUSEPORT: a reload that changes this instance's options
			 * binds the new one while the old one still serves.  TCP
			 * shares the old listening socket instead: closing a
			 * listener resets the connections in its accept queue. */
			const dns_listener_t *old = types[t] == SOCK_STREAM
				? live_tcp_listener(s, &addrs[i]) : NULL;
			int fd = old != NULL ? fcntl(old->fd, F_DUPFD_CLOEXEC, 0)
				: dns_socket_open(&addrs[i], lens[i], types[t], true);
			if (old != NULL && fd < 0)
				fd = -errno;
			if (fd < 0) {
				SRV_LOG(s, DDNS_LOG_ERR, "%s %s: %s", t ? "udp" : "tcp",
				        conf->listen[i], strerror(-fd));
				ret = fd;
				goto fail;
			}
			ret = listener_add(s, fd, types[t], conf->listen[i], &addrs[i]);
			if (ret != 0) {
				SRV_LOG(s, DDNS_LOG_ERR, "%s: cannot watch its socket", conf->listen[i]);
				goto fail;
			}
		}
	}
	if (conf->udp_threads > 0 && (ret = workers_start(s, addrs, lens)) != 0)
		goto fail;
	s->live_next = live;
	live = s;
	s->started = true;
	free(addrs);
	free(lens);
	*out = s;
	return 0;
fail:
	free(addrs);
	free(lens);
	dns_server_stop(s);
	return ret;
}

void dns_server_counts(const dns_server_t *s, dns_server_counts_t *out)
{
	uint64_t d, sl;

	*out = (dns_server_counts_t){ .tcp_refused = s->tcp_refused_per_source,
	                              .tcp_timeouts = s->tcp_query_timeouts };
	dns_udp_rrl_counts(s->udp, &out->rrl_dropped, &out->rrl_slipped);
	dns_udp_sign_counts(s->udp, &out->sig_made, &out->sig_hits);
	dns_answerer_sign_counts(s->tcp_ans, &d, &sl);
	out->sig_made += d;
	out->sig_hits += sl;
	for (size_t t = 0; t < s->n_workers; t++) {
		if (s->workers[t].udp == NULL)
			continue;
		dns_udp_rrl_counts(s->workers[t].udp, &d, &sl);
		out->rrl_dropped += d;
		out->rrl_slipped += sl;
		dns_udp_sign_counts(s->workers[t].udp, &d, &sl);
		out->sig_made += d;
		out->sig_hits += sl;
	}
}

void dns_server_stop(dns_server_t *s)
{
	if (s == NULL)
		return;
	live_remove(s);
	s->draining = true;
	/* Every listener stops first: new queries and connections go to the
	 * heir (or nowhere); then what this server already has is answered. */
	for (size_t i = 0; i < s->n_ls; i++) {
		s->conf.host->fd_unwatch(s->ls[i].watch);
		s->ls[i].watch = NULL;
		if (s->ls[i].type == SOCK_STREAM) {
			close(s->ls[i].fd); /* an heir shares the socket: it lives on */
			s->ls[i].fd = -1;
			s->ls[i].heir = live_tcp_listener(s, &s->ls[i].addr);
		}
	}
	uint64_t queued = udp_stop(s);
	unsigned open = s->n_conns;
	unsigned moved = dns_tcp_hand_over_all(s);
	if (s->started)
		SRV_LOG(s, DDNS_LOG_INFO, "stopped: %llu queued UDP quer%s answered, %u TCP "
		        "connection(s) handed over to the new instance, %u closed",
		        (unsigned long long)queued, queued == 1 ? "y" : "ies", moved,
		        open - moved);
	if (s->started && s->conf.rrl.rate != 0) {
		dns_server_counts_t c;
		dns_server_counts(s, &c);
		SRV_LOG(s, DDNS_LOG_INFO, "rrl: %llu response(s) dropped, %llu slipped (TC=1)",
		        (unsigned long long)c.rrl_dropped, (unsigned long long)c.rrl_slipped);
	}
	dns_udp_upd_stop(s); /* the workers are joined: nothing is queued any more */
	for (size_t i = 0; i < s->n_ls; i++)
		if (s->ls[i].fd >= 0)
			close(s->ls[i].fd);
	for (size_t t = 0; t < s->n_workers; t++) {
		if (s->workers[t].fd >= 0)
			close(s->workers[t].fd);
		dns_udp_free(s->workers[t].udp);
	}
	free(s->workers);
	free(s->ls);
	dns_udp_free(s->udp);
	dns_answerer_free(s->tcp_ans);
	free(s);
}
