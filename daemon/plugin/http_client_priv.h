/**
 * @file http_client_priv.h
 * @brief What http_client.c (the multi/libuv glue) and http_easy.c (one
 * request's easy handle) share.
 */
#ifndef DDNS_HTTP_CLIENT_PRIV_H
#define DDNS_HTTP_CLIENT_PRIV_H

#include <stdbool.h>
#include <curl/curl.h>
#include <uv.h>
#include "http_client.h"

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
	http_req_t *reqs;    /* requests in progress */
	sock_ctx_t *socks;    /* sockets curl asked us to watch */
};

struct http_req {
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
	http_req_t *prev, *next;
};

/** Configure @p h->easy for @p req, signed as @p sig says when not NULL
 *  (copies what it needs).  @return 0, -EINVAL (method, URL, @p sig
 *  incomplete) or -ENOMEM. */
int http_easy_setup(http_req_t *h, const ddns_http_request_t *req,
                    const ddns_http_sigv4_t *sig);
/** Free the response headers collected so far. */
void http_easy_clear_headers(http_req_t *h);

#endif
