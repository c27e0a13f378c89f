/**
 * @file httpd_req.h
 * @brief Private to httpd.c, httpd_conn.c and httpd_req.c: the server and
 *        request structs.
 */
#ifndef DDNS_HTTPD_REQ_H
#define DDNS_HTTPD_REQ_H

#include <gnutls/abstract.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdint.h>
#include "http_parse.h"
#include "httpd.h"

#define HTTPD_MAX_OUT_HEADERS 8

typedef struct httpd_route {
	char *prefix;
	size_t len;
	httpd_handler_fn fn;
	void *arg;
	bool ops;         /**< httpd_route_ops(): on the ops listeners, if any */
} httpd_route_t;

typedef struct httpd_listener {
	httpd_t *h;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;   /**< MHD's epoll fd */
	uv_timer_t timer; /**< MHD_get_timeout() */
	int port;
	bool quiesced;
	bool ops;         /**< an ops listener (httpd_config_t.ops_listen) */
	unsigned n_conns;    /**< open connections (notify callback's count) */
	unsigned conn_limit; /**< MHD_OPTION_CONNECTION_LIMIT, 0: MHD's default */
	bool rerun;          /**< MHD must run again (see listener_run) */
} httpd_listener_t;

/** One client connection (MHD's socket context): its request deadline and
 *  the TLS credentials its handshake was given. */
typedef struct httpd_conn {
	struct httpd_conn *prev, *next; /**< deadline list, while ticking */
	httpd_listener_t *listener;
	struct MHD_Connection *conn;
	httpd_tls_t *tls;               /**< a reference, or NULL */
	uint64_t deadline;              /**< uv_now() ms */
	bool ticking;
} httpd_conn_t;

struct httpd {
	uv_loop_t *loop;
	httpd_listener_t *listeners; /**< the update listeners, then the ops ones */
	size_t n_listeners;
	size_t n_ops_listeners;
	httpd_route_t *routes; /**< longest prefix first */
	size_t n_routes;
	addr_cidr_t *trusted;
	size_t n_trusted;
	addr_cidr_t *ops_allow; /**< clients served the ops routes */
	size_t n_ops_allow;
	size_t max_body;
	httpd_tls_t *tls;      /**< current credentials, NULL for plain HTTP */
	uint64_t request_timeout_ms; /**< 0: no deadline */
	uv_timer_t deadlines;  /**< fires at the head of the deadline list */
	httpd_conn_t *tick_head, *tick_tail; /**< by deadline (appended in order) */
	bool closing;
	const char *log_last;  /**< MHD log format last written, to fold floods */
	uint64_t log_last_ms;
	unsigned log_folded;
	unsigned pending;      /**< dispatched, not replied */
	unsigned n_handles;    /**< open uv handles (+1 while freeing) */
	httpd_req_t *free_reqs;
	size_t n_free;
};

struct httpd_req {
	httpd_t *h;                 /**< NULL once orphaned */
	httpd_listener_t *listener;
	struct MHD_Connection *conn;
	const httpd_route_t *route;
	const char *method, *path;  /**< MHD's (path: or path_owned), valid for the request */
	char *path_owned;           /**< an absolute-form target's path, owned */
	char *body;
	size_t body_len, body_cap;
	http_parse_form_t form;     /**< the form's fields (http_parse.c) */
	char *out[HTTPD_MAX_OUT_HEADERS * 2]; /**< extra reply headers */
	size_t n_out;
	struct MHD_Response *resp;
	unsigned status;
	addr_t client;
	char client_text[ADDR_TEXT_MAX];
	bool client_done, http10, too_large, dispatched, suspended, replied, orphan;
	httpd_req_t *next_free;
};

/** The direct peer of @p r is a trusted proxy. */
bool httpd_req_from_proxy(const httpd_req_t *r);
/** The client of @p r may be served the ops routes (httpd_route_ops()). */
bool httpd_req_ops_allowed(const httpd_req_t *r);
/** Parse an urlencoded body into fields (MHD's post processor). */
int httpd_req_parse_form(httpd_req_t *r);
/** A request object for a new request on @p h, from the free list or
 *  calloc()ed (httpd_req.c); NULL when out of memory. */
httpd_req_t *httpd_req_get(httpd_t *h);
/** Return @p r to the free list (or free it). */
void httpd_req_release(httpd_req_t *r);
/** MHD callbacks (httpd_conn.c), installed by httpd.c. */
enum MHD_Result httpd_access_cb(void *cls, struct MHD_Connection *c,
                                const char *url, const char *method,
                                const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls);
void httpd_completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe);
void httpd_mhd_log_cb(void *cls, const char *fmt, va_list ap);
/** MHD's connection notifier (httpd_limits.c): socket context set up
 *  and torn down, deadline armed. */
void httpd_conn_notify_cb(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);
/** The request on @p c is complete (dispatched or answered): stop its
 *  deadline. */
void httpd_conn_received(struct MHD_Connection *c);
/** The answer on @p c went out: the next request's deadline starts. */
void httpd_conn_answered(struct MHD_Connection *c);
/** The deadline timer callback. */
void httpd_deadlines_cb(uv_timer_t *t);
/** GnuTLS certificate callback (httpd_tls.c). */
int httpd_tls_cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_dn,
                      int n_req_ca_dn, const gnutls_pk_algorithm_t *algos,
                      int n_algos, gnutls_pcert_st **pcert,
                      unsigned int *n_pcert, gnutls_privkey_t *key);
/** Another reference to @p t. */
httpd_tls_t *httpd_tls_ref(httpd_tls_t *t);
/** Run the listener's MHD soon (after a resume) (httpd_loop.c). */
void httpd_listener_kick(httpd_listener_t *l);
/** uv_poll callback on a listener's MHD epoll fd (httpd_loop.c). */
void httpd_listener_poll_cb(uv_poll_t *p, int status, int events);

#endif
