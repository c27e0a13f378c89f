/* HTML for the web admin's pages: a growing buffer, escaping, and the
 * layout every page shares.  No inline script or style anywhere: the
 * Content-Security-Policy (admin.c) allows only /static/ files. */
#include "admin_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool ah_grow(ahtml_t *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void ah_mem(ahtml_t *b, const char *s, size_t n)
{
	if (!ah_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ah_raw(ahtml_t *b, const char *s)
{
	ah_mem(b, s, strlen(s));
}

void ah_fmt(ahtml_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[512];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		ah_mem(b, small, (size_t)n);
		return;
	}
	if (!ah_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ah_text(ahtml_t *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': ah_raw(b, "&amp;"); break;
		case '<': ah_raw(b, "&lt;"); break;
		case '>': ah_raw(b, "&gt;"); break;
		case '"': ah_raw(b, "&quot;"); break;
		case '\'': ah_raw(b, "&#39;"); break;
		default: ah_mem(b, s, 1);
		}
	}
}

void ah_url(ahtml_t *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			ah_mem(b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			ah_mem(b, e, 3);
		}
	}
}

void ah_csrf(ahtml_t *b, const char *csrf)
{
	ah_raw(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	ah_text(b, csrf);
	ah_raw(b, "\">");
}

void ah_head(ahtml_t *b, const char *title, const char *user, const char *csrf)
{
	ah_raw(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	          "<title>");
	ah_text(b, title);
	ah_raw(b, " - ddnsd admin</title>"
	          "<link rel=\"stylesheet\" href=\"/static/admin.css\">"
	          "<link rel=\"icon\" href=\"/favicon.ico\">"
	          "<script src=\"/static/admin.js\" defer></script></head><body>\n"
	          "<header><span class=\"brand\">ddnsd</span>");
	if (user[0] != '\0') {
		ah_raw(b, "<nav><a href=\"/records\">Records</a> <a href=\"/records/new\">Add a "
		          "record</a> <a href=\"/providers\">Providers</a> <a href=\"/activity\">"
		          "Activity</a></nav><form class=\"logout\" method=\"post\" "
		          "action=\"/logout\">");
		ah_csrf(b, csrf);
		ah_raw(b, "<span class=\"user\">");
		ah_text(b, user);
		ah_raw(b, "</span> <button type=\"submit\" id=\"logout\">Log out</button></form>");
	}
	ah_raw(b, "</header>\n<main>\n<h1>");
	ah_text(b, title);
	ah_raw(b, "</h1>\n");
}

void ah_foot(ahtml_t *b)
{
	ah_raw(b, "</main>\n</body></html>\n");
}

void ah_time(int64_t t, char *buf)
{
	if (t == 0) {
		snprintf(buf, 32, "never");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void ah_free(ahtml_t *b)
{
	free(b->p);
	*b = (ahtml_t){ 0 };
}

void admin_page_error(ahtml_t *b, const char *user, const char *csrf, const char *msg)
{
	ah_head(b, "Error", user, csrf);
	ah_raw(b, "<p class=\"error\" id=\"error\">");
	ah_text(b, msg);
	ah_raw(b, "</p><p><a href=\"/records\">Back to the records</a></p>");
	ah_foot(b);
}
