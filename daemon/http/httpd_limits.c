/* Per-connection state of the HTTP server: the request deadline, and the
 * link GnuTLS needs to find the connection at its handshake.
 *
 * MHD's connection timeout is an idle timeout: a client sending one header
 * byte a second (slowloris) never trips it and holds a connection forever.
 * So each connection also has a deadline for a whole request, counted from
 * the connection opening or from the previous answer, and stopped while a
 * handler works.  Deadlines are all "now + the same timeout", so appending
 * keeps the list sorted and one uv_timer at its head serves them all.  A
 * connection past its deadline gets shutdown(2) on its socket: MHD sees the
 * end of the stream and closes it the normal way (the socket is MHD's to
 * close). */
#include "httpd_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "log.h"

static void tick_unlink(httpd_t *h, httpd_conn_t *hc)
{
	if (!hc->ticking)
		return;
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		h->tick_head = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	else
		h->tick_tail = hc->prev;
	hc->prev = hc->next = NULL;
	hc->ticking = false;
}

static void deadlines_arm(httpd_t *h)
{
	if (h->closing)
		return;
	if (h->tick_head == NULL) {
		uv_timer_stop(&h->deadlines);
		return;
	}
	uint64_t now = uv_now(h->loop);
	uint64_t d = h->tick_head->deadline;
	uv_timer_start(&h->deadlines, httpd_deadlines_cb, d > now ? d - now : 0, 0);
}

static void tick_start(httpd_t *h, httpd_conn_t *hc)
{
	if (h->request_timeout_ms == 0)
		return;
	tick_unlink(h, hc);
	hc->deadline = uv_now(h->loop) + h->request_timeout_ms;
	hc->prev = h->tick_tail;
	if (h->tick_tail != NULL)
		h->tick_tail->next = hc;
	else
		h->tick_head = hc;
	h->tick_tail = hc;
	hc->ticking = true;
	if (hc->prev == NULL)
		deadlines_arm(h);
}

static void conn_cut(httpd_conn_t *hc)
{
	const union MHD_ConnectionInfo *fi =
		MHD_get_connection_info(hc->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ai =
		MHD_get_connection_info(hc->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char peer[ADDR_TEXT_MAX] = "client";
	addr_t a;
	if (ai != NULL && ai->client_addr != NULL &&
	    addr_from_sockaddr(ai->client_addr, &a) == 0)
		addr_format(&a, peer);
	/* Debug only: a slowloris flood must not become a log flood. */
	log_debug(peer, "no complete request within %llu ms; connection closed",
	          (unsigned long long)hc->listener->h->request_timeout_ms);
	if (fi != NULL)
		shutdown(fi->connect_fd, SHUT_RDWR);
	httpd_listener_kick(hc->listener);
}

void httpd_deadlines_cb(uv_timer_t *t)
{
	httpd_t *h = t->data;
	uint64_t now = uv_now(h->loop);
	while (h->tick_head != NULL && h->tick_head->deadline <= now) {
		httpd_conn_t *hc = h->tick_head;
		tick_unlink(h, hc);
		conn_cut(hc);
	}
	deadlines_arm(h);
}

static httpd_conn_t *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i != NULL ? i->socket_context : NULL;
}

void httpd_conn_received(struct MHD_Connection *c)
{
	httpd_conn_t *hc = conn_of(c);
	if (hc != NULL)
		tick_unlink(hc->listener->h, hc);
}

void httpd_conn_answered(struct MHD_Connection *c)
{
	httpd_conn_t *hc = conn_of(c);
	if (hc != NULL && !hc->listener->h->closing)
		tick_start(hc->listener->h, hc);
}

void httpd_conn_notify_cb(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	httpd_listener_t *l = cls;
	httpd_t *h = l->h;
	httpd_conn_t *hc = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		/* At the connection limit MHD took its listening socket out of
		 * its epoll set; it puts it back only in a later MHD_run, and
		 * nothing else may wake us for it. */
		if (l->conn_limit == 0 || l->n_conns >= l->conn_limit)
			l->rerun = true;
		if (l->n_conns > 0)
			l->n_conns--;
		if (hc == NULL)
			return;
		tick_unlink(h, hc);
		httpd_tls_unref(hc->tls);
		free(hc);
		*socket_context = NULL;
		return;
	}
	l->n_conns++;
	hc = calloc(1, sizeof(*hc));
	if (hc == NULL) {
		/* No deadline and no way to find TLS credentials: drop it. */
		const union MHD_ConnectionInfo *fi =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (fi != NULL)
			shutdown(fi->connect_fd, SHUT_RDWR);
		return;
	}
	hc->listener = l;
	hc->conn = c;
	*socket_context = hc;
	if (h->tls != NULL) {
		const union MHD_ConnectionInfo *ti =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ti != NULL && ti->tls_session != NULL)
			gnutls_session_set_ptr(ti->tls_session, hc);
	}
	tick_start(h, hc);
}
