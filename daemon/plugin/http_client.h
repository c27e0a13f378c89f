/**
 * @file http_client.h
 * @brief Asynchronous HTTP client: curl multi driven by the libuv loop.
 *
 * The curl_multi_socket_action recipe: curl's sockets are watched with
 * uv_poll, its timeout is a uv_timer.  Used by provider plugins through the
 * host table (ddns_host_t.http_request).  Loop thread only.
 */
#ifndef DDNS_HTTP_CLIENT_H
#define DDNS_HTTP_CLIENT_H

#include <uv.h>
#include "ddns/plugin.h"

typedef struct http_client http_client_t;
/** One request of the client (a curl easy handle).  Not what a plugin
 *  holds: the provider layer wraps it in its own ddns_http_t. */
typedef struct http_req http_req_t;

/** Create a client on @p loop. */
int http_client_new(uv_loop_t *loop, http_client_t **out);
/**
 * Cancel every request (their callbacks do not run) and close the client's
 * handles; memory is freed in the close callbacks, so run the loop after.
 */
void http_client_free(http_client_t *c);
/**
 * Start a request.  Copies everything in @p req.  @p cb runs exactly once
 * from the loop (never from inside this call) unless the request is
 * cancelled.  *out, if given, stays valid until @p cb runs or cancel.
 * @return 0, -EINVAL (bad method or URL), -ENOMEM.
 */
int http_client_request(http_client_t *c, const ddns_http_request_t *req,
                        ddns_http_cb cb, void *arg, http_req_t **out);
/** http_client_request(), signed with AWS SigV4 as @p sig says (NULL: not
 *  signed).  @return as http_client_request(), -EINVAL for an incomplete
 *  @p sig. */
int http_client_request_signed(http_client_t *c, const ddns_http_request_t *req,
                               const ddns_http_sigv4_t *sig, ddns_http_cb cb, void *arg,
                               http_req_t **out);
/** Cancel a request; its callback will not run. */
void http_client_cancel(http_req_t *h);
/** Requests in progress. */
size_t http_client_active(const http_client_t *c);

#endif
