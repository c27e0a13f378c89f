/* The server's side of one request: MHD's access handler (route, body up to
 * max_body, dispatch, suspend) and completion.  The request objects and
 * their free list are in httpd_req.c. */
#include "httpd_req.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "log.h"

/* ---- MHD callbacks ---- */

/* The route for @p path on listener @p l.  With ops listeners configured,
 * operations routes live only there and the others only on the rest: a
 * path of the other kind is unknown here (the same 404). */
static const httpd_route_t *route_find(const httpd_t *h, const httpd_listener_t *l,
                                       const char *path)
{
	/* Routes are kept longest prefix first. */
	for (size_t i = 0; i < h->n_routes; i++) {
		if (h->n_ops_listeners > 0 && h->routes[i].ops != l->ops)
			continue;
		if (strncmp(path, h->routes[i].prefix, h->routes[i].len) == 0)
			return &h->routes[i];
	}
	return NULL;
}

static enum MHD_Result queue_now(struct MHD_Connection *c, httpd_req_t *r)
{
	httpd_conn_received(c);
	if (r->resp == NULL)
		return MHD_NO; /* out of memory: drop the connection */
	enum MHD_Result ret = MHD_queue_response(c, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

/* The framing headers of a request, every one of them (MHD's lookup sees
 * only the first). */
#define FRAMING_MAX 8

typedef struct framing {
	const char *cl[FRAMING_MAX], *te[FRAMING_MAX];
	size_t n_cl, n_te;
	bool overflow;
} framing_t;

static enum MHD_Result framing_collect(void *cls, enum MHD_ValueKind kind,
                                       const char *key, const char *value)
{
	framing_t *f = cls;
	const char **v;
	size_t *n;
	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		v = f->cl, n = &f->n_cl;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		v = f->te, n = &f->n_te;
	else
		return MHD_YES;
	if (*n == FRAMING_MAX) {
		f->overflow = true;
		return MHD_YES;
	}
	v[(*n)++] = value != NULL ? value : "";
	return MHD_YES;
}

/* Refuse ambiguous framing (http_parse_frame.c) before the body is read,
 * and close: the bytes after the headers cannot be trusted to be this
 * request's body or the next request.  0, or the status sent. */
static unsigned framing_check(httpd_req_t *r, struct MHD_Connection *c)
{
	framing_t f = { .n_cl = 0 };
	const char *why;
	MHD_get_connection_values(c, MHD_HEADER_KIND, framing_collect, &f);
	unsigned status = http_parse_framing(f.cl, f.n_cl, f.te, f.n_te,
	                                     r->http10, &why);
	if (status == 0 && f.overflow) {
		status = 400;
		why = "too many framing headers";
	}
	if (status == 0)
		return 0;
	/* Debug only: refusals are the client's doing, not worth a log flood. */
	log_debug(httpd_req_client(r), "request refused with %u: %s", status, why);
	httpd_req_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	httpd_reply_json_error(r, status, status == 501 ?
	                       "Transfer coding not implemented" : "Bad request framing");
	return status;
}

/* First call: framing, target, route; refuse what we will not read. */
static enum MHD_Result req_begin(httpd_listener_t *l, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, void **con_cls)
{
	httpd_t *h = l->h;
	httpd_req_t *r = httpd_req_get(h);
	if (r == NULL)
		return MHD_NO;
	r->conn = c;
	r->listener = l;
	r->method = method;
	r->path = url;
	r->http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
	*con_cls = r;
	if (framing_check(r, c) != 0)
		return queue_now(c, r);
	int rc = http_parse_target(url, &r->path_owned);
	if (rc == -ENOMEM)
		return MHD_NO;
	if (rc != 0) {
		httpd_req_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
		httpd_reply_json_error(r, 400, "Bad request target");
		return queue_now(c, r);
	}
	if (r->path_owned != NULL) /* absolute-form: route its path */
		r->path = r->path_owned;
	r->route = route_find(h, l, r->path);
	if (r->route != NULL && r->route->ops && !httpd_req_ops_allowed(r))
		r->route = NULL; /* refused: the very answer of an unknown path */
	if (r->route == NULL) {
		httpd_reply_json_error(r, 404, "Not found");
		return queue_now(c, r);
	}
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || n > h->max_body) {
			httpd_reply_json_error(r, 413, "Request body too large");
			return queue_now(c, r);
		}
		if (n + 1 > r->body_cap) {
			char *nb = realloc(r->body, n + 1);
			if (nb == NULL)
				return MHD_NO;
			r->body = nb;
			r->body_cap = n + 1;
		}
	}
	return MHD_YES;
}

static int req_append_body(httpd_req_t *r, const char *data, size_t n)
{
	if (r->too_large || r->body_len + n > r->h->max_body) {
		r->too_large = true; /* chunked upload: drain, answer 413 at the end */
		return 0;
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_len + n + 1;
		if (cap < 256)
			cap = 256;
		char *nb = realloc(r->body, cap);
		if (nb == NULL)
			return -ENOMEM;
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	return 0;
}

enum MHD_Result httpd_access_cb(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
	httpd_listener_t *l = cls;
	httpd_req_t *r = *con_cls;

	if (r == NULL)
		return req_begin(l, c, url, method, version, con_cls);
	if (r->replied) /* resumed with the answer */
		return queue_now(c, r);
	if (*upload_data_size != 0) {
		if (req_append_body(r, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->dispatched)
		return MHD_YES; /* spurious call while the handler works */
	if (r->too_large) {
		httpd_reply_json_error(r, 413, "Request body too large");
		return queue_now(c, r);
	}
	if (r->body == NULL || r->body_cap == 0) {
		if (req_append_body(r, "", 0) != 0)
			return MHD_NO;
	}
	r->body[r->body_len] = '\0';
	if (httpd_req_parse_form(r) != 0)
		return MHD_NO;

	httpd_t *h = l->h;
	r->dispatched = true;
	httpd_conn_received(c); /* the handler's time is not the client's */
	h->pending++;
	r->route->fn(r, r->route->arg);
	if (r->replied)
		return queue_now(c, r);
	r->suspended = true;
	MHD_suspend_connection(c);
	return MHD_YES;
}

void httpd_completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	httpd_req_t *r = *con_cls;
	(void)cls;
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		httpd_conn_answered(c); /* keep-alive: the next request's clock */
	if (r == NULL)
		return;
	*con_cls = NULL;
	if (r->dispatched && !r->replied) {
		/* The daemon is stopping under a handler that still holds r:
		 * hand r over to it; httpd_reply() will only free it. */
		r->h->pending--;
		r->h = NULL;
		r->conn = NULL;
		r->orphan = true;
		return;
	}
	httpd_req_release(r);
}

/* MHD repeats itself under abuse ("connection limit reached" per refused
 * client): one message format is written at most once per window, and the
 * count of those folded is written with the next one. */
#define HTTPD_LOG_FOLD_MS 10000

void httpd_mhd_log_cb(void *cls, const char *fmt, va_list ap)
{
	httpd_t *h = cls;
	char line[512];
	if (h != NULL) {
		uint64_t now = uv_now(h->loop);
		if (fmt == h->log_last && now - h->log_last_ms < HTTPD_LOG_FOLD_MS) {
			h->log_folded++;
			return;
		}
		if (h->log_folded > 0)
			log_warn("httpd", "last message repeated %u more time(s)",
			         h->log_folded);
		h->log_last = fmt;
		h->log_last_ms = now;
		h->log_folded = 0;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("httpd", "%s", line);
}
