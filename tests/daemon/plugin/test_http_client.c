/* http_client against a real in-process libmicrohttpd server on 127.0.0.1
 * (its own threads; the client runs on the test's libuv loop): methods,
 * headers and bodies echoed, status codes, lower-cased response headers,
 * timeout, connection refused, oversized body, cancel, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "http_client.h"

#define BIG_BODY (5u * 1024 * 1024)

static struct MHD_Daemon *mhd;
static uint16_t port;
static atomic_bool stopping;
static uv_loop_t loop;
static http_client_t *client;

typedef struct upload {
	char *data;
	size_t len;
} upload_t;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
                             size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "X-Reply-Header", "Yes Sir");
	MHD_add_response_header(r, "Content-Type", "text/plain");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* /echo: "METHOD|x-test header|content-type|body"; /status/N: status N;
 * /slow: answers after 3 s (or at shutdown); /big: a 5 MiB body. */
static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version,
                               const char *data, size_t *data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	upload_t *up = *con_cls;
	if (up == NULL) {
		*con_cls = calloc(1, sizeof(upload_t));
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	}
	if (*data_size > 0) {
		char *grown = realloc(up->data, up->len + *data_size);
		if (grown == NULL)
			return MHD_NO;
		memcpy(grown + up->len, data, *data_size);
		up->data = grown;
		up->len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/echo") == 0) {
		const char *xt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test");
		const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             "Content-Type");
		char *out = NULL;
		int n = asprintf(&out, "%s|%s|%s|%.*s", method, xt != NULL ? xt : "-",
		                 ct != NULL ? ct : "-", (int)up->len, up->data != NULL ? up->data : "");
		if (n < 0)
			return MHD_NO;
		return reply(conn, MHD_HTTP_OK, out, (size_t)n);
	}
	if (strncmp(url, "/status/", 8) == 0)
		return reply(conn, (unsigned)atoi(url + 8), strdup("status"), 6);
	if (strcmp(url, "/slow") == 0) {
		for (int i = 0; i < 60 && !atomic_load(&stopping); i++)
			usleep(50000);
		return reply(conn, MHD_HTTP_OK, strdup("late"), 4);
	}
	if (strcmp(url, "/big") == 0) {
		char *big = malloc(BIG_BODY);
		if (big == NULL)
			return MHD_NO;
		memset(big, 'x', BIG_BODY);
		return reply(conn, MHD_HTTP_OK, big, BIG_BODY);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, strdup("no"), 2);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	upload_t *up = *con_cls;
	if (up != NULL) {
		free(up->data);
		free(up);
	}
	*con_cls = NULL;
}

static int group_setup(void **state)
{
	(void)state;
	atomic_store(&stopping, false);
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                       MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, NULL,
	                       MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	                       MHD_OPTION_END);
	assert_non_null(mhd);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	port = info->port;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	atomic_store(&stopping, true);
	MHD_stop_daemon(mhd);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(http_client_new(&loop, &client), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	http_client_free(client);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

typedef struct result {
	int calls;
	int error;
	long status;
	char body[512];
	size_t body_len;
	char header[128]; /* value of x-reply-header */
	bool lower;       /* every header name is lower-case */
} result_t;

static void on_done(const ddns_http_response_t *res, void *arg)
{
	result_t *r = arg;
	r->calls++;
	r->error = res->error;
	r->status = res->status;
	r->body_len = res->body_len;
	snprintf(r->body, sizeof(r->body), "%s", res->body);
	r->lower = true;
	for (size_t i = 0; i < res->n_headers; i++) {
		for (const char *c = res->header_names[i]; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				r->lower = false;
		if (strcmp(res->header_names[i], "x-reply-header") == 0)
			snprintf(r->header, sizeof(r->header), "%s", res->header_values[i]);
	}
	if (res->error != 0)
		assert_non_null(res->error_text);
}

static void run_until(result_t *r, int calls)
{
	uint64_t until = uv_now(&loop) + 15000;
	while (r->calls < calls && uv_now(&loop) < until)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(r->calls, calls);
}

static void request(const char *method, const char *path, const char *body,
                    uint32_t timeout_ms, result_t *r)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)port, path);
	const char *headers[] = { "X-Test: hello there", "Content-Type: application/json", NULL };
	ddns_http_request_t req = {
		.method = method, .url = url, .headers = headers, .body = body,
		.body_len = body != NULL ? strlen(body) : 0, .timeout_ms = timeout_ms,
	};
	assert_int_equal(http_client_request(client, &req, on_done, r, NULL), 0);
	assert_int_equal(r->calls, 0); /* never from inside the call */
}

static void test_methods(void **state)
{
	(void)state;
	const char *methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
	result_t r[5];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 5; i++)
		request(methods[i], "/echo", i == 0 || i == 4 ? NULL : "{\"data\":\"1.2.3.4\"}",
		        0, &r[i]);
	assert_int_equal(http_client_active(client), 5);
	for (int i = 0; i < 5; i++)
		run_until(&r[i], 1);
	assert_int_equal(http_client_active(client), 0);
	assert_string_equal(r[0].body, "GET|hello there|application/json|");
	assert_string_equal(r[1].body, "POST|hello there|application/json|{\"data\":\"1.2.3.4\"}");
	assert_string_equal(r[2].body, "PUT|hello there|application/json|{\"data\":\"1.2.3.4\"}");
	assert_string_equal(r[3].body, "PATCH|hello there|application/json|{\"data\":\"1.2.3.4\"}");
	assert_string_equal(r[4].body, "DELETE|hello there|application/json|");
	for (int i = 0; i < 5; i++) {
		assert_int_equal(r[i].error, 0);
		assert_int_equal(r[i].status, 200);
		assert_true(r[i].lower);
		assert_string_equal(r[i].header, "Yes Sir");
	}
}

static void test_status_codes(void **state)
{
	(void)state;
	const int codes[] = { 201, 202, 401, 404, 429, 500, 503 };
	result_t r[7];
	memset(r, 0, sizeof(r));
	char path[32];
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "/status/%d", codes[i]);
		request("GET", path, NULL, 0, &r[i]);
	}
	for (int i = 0; i < 7; i++) {
		run_until(&r[i], 1);
		assert_int_equal(r[i].error, 0); /* an HTTP error is still a response */
		assert_int_equal(r[i].status, codes[i]);
		assert_string_equal(r[i].body, "status");
	}
}

static void test_timeout(void **state)
{
	(void)state;
	result_t r = { 0 };
	request("GET", "/slow", NULL, 200, &r);
	run_until(&r, 1);
	assert_int_equal(r.error, DDNS_ETIMEOUT);
}

static void test_refused(void **state)
{
	(void)state;
	/* a port that was just free and has no listener */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	socklen_t len = sizeof(sin);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	close(s);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(sin.sin_port));
	ddns_http_request_t req = { .method = "GET", .url = url };
	result_t r = { 0 };
	assert_int_equal(http_client_request(client, &req, on_done, &r, NULL), 0);
	run_until(&r, 1);
	assert_int_equal(r.error, -ECONNREFUSED);
	assert_int_equal(r.status, 0);
}

static void test_too_big(void **state)
{
	(void)state;
	result_t r = { 0 };
	request("GET", "/big", NULL, 0, &r);
	run_until(&r, 1);
	assert_int_equal(r.error, -EFBIG);
}

static void never(const ddns_http_response_t *res, void *arg)
{
	(void)res;
	(void)arg;
	fail_msg("a cancelled request called back");
}

static void test_cancel(void **state)
{
	(void)state;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/slow", (unsigned)port);
	ddns_http_request_t req = { .method = "GET", .url = url, .timeout_ms = 5000 };
	http_req_t *a = NULL, *b = NULL;
	assert_int_equal(http_client_request(client, &req, never, NULL, &a), 0);
	http_client_cancel(a); /* before any I/O */
	assert_int_equal(http_client_request(client, &req, never, NULL, &b), 0);
	for (int i = 0; i < 20; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	http_client_cancel(b); /* while connected and waiting */
	assert_int_equal(http_client_active(client), 0);
	result_t r = { 0 };
	request("GET", "/echo", NULL, 0, &r); /* the client still works */
	run_until(&r, 1);
	assert_int_equal(r.status, 200);
	/* a request left running when the client is freed never calls back */
	assert_int_equal(http_client_request(client, &req, never, NULL, NULL), 0);
}

static void test_bad_input(void **state)
{
	(void)state;
	result_t r = { 0 };
	ddns_http_request_t req = { .method = "GET", .url = "not a url" };
	assert_int_equal(http_client_request(client, &req, on_done, &r, NULL), -EINVAL);
	req.url = "ftp://127.0.0.1/x";
	assert_int_equal(http_client_request(client, &req, on_done, &r, NULL), -EINVAL);
	req.url = "http://127.0.0.1/";
	req.method = "TRACE";
	assert_int_equal(http_client_request(client, &req, on_done, &r, NULL), -EINVAL);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(r.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
