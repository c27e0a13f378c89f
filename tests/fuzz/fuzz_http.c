/* libFuzzer harness for HTTP request handling: what ddnsd does with the
 * bytes of a request before the pipeline sees it.
 *
 * Built by `make fuzz` (tests/fuzz/Makefile.inc), run by tests/fuzz/run.sh.
 * corpus: tests/fuzz/corpus/http/
 *
 * The first byte picks the mode:
 *  - even: the rest is a raw HTTP request, written over a socketpair to a
 *    real libmicrohttpd daemon (MHD_add_connection).  The access handler
 *    does what daemon/http/httpd_conn.c and httpd_req.c do: collect the body
 *    (capped), run MHD's post processor for urlencoded and multipart forms
 *    into http_parse_form_t, read "key" and "ip", take the record name out
 *    of /dynamicdns/update/<name>/ and /dynamicdns/read/<name>/, decode
 *    Basic auth and the dyndns2 query (hostname, myip, myipv6), and walk
 *    X-Forwarded-For behind trusted proxies.  Before any of that, as
 *    httpd_conn.c does on the first call, the framing headers are judged
 *    (http_parse_framing) and the target's path taken (http_parse_target,
 *    absolute-form included), and a refused request gets no further.  So
 *    request line, headers, percent-decoding, query and form parsing are
 *    all reached.
 *  - odd: the rest drives http_parse_form_add() chunk by chunk, as the post
 *    processor would, and compares every field with a simple model (the
 *    first 16 fields kept, chunks of a dropped field dropped, the last
 *    occurrence of a key wins).
 * Beyond "no crash, no leak" each result is checked against its contract.
 * (Basic auth and the dyndns2 fields alone: fuzz_dyndns2_parse.c.) */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dyndns2_parse.h"
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_MAX 8192
#define XFF_MAX 8

/* ---- contracts ---- */

static void check_form(const http_parse_form_t *f)
{
	if (f->n > HTTP_PARSE_MAX_FIELDS)
		abort();
	for (size_t i = 0; i < f->n; i++) {
		const http_parse_field_t *fl = &f->fields[i];
		if (fl->key >= fl->val || fl->val + fl->vlen >= f->len ||
		    f->buf[fl->val - 1] != '\0' || f->buf[fl->val + fl->vlen] != '\0')
			abort();
	}
}

static void check_name(const char *name)
{
	char again[NAME_TEXT_MAX];
	if (strchr(name, '/') != NULL || addr_name_normalize(name, again) != 0 ||
	    strcmp(again, name) != 0)
		abort();
}

static void check_addr(const addr_t *a)
{
	char text[ADDR_TEXT_MAX];
	addr_t back;
	if (a->family != AF_INET && a->family != AF_INET6)
		abort();
	addr_format(a, text);
	if (addr_parse(text, &back) != 0 || back.family != a->family ||
	    memcmp(back.bytes, a->bytes, a->family == AF_INET ? 4 : 16) != 0)
		abort();
}

/* The trusted proxies of the MHD mode. */
static addr_cidr_t trusted[3];

static void xff_walk(const char *const *v, size_t n)
{
	addr_t cur;
	addr_parse("127.0.0.1", &cur);
	http_parse_xff(v, n, trusted, 3, &cur);
	check_addr(&cur);
}

/* ---- the MHD mode ---- */

typedef struct fz_req {
	char body[BODY_MAX + 1];
	size_t len;
	bool too_large, refused;
	char *path; /* an absolute-form target's path */
	http_parse_form_t form;
} fz_req_t;

static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data,
                                 uint64_t off, size_t size)
{
	fz_req_t *r = cls;
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	return http_parse_form_add(&r->form, key, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

typedef struct xff_list {
	const char *v[XFF_MAX];
	size_t n;
} xff_list_t;

static enum MHD_Result xff_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	xff_list_t *x = cls;
	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") != 0 || value == NULL)
		return MHD_YES;
	if (x->n == XFF_MAX) {
		memmove(x->v, x->v + 1, (XFF_MAX - 1) * sizeof(x->v[0]));
		x->n--;
	}
	x->v[x->n++] = value;
	return MHD_YES;
}

/* ---- framing and target, as httpd_conn.c judges them ---- */

typedef struct framing {
	const char *cl[XFF_MAX], *te[XFF_MAX];
	size_t n_cl, n_te;
} framing_t;

static enum MHD_Result framing_collect(void *cls, enum MHD_ValueKind kind,
                                       const char *key, const char *value)
{
	framing_t *f = cls;
	(void)kind;
	if (strcasecmp(key, "Content-Length") == 0 && f->n_cl < XFF_MAX)
		f->cl[f->n_cl++] = value != NULL ? value : "";
	else if (strcasecmp(key, "Transfer-Encoding") == 0 && f->n_te < XFF_MAX)
		f->te[f->n_te++] = value != NULL ? value : "";
	return MHD_YES;
}

/* false: refused (the status is one of the documented ones) */
static bool framing_ok(fz_req_t *r, struct MHD_Connection *c, const char *url,
                       const char *version)
{
	framing_t f = { .n_cl = 0 };
	const char *why;
	MHD_get_connection_values(c, MHD_HEADER_KIND, framing_collect, &f);
	unsigned st = http_parse_framing(f.cl, f.n_cl, f.te, f.n_te,
	                                 strcmp(version, MHD_HTTP_VERSION_1_0) == 0, &why);
	if ((st != 0 && st != 400 && st != 501) || (st != 0) != (why != NULL))
		abort();
	/* the contract's cases that need no parsing */
	if (st == 0 && (f.n_cl > 1 || (f.n_cl > 0 && f.n_te > 0)))
		abort();
	if (st != 0)
		return false;
	int rc = http_parse_target(url, &r->path);
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (rc == 0 && r->path != NULL && r->path[0] != '/')
		abort();
	if (rc == 0 && r->path == NULL && url[0] == 'h' && strncmp(url, "http://", 7) == 0)
		abort(); /* an http URL is absolute-form */
	return rc == 0;
}

static void handle(fz_req_t *r, struct MHD_Connection *c, const char *url)
{
	if (r->path != NULL)
		url = r->path;
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_TYPE);
	if (r->len > 0 && ct != NULL &&
	    (strncasecmp(ct, MHD_HTTP_POST_ENCODING_FORM_URLENCODED,
	                 strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED)) == 0 ||
	     strncasecmp(ct, MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA,
	                 strlen(MHD_HTTP_POST_ENCODING_MULTIPART_FORMDATA)) == 0)) {
		struct MHD_PostProcessor *pp = MHD_create_post_processor(c, 256, form_iter, r);
		if (pp != NULL) {
			(void)MHD_post_process(pp, r->body, r->len);
			(void)MHD_destroy_post_processor(pp);
		}
	}
	check_form(&r->form);
#ifdef FUZZ_HTTP_TRACE /* to see what the seeds reach: -DFUZZ_HTTP_TRACE */
	fprintf(stderr, "handled %s: %zu fields, key=%s ip=%s\n", url, r->form.n,
	        http_parse_form_get(&r->form, "key"), http_parse_form_get(&r->form, "ip"));
#endif
	const char *ip = http_parse_form_get(&r->form, "ip");
	char canon[ADDR_TEXT_MAX];
	int family;
	if (ip != NULL && addr_canonical(ip, canon, &family) == 0) {
		char again[ADDR_TEXT_MAX];
		if (addr_canonical(canon, again, &family) != 0 || strcmp(again, canon) != 0)
			abort();
	}
	(void)http_parse_form_get(&r->form, "key");

	static const char *const prefixes[] = { "/dynamicdns/update/", "/dynamicdns/read/" };
	for (size_t i = 0; i < 2; i++) {
		char name[NAME_TEXT_MAX];
		if (strncmp(url, prefixes[i], strlen(prefixes[i])) == 0 &&
		    http_parse_path_name(url + strlen(prefixes[i]), name) == 0)
			check_name(name);
	}

	dyndns2_auth_t auth;
	const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (dyndns2_parse_auth(authz, &auth) == 0)
		dyndns2_auth_clear(&auth);
	dyndns2_host_t hosts[DYNDNS2_MAX_HOSTS];
	size_t n = 0;
	(void)dyndns2_parse_hosts(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	                                                      "hostname"), hosts, &n);
	addr_t client;
	addr_parse("192.0.2.1", &client);
	dyndns2_addrs_t addrs;
	char err[160];
	(void)dyndns2_parse_addrs(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "myip"),
	                          MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "myipv6"),
	                          &client, &addrs, err, sizeof(err));

	xff_list_t x = { .n = 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, xff_collect, &x);
	xff_walk(x.v, x.n);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload, size_t *upload_size, void **con_cls)
{
	fz_req_t *r = *con_cls;
	(void)cls;
	(void)method;
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		if (!framing_ok(r, c, url, version)) {
			r->refused = true;
			static char bad[] = "{\"error\": \"Bad request\"}";
			struct MHD_Response *resp = MHD_create_response_from_buffer(
				sizeof(bad) - 1, bad, MHD_RESPMEM_PERSISTENT);
			if (resp == NULL)
				return MHD_NO;
			MHD_add_response_header(resp, "Connection", "close");
			enum MHD_Result ret = MHD_queue_response(c, 400, resp);
			MHD_destroy_response(resp);
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (r->len + *upload_size > BODY_MAX)
			r->too_large = true;
		else {
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	r->body[r->len] = '\0';
	if (!r->too_large)
		handle(r, c, url);
	static char ok[] = "ok\n";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(sizeof(ok) - 1, ok, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, r->too_large ? 413 : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	fz_req_t *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (r != NULL) {
		http_parse_form_free(&r->form);
		free(r->path);
		free(r);
		*con_cls = NULL;
	}
}

static struct MHD_Daemon *daemon_get(void)
{
	static struct MHD_Daemon *d;
	if (d == NULL) {
		addr_cidr_parse("127.0.0.0/8", &trusted[0]);
		addr_cidr_parse("10.0.0.0/8", &trusted[1]);
		addr_cidr_parse("::1/128", &trusted[2]);
		d = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0,
		                     NULL, NULL, access_cb, NULL,
		                     MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL,
		                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		                     MHD_OPTION_END);
		if (d == NULL)
			abort();
	}
	return d;
}

/* Drain what MHD answered; true once it closed the connection. */
static bool drain(int fd)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return true;
		if (n < 0)
			return errno != EAGAIN && errno != EINTR;
	}
}

static void run_mhd(const uint8_t *data, size_t size)
{
	struct MHD_Daemon *d = daemon_get();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return;
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000),
	                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (MHD_add_connection(d, sv[0], (struct sockaddr *)&peer, sizeof(peer)) != MHD_YES) {
		close(sv[1]);
		return;
	}
	size_t off = 0;
	bool closed = false;
	for (int i = 0; i < 64 && off < size && !closed; i++) {
		ssize_t n = write(sv[1], data + off, size - off);
		if (n > 0)
			off += (size_t)n;
		MHD_run(d);
		closed = drain(sv[1]);
	}
	/* what a client does when it has nothing more to say */
	shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < 256 && !closed; i++) {
		MHD_run(d);
		closed = drain(sv[1]);
	}
	close(sv[1]);
	for (int i = 0; i < 4; i++)
		MHD_run(d);
}

/* ---- the model mode ---- */

typedef struct model_field {
	const uint8_t *key;   /* into the input */
	size_t klen;
	uint8_t val[512];
	size_t vlen;
} model_field_t;

static void run_model(const uint8_t *data, size_t size)
{
	http_parse_form_t f = { 0 };
	static model_field_t m[HTTP_PARSE_MAX_FIELDS];
	size_t mn = 0;
	bool dropping = false;
	char key[64];

	for (int round = 0; round < 2; round++) {
		size_t i = 0;
		while (i + 2 <= size) {
			uint8_t op = data[i], len = data[i + 1] % 64;
			i += 2;
			if (len > size - i)
				len = (uint8_t)(size - i);
			const uint8_t *chunk = data + i;
			i += len;
			if (op % 3 == 1) { /* a continuation */
				if (http_parse_form_add(&f, "ignored", (const char *)chunk, 1, len) != 0)
					abort();
				if (!dropping && mn > 0 && m[mn - 1].vlen + len <= sizeof(m[0].val)) {
					memcpy(m[mn - 1].val + m[mn - 1].vlen, chunk, len);
					m[mn - 1].vlen += len;
				} else if (!dropping && mn > 0) {
					goto out; /* beyond the model's room: stop comparing */
				}
				continue;
			}
			/* a new field: the key is the chunk up to its first NUL (C text) */
			size_t klen = strnlen((const char *)chunk, len);
			if (klen >= sizeof(key))
				klen = sizeof(key) - 1;
			memcpy(key, chunk, klen);
			key[klen] = '\0';
			const char *val = op % 3 == 2 ? NULL : (const char *)chunk;
			if (http_parse_form_add(&f, key, val, 0, val ? len : 0) != 0)
				abort();
			dropping = mn == HTTP_PARSE_MAX_FIELDS;
			if (!dropping) {
				m[mn].key = chunk;
				m[mn].klen = klen;
				m[mn].vlen = val ? len : 0;
				if (val)
					memcpy(m[mn].val, chunk, len);
				mn++;
			}
		}
		check_form(&f);
		if (f.n != mn)
			abort();
		for (size_t k = 0; k < mn; k++) {
			const http_parse_field_t *fl = &f.fields[k];
			if (fl->vlen != m[k].vlen || memcmp(f.buf + fl->val, m[k].val, m[k].vlen) != 0 ||
			    strlen(f.buf + fl->key) != m[k].klen ||
			    memcmp(f.buf + fl->key, m[k].key, m[k].klen) != 0)
				abort();
			/* the last field of that key is the one found */
			size_t last = k;
			for (size_t j = k + 1; j < mn; j++)
				if (m[j].klen == m[k].klen && memcmp(m[j].key, m[k].key, m[k].klen) == 0)
					last = j;
			if (http_parse_form_get(&f, f.buf + fl->key) != f.buf + f.fields[last].val)
				abort();
		}
		/* a recycled form starts empty and keeps its buffer */
		http_parse_form_recycle(&f);
		if (f.n != 0 || http_parse_form_get(&f, "") != NULL)
			abort();
		mn = 0;
		dropping = false;
	}
out:
	http_parse_form_free(&f);

	/* the same bytes as a path tail and as X-Forwarded-For values */
	char *text = malloc(size + 1);
	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	char name[NAME_TEXT_MAX];
	if (http_parse_path_name(text, name) == 0)
		check_name(name);
	const char *v[XFF_MAX];
	size_t n = 0;
	for (char *p = text; p != NULL && n < XFF_MAX; n++) {
		v[n] = p;
		p = strchr(p, '\n');
		if (p != NULL)
			*p++ = '\0';
	}
	if (trusted[0].base.family == 0) {
		addr_cidr_parse("127.0.0.0/8", &trusted[0]);
		addr_cidr_parse("10.0.0.0/8", &trusted[1]);
		addr_cidr_parse("::1/128", &trusted[2]);
	}
	xff_walk(v, n);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	if (data[0] % 2 == 0)
		run_mhd(data + 1, size - 1);
	else
		run_model(data + 1, size - 1);
	return 0;
}
