/* The web admin's sessions: a fixed table in memory, on the loop thread.
 * A session id is 256 random bits (gnutls_rnd), sent once in the cookie and
 * kept only as its SHA-256; each session has its own CSRF token, checked in
 * constant time on every form.  A session ends after session_idle_s unused,
 * after session_max_s in any case, at logout, and when its account is
 * deleted.  The cookie is Secure over HTTPS: native, or a trusted proxy's
 * (http.trusted_proxies saying X-Forwarded-Proto: https). */
#include "admin_priv.h"

#include <stdio.h>
#include <string.h>
#include <gnutls/crypto.h>

#include "httpd.h"
#include "log.h"

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int random_hex(char *out)
{
	uint8_t raw[ADMIN_TOKEN_BYTES];
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) != 0)
		return -1;
	hex(raw, sizeof(raw), out);
	return 0;
}

static void id_hash(const char *id, size_t len, uint8_t *out)
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, id, len, out);
}

static bool ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	volatile unsigned char diff = 0;
	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool expired(const admin_t *ad, const admin_session_t *s, uint64_t now)
{
	uint64_t idle = (uint64_t)ad->conf->admin.session_idle_s * 1000;
	uint64_t max = (uint64_t)ad->conf->admin.session_max_s * 1000;
	if (s->user[0] == '\0')
		idle = max = 3600 * 1000; /* a login form is filled in within the hour */
	return now - s->used_ms > idle || now - s->created_ms > max;
}

/* The cookie's value in a Cookie header ("a=1; ddns_admin=...; b=2"). */
static bool cookie_value(const char *header, char *out, size_t size)
{
	const size_t nlen = strlen(ADMIN_COOKIE);
	for (const char *p = header; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > nlen && strncmp(p, ADMIN_COOKIE, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen >= size)
				return false;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

admin_session_t *admin_session_find(admin_t *ad, httpd_req_t *req)
{
	char id[ADMIN_TOKEN_HEX + 1];
	if (!cookie_value(httpd_req_header(req, "Cookie"), id, sizeof(id)) ||
	    strlen(id) != ADMIN_TOKEN_HEX - 1)
		return NULL;
	uint8_t h[32];
	id_hash(id, strlen(id), h);
	uint64_t now = uv_now(ad->loop);
	for (size_t i = 0; i < ADMIN_MAX_SESSIONS; i++) {
		admin_session_t *s = &ad->sessions[i];
		if (!s->used || memcmp(s->id_hash, h, sizeof(h)) != 0)
			continue;
		if (expired(ad, s, now)) {
			admin_session_end(s);
			return NULL;
		}
		s->used_ms = now;
		return s;
	}
	return NULL;
}

admin_session_t *admin_session_new(admin_t *ad, const char *user, char *id)
{
	uint64_t now = uv_now(ad->loop);
	admin_session_t *slot = NULL;
	for (size_t i = 0; i < ADMIN_MAX_SESSIONS; i++) {
		admin_session_t *s = &ad->sessions[i];
		if (s->used && expired(ad, s, now))
			admin_session_end(s);
		if (!s->used) {
			slot = s;
			break;
		}
		/* full: the oldest anonymous one, else the least recently used */
		if (slot == NULL || (slot->user[0] != '\0' && s->user[0] == '\0') ||
		    ((slot->user[0] == '\0') == (s->user[0] == '\0') && s->used_ms < slot->used_ms))
			slot = s;
	}
	admin_session_t fresh = { .used = true, .created_ms = now, .used_ms = now };
	if (random_hex(id) != 0 || random_hex(fresh.csrf) != 0) {
		log_err("admin", "no random numbers for a session");
		return NULL;
	}
	id_hash(id, strlen(id), fresh.id_hash);
	snprintf(fresh.user, sizeof(fresh.user), "%s", user);
	*slot = fresh;
	return slot;
}

void admin_session_end(admin_session_t *s)
{
	memset(s, 0, sizeof(*s));
}

void admin_session_end_user(admin_t *ad, const char *user)
{
	for (size_t i = 0; i < ADMIN_MAX_SESSIONS; i++) {
		if (ad->sessions[i].used && strcmp(ad->sessions[i].user, user) == 0)
			admin_session_end(&ad->sessions[i]);
	}
}

bool admin_session_csrf_ok(const admin_session_t *s, const char *token)
{
	if (token == NULL)
		return false;
	return ct_equal(token, strlen(token), s->csrf, strlen(s->csrf));
}

void admin_session_cookie(admin_t *ad, httpd_req_t *req, const char *id)
{
	char v[256];
	/* no Max-Age: a browser session; the server ends it anyway */
	snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", ADMIN_COOKIE,
	         id != NULL ? id : "", ad->tls || httpd_req_https(req) ? "; Secure" : "",
	         id != NULL ? "" : "; Max-Age=0");
	httpd_req_add_header(req, "Set-Cookie", v);
}
