/* httpd: a real server on port 0 driven by real HTTP requests.
 *
 * The server runs on the test's loop in the main thread; the client (libcurl
 * easy) runs in a second thread and wakes the loop with a uv_async when it
 * is done.  Results are checked in the main thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/x509.h>
#include "httpd.h"

/* A self-signed P-256 certificate for 127.0.0.1 (test only, 100 years). */
static const char test_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBfzCCASWgAwIBAgIUS/XwoRM51QRu2nI+ZOrjSvi54mYwCgYIKoZIzj0EAwIw\n"
	"FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNjE0MzQ0NloYDzIxMjYxMTAy\n"
	"MTQzNDQ2WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAATFk211EUR3M5JPvSI9aW2n0HDtVXPxly9dfaGIkM7jcxO2nINrLd08\n"
	"2cjCEpv8r91o5JMOHosHvIX7UsN/7GAIo1MwUTAdBgNVHQ4EFgQUanXAXxO57xGN\n"
	"WcjffmL/pRaZgEIwHwYDVR0jBBgwFoAUanXAXxO57xGNWcjffmL/pRaZgEIwDwYD\n"
	"VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAmOwkbSmkh2AARCOjs04r\n"
	"veIgLUgDZGtcwKGFcHo/+awCIHZlqScVu9xplnT9dSRdOp5fJ0Tnm0OVvnJqZF3G\n"
	"7jt6\n"
	"-----END CERTIFICATE-----\n";
static const char test_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNg78bE0ClExZWZVK\n"
	"ZurjfUJs0hTK7oUQXXk8/FQSJ/OhRANCAATFk211EUR3M5JPvSI9aW2n0HDtVXPx\n"
	"ly9dfaGIkM7jcxO2nINrLd082cjCEpv8r91o5JMOHosHvIX7UsN/7GAI\n"
	"-----END PRIVATE KEY-----\n";

typedef struct call {
	const char *method, *path, *body, *header;
	long body_len;     /**< -1: strlen(body) */
	bool chunked;
	int port;          /**< 0: the fixture's port */
	long status;       /**< out */
	char text[1024];   /**< out: reply body */
	char allow[64];    /**< out: Allow header */
	char ctype[64];    /**< out: Content-Type */
} call_t;

typedef struct fx {
	uv_loop_t loop;
	httpd_t *h;
	int port;
	bool tls;
	uv_async_t done;
	call_t *calls;
	size_t n_calls;
	httpd_req_t *held;       /* the suspended request of the resume test */
	atomic_int held_ready;
	unsigned pending_seen;
} fx_t;

static size_t body_cb(char *p, size_t sz, size_t n, void *arg)
{
	call_t *c = arg;
	size_t have = strlen(c->text), len = sz * n;
	if (have + len < sizeof(c->text))
		memcpy(c->text + have, p, len), c->text[have + len] = '\0';
	return len;
}

static size_t header_cb(char *p, size_t sz, size_t n, void *arg)
{
	call_t *c = arg;
	size_t len = sz * n;
	char *dst = NULL;
	size_t skip = 0;
	if (len > 7 && strncasecmp(p, "Allow: ", 7) == 0)
		dst = c->allow, skip = 7;
	else if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
		dst = c->ctype, skip = 14;
	if (dst != NULL) {
		size_t v = len - skip;
		while (v > 0 && (p[skip + v - 1] == '\r' || p[skip + v - 1] == '\n'))
			v--;
		if (v >= 64)
			v = 63;
		memcpy(dst, p + skip, v);
		dst[v] = '\0';
	}
	return len;
}

static void do_call_tls(CURL *e, int port, call_t *c, bool tls)
{
	char url[256];
	struct curl_slist *hl = NULL;
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", tls ? "https" : "http",
	         port, c->path);
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L); /* self-signed */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
	if (c->header != NULL)
		hl = curl_slist_append(hl, c->header);
	if (c->chunked)
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
	if (c->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
		                 c->body_len >= 0 ? c->body_len : (long)strlen(c->body));
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
	else
		c->status = -1;
	curl_slist_free_all(hl);
}

static void do_call(CURL *e, int port, call_t *c)
{
	do_call_tls(e, port, c, false);
}

static void *client_main(void *arg)
{
	fx_t *f = arg;
	CURL *e = curl_easy_init();
	for (size_t i = 0; i < f->n_calls; i++)
		do_call_tls(e, f->calls[i].port ? f->calls[i].port : f->port, &f->calls[i], f->tls);
	curl_easy_cleanup(e);
	uv_async_send(&f->done);
	return NULL;
}

static void done_cb(uv_async_t *a)
{
	fx_t *f = a->data;
	httpd_free(f->h);
	f->h = NULL;
	uv_close((uv_handle_t *)a, NULL);
}

/* Echo what the server saw. */
static void echo_handler(httpd_req_t *r, void *arg)
{
	char out[1024];
	size_t blen;
	const char *q = httpd_req_query(r, "q"), *k = httpd_req_form(r, "key");
	const char *ip = httpd_req_form(r, "ip");
	httpd_req_body(r, &blen);
	snprintf(out, sizeof(out), "%s %s %s q=%s key=%s ip=%s client=%s body=%zu",
	         (const char *)arg, httpd_req_method(r), httpd_req_path(r),
	         q ? q : "-", k ? k : "-", ip ? ip : "-", httpd_req_client(r), blen);
	httpd_req_add_header(r, "Allow", "POST");
	httpd_reply(r, 200, "text/plain", out, strlen(out));
}

static void start(fx_t *f, const addr_cidr_t *trusted, size_t n_trusted,
                  size_t max_body)
{
	const char *listen[] = { "127.0.0.1:0" };
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .trusted = trusted,
	                       .n_trusted = n_trusted, .max_body = max_body };
	char err[256] = "";
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(httpd_start(&f->loop, &cfg, &f->h, err, sizeof(err)), 0);
	f->port = httpd_port(f->h, 0);
	assert_true(f->port > 0);
	assert_int_equal(uv_async_init(&f->loop, &f->done, done_cb), 0);
	f->done.data = f;
	assert_int_equal(httpd_route(f->h, "/a/", echo_handler, "A"), 0);
	assert_int_equal(httpd_route(f->h, "/a/b/", echo_handler, "AB"), 0);
	assert_int_equal(httpd_route(f->h, "/", echo_handler, "ROOT"), 0);
}

static void run_calls(fx_t *f, call_t *calls, size_t n)
{
	pthread_t th;
	f->calls = calls;
	f->n_calls = n;
	for (size_t i = 0; i < n; i++)
		if (calls[i].body_len == 0 && calls[i].body != NULL)
			calls[i].body_len = -1;
	assert_int_equal(pthread_create(&th, NULL, client_main, f), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void test_routing(void **state)
{
	fx_t f = { 0 };
	call_t c[] = {
		{ .method = "GET", .path = "/a/b/c?q=1" },
		{ .method = "GET", .path = "/a/x" },
		{ .method = "GET", .path = "/zzz" },
		{ .method = "POST", .path = "/a/", .body = "key=k%2By&ip=1.2.3.4",
		  .header = "Content-Type: application/x-www-form-urlencoded" },
		{ .method = "POST", .path = "/a/", .body = "{\"key\":1}",
		  .header = "Content-Type: application/json" },
	};
	(void)state;
	start(&f, NULL, 0, 4096);
	run_calls(&f, c, 5);
	assert_int_equal(c[0].status, 200);
	assert_string_equal(c[0].text,
		"AB GET /a/b/c q=1 key=- ip=- client=127.0.0.1 body=0");
	assert_string_equal(c[0].allow, "POST");
	assert_string_equal(c[0].ctype, "text/plain");
	assert_string_equal(c[1].text,
		"A GET /a/x q=- key=- ip=- client=127.0.0.1 body=0");
	assert_string_equal(c[2].text,
		"ROOT GET /zzz q=- key=- ip=- client=127.0.0.1 body=0");
	assert_string_equal(c[3].text,
		"A POST /a/ q=- key=k+y ip=1.2.3.4 client=127.0.0.1 body=20");
	/* Not a form: fields absent, body kept raw. */
	assert_string_equal(c[4].text,
		"A POST /a/ q=- key=- ip=- client=127.0.0.1 body=9");
}

static void test_not_found_and_too_large(void **state)
{
	fx_t f = { 0 };
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "key=", 4);
	call_t c[] = {
		{ .method = "POST", .path = "/a/", .body = big },
		{ .method = "POST", .path = "/a/", .body = big, .chunked = true },
		{ .method = "POST", .path = "/a/", .body = "key=small" },
		{ .method = "GET", .path = "/nothing/here" },
	};
	const char *listen[] = { "127.0.0.1:0" };
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .max_body = 512 };
	char err[256];
	(void)state;
	assert_int_equal(uv_loop_init(&f.loop), 0);
	assert_int_equal(httpd_start(&f.loop, &cfg, &f.h, err, sizeof(err)), 0);
	f.port = httpd_port(f.h, 0);
	uv_async_init(&f.loop, &f.done, done_cb);
	f.done.data = &f;
	httpd_route(f.h, "/a/", echo_handler, "A");
	run_calls(&f, c, 4);
	assert_int_equal(c[0].status, 413);
	assert_string_equal(c[0].text, "{\"error\": \"Request body too large\"}");
	assert_string_equal(c[0].ctype, "application/json");
	assert_int_equal(c[1].status, 413);
	assert_int_equal(c[2].status, 200);
	assert_int_equal(c[3].status, 404);
	assert_string_equal(c[3].text, "{\"error\": \"Not found\"}");
}

/* /slow is held (suspended) until /fast has been served on another
 * connection: the server must keep serving while a handler waits. */
static void slow_handler(httpd_req_t *r, void *arg)
{
	fx_t *f = arg;
	f->held = r;
	atomic_store(&f->held_ready, 1);
}

static void fast_handler(httpd_req_t *r, void *arg)
{
	fx_t *f = arg;
	f->pending_seen = httpd_pending(f->h);
	httpd_reply(r, 200, "text/plain", "fast", 4);
	if (f->held != NULL) {
		httpd_reply(f->held, 201, "text/plain", "slow", 4);
		f->held = NULL;
	}
}

typedef struct two { fx_t *f; call_t *c; } two_t;

static void *slow_client(void *arg)
{
	two_t *t = arg;
	CURL *e = curl_easy_init();
	do_call(e, t->f->port, t->c);
	curl_easy_cleanup(e);
	return NULL;
}

static void *fast_client(void *arg)
{
	two_t *t = arg;
	for (int i = 0; i < 2000 && !atomic_load(&t->f->held_ready); i++)
		usleep(5000);
	CURL *e = curl_easy_init();
	do_call(e, t->f->port, t->c);
	curl_easy_cleanup(e);
	return NULL;
}

static void *pair_main(void *arg)
{
	two_t *t = arg;
	pthread_t a, b;
	pthread_create(&a, NULL, slow_client, &t[0]);
	pthread_create(&b, NULL, fast_client, &t[1]);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	uv_async_send(&t->f->done);
	return NULL;
}

static void test_suspend_resume(void **state)
{
	fx_t f = { 0 };
	call_t c[2] = { { .method = "GET", .path = "/slow" },
	                { .method = "GET", .path = "/fast" } };
	two_t t[2] = { { &f, &c[0] }, { &f, &c[1] } };
	const char *listen[] = { "127.0.0.1:0" };
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .max_body = 512 };
	char err[256];
	pthread_t th;
	(void)state;
	assert_int_equal(uv_loop_init(&f.loop), 0);
	assert_int_equal(httpd_start(&f.loop, &cfg, &f.h, err, sizeof(err)), 0);
	f.port = httpd_port(f.h, 0);
	uv_async_init(&f.loop, &f.done, done_cb);
	f.done.data = &f;
	httpd_route(f.h, "/slow", slow_handler, &f);
	httpd_route(f.h, "/fast", fast_handler, &f);
	pthread_create(&th, NULL, pair_main, t);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	assert_int_equal(uv_loop_close(&f.loop), 0);
	assert_int_equal(c[1].status, 200);
	assert_string_equal(c[1].text, "fast");
	assert_int_equal(c[0].status, 201);
	assert_string_equal(c[0].text, "slow");
	assert_int_equal(f.pending_seen, 2); /* slow held + fast in its handler */
}

static void xff_case(const char *trusted[], size_t n, const char *xff,
                     const char *want)
{
	fx_t f = { 0 };
	addr_cidr_t t[4];
	char hdr[256], expect[256];
	for (size_t i = 0; i < n; i++)
		assert_int_equal(addr_cidr_parse(trusted[i], &t[i]), 0);
	snprintf(hdr, sizeof(hdr), "X-Forwarded-For: %s", xff);
	call_t c[] = { { .method = "GET", .path = "/a/", .header = hdr } };
	start(&f, t, n, 4096);
	run_calls(&f, c, 1);
	snprintf(expect, sizeof(expect),
	         "A GET /a/ q=- key=- ip=- client=%s body=0", want);
	assert_string_equal(c[0].text, expect);
}

static void test_forwarded_for(void **state)
{
	const char *lo[] = { "127.0.0.1/32" };
	const char *lo_ten[] = { "127.0.0.1/32", "10.0.0.0/8" };
	(void)state;
	/* The peer is not trusted: the header is ignored. */
	xff_case(NULL, 0, "203.0.113.9", "127.0.0.1");
	xff_case((const char *[]){ "192.0.2.0/24" }, 1, "203.0.113.9", "127.0.0.1");
	/* Trusted peer: the right-most hop. */
	xff_case(lo, 1, "203.0.113.9", "203.0.113.9");
	/* A spoofed left part does not matter: 10.0.0.1 is not trusted. */
	xff_case(lo, 1, "198.51.100.1, 10.0.0.1", "10.0.0.1");
	/* Trusted chain: skip every trusted hop. */
	xff_case(lo_ten, 2, "198.51.100.1, 10.0.0.1", "198.51.100.1");
	xff_case(lo_ten, 2, "10.1.1.1,10.0.0.1", "10.1.1.1");
	xff_case(lo, 1, " [2001:db8::1] ", "2001:db8::1");
	/* Garbage from the proxy: stop at the proxy. */
	xff_case(lo, 1, "not-an-address", "127.0.0.1");
}

static void test_tls(void **state)
{
	fx_t f = { .tls = true };
	call_t c[] = { { .method = "POST", .path = "/a/", .body = "key=tls&ip=::1",
	                 .header = "Content-Type: application/x-www-form-urlencoded" },
	               { .method = "GET", .path = "/none" } };
	const char *listen[] = { "127.0.0.1:0" };
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .max_body = 512,
	                       .tls_cert_pem = test_cert, .tls_key_pem = test_key };
	char err[256] = "";
	(void)state;
	assert_int_equal(uv_loop_init(&f.loop), 0);
	assert_int_equal(httpd_start(&f.loop, &cfg, &f.h, err, sizeof(err)), 0);
	f.port = httpd_port(f.h, 0);
	uv_async_init(&f.loop, &f.done, done_cb);
	f.done.data = &f;
	httpd_route(f.h, "/a/", echo_handler, "A");
	run_calls(&f, c, 2);
	assert_int_equal(c[0].status, 200);
	assert_string_equal(c[0].text,
		"A POST /a/ q=- key=tls ip=::1 client=127.0.0.1 body=14");
	assert_int_equal(c[1].status, 404);

	/* A certificate without its key is refused. */
	cfg.tls_key_pem = NULL;
	uv_loop_t loop;
	httpd_t *h = NULL;
	uv_loop_init(&loop);
	assert_int_not_equal(httpd_start(&loop, &cfg, &h, err, sizeof(err)), 0);
	assert_null(h);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Credentials: what is refused, and with which words. */
static void test_tls_credentials(void **state)
{
	httpd_tls_t *t = NULL;
	char err[256] = "";
	(void)state;
	assert_int_equal(httpd_tls_from_pem(test_cert, test_key, "c.pem", "k.pem",
	                                    &t, err, sizeof(err)), 0);
	assert_non_null(strstr(httpd_tls_describe(t), "subject CN=127.0.0.1, serial 4bf5"));
	httpd_tls_unref(t);

	assert_int_equal(httpd_tls_from_pem("garbage", test_key, "c.pem", "k.pem",
	                                    &t, err, sizeof(err)), -EINVAL);
	assert_null(t);
	assert_non_null(strstr(err, "c.pem: no usable PEM certificate ("));
	assert_int_equal(httpd_tls_from_pem(test_cert, test_cert, "c.pem", "k.pem",
	                                    &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "k.pem: no usable unencrypted PEM private key ("));

	/* A valid key of another certificate. */
	gnutls_x509_privkey_t k;
	gnutls_datum_t pem = { NULL, 0 };
	assert_int_equal(gnutls_x509_privkey_init(&k), 0);
	assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &pem), 0);
	char *other = strndup((const char *)pem.data, pem.size);
	gnutls_free(pem.data);
	gnutls_x509_privkey_deinit(k);
	assert_int_equal(httpd_tls_from_pem(test_cert, other, "c.pem", "k.pem",
	                                    &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k.pem: the private key does not belong to the "
	                    "certificate (the first one in c.pem)");
	free(other);

	assert_int_equal(httpd_tls_load("/nonexistent/c.pem", "/nonexistent/k.pem",
	                                &t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/c.pem: "));

	/* A plain HTTP server cannot be given a certificate (restart needed). */
	fx_t f = { 0 };
	start(&f, NULL, 0, 64);
	assert_int_equal(httpd_tls_from_pem(test_cert, test_key, "c", "k", &t,
	                                    err, sizeof(err)), 0);
	assert_int_equal(httpd_set_tls(f.h, t), -EINVAL);
	httpd_free(f.h);
	uv_close((uv_handle_t *)&f.done, NULL);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f.loop), 0);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A client trickling a header byte every 200 ms: seconds until the server
 * closes (-1: still open after 15 s, or answered). */
static double trickle(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                          .sin_addr.s_addr = htonl(0x7f000001) };
	double t0 = now_s(), r = -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	const char head[] = "GET /a/ HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	if (send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL) < 0)
		goto out;
	while (now_s() - t0 < 15) {
		usleep(200 * 1000);
		char c;
		ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			r = now_s() - t0;
			break;
		}
		if (n > 0)
			break; /* answered: not what a trickle should get */
		if (send(fd, "a", 1, MSG_NOSIGNAL) < 0) {
			r = now_s() - t0;
			break;
		}
	}
out:
	close(fd);
	return r;
}

typedef struct deadline_fx {
	fx_t f;
	double trickle_s;
	call_t slow;
	uv_timer_t later;
	httpd_req_t *held;
} deadline_fx_t;

static void later_cb(uv_timer_t *t)
{
	deadline_fx_t *d = t->data;
	httpd_reply(d->held, 200, "text/plain", "late", 4);
	d->held = NULL;
	uv_close((uv_handle_t *)t, NULL);
}

/* Answers 2 s after the request arrived: longer than the deadline. */
static void late_handler(httpd_req_t *r, void *arg)
{
	deadline_fx_t *d = arg;
	d->held = r;
	uv_timer_init(&d->f.loop, &d->later);
	d->later.data = d;
	uv_timer_start(&d->later, later_cb, 2000, 0);
}

static void *deadline_client(void *arg)
{
	deadline_fx_t *d = arg;
	d->trickle_s = trickle(d->f.port);
	CURL *e = curl_easy_init();
	do_call(e, d->f.port, &d->slow);
	curl_easy_cleanup(e);
	uv_async_send(&d->f.done);
	return NULL;
}

/* The request deadline cuts a trickling client that the idle timeout would
 * never cut, and does not run while a handler works. */
static void test_request_deadline(void **state)
{
	deadline_fx_t d = { .slow = { .method = "GET", .path = "/late" } };
	const char *listen[] = { "127.0.0.1:0" };
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .max_body = 512,
	                       .connection_timeout_s = 30, .request_timeout_s = 1 };
	char err[256];
	pthread_t th;
	(void)state;
	assert_int_equal(uv_loop_init(&d.f.loop), 0);
	assert_int_equal(httpd_start(&d.f.loop, &cfg, &d.f.h, err, sizeof(err)), 0);
	d.f.port = httpd_port(d.f.h, 0);
	uv_async_init(&d.f.loop, &d.f.done, done_cb);
	d.f.done.data = &d.f;
	httpd_route(d.f.h, "/late", late_handler, &d);
	pthread_create(&th, NULL, deadline_client, &d);
	uv_run(&d.f.loop, UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	assert_int_equal(uv_loop_close(&d.f.loop), 0);
	if (d.trickle_s < 0.8 || d.trickle_s > 8)
		print_error("trickling client closed after %.2f s\n", d.trickle_s);
	assert_true(d.trickle_s >= 0.8 && d.trickle_s <= 8);
	assert_int_equal(d.slow.status, 200);
	assert_string_equal(d.slow.text, "late");
}

static void test_quiesce(void **state)
{
	fx_t f = { 0 };
	(void)state;
	start(&f, NULL, 0, 4096);
	httpd_quiesce(f.h);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f.port),
	                          .sin_addr.s_addr = htonl(0x7f000001) };
	assert_int_not_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	httpd_free(f.h);
	uv_close((uv_handle_t *)&f.done, NULL);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f.loop), 0);
}

static void test_bad_listen(void **state)
{
	uv_loop_t loop;
	httpd_t *h = NULL;
	char err[256] = "";
	const char *listen[] = { "not an address" };
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .max_body = 1 };
	(void)state;
	uv_loop_init(&loop);
	assert_int_not_equal(httpd_start(&loop, &cfg, &h, err, sizeof(err)), 0);
	assert_null(h);
	assert_non_null(strstr(err, "not an address"));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Operations routes: only to ops_allow clients (as trusted proxies resolve
 * them), only on the ops listeners when there are any; refused or
 * elsewhere, the very 404 of an unknown path, before any body is read. */
static void ops_start(fx_t *f, const char *const *ops_listen, size_t n_ops,
                      const char *allow, const char *trusted)
{
	const char *listen[] = { "127.0.0.1:0" };
	addr_cidr_t a, t;
	assert_int_equal(addr_cidr_parse(allow, &a), 0);
	if (trusted != NULL)
		assert_int_equal(addr_cidr_parse(trusted, &t), 0);
	httpd_config_t cfg = { .listen = listen, .n_listen = 1, .max_body = 64,
	                       .ops_listen = ops_listen, .n_ops_listen = n_ops,
	                       .ops_allow = &a, .n_ops_allow = 1,
	                       .trusted = trusted ? &t : NULL, .n_trusted = trusted ? 1 : 0 };
	char err[256] = "";
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(httpd_start(&f->loop, &cfg, &f->h, err, sizeof(err)), 0);
	f->port = httpd_port(f->h, 0);
	assert_int_equal(uv_async_init(&f->loop, &f->done, done_cb), 0);
	f->done.data = f;
	assert_int_equal(httpd_route(f->h, "/a/", echo_handler, "A"), 0);
	assert_int_equal(httpd_route_ops(f->h, "/metrics", echo_handler, "OPS"), 0);
}

static void test_ops_routes(void **state)
{
	(void)state;
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *unknown = "{\"error\": \"Not found\"}";

	/* shared listener, loopback not allowed */
	fx_t f = { 0 };
	call_t c[] = {
		{ .method = "GET", .path = "/metrics" },
		{ .method = "POST", .path = "/metrics", .body = big },
		{ .method = "GET", .path = "/a/" },
	};
	ops_start(&f, NULL, 0, "10.0.0.0/8", NULL);
	run_calls(&f, c, 3);
	assert_int_equal(c[0].status, 404);
	assert_string_equal(c[0].text, unknown);
	assert_int_equal(c[1].status, 404); /* not 413: nothing tells it exists */
	assert_string_equal(c[1].text, unknown);
	assert_int_equal(c[2].status, 200);

	/* an ops listener: the ops route there only, and nothing else there */
	fx_t g = { 0 };
	const char *ops[] = { "127.0.0.1:0" };
	ops_start(&g, ops, 1, "127.0.0.0/8", NULL);
	int ops_port = httpd_port(g.h, 1);
	assert_true(ops_port > 0 && ops_port != g.port);
	call_t d[] = {
		{ .method = "GET", .path = "/metrics" },
		{ .method = "GET", .path = "/metrics", .port = ops_port },
		{ .method = "GET", .path = "/a/", .port = ops_port },
		{ .method = "GET", .path = "/a/" },
	};
	run_calls(&g, d, 4);
	assert_int_equal(d[0].status, 404);
	assert_string_equal(d[0].text, unknown);
	assert_int_equal(d[1].status, 200);
	assert_string_equal(d[1].text,
		"OPS GET /metrics q=- key=- ip=- client=127.0.0.1 body=0");
	assert_int_equal(d[2].status, 404);
	assert_int_equal(d[3].status, 200);

	/* behind a trusted proxy (the test's own 127.0.0.1): the client it
	 * names decides, and a proxy naming none is refused */
	fx_t p = { 0 };
	ops_start(&p, NULL, 0, "192.0.2.0/24", "127.0.0.1/32");
	call_t e[] = {
		{ .method = "GET", .path = "/metrics" },
		{ .method = "GET", .path = "/metrics", .header = "X-Forwarded-For: 192.0.2.7" },
		{ .method = "GET", .path = "/metrics", .header = "X-Forwarded-For: 198.51.100.7" },
		{ .method = "GET", .path = "/metrics",
		  .header = "X-Forwarded-For: 192.0.2.7, 198.51.100.7" },
	};
	run_calls(&p, e, 4);
	assert_int_equal(e[0].status, 404);
	assert_int_equal(e[1].status, 200);
	assert_int_equal(e[2].status, 404);
	assert_int_equal(e[3].status, 404); /* the right-most untrusted hop */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_not_found_and_too_large),
		cmocka_unit_test(test_suspend_resume),
		cmocka_unit_test(test_forwarded_for),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_credentials),
		cmocka_unit_test(test_request_deadline),
		cmocka_unit_test(test_quiesce),
		cmocka_unit_test(test_bad_listen),
		cmocka_unit_test(test_ops_routes),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
