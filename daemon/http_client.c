/* Asynchronous HTTP for plugins: libcurl's multi interface driven by the
 * libuv loop (curl_multi_socket_action; curl's sockets on uv_poll, its
 * timeout on a uv_timer).  Nothing here blocks, and a request's callback
 * runs from a loop callback, never from inside http_client_request(). */
#include "http_client.h"

#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

/** Responses larger than this are refused rather than buffered. */
#define HTTP_BODY_MAX (4u * 1024 * 1024)
#define HTTP_HEADERS_MAX 128

typedef struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	http_client_t *c;
	struct sock_ctx *prev, *next;
} sock_ctx_t;

struct http_client {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	unsigned handles;     /* uv handles not yet closed */
	bool closing;
	size_t active;
	ddns_http_t *reqs;    /* requests in progress */
	sock_ctx_t *socks;    /* sockets curl asked us to watch */
};

struct ddns_http {
	http_client_t *c;
	CURL *easy;
	CURLU *url;
	struct curl_slist *headers;
	char *body;
	ddns_http_cb cb;
	void *arg;
	char *resp;
	size_t resp_len, resp_cap;
	bool too_big;
	size_t n_headers;
	char *names[HTTP_HEADERS_MAX];
	char *values[HTTP_HEADERS_MAX];
	char errbuf[CURL_ERROR_SIZE];
	ddns_http_t *prev, *next;
};

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

static void clear_headers(ddns_http_t *h)
{
	for (size_t i = 0; i < h->n_headers; i++) {
		free(h->names[i]);
		free(h->values[i]);
	}
	h->n_headers = 0;
}

/* Take @p h out of the client: curl forgets it, the list loses it. */
static void req_detach(ddns_http_t *h)
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

static void req_destroy(ddns_http_t *h)
{
	curl_easy_cleanup(h->easy);
	curl_url_cleanup(h->url);
	curl_slist_free_all(h->headers);
	clear_headers(h);
	free(h->body);
	free(h->resp);
	free(h);
}

static void req_free(ddns_http_t *h)
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

static void finish(ddns_http_t *h, CURLcode code)
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
		ddns_http_t *h = NULL;
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

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	ddns_http_t *h = arg;
	size_t len = size * n;
	if (h->resp_len + len > HTTP_BODY_MAX) {
		h->too_big = true;
		return 0;
	}
	if (h->resp_len + len + 1 > h->resp_cap) {
		size_t cap = h->resp_cap > 0 ? h->resp_cap : 1024;
		while (cap < h->resp_len + len + 1)
			cap *= 2;
		char *grown = realloc(h->resp, cap);
		if (grown == NULL)
			return 0;
		h->resp = grown;
		h->resp_cap = cap;
	}
	memcpy(h->resp + h->resp_len, data, len);
	h->resp_len += len;
	h->resp[h->resp_len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	ddns_http_t *h = arg;
	size_t len = size * n;
	/* A new status line (after 100 Continue) starts a new header block. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		clear_headers(h);
		return len;
	}
	char *colon = memchr(data, ':', len);
	if (colon == NULL || h->n_headers == HTTP_HEADERS_MAX)
		return len;
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char *name = strndup(data, (size_t)(colon - data));
	char *value = strndup(v, (size_t)(end - v));
	if (name == NULL || value == NULL) {
		free(name);
		free(value);
		return 0;
	}
	for (char *p = name; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	h->names[h->n_headers] = name;
	h->values[h->n_headers++] = value;
	return len;
}

/* The URL through curl's own parser: absolute, http or https only. */
static CURLU *parse_url(const char *text)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, text, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		curl_free(scheme);
		curl_url_cleanup(u);
		return NULL;
	}
	curl_free(scheme);
	return u;
}

static int setup(ddns_http_t *h, const ddns_http_request_t *req)
{
	CURL *e = h->easy;
	const char *m = req->method != NULL ? req->method : "GET";
	bool get = strcmp(m, "GET") == 0;
	if (!get && strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0 &&
	    strcmp(m, "PATCH") != 0 && strcmp(m, "DELETE") != 0)
		return -EINVAL;
	if ((h->url = parse_url(req->url != NULL ? req->url : "")) == NULL)
		return -EINVAL;
	for (const char *const *hd = req->headers; hd != NULL && *hd != NULL; hd++) {
		struct curl_slist *l = curl_slist_append(h->headers, *hd);
		if (l == NULL)
			return -ENOMEM;
		h->headers = l;
	}
	/* No "Expect: 100-continue" round trip for small API bodies. */
	struct curl_slist *l = curl_slist_append(h->headers, "Expect:");
	if (l == NULL)
		return -ENOMEM;
	h->headers = l;
	if (req->body != NULL || (!get && strcmp(m, "DELETE") != 0)) {
		size_t n = req->body != NULL ? req->body_len : 0;
		if ((h->body = malloc(n + 1)) == NULL)
			return -ENOMEM;
		if (n > 0)
			memcpy(h->body, req->body, n);
		h->body[n] = '\0';
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body);
	}
	if (strcmp(m, "POST") != 0 && !get)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	curl_easy_setopt(e, CURLOPT_CURLU, h->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 (long)(req->timeout_ms > 0 ? req->timeout_ms : 30000));
	curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)h);
	return 0;
}

int http_client_request(http_client_t *c, const ddns_http_request_t *req,
                        ddns_http_cb cb, void *arg, ddns_http_t **out)
{
	if (c->closing || req == NULL || cb == NULL)
		return -EINVAL;
	ddns_http_t *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->c = c;
	h->cb = cb;
	h->arg = arg;
	int rc = -ENOMEM;
	if ((h->easy = curl_easy_init()) == NULL || (rc = setup(h, req)) != 0)
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

void http_client_cancel(ddns_http_t *h)
{
	if (h != NULL)
		req_free(h);
}

size_t http_client_active(const http_client_t *c)
{
	return c->active;
}
