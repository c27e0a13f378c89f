/**
 * @file server.h
 * @brief builtin_dns: the UDP and TCP listeners that feed dns_answer().
 *
 * UDP is read in batches (recvmmsg/sendmmsg), on the host's loop or, with
 * udp_threads > 0, on worker threads: udp_threads per address, each with
 * its own blocking SO_REUSEPORT socket (owned and joined by
 * dns_server_stop()).  TCP (RFC 7766:
 * 2-byte length framing, pipelining, a connection limit, idle timeout)
 * runs on the loop.  Readers take the db's read lock; the loop thread
 * takes the write lock to change it.
 */
#ifndef DDNS_BUILTIN_DNS_SERVER_H
#define DDNS_BUILTIN_DNS_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>
#include <ddns/plugin.h>
#include "rrl.h"
#include "zone.h"

/** The db shared by the loop and the UDP workers. */
typedef struct dns_dbref {
	pthread_rwlock_t lock; /**< read: answering; write: changing or swapping db */
	dns_db_t *db;          /**< owned by the plugin instance */
} dns_dbref_t;

/** What the server needs.  Strings are borrowed for the server's life. */
typedef struct dns_server_conf {
	const ddns_host_t *host;
	ddns_ctx_t *ctx;
	const char *const *listen; /**< "addr", "addr:port", "[v6]:port" */
	size_t n_listen;
	unsigned tcp_clients;      /**< most TCP connections at once */
	unsigned tcp_idle_ms;      /**< close a silent TCP connection after this */
	unsigned tcp_max_per_source; /**< most TCP connections of one IPv4 /32 or IPv6 /64 */
	unsigned tcp_query_ms;     /**< a query must arrive, its answer be read, within this */
	unsigned udp_threads;      /**< 0: UDP on the loop */
	dns_rrl_conf_t rrl;        /**< UDP response rate limiting (rate 0: off) */
	struct dns_xfr *xfr;       /**< zone transfers over TCP (borrowed; NULL: none) */
	struct dns_upd *upd;       /**< RFC 2136 UPDATE over TCP (borrowed; NULL: NOTIMP) */
} dns_server_conf_t;

typedef struct dns_server dns_server_t;

/**
 * Bind every listen address (UDP and TCP) and start serving @p ref.
 * Returns 0 and *out, or a negative errno with one log line naming the
 * address that failed (nothing stays open then).
 */
int dns_server_start(const dns_server_conf_t *conf, dns_dbref_t *ref, dns_server_t **out);

/**
 * Stop without losing a query: the listeners stop first (a new server on
 * the same addresses gets every query and connection from then on), the
 * UDP queries already queued are answered, the TCP connections move to
 * that server (or, without one, get the answers to what they sent); then
 * join the workers, close everything, free.  Does not wait for clients.
 */
void dns_server_stop(dns_server_t *s);

/** What a server refused or limited so far (for /metrics and its stop log). */
typedef struct dns_server_counts {
	uint64_t rrl_dropped;   /**< UDP responses dropped by rate limiting */
	uint64_t rrl_slipped;   /**< ... sent truncated (TC=1) instead */
	uint64_t tcp_refused;   /**< TCP connections refused past tcp_max_per_source */
	uint64_t tcp_timeouts;  /**< TCP connections closed past tcp_query_timeout_ms */
	uint64_t sig_made;      /**< RRSIGs made (DNSSEC) */
	uint64_t sig_hits;      /**< RRSIGs taken from a cache */
} dns_server_counts_t;

/** Sum @p s's counts over its threads.  Loop thread only. */
void dns_server_counts(const dns_server_t *s, dns_server_counts_t *out);

/**
 * Parse "addr", "addr:port", "[v6]" or "[v6]:port" (port 53 when absent)
 * into @p ss.  Returns 0 or -EINVAL.
 */
int dns_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/**
 * Open a non-blocking socket of @p type (SOCK_DGRAM or SOCK_STREAM) bound to
 * @p ss, SO_REUSEPORT when @p reuseport.  Returns the fd or a negative errno.
 */
int dns_socket_open(const struct sockaddr_storage *ss, socklen_t len, int type,
                    bool reuseport);

/** UDP batch state: buffers for one thread. */
typedef struct dns_udp dns_udp_t;

/** Make the batch buffers of one thread: 0 and *out, or -ENOMEM. */
int dns_udp_new(dns_udp_t **out);
/** Free them; NULL is fine. */
void dns_udp_free(dns_udp_t *u);
/** Report the responses sent through @p host->dns_answered() for @p ctx
 *  (when the host has it), once per batch by response code. */
void dns_udp_count_to(dns_udp_t *u, const ddns_host_t *host, ddns_ctx_t *ctx);
/** Where @p u hands an UPDATE (opcode 5) it reads instead of answering
 *  it: @p cb(@p arg, ...) on @p u's thread, with the socket, the message,
 *  the sender and the control data a reply needs (IP_PKTINFO).  Without
 *  it, UPDATE gets NOTIMP. */
typedef void (*dns_udp_defer_cb)(void *arg, int fd, const uint8_t *msg, size_t len,
                                 const struct sockaddr_storage *peer, socklen_t peer_len,
                                 const uint8_t *ctl, size_t ctl_len);
void dns_udp_set_defer(dns_udp_t *u, dns_udp_defer_cb cb, void *arg);
/** Rate-limit @p u's responses (a table of its own): 0 or -ENOMEM. */
int dns_udp_set_rrl(dns_udp_t *u, const dns_rrl_conf_t *conf);
/** How many responses @p u's rate limit dropped and slipped. */
void dns_udp_rrl_counts(const dns_udp_t *u, uint64_t *dropped, uint64_t *slipped);
/** RRSIGs its thread made, and took from its cache (any thread may ask). */
void dns_udp_sign_counts(const dns_udp_t *u, uint64_t *made, uint64_t *hits);
/** How many responses @p u has sent. */
uint64_t dns_udp_answered(const dns_udp_t *u);
/**
 * Answer what is queued on UDP socket @p fd, at most @p rounds batches.
 * Returns 1 if more may be queued, 0 when drained, or a negative errno.
 */
int dns_udp_drain(dns_udp_t *u, int fd, dns_dbref_t *ref, int rounds);
/**
 * Serve the blocking UDP socket @p fd until @p stop is set (then wake the
 * thread with shutdown(fd, SHUT_RD); a receive timeout on @p fd bounds the
 * wait should that not wake it).  For worker threads.
 */
void dns_udp_serve(dns_udp_t *u, int fd, dns_dbref_t *ref, const atomic_bool *stop);

#endif
