/* Asynchronous HTTP for plugins: libcurl's multi interface driven by the
 * libuv loop (curl_multi_socket_action; curl's sockets on uv_poll, its
 * timeout on a uv_timer).  Nothing here blocks, and a request's callback
 * runs from a loop callback, never from inside http_client_request().
 * Each request's curl easy handle is set up in http_easy.c. */
#include "http_client.h"
#include "http_client_priv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void client_maybe_free(http_client_t *c)
{
	if (c->closing && c->handles == 0)
		free(c);
}

static void handle_closed(uv_handle_t *h)
{
	http_client_t *c = h->data;
	if (h->type == UV_POLL)
		free(h);
	c->handles--;
	client_maybe_free(c);
}

/* Take @p h out of the client: curl forgets it, the list loses it. */
static void req_detach(http_req_t *h)
{
	http_client_t *c = h->c;
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		c->reqs = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	c->active--;
	curl_multi_remove_handle(c->multi, h->easy);
}

static void req_destroy(http_req_t *h)
{
	curl_easy_cleanup(h->easy);
	curl_url_cleanup(h->url);
	curl_slist_free_all(h->headers);
	http_easy_clear_headers(h);
	free(h->body);
	free(h->resp);
	free(h);
}

static void req_free(http_req_t *h)
{
	req_detach(h);
	req_destroy(h);
}

static int map_error(CURLcode code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		return DDNS_ETIMEOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_WRITE_ERROR:
		return -EFBIG;
	default:
		return -EIO;
	}
}

static void finish(http_req_t *h, CURLcode code)
{
	ddns_http_response_t res = {
		.body = h->resp != NULL ? h->resp : "",
		.body_len = h->resp_len,
		.n_headers = h->n_headers,
		.header_names = (const char *const *)h->names,
		.header_values = (const char *const *)h->values,
	};
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &res.status);
	req_detach(h); /* the callback may free the client or start requests */
	if (code != CURLE_OK) {
		res.error = h->too_big ? -EFBIG : map_error(code);
		res.error_text = h->too_big ? "response body larger than 4 MiB"
			: h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(code);
	}
	h->cb(&res, h->arg);
	req_destroy(h);
}

static void check_done(http_client_t *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		http_req_t *h = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&h);
		finish(h, msg->data.result);
		if (c->closing) /* a callback freed the client */
			return;
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	sock_ctx_t *s = p->data;
	http_client_t *c = s->c;
	int flags = 0, running;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	check_done(c);
}

static void on_timeout(uv_timer_t *t)
{
	http_client_t *c = t->data;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int start_timeout(CURLM *multi, long ms, void *userp)
{
	http_client_t *c = userp;
	if (ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timeout, (uint64_t)ms, 0);
	return 0;
}

static void sock_forget(http_client_t *c, sock_ctx_t *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	uv_poll_stop(&s->poll);
	curl_multi_assign(c->multi, s->fd, NULL);
	/* poll's data points at the client for handle_closed(); on_poll never
	 * runs again after uv_poll_stop. */
	s->poll.data = c;
	uv_close((uv_handle_t *)&s->poll, handle_closed);
}

static int handle_socket(CURL *easy, curl_socket_t fd, int action, void *userp,
                         void *socketp)
{
	http_client_t *c = userp;
	sock_ctx_t *s = socketp;
	if (c->closing)
		return 0;
	if (action == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_forget(c, s);
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		c->handles++;
		s->fd = fd;
		s->c = c;
		s->poll.data = s;
		s->next = c->socks;
		if (c->socks != NULL)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	int events = (action == CURL_POLL_IN ? UV_READABLE
	              : action == CURL_POLL_OUT ? UV_WRITABLE
	              : UV_READABLE | UV_WRITABLE);
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

int http_client_new(uv_loop_t *loop, http_client_t **out)
{
	static bool curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -EIO;
		curl_ready = true;
	}
	http_client_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->loop = loop;
	if ((c->multi = curl_multi_init()) == NULL) {
		free(c);
		return -ENOMEM;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->handles = 1;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, handle_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, start_timeout);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return 0;
}

void http_client_free(http_client_t *c)
{
	if (c == NULL)
		return;
	while (c->reqs != NULL)
		req_free(c->reqs);
	while (c->socks != NULL)
		sock_forget(c, c->socks);
	c->closing = true;
	curl_multi_cleanup(c->multi);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, handle_closed);
}

int http_client_request(http_client_t *c, const ddns_http_request_t *req,
                        ddns_http_cb cb, void *arg, http_req_t **out)
{
	return http_client_request_signed(c, req, NULL, cb, arg, out);
}

int http_client_request_signed(http_client_t *c, const ddns_http_request_t *req,
                               const ddns_http_sigv4_t *sig, ddns_http_cb cb, void *arg,
                               http_req_t **out)
{
	if (c->closing || req == NULL || cb == NULL)
		return -EINVAL;
	http_req_t *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->c = c;
	h->cb = cb;
	h->arg = arg;
	int rc = -ENOMEM;
	if ((h->easy = curl_easy_init()) == NULL || (rc = http_easy_setup(h, req, sig)) != 0)
		goto fail;
	if (curl_multi_add_handle(c->multi, h->easy) != CURLM_OK) {
		rc = -ENOMEM;
		goto fail;
	}
	h->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = h;
	c->reqs = h;
	c->active++;
	if (out != NULL)
		*out = h;
	return 0;
fail:
	curl_easy_cleanup(h->easy);
	curl_url_cleanup(h->url);
	curl_slist_free_all(h->headers);
	free(h->body);
	free(h);
	return rc;
}

void http_client_cancel(http_req_t *h)
{
	if (h != NULL)
		req_free(h);
}

size_t http_client_active(const http_client_t *c)
{
	return c->active;
}
