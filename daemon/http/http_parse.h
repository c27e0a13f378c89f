/**
 * @file http_parse.h
 * @brief The pure parts of HTTP request handling, apart from sockets and
 *        libmicrohttpd, so that unit tests and the fuzzer reach them:
 *        form fields as the post processor hands them over, the name in a
 *        dynamicdns API path (/dynamicdns/update/<name>/), the client
 *        behind trusted proxies (http_parse.c), and the request's framing
 *        headers and target (http_parse_frame.c).
 */
#ifndef DDNS_HTTP_PARSE_H
#define DDNS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"

/** Fields kept per request; later ones are ignored. */
#define HTTP_PARSE_MAX_FIELDS 16

/** A form field: offsets into http_parse_form_t.buf. */
typedef struct http_parse_field {
	size_t key, val, vlen;
} http_parse_field_t;

/** Form fields in one buffer, keys and values NUL-terminated.  Zero it to
 *  start; the buffer is owned (http_parse_form_free()). */
typedef struct http_parse_form {
	char *buf;
	size_t len, cap;
	http_parse_field_t fields[HTTP_PARSE_MAX_FIELDS];
	size_t n;
	/** The field being received was dropped (one too many): its next
	 *  chunks are dropped too, not appended to the last kept field. */
	int dropping;
} http_parse_form_t;

/**
 * Take one chunk of a field, as MHD's post processor gives it: @p off 0
 * starts field @p key, a later @p off continues the field started last.
 * @p data may be NULL (an empty value).
 * @return 0, or -ENOMEM (the form is left as it was before the chunk).
 */
int http_parse_form_add(http_parse_form_t *f, const char *key, const char *data,
                        uint64_t off, size_t size);
/** The value of the last field named @p name (borrowed from @p f), or NULL.
 *  The last one wins, as with Django's QueryDict (django-dynamic-dns). */
const char *http_parse_form_get(const http_parse_form_t *f, const char *name);
/** Forget the fields, keep the buffer for the next request. */
void http_parse_form_recycle(http_parse_form_t *f);
/** Free the buffer. */
void http_parse_form_free(http_parse_form_t *f);

/**
 * The normalised domain name in a path tail "<domain>/" (the part after
 * "/dynamicdns/update/"; trailing slash optional, one trailing dot and any
 * case tolerated) into @p out (NAME_TEXT_MAX).
 * @return 0, or -EINVAL if it is empty, holds another '/' or is no name.
 */
int http_parse_path_name(const char *tail, char *out);

/**
 * Walk X-Forwarded-For values @p v[0..n) (in header order) from the right
 * while the current hop @p cur is one of the @p n_trusted proxies: the
 * first untrusted address is the client, left in @p cur.  A hop that is
 * not an address (bare or in brackets) stops the walk at the proxy that
 * sent it.
 */
void http_parse_xff(const char *const *v, size_t n, const addr_cidr_t *trusted,
                    size_t n_trusted, addr_t *cur);

/**
 * Judge how a request says its body is framed (RFC 9112 §6), before any of
 * the body is read: @p cl[0..n_cl) are its Content-Length values and
 * @p te[0..n_te) its Transfer-Encoding values, in header order; @p http10
 * for an HTTP/1.0 request.  Accepted: neither header, one Content-Length of
 * digits, or Transfer-Encoding naming exactly one coding, "chunked"
 * (case-insensitive, empty list elements ignored).  Two Content-Length
 * headers are refused even when equal, as is a list "5, 44": no client
 * needs them and a proxy in front may have picked another one.
 * @return 0; 400 for ambiguous or malformed framing (both headers, several
 *         or non-numeric Content-Length, chunked twice or not last,
 *         Transfer-Encoding in HTTP/1.0, an empty Transfer-Encoding);
 *         501 for a transfer coding other than chunked (RFC 9112 §6.1).
 *         @p why is set to a short static reason when not 0.
 */
unsigned http_parse_framing(const char *const *cl, size_t n_cl,
                            const char *const *te, size_t n_te, bool http10,
                            const char **why);

/**
 * The path of a request target.  Origin-form ("/nic/update") is used as it
 * is: @p *path is set to NULL.  Absolute-form ("http://host/nic/update",
 * which RFC 9112 §3.2.2 says a server MUST accept) is parsed with the curl
 * URL API, dot segments left as they are (as in origin-form): @p *path is
 * its path, always starting with '/', malloc()ed for the caller to free.
 * The query is not part of @p target (libmicrohttpd splits it off).
 * @return 0, -EINVAL for absolute-form that is not an http or https URL,
 *         -ENOMEM.
 */
int http_parse_target(const char *target, char **path);

#endif
