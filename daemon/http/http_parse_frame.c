/* The request line and framing headers (see http_parse.h): whether a
 * request's Content-Length and Transfer-Encoding are unambiguous, and the
 * path of an absolute-form target.
 *
 * libmicrohttpd 0.9.75 (Debian 12) frames leniently: of two Content-Length
 * headers it takes the first and serves the rest of the body as a second
 * request; with Content-Length and Transfer-Encoding it keeps the
 * connection; with a coding it does not know it reads the body until the
 * client closes.  A proxy in front of ddnsd may frame the same bytes the
 * other way (request smuggling), so anything but one clear framing is
 * refused before the body is read, and the connection closed
 * (httpd_conn.c).  Client bytes: the fuzzer (tests/fuzz/fuzz_http.c)
 * reaches both functions. */
#include "http_parse.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool all_digits(const char *s)
{
	while (is_ows(*s))
		s++;
	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	while (is_ows(*s))
		s++;
	return *s == '\0';
}

/* Walk the elements of the Transfer-Encoding lists: how many, how many
 * are "chunked" and whether "chunked" came last. */
typedef struct te_count {
	size_t n, chunked;
	bool chunked_last, unknown;
} te_count_t;

static void te_element(te_count_t *t, const char *s, size_t n)
{
	while (n > 0 && is_ows(*s))
		s++, n--;
	while (n > 0 && is_ows(s[n - 1]))
		n--;
	if (n == 0)
		return; /* an empty list element (RFC 9110 §5.6.1.2) */
	t->n++;
	t->chunked_last = n == 7 && strncasecmp(s, "chunked", 7) == 0;
	if (t->chunked_last)
		t->chunked++;
	else
		t->unknown = true;
}

unsigned http_parse_framing(const char *const *cl, size_t n_cl,
                            const char *const *te, size_t n_te, bool http10,
                            const char **why)
{
	*why = NULL;
	if (n_te > 0 && n_cl > 0) {
		*why = "both Content-Length and Transfer-Encoding";
		return 400;
	}
	if (n_cl > 1) {
		*why = "more than one Content-Length";
		return 400;
	}
	if (n_cl == 1 && !all_digits(cl[0])) {
		*why = "Content-Length is not a number";
		return 400;
	}
	if (n_te == 0)
		return 0;
	if (http10) {
		*why = "Transfer-Encoding in an HTTP/1.0 request";
		return 400;
	}
	te_count_t t = { 0 };
	for (size_t i = 0; i < n_te; i++) {
		const char *s = te[i];
		for (const char *comma; (comma = strchr(s, ',')) != NULL; s = comma + 1)
			te_element(&t, s, (size_t)(comma - s));
		te_element(&t, s, strlen(s));
	}
	if (t.unknown) {
		*why = "transfer coding other than chunked";
		return 501;
	}
	if (t.n != 1 || !t.chunked_last) {
		*why = t.n == 0 ? "empty Transfer-Encoding" : "chunked more than once";
		return 400;
	}
	return 0;
}

/* absolute-form starts with a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-"
 * / "." ) ":" (RFC 3986 §3.1); origin-form with '/'. */
static bool has_scheme(const char *t)
{
	if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')))
		return false;
	for (t++; *t != ':'; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '+' || *t == '-' || *t == '.'))
			return false;
	return true;
}

int http_parse_target(const char *target, char **path)
{
	*path = NULL;
	if (!has_scheme(target))
		return 0; /* origin-form, or nothing a route will match */
	CURLU *u = curl_url();
	if (u == NULL)
		return -ENOMEM;
	int rc = -EINVAL;
	char *scheme = NULL, *p = NULL;
	/* Dot segments stay: origin-form keeps them too, and a route is a
	 * plain prefix either way. */
	if (curl_url_set(u, CURLUPART_URL, target, CURLU_PATH_AS_IS) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
		goto out;
	CURLUcode uc = curl_url_get(u, CURLUPART_PATH, &p, 0);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		rc = -ENOMEM;
		goto out;
	}
	if (uc != CURLUE_OK || p[0] != '/')
		goto out;
	*path = strdup(p);
	rc = *path != NULL ? 0 : -ENOMEM;
out:
	curl_free(p);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}
