/**
 * @file server_priv.h
 * @brief builtin_dns: the server's insides, shared by server.c and tcp.c.
 */
#ifndef DDNS_BUILTIN_DNS_SERVER_PRIV_H
#define DDNS_BUILTIN_DNS_SERVER_PRIV_H

#include "answer.h"
#include "server.h"

typedef struct dns_tcp_conn dns_tcp_conn_t;
typedef struct dns_udp_upd dns_udp_upd_t;

/** One bound socket watched on the loop. */
typedef struct dns_listener {
	dns_server_t *srv;
	int fd;
	int type;               /**< SOCK_DGRAM or SOCK_STREAM */
	char name[64];          /**< the listen item, for logs */
	struct sockaddr_storage addr; /**< bound to: a reload's heir is found by it */
	ddns_fd_watch_t *watch;
	/** Set by dns_server_stop() before the hand-over: the TCP listener of
	 *  another running server bound to the same address (a reload's new
	 *  instance), which takes this one's connections; or NULL. */
	const struct dns_listener *heir;
} dns_listener_t;

/** A UDP worker thread and its socket. */
typedef struct dns_worker {
	dns_server_t *srv;
	pthread_t thread;
	bool started;
	int fd;
	dns_udp_t *udp;
} dns_worker_t;

struct dns_server {
	dns_server_conf_t conf;
	dns_dbref_t *ref;
	dns_listener_t *ls;     /**< TCP listeners, and UDP ones without workers */
	size_t n_ls;
	dns_udp_t *udp;         /**< the loop's UDP buffers */
	dns_answerer_t *tcp_ans; /**< the loop's TCP scratch */
	dns_tcp_conn_t *conns;  /**< open TCP connections (a list) */
	unsigned n_conns;
	uint64_t tcp_refused_per_source; /**< refused past tcp_max_per_source */
	uint64_t tcp_query_timeouts;     /**< closed past tcp_query_ms */
	uint64_t limit_log_ms;  /**< when those were last logged (0: never) */
	dns_worker_t *workers;
	size_t n_workers;
	atomic_bool stop;       /**< set, then shutdown(): the workers exit */
	bool started;           /**< dns_server_start() succeeded */
	bool draining;          /**< in dns_server_stop(): no more fd watches */
	dns_server_t *live_next; /**< the servers running in this process */
	/* UPDATE over UDP (udp_update.c): from the workers to the loop */
	pthread_mutex_t upd_lock; /**< guards upd_queue, upd_n */
	bool upd_lock_made;
	dns_udp_upd_t *upd_queue; /**< handed over, not yet taken (newest first) */
	unsigned upd_n;
	int upd_efd;            /**< eventfd: the loop's wake-up, or -1 */
	ddns_fd_watch_t *upd_watch;
	dns_udp_upd_t *upd_waiting; /**< taken, waiting for the host */
};

/** fd callback of a TCP listener: accept what is waiting. */
void dns_tcp_accept(int fd, unsigned events, void *arg);
/**
 * Let go of every TCP connection without losing a query: one whose
 * listener has an heir (dns_listener_t.heir) moves to it, buffers and all;
 * the others are answered what they already sent, then closed.
 * Returns how many moved.
 */
unsigned dns_tcp_hand_over_all(dns_server_t *s);

/** UPDATE over UDP (udp_update.c): start on the loop (nothing without
 *  conf.upd), make a worker's batches hand UPDATEs over, stop before the
 *  sockets close.  start: 0 or a negative errno. */
int dns_udp_upd_start(dns_server_t *s);
void dns_udp_upd_set_worker(dns_server_t *s, dns_udp_t *u);
void dns_udp_upd_stop(dns_server_t *s);

/** Log through the host. */
#define SRV_LOG(s, level, ...) (s)->conf.host->log((s)->conf.ctx, (level), __VA_ARGS__)

#endif
