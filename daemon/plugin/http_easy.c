/* One HTTP request as a curl easy handle: method, URL (through curl's URL
 * API), headers and body in; status, lower-cased headers and a capped body
 * out. */
#include "http_client.h"
#include "http_client_priv.h"

#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void http_easy_clear_headers(http_req_t *h)
{
	for (size_t i = 0; i < h->n_headers; i++) {
		free(h->names[i]);
		free(h->values[i]);
	}
	h->n_headers = 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	http_req_t *h = arg;
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
	http_req_t *h = arg;
	size_t len = size * n;
	/* A new status line (after 100 Continue) starts a new header block. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		http_easy_clear_headers(h);
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

/* libcurl computes the signature over the method, the URL, every header
 * set here and CURLOPT_POSTFIELDS; it copies the strings. */
static int setup_sigv4(CURL *e, const ddns_http_sigv4_t *sig)
{
	if (sig->provider == NULL || strncmp(sig->provider, "aws:", 4) != 0 ||
	    sig->access_key == NULL || sig->access_key[0] == '\0' || sig->secret_key == NULL ||
	    sig->secret_key[0] == '\0' || strchr(sig->access_key, ':') != NULL)
		return -EINVAL;
	if (curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sig->provider) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERNAME, sig->access_key) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PASSWORD, sig->secret_key) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

int http_easy_setup(http_req_t *h, const ddns_http_request_t *req, const ddns_http_sigv4_t *sig)
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
	/* No "Expect: 100-continue" round trip for small API bodies.  Not for
	 * a signed request: libcurl 7.88 signs the removal as an empty
	 * "expect" header it then does not send, and AWS refuses the
	 * signature; its own Expect comes only past 1 MiB, which no DNS
	 * change batch reaches. */
	if (sig == NULL) {
		struct curl_slist *l = curl_slist_append(h->headers, "Expect:");
		if (l == NULL)
			return -ENOMEM;
		h->headers = l;
	}
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
	return sig != NULL ? setup_sigv4(e, sig) : 0;
}
