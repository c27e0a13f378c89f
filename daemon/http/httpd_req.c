/* Request objects (and their free list), accessors, form parsing, client
 * address and replies (httpd.h). */
#include "httpd_req.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Free requests kept for reuse. */
#define HTTPD_FREE_MAX 256

/* ---- request objects ---- */

httpd_req_t *httpd_req_get(httpd_t *h)
{
	httpd_req_t *r = h->free_reqs;
	if (r != NULL) {
		h->free_reqs = r->next_free;
		h->n_free--;
	} else {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return NULL;
	}
	r->h = h;
	return r;
}

void httpd_req_release(httpd_req_t *r)
{
	httpd_t *h = r->h;

	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	for (size_t i = 0; i < r->n_out; i++)
		free(r->out[i]);
	free(r->path_owned);
	char *body = r->body;
	size_t body_cap = r->body_cap;
	http_parse_form_t form = r->form;
	if (h == NULL || h->n_free >= HTTPD_FREE_MAX) {
		free(body);
		http_parse_form_free(&form);
		free(r);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->body = body;
	r->body_cap = body_cap;
	r->form = form;
	http_parse_form_recycle(&r->form);
	r->next_free = h->free_reqs;
	h->free_reqs = r;
	h->n_free++;
}

/* ---- form fields ---- */

/* MHD's post processor hands fields over in chunks; http_parse.c keeps
 * them (pure, so the fuzzer reaches it). */
static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *filename,
                                 const char *content_type,
                                 const char *transfer_encoding,
                                 const char *data, uint64_t off, size_t size)
{
	httpd_req_t *r = cls;
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	return http_parse_form_add(&r->form, key, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

int httpd_req_parse_form(httpd_req_t *r)
{
	if (r->body_len == 0)
		return 0;
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_TYPE);
	/* Both encodings a form may use (Django's request.POST took both, so
	 * `curl -F key=...` worked with django-dynamic-dns). */
	if (ct == NULL ||
	    (strncasecmp(ct, MHD_HTTP_POST_ENCODING_FORM_URLENCODED,
	                 strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED)) != 0 &&
	     strncasecmp(ct, MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA,
	                 strlen(MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA)) != 0))
		return 0; /* not a form: the body stays raw */
	struct MHD_PostProcessor *pp =
		MHD_create_post_processor(r->conn, 256, form_iter, r);
	if (pp == NULL)
		return 0;
	/* A malformed body just yields fewer fields. */
	(void)MHD_post_process(pp, r->body, r->body_len);
	(void)MHD_destroy_post_processor(pp);
	return 0;
}

const char *httpd_req_form(const httpd_req_t *r, const char *name)
{
	return http_parse_form_get(&r->form, name);
}

/* ---- accessors ---- */

const char *httpd_req_method(const httpd_req_t *r)
{
	return r->method;
}

const char *httpd_req_path(const httpd_req_t *r)
{
	return r->path;
}

const char *httpd_req_header(const httpd_req_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_req_query(const httpd_req_t *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *httpd_req_body(const httpd_req_t *r, size_t *len)
{
	if (len != NULL)
		*len = r->body_len;
	return r->body != NULL ? r->body : "";
}

bool httpd_req_http10(const httpd_req_t *r)
{
	return r->http10;
}

/* ---- client address ---- */

#define XFF_MAX_HEADERS 8

typedef struct xff_list {
	const char *name; /* the header collected */
	const char *v[XFF_MAX_HEADERS];
	size_t n;
} xff_list_t;

static enum MHD_Result xff_collect(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
	xff_list_t *x = cls;
	(void)kind;
	if (strcasecmp(key, x->name) != 0 || value == NULL)
		return MHD_YES;
	if (x->n == XFF_MAX_HEADERS) { /* keep the right-most headers */
		memmove(x->v, x->v + 1, (XFF_MAX_HEADERS - 1) * sizeof(x->v[0]));
		x->n--;
	}
	x->v[x->n++] = value;
	return MHD_YES;
}

static bool is_trusted(const httpd_t *h, const addr_t *a)
{
	for (size_t i = 0; i < h->n_trusted; i++)
		if (addr_cidr_match(&h->trusted[i], a))
			return true;
	return false;
}

/* The first untrusted hop of X-Forwarded-For is the client (http_parse.c). */
static void client_from_xff(const httpd_req_t *r, addr_t *cur)
{
	xff_list_t x = { .name = "X-Forwarded-For", .n = 0 };
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, xff_collect, &x);
	http_parse_xff(x.v, x.n, r->h->trusted, r->h->n_trusted, cur);
}

static void client_resolve(httpd_req_t *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	r->client_done = true;
	if (ci == NULL || addr_from_sockaddr(ci->client_addr, &r->client) != 0) {
		memset(&r->client, 0, sizeof(r->client));
		r->client.family = AF_INET; /* 0.0.0.0: unknown (unix socket?) */
	} else if (r->h != NULL && r->h->n_trusted > 0 && is_trusted(r->h, &r->client)) {
		client_from_xff(r, &r->client);
	}
	addr_format(&r->client, r->client_text);
}

const char *httpd_req_client(const httpd_req_t *r)
{
	if (!r->client_done)
		client_resolve((httpd_req_t *)r);
	return r->client_text;
}

const addr_t *httpd_req_client_addr(const httpd_req_t *r)
{
	if (!r->client_done)
		client_resolve((httpd_req_t *)r);
	return &r->client;
}

bool httpd_req_from_proxy(const httpd_req_t *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	addr_t peer;
	return r->h != NULL && r->h->n_trusted > 0 && ci != NULL &&
	       addr_from_sockaddr(ci->client_addr, &peer) == 0 && is_trusted(r->h, &peer);
}

bool httpd_req_ops_allowed(const httpd_req_t *r)
{
	if (r->h == NULL)
		return false;
	if (httpd_req_from_proxy(r) &&
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For") == NULL)
		return false;
	const addr_t *c = httpd_req_client_addr(r);
	for (size_t i = 0; i < r->h->n_ops_allow; i++)
		if (addr_cidr_match(&r->h->ops_allow[i], c))
			return true;
	return false;
}

bool httpd_req_https(const httpd_req_t *r)
{
	if (r->h != NULL && r->h->tls != NULL)
		return true;
	if (!httpd_req_from_proxy(r))
		return false;
	/* The proxy next to us speaks last: the last item of the last
	 * X-Forwarded-Proto header (a client may have sent its own before). */
	xff_list_t x = { .name = "X-Forwarded-Proto", .n = 0 };
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, xff_collect, &x);
	if (x.n == 0)
		return false;
	const char *v = x.v[x.n - 1], *comma = strrchr(v, ',');
	if (comma != NULL)
		v = comma + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	return len == 5 && strncasecmp(v, "https", 5) == 0;
}

/* ---- replies ---- */

void httpd_req_add_header(httpd_req_t *r, const char *name, const char *value)
{
	if (r->n_out + 2 > HTTPD_MAX_OUT_HEADERS * 2)
		return;
	char *n = strdup(name), *v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return;
	}
	r->out[r->n_out++] = n;
	r->out[r->n_out++] = v;
}

void httpd_reply(httpd_req_t *r, unsigned status, const char *content_type,
                 const char *body, size_t len)
{
	if (r->orphan) { /* the server is gone: nobody to answer */
		httpd_req_release(r);
		return;
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp != NULL && content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (size_t i = 0; i < r->n_out; i += 2) {
		if (resp != NULL)
			MHD_add_response_header(resp, r->out[i], r->out[i + 1]);
		free(r->out[i]);
		free(r->out[i + 1]);
	}
	r->n_out = 0;
	r->resp = resp; /* NULL: access_cb closes the connection */
	r->status = status;
	r->replied = true;
	if (r->dispatched)
		r->h->pending--;
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->conn);
		httpd_listener_kick(r->listener);
	}
}

void httpd_reply_json_error(httpd_req_t *r, unsigned status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *text = o != NULL ? json_dumps(o, 0) : NULL;
	if (text != NULL)
		httpd_reply(r, status, "application/json", text, strlen(text));
	else
		httpd_reply(r, 500, "application/json", "{\"error\": \"Internal error\"}", 27);
	free(text);
	json_decref(o);
}
