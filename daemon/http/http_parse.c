/* The pure parts of request handling (see http_parse.h).  Everything here
 * reads bytes a client chose, so it is what tests/fuzz/fuzz_http.c drives. */
#include "http_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- form fields ---- */

/* Append @p n bytes and a NUL. */
static int form_put(http_parse_form_t *f, const char *data, size_t n)
{
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 256;
		while (cap < f->len + n + 1)
			cap *= 2;
		char *nb = realloc(f->buf, cap);
		if (nb == NULL)
			return -ENOMEM;
		f->buf = nb;
		f->cap = cap;
	}
	if (n > 0)
		memcpy(f->buf + f->len, data, n);
	f->len += n;
	f->buf[f->len++] = '\0';
	return 0;
}

int http_parse_form_add(http_parse_form_t *f, const char *key, const char *data,
                        uint64_t off, size_t size)
{
	if (data == NULL)
		size = 0;
	if (off > 0) {
		if (f->dropping || f->n == 0)
			return 0;
		/* The value continues: it is the last thing in buf. */
		http_parse_field_t *last = &f->fields[f->n - 1];
		f->len--; /* drop its NUL */
		if (form_put(f, data, size) != 0) {
			f->buf[f->len++] = '\0';
			return -ENOMEM;
		}
		last->vlen += size;
		return 0;
	}
	f->dropping = f->n == HTTP_PARSE_MAX_FIELDS;
	if (f->dropping)
		return 0; /* keep the first ones */
	size_t start = f->len;
	http_parse_field_t *fld = &f->fields[f->n];
	fld->key = f->len;
	if (form_put(f, key, key != NULL ? strlen(key) : 0) != 0)
		return -ENOMEM;
	fld->val = f->len;
	if (form_put(f, data, size) != 0) {
		f->len = start;
		return -ENOMEM;
	}
	fld->vlen = size;
	f->n++;
	return 0;
}

const char *http_parse_form_get(const http_parse_form_t *f, const char *name)
{
	for (size_t i = f->n; i-- > 0;)
		if (strcmp(f->buf + f->fields[i].key, name) == 0)
			return f->buf + f->fields[i].val;
	return NULL;
}

void http_parse_form_recycle(http_parse_form_t *f)
{
	f->len = 0;
	f->n = 0;
	f->dropping = 0;
}

void http_parse_form_free(http_parse_form_t *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* ---- the dynamicdns API's path ---- */

int http_parse_path_name(const char *tail, char *out)
{
	char buf[NAME_TEXT_MAX + 2];
	size_t n = strlen(tail);
	if (n > 0 && tail[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(buf) || memchr(tail, '/', n) != NULL)
		return -EINVAL;
	memcpy(buf, tail, n);
	buf[n] = '\0';
	return addr_name_normalize(buf, out);
}

/* ---- X-Forwarded-For ---- */

static bool xff_trusted(const addr_cidr_t *trusted, size_t n, const addr_t *a)
{
	for (size_t i = 0; i < n; i++)
		if (addr_cidr_match(&trusted[i], a))
			return true;
	return false;
}

/* Parse one hop "  1.2.3.4 " or "[2001:db8::1]". */
static int xff_hop(const char *s, size_t n, addr_t *out)
{
	char buf[ADDR_TEXT_MAX + 2];
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return addr_parse(buf, out);
}

void http_parse_xff(const char *const *v, size_t n, const addr_cidr_t *trusted,
                    size_t n_trusted, addr_t *cur)
{
	for (size_t i = n; i-- > 0;) {
		size_t end = strlen(v[i]);
		while (xff_trusted(trusted, n_trusted, cur)) {
			size_t start = end;
			while (start > 0 && v[i][start - 1] != ',')
				start--;
			addr_t a;
			if (xff_hop(v[i] + start, end - start, &a) != 0)
				return; /* garbage from a proxy: stop at the proxy */
			*cur = a;
			if (start == 0)
				break;
			end = start - 1;
		}
		if (!xff_trusted(trusted, n_trusted, cur))
			return;
	}
}
