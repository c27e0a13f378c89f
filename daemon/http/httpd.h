/**
 * @file httpd.h
 * @brief HTTP server: libmicrohttpd in external-loop mode on the libuv loop.
 *
 * MHD runs with MHD_USE_EPOLL and no thread of its own: its epoll fd is
 * watched with uv_poll and MHD_get_timeout() drives a uv_timer.  Handlers are
 * routed by path prefix and called once the whole request (body included)
 * has arrived.  A handler that does not reply before returning suspends the
 * connection (MHD_suspend_connection); httpd_reply() later resumes it.
 *
 * The server answers by itself: 404 for an unknown path, 413 for a body over
 * max_body, 400 for a malformed request (all JSON {"error": ...}); MHD
 * answers 431 for headers over conn_memory.
 *
 * Limits: connections per listener (the excess waits in the listen queue)
 * and per client address (the excess is refused), an idle timeout, and a
 * deadline for a whole request so a client trickling bytes cannot hold a
 * connection (httpd_limits.c).  With TLS the certificate is asked for at
 * each handshake, so httpd_set_tls() swaps it on a running server
 * (httpd_tls.c).
 */
#ifndef DDNS_HTTPD_H
#define DDNS_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include "addr.h"

typedef struct httpd httpd_t;
typedef struct httpd_req httpd_req_t;

/** Route handler.  @p req is valid until httpd_reply(). */
typedef void (*httpd_handler_fn)(httpd_req_t *req, void *arg);

/** The protocol versions and ciphers of native HTTPS unless configured:
 *  GnuTLS's NORMAL set, TLS 1.3 and 1.2 only (TLS 1.0 and 1.1 are
 *  deprecated, RFC 8996). */
#define HTTPD_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/** Server settings. */
typedef struct httpd_config {
	const char *const *listen;   /**< "addr:port" */
	size_t n_listen;
	const char *const *ops_listen; /**< "addr:port" of listeners that serve
	                                    the httpd_route_ops() routes, and
	                                    only them (none: every listener
	                                    serves every route) */
	size_t n_ops_listen;
	const addr_cidr_t *ops_allow; /**< clients served httpd_route_ops()
	                                   routes; none: nobody */
	size_t n_ops_allow;
	const addr_cidr_t *trusted;  /**< proxies allowed to set X-Forwarded-For */
	size_t n_trusted;
	size_t max_body;             /**< bytes; larger bodies get 413 */
	const char *tls_cert_pem;    /**< PEM text, or NULL for plain HTTP */
	const char *tls_key_pem;
	unsigned connection_limit;   /**< per listener; 0 = MHD default */
	unsigned connection_timeout_s; /**< idle timeout, 0 = 30 s */
	/* Added for production limits (all 0 = no limit / MHD default). */
	unsigned per_ip_limit;       /**< connections per client address */
	size_t conn_memory;          /**< per-connection buffer: request line
	                                  and headers must fit (431 otherwise) */
	unsigned request_timeout_s;  /**< a whole request must arrive within
	                                  this long of the connection opening
	                                  (or of the previous answer) */
	struct httpd_tls *tls;       /**< loaded credentials (takes a reference;
	                                  overrides tls_cert_pem/tls_key_pem) */
	const char *tls_priorities;  /**< GnuTLS priority string for HTTPS,
	                                  NULL: HTTPD_TLS_PRIORITIES */
} httpd_config_t;

/** TLS credentials: certificate chain and private key, reference counted
 *  (a handshake in progress keeps the ones it started with). */
typedef struct httpd_tls httpd_tls_t;

/**
 * Parse PEM text: certificate chain (server certificate first) and its
 * private key, which must match.  @p cert_name and @p key_name say where
 * they came from in @p err.
 * @return 0 and *out (one reference), or -EINVAL / -ENOMEM.
 */
int httpd_tls_from_pem(const char *cert_pem, const char *key_pem,
                       const char *cert_name, const char *key_name,
                       httpd_tls_t **out, char *err, size_t errlen);
/** httpd_tls_from_pem() on the contents of two files; errors name the file. */
int httpd_tls_load(const char *cert_path, const char *key_path,
                   httpd_tls_t **out, char *err, size_t errlen);
/** One line describing the certificate (subject, serial, expiry); borrowed. */
const char *httpd_tls_describe(const httpd_tls_t *t);
/** Drop a reference (NULL is fine). */
void httpd_tls_unref(httpd_tls_t *t);
/**
 * Serve @p t to new handshakes from now on (reload); the listening sockets
 * and open connections stay.  Takes over the caller's reference.
 * @return 0, or -EINVAL (the reference is dropped) when @p h serves plain HTTP.
 */
int httpd_set_tls(httpd_t *h, httpd_tls_t *t);

/** Bind and start serving on @p loop.  @p err gets one line on failure. */
int httpd_start(uv_loop_t *loop, const httpd_config_t *cfg, httpd_t **out,
                char *err, size_t errlen);
/** Route paths beginning with @p prefix to @p fn (longest prefix wins). */
int httpd_route(httpd_t *h, const char *prefix, httpd_handler_fn fn, void *arg);
/** httpd_route() for an operations path (/metrics, /healthz): served only
 *  on the ops listeners when there are any, where no other route is; on
 *  every listener otherwise; and only to clients in ops_allow, judged by
 *  httpd_req_client() (a trusted proxy's X-Forwarded-For, never a header
 *  from anyone else; a trusted proxy naming no client is refused, for its
 *  own address must not stand in for an unknown client).  Elsewhere and
 *  to anyone else the path is unknown: the same 404, answered before any
 *  body is read, so nothing tells that it exists. */
int httpd_route_ops(httpd_t *h, const char *prefix, httpd_handler_fn fn, void *arg);
/** Replace the trusted-proxy list (reload).  Copied. */
int httpd_set_trusted(httpd_t *h, const addr_cidr_t *trusted, size_t n);
/** Replace the clients served the ops routes (reload).  Copied. */
int httpd_set_ops_allow(httpd_t *h, const addr_cidr_t *allow, size_t n);
/** Stop accepting new connections (shutdown's first step). */
void httpd_quiesce(httpd_t *h);
/** Requests handed to a handler and not yet replied to. */
unsigned httpd_pending(const httpd_t *h);
/** Stop MHD and close the uv handles (memory freed in close callbacks). */
void httpd_free(httpd_t *h);
/** Actual bound port of listener @p i (for tests using port 0): the
 *  update listeners first, then the ops listeners. */
int httpd_port(const httpd_t *h, size_t i);

/* Request accessors: strings are borrowed until httpd_reply(). */
const char *httpd_req_method(const httpd_req_t *r);
/** Path without the query string, percent-decoded by MHD. */
const char *httpd_req_path(const httpd_req_t *r);
/** Request header (case-insensitive), or NULL. */
const char *httpd_req_header(const httpd_req_t *r, const char *name);
/** URL query argument, or NULL. */
const char *httpd_req_query(const httpd_req_t *r, const char *name);
/** Field of an application/x-www-form-urlencoded body, or NULL. */
const char *httpd_req_form(const httpd_req_t *r, const char *name);
/** Raw body (may be empty, never NULL) and its length. */
const char *httpd_req_body(const httpd_req_t *r, size_t *len);
/** Client address as text: the peer, or X-Forwarded-For's right-most
 *  untrusted hop when the peer is a trusted proxy. */
const char *httpd_req_client(const httpd_req_t *r);
/** Same, parsed. */
const addr_t *httpd_req_client_addr(const httpd_req_t *r);
/** True when the request came over HTTPS: native TLS, or a trusted proxy
 *  (the direct peer) saying `X-Forwarded-Proto: https`.  The header is
 *  ignored from any other peer, so a client cannot claim it. */
bool httpd_req_https(const httpd_req_t *r);
/** True for an HTTP/1.0 request. */
bool httpd_req_http10(const httpd_req_t *r);

/** Add a response header (before httpd_reply()). */
void httpd_req_add_header(httpd_req_t *r, const char *name, const char *value);
/** Send the reply (copied) and release @p r.  Resumes a suspended
 *  connection.  Exactly once per request. */
void httpd_reply(httpd_req_t *r, unsigned status, const char *content_type,
                 const char *body, size_t len);
/** httpd_reply() with `{"error": msg}` as application/json. */
void httpd_reply_json_error(httpd_req_t *r, unsigned status, const char *msg);

#endif
