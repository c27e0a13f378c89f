/**
 * @file server.c
 * @brief builtin_dns: bind the listen addresses, run UDP on the loop or on
 * worker threads, hand TCP to tcp.c.
 */
#include "server_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* Batches per loop wakeup: bounded so HTTP and TCP are served meanwhile. */
#define UDP_LOOP_ROUNDS 8

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

static int listener_add(dns_server_t *s, int fd, int type, const char *name)
{
	dns_listener_t *l = &s->ls[s->n_ls++];
	*l = (dns_listener_t){ .srv = s, .fd = fd, .type = type };
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
		if (dns_udp_new(&w->udp) != 0)
			return -ENOMEM;
		dns_udp_count_to(w->udp, s->conf.host, s->conf.ctx);
	}
	for (size_t t = 0; t < s->n_workers; t++) {
		int ret = pthread_create(&s->workers[t].thread, NULL, worker_main, &s->workers[t]);
		if (ret != 0)
			return -ret;
		s->workers[t].started = true;
	}
	return 0;
}

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
		if (w->fd >= 0)
			close(w->fd);
		dns_udp_free(w->udp);
	}
	free(s->workers);
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
	atomic_init(&s->stop, false);
	s->ls = calloc(2 * conf->n_listen + 1, sizeof(*s->ls));
	if (s->ls == NULL || dns_udp_new(&s->udp) != 0 || dns_answerer_new(&s->tcp_ans) != 0)
		goto fail;
	dns_udp_count_to(s->udp, conf->host, conf->ctx);
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
			 * binds the new one while the old one still serves. */
			int fd = dns_socket_open(&addrs[i], lens[i], types[t], true);
			if (fd < 0) {
				SRV_LOG(s, DDNS_LOG_ERR, "%s %s: %s", t ? "udp" : "tcp",
				        conf->listen[i], strerror(-fd));
				ret = fd;
				goto fail;
			}
			ret = listener_add(s, fd, types[t], conf->listen[i]);
			if (ret != 0) {
				SRV_LOG(s, DDNS_LOG_ERR, "%s: cannot watch its socket", conf->listen[i]);
				goto fail;
			}
		}
	}
	if (conf->udp_threads > 0 && (ret = workers_start(s, addrs, lens)) != 0)
		goto fail;
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

void dns_server_stop(dns_server_t *s)
{
	if (s == NULL)
		return;
	workers_stop(s);
	dns_tcp_close_all(s);
	for (size_t i = 0; i < s->n_ls; i++) {
		s->conf.host->fd_unwatch(s->ls[i].watch);
		close(s->ls[i].fd);
	}
	free(s->ls);
	dns_udp_free(s->udp);
	dns_answerer_free(s->tcp_ans);
	free(s);
}
