/* HTTP server: libmicrohttpd driven by the libuv loop (see httpd.h).
 *
 * Each listener is one MHD daemon in external-loop epoll mode on a socket we
 * bind ourselves (so port 0 works and httpd_port() can report it).  MHD's
 * epoll fd is watched with uv_poll; MHD_get_timeout() arms a uv_timer after
 * every MHD_run() (httpd_loop.c).  Request objects are recycled through a
 * small free list (httpd_req.c): the hot path (keep-alive POST, synchronous
 * or deferred reply) does no heap work beyond MHD's own response buffer.
 *
 * The files, lowest first: httpd_loop.c (MHD run from the loop),
 * httpd_req.c (request objects, accessors, replies), httpd_limits.c
 * (deadlines, per-connection state), httpd_conn.c (MHD's access handler),
 * httpd_tls.c, and this file (listeners, routes, start and stop), which
 * installs the callbacks of the others.  None calls a file above it. */
#include "httpd.h"
#include "httpd_req.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "log.h"

#define HTTPD_BACKLOG 1024

/* ---- listeners ---- */

static int listen_socket(const char *text, int *fd_out, int *port_out,
                         char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	size_t len;
	int one = 1, fd;

	if (addr_parse_listen(text, &ss, &len) != 0) {
		snprintf(err, errlen, "%s: not an address:port", text);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) {
		/* "*:port" is dual stack; an explicit v6 address is v6 only,
		 * so "0.0.0.0:p" and "[::]:p" can both be listed. */
		int v6only = text[0] != '*';
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (bind(fd, (struct sockaddr *)&ss, (socklen_t)len) != 0 ||
	    listen(fd, HTTPD_BACKLOG) != 0)
		goto fail;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, (socklen_t *)&len) != 0)
		goto fail;
	*port_out = ntohs(ss.ss_family == AF_INET6 ?
	                  ((struct sockaddr_in6 *)&ss)->sin6_port :
	                  ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return 0;
fail:;
	int e = -errno;
	snprintf(err, errlen, "%s: %s", text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return e;
}

static int listener_start(httpd_t *h, httpd_listener_t *l, const char *text,
                          const httpd_config_t *cfg, char *err, size_t errlen)
{
	int fd = -1, rc;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	l->h = h;
	l->conn_limit = cfg->connection_limit;
	rc = listen_socket(text, &fd, &l->port, err, errlen);
	if (rc != 0)
		return rc;
	if (h->tls != NULL)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[12];
	size_t n = 0;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	                                     (intptr_t)httpd_mhd_log_cb, h };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	                                     (intptr_t)httpd_completed_cb, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	                                     (intptr_t)httpd_conn_notify_cb, l };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
		cfg->connection_timeout_s ? cfg->connection_timeout_s : 30, NULL };
	if (cfg->connection_limit != 0)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
		                                     cfg->connection_limit, NULL };
	if (cfg->per_ip_limit != 0)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		                                     cfg->per_ip_limit, NULL };
	if (cfg->conn_memory != 0)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		                                     (intptr_t)cfg->conn_memory, NULL };
	/* GnuTLS compiles the string at start (gnutls_priority_init). */
	const char *prio = cfg->tls_priorities != NULL ? cfg->tls_priorities :
	                   HTTPD_TLS_PRIORITIES;
	if (h->tls != NULL)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		                                     (void *)prio };
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* TLS: no certificate handed to MHD, which could never change it; GnuTLS
	 * asks httpd_tls_cert_cb at each handshake instead (httpd_tls.c). */
	if (h->tls != NULL)
		l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, httpd_access_cb, l,
		                          MHD_OPTION_ARRAY, opts,
		                          MHD_OPTION_HTTPS_CERT_CALLBACK, httpd_tls_cert_cb,
		                          MHD_OPTION_END);
	else
		l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, httpd_access_cb, l,
		                          MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (l->mhd == NULL) {
		snprintf(err, errlen, "%s: libmicrohttpd refused to start%s%s%s", text,
		         h->tls ? " (TLS, priorities \"" : "",
		         h->tls ? prio : "", h->tls ? "\")" : "");
		close(fd);
		return -EINVAL;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	uv_timer_init(h->loop, &l->timer);
	l->timer.data = l;
	uv_poll_init(h->loop, &l->poll, info->epoll_fd);
	l->poll.data = l;
	h->n_handles += 2;
	uv_poll_start(&l->poll, UV_READABLE, httpd_listener_poll_cb);
	return 0;
}

int httpd_start(uv_loop_t *loop, const httpd_config_t *cfg, httpd_t **out,
                char *err, size_t errlen)
{
	int rc = -ENOMEM;
	httpd_t *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		goto fail;
	h->loop = loop;
	h->max_body = cfg->max_body;
	h->request_timeout_ms = (uint64_t)cfg->request_timeout_s * 1000;
	uv_timer_init(loop, &h->deadlines);
	h->deadlines.data = h;
	h->n_handles = 1;
	if (cfg->tls != NULL) {
		h->tls = httpd_tls_ref(cfg->tls);
	} else if ((cfg->tls_cert_pem == NULL) != (cfg->tls_key_pem == NULL)) {
		snprintf(err, errlen, "TLS needs both a certificate and a key");
		rc = -EINVAL;
		goto fail;
	} else if (cfg->tls_cert_pem != NULL) {
		rc = httpd_tls_from_pem(cfg->tls_cert_pem, cfg->tls_key_pem,
		                        "TLS certificate", "TLS key", &h->tls, err, errlen);
		if (rc != 0)
			goto fail_quiet;
	}
	rc = httpd_set_trusted(h, cfg->trusted, cfg->n_trusted);
	if (rc == 0)
		rc = httpd_set_ops_allow(h, cfg->ops_allow, cfg->n_ops_allow);
	if (rc != 0)
		goto fail;
	size_t n_all = cfg->n_listen + cfg->n_ops_listen;
	h->listeners = calloc(n_all ? n_all : 1, sizeof(*h->listeners));
	if (h->listeners == NULL)
		goto fail;
	for (size_t i = 0; i < n_all; i++) {
		bool ops = i >= cfg->n_listen;
		const char *text = ops ? cfg->ops_listen[i - cfg->n_listen] : cfg->listen[i];
		h->listeners[i].ops = ops;
		rc = listener_start(h, &h->listeners[i], text, cfg, err, errlen);
		if (rc != 0)
			goto fail;
		h->n_listeners++;
		h->n_ops_listeners += ops;
	}
	*out = h;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
fail_quiet:
	if (h != NULL)
		httpd_free(h);
	return rc;
}

static int route_add(httpd_t *h, const char *prefix, httpd_handler_fn fn, void *arg,
                     bool ops)
{
	httpd_route_t *nr = realloc(h->routes, (h->n_routes + 1) * sizeof(*nr));
	if (nr == NULL)
		return -ENOMEM;
	h->routes = nr;
	char *p = strdup(prefix);
	if (p == NULL)
		return -ENOMEM;
	size_t len = strlen(p), i = h->n_routes;
	while (i > 0 && nr[i - 1].len < len) { /* keep longest first */
		nr[i] = nr[i - 1];
		i--;
	}
	nr[i] = (httpd_route_t){ .prefix = p, .len = len, .fn = fn, .arg = arg, .ops = ops };
	h->n_routes++;
	return 0;
}

int httpd_route(httpd_t *h, const char *prefix, httpd_handler_fn fn, void *arg)
{
	return route_add(h, prefix, fn, arg, false);
}

int httpd_route_ops(httpd_t *h, const char *prefix, httpd_handler_fn fn, void *arg)
{
	return route_add(h, prefix, fn, arg, true);
}

/* Replace *list with a copy of @p src. */
static int cidrs_copy(addr_cidr_t **list, size_t *n_list, const addr_cidr_t *src, size_t n)
{
	addr_cidr_t *t = NULL;
	if (n > 0) {
		t = malloc(n * sizeof(*t));
		if (t == NULL)
			return -ENOMEM;
		memcpy(t, src, n * sizeof(*t));
	}
	free(*list);
	*list = t;
	*n_list = n;
	return 0;
}

int httpd_set_trusted(httpd_t *h, const addr_cidr_t *trusted, size_t n)
{
	return cidrs_copy(&h->trusted, &h->n_trusted, trusted, n);
}

int httpd_set_ops_allow(httpd_t *h, const addr_cidr_t *allow, size_t n)
{
	return cidrs_copy(&h->ops_allow, &h->n_ops_allow, allow, n);
}

void httpd_quiesce(httpd_t *h)
{
	for (size_t i = 0; i < h->n_listeners; i++) {
		httpd_listener_t *l = &h->listeners[i];
		if (l->mhd == NULL || l->quiesced)
			continue;
		MHD_socket fd = MHD_quiesce_daemon(l->mhd);
		if (fd != MHD_INVALID_SOCKET)
			close(fd); /* quiescing hands the listening socket to us */
		l->quiesced = true;
	}
}

unsigned httpd_pending(const httpd_t *h)
{
	return h->pending;
}

int httpd_port(const httpd_t *h, size_t i)
{
	return i < h->n_listeners ? h->listeners[i].port : -1;
}

static void httpd_destroy(httpd_t *h)
{
	while (h->free_reqs != NULL) {
		httpd_req_t *r = h->free_reqs;
		h->free_reqs = r->next_free;
		free(r->body);
		http_parse_form_free(&r->form);
		free(r);
	}
	for (size_t i = 0; i < h->n_routes; i++)
		free(h->routes[i].prefix);
	free(h->routes);
	free(h->trusted);
	free(h->ops_allow);
	free(h->listeners);
	httpd_tls_unref(h->tls);
	free(h);
}

static void handle_closed_cb(uv_handle_t *hd)
{
	httpd_listener_t *l = hd->data;
	httpd_t *h = l->h;
	if (--h->n_handles == 0)
		httpd_destroy(h);
}

static void deadlines_closed_cb(uv_handle_t *hd)
{
	httpd_t *h = hd->data;
	if (--h->n_handles == 0)
		httpd_destroy(h);
}

void httpd_free(httpd_t *h)
{
	if (h == NULL)
		return;
	h->closing = true;
	uv_close((uv_handle_t *)&h->deadlines, deadlines_closed_cb);
	for (size_t i = 0; i < h->n_listeners; i++) {
		httpd_listener_t *l = &h->listeners[i];
		/* Stop watching the epoll fd before MHD closes it. */
		uv_close((uv_handle_t *)&l->poll, handle_closed_cb);
		uv_close((uv_handle_t *)&l->timer, handle_closed_cb);
	}
	/* The handles hold h: take an extra count so completed_cb (called from
	 * MHD_stop_daemon) still finds h alive. */
	h->n_handles++;
	for (size_t i = 0; i < h->n_listeners; i++) {
		struct MHD_Daemon *d = h->listeners[i].mhd;
		h->listeners[i].mhd = NULL;
		if (d != NULL)
			MHD_stop_daemon(d);
	}
	if (--h->n_handles == 0)
		httpd_destroy(h);
}
