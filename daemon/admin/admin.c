/* The web admin's server and routes: see admin.h.  This file takes each
 * request on the loop, finds its session, checks its CSRF token, and hands
 * the work to a job (admin_job.c) or answers at once (login form, static
 * files, redirects).  Every answer carries the headers that keep the pages
 * to themselves: a strict Content-Security-Policy (scripts and styles from
 * /static/ only, no inline code), X-Frame-Options DENY, no-store. */
#include "admin_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "error.h"
#include "log.h"

#define ADMIN_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* ---- the static files: the copy button's script and the style sheet ---- */

static const char admin_js[] =
	"'use strict';\n"
	"// The copy button of a key page: copies the text of the element named\n"
	"// by data-copy and shows the 'copied' mark.\n"
	"document.addEventListener('DOMContentLoaded', function () {\n"
	"  document.querySelectorAll('button[data-copy]').forEach(function (b) {\n"
	"    b.addEventListener('click', function () {\n"
	"      var el = document.getElementById(b.dataset.copy);\n"
	"      var mark = document.getElementById('copied');\n"
	"      var shown = function () { if (mark) mark.hidden = false; };\n"
	"      var fallback = function () {\n"
	"        var r = document.createRange(); r.selectNodeContents(el);\n"
	"        var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);\n"
	"        if (document.execCommand('copy')) shown();\n"
	"      };\n"
	"      if (navigator.clipboard && window.isSecureContext)\n"
	"        navigator.clipboard.writeText(el.textContent).then(shown, fallback);\n"
	"      else\n"
	"        fallback();\n"
	"    });\n"
	"  });\n"
	"});\n";

static const char admin_css[] =
	"body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\n"
	"header{display:flex;gap:1.5em;align-items:center;background:#1d2330;color:#fff;"
	"padding:.6em 1.2em}\n"
	"header a{color:#cfe0ff;margin-right:1em;text-decoration:none}\n"
	".brand{font-weight:bold}.logout{margin-left:auto}.user{color:#cfd3da}\n"
	"main{padding:1em 1.5em;max-width:1200px}\n"
	"table{border-collapse:collapse;background:#fff;margin:.5em 0}\n"
	"th,td{border:1px solid #d8dce3;padding:.3em .6em;text-align:left;"
	"font-size:.92em}\n"
	"th{background:#eef0f4}\n"
	".ok{color:#137333}.bad{color:#b3261e;font-weight:bold}\n"
	".error{color:#b3261e;font-weight:bold}.note{color:#5b6270}\n"
	".badge{font-size:.75em;background:#e8eaf0;border-radius:3px;padding:0 .4em}\n"
	"pre.client{background:#fff;border:1px solid #d8dce3;padding:.6em;overflow:auto}\n"
	"form.login,form.edit{display:flex;flex-direction:column;gap:.6em;max-width:26em}\n"
	"label{display:flex;flex-direction:column;gap:.2em}\n"
	".actions{display:flex;gap:1em;align-items:center;margin:1em 0}\n"
	".actions form{display:inline}\n"
	".danger{color:#b3261e}button.danger{color:#fff;background:#b3261e;border:0;"
	"padding:.3em .8em}\n"
	"code#key{font-size:1.1em;background:#fff;border:1px solid #d8dce3;padding:.2em .4em}\n"
	"svg.chart{width:100%;max-width:960px;background:#fff;border:1px solid #d8dce3}\n"
	"svg .applied{fill:#3b6fd8}svg .failed{fill:#d8433b}svg .axis{stroke:#5b6270}\n"
	"svg .label{font-size:11px;fill:#5b6270}\n"
	".key.applied,.key.failed{display:inline-block;width:.8em;height:.8em}\n"
	".key.applied{background:#3b6fd8}.key.failed{background:#d8433b}\n";

/* ---- answers ---- */

static void security_headers(httpd_req_t *req, bool page)
{
	httpd_req_add_header(req, "Content-Security-Policy", ADMIN_CSP);
	httpd_req_add_header(req, "X-Frame-Options", "DENY");
	httpd_req_add_header(req, "X-Content-Type-Options", "nosniff");
	httpd_req_add_header(req, "Referrer-Policy", "same-origin");
	httpd_req_add_header(req, "Cache-Control", page ? "no-store" : "max-age=3600");
}

static void reply_html(httpd_req_t *req, unsigned status, ahtml_t *b)
{
	if (b->oom || b->p == NULL) {
		httpd_reply(req, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
		return;
	}
	httpd_reply(req, status, "text/html; charset=utf-8", b->p, b->len);
}

static void redirect(httpd_req_t *req, const char *to)
{
	security_headers(req, true);
	httpd_req_add_header(req, "Location", to);
	httpd_reply(req, 303, "text/plain; charset=utf-8", "", 0);
}

static void error_page(httpd_req_t *req, unsigned status, const admin_session_t *s,
                       const char *msg)
{
	ahtml_t b = { 0 };
	admin_page_error(&b, s != NULL ? s->user : "", s != NULL ? s->csrf : "", msg);
	security_headers(req, true);
	reply_html(req, status, &b);
	ah_free(&b);
}

static void maybe_free(admin_t *ad)
{
	if (!ad->closing || ad->n_jobs > 0)
		return;
	admin_pool_close(ad);
	uv_mutex_destroy(&ad->pool_lock);
	free(ad->db_path);
	free(ad);
}

/* ---- logging in ---- */

static void login_form(admin_t *ad, httpd_req_t *req, admin_session_t *s, unsigned status,
                       const char *error)
{
	char id[ADMIN_TOKEN_HEX];
	if (s == NULL) {
		s = admin_session_new(ad, "", id);
		if (s == NULL) {
			httpd_reply(req, 503, "text/plain; charset=utf-8", "no randomness\n", 14);
			return;
		}
		admin_session_cookie(ad, req, id);
	}
	ahtml_t b = { 0 };
	admin_page_login(&b, s->csrf, error);
	security_headers(req, true);
	reply_html(req, status, &b);
	ah_free(&b);
}

static void delay_closed_cb(uv_handle_t *h)
{
	admin_delay_t *d = h->data;
	admin_job_t *j = d->job;
	admin_t *ad = j->ad;
	ahtml_t b = { 0 };
	admin_page_login(&b, j->csrf, "Wrong user name or password.");
	security_headers(j->req, true);
	reply_html(j->req, 403, &b);
	ah_free(&b);
	admin_job_free(j);
	free(d);
	ad->n_jobs--;
	maybe_free(ad);
}

static void delay_unlink(admin_delay_t *d)
{
	admin_t *ad = d->job->ad;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		ad->delays = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
}

static void delay_cb(uv_timer_t *t)
{
	admin_delay_t *d = t->data;
	delay_unlink(d);
	uv_close((uv_handle_t *)t, delay_closed_cb);
}

/* A failed login is answered late, like a failed update
 * (auth_fail_delay_ms; auth_throttle_delay_ms from a source that failed too
 * often, counted by the same abuse table as the update API's). */
static void login_failed(admin_job_t *j)
{
	admin_t *ad = j->ad;
	const addr_t *client = httpd_req_client_addr(j->req);
	uint64_t now = uv_now(ad->loop);
	bool throttled = false;
	if (ad->env.abuse != NULL && client != NULL) {
		/* as the pipeline does: the failure that reaches the limit still
		 * waits the usual delay, the ones after it the longer one */
		throttled = abuse_source_throttled(ad->env.abuse, client, now);
		if (!throttled)
			abuse_auth_failed(ad->env.abuse, client, now);
	}
	uint64_t delay = throttled ? ad->conf->auth_throttle_delay_ms
	                           : ad->conf->auth_fail_delay_ms;
	log_notice(j->name[0] ? j->name : "admin", "admin: failed login from %s%s",
	           j->client, throttled ? " (throttled)" : "");
	admin_delay_t *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		httpd_reply(j->req, 503, "text/plain; charset=utf-8", "out of memory\n", 14);
		admin_job_free(j);
		return;
	}
	d->job = j;
	uv_timer_init(ad->loop, &d->timer);
	d->timer.data = d;
	d->next = ad->delays;
	if (ad->delays != NULL)
		ad->delays->prev = d;
	ad->delays = d;
	ad->n_jobs++;
	uv_timer_start(&d->timer, delay_cb, delay, 0);
}

static void login_done(admin_job_t *j)
{
	admin_t *ad = j->ad;
	if (!j->login_ok) {
		if (j->status == 503) {
			error_page(j->req, 503, NULL, "The store cannot be read now.");
			admin_job_free(j);
			return;
		}
		login_failed(j);
		return;
	}
	/* a new id at login: a session id seen before it is worth nothing */
	admin_session_t *old = NULL;
	for (size_t i = 0; i < ADMIN_MAX_SESSIONS; i++) {
		if (ad->sessions[i].used && ad->sessions[i].user[0] == '\0' &&
		    strcmp(ad->sessions[i].csrf, j->csrf) == 0)
			old = &ad->sessions[i];
	}
	if (old != NULL)
		admin_session_end(old);
	char id[ADMIN_TOKEN_HEX];
	if (admin_session_new(ad, j->name, id) == NULL) {
		error_page(j->req, 503, NULL, "No session could be made.");
		admin_job_free(j);
		return;
	}
	log_notice(j->name, "admin: logged in from %s", j->client);
	admin_session_cookie(ad, j->req, id);
	redirect(j->req, "/records");
	admin_job_free(j);
}

/* ---- jobs back on the loop ---- */

static void job_reply(admin_job_t *j)
{
	if (j->location[0] != '\0') {
		redirect(j->req, j->location);
	} else {
		security_headers(j->req, true);
		reply_html(j->req, j->status ? j->status : 200, &j->html);
	}
	admin_job_free(j);
}

static void changed_done(void *arg)
{
	admin_job_t *j = arg;
	admin_t *ad = j->ad;
	job_reply(j);
	ad->n_jobs--;
	maybe_free(ad);
}

static void job_done(admin_job_t *j, int status)
{
	admin_t *ad = j->ad;
	ad->n_jobs--;
	if (j->kind == ADMIN_JOB_LOGIN)
		ad->n_checks--;
	if (status != 0) {
		error_page(j->req, 503, NULL, "Stopping.");
		admin_job_free(j);
	} else if (j->user_gone) {
		log_notice(j->user, "admin: account gone, its sessions end");
		admin_session_end_user(ad, j->user);
		redirect(j->req, "/login");
		admin_job_free(j);
	} else if (j->kind == ADMIN_JOB_LOGIN) {
		login_done(j);
	} else if (j->changed && !ad->closing && ad->env.store_changed != NULL) {
		/* answer once the loop has the change: the new key works, the old
		 * one is refused, when the browser shows it */
		ad->n_jobs++;
		ad->env.store_changed(ad->env.arg, changed_done, j);
	} else {
		job_reply(j);
	}
	maybe_free(ad);
}

/* ---- routes ---- */

static admin_job_t *job_for(admin_t *ad, httpd_req_t *req, admin_job_kind_t kind,
                            const admin_session_t *s)
{
	admin_job_t *j = admin_job_new(ad, req, kind, s);
	if (j == NULL)
		return NULL;
	j->now = (int64_t)time(NULL);
	snprintf(j->client, sizeof(j->client), "%s", httpd_req_client(req));
	snprintf(j->public_url, sizeof(j->public_url), "%s",
	         ad->conf->admin.public_url != NULL ? ad->conf->admin.public_url : "");
	return j;
}

static void job_start(httpd_req_t *req, admin_job_t *j, const admin_session_t *s)
{
	if (j == NULL || admin_job_queue(j, job_done) != 0) {
		if (j != NULL && j->kind == ADMIN_JOB_LOGIN)
			j->ad->n_checks--;
		admin_job_free(j);
		error_page(req, 503, s, "Busy.");
	}
}

static int copy_providers(admin_t *ad, admin_job_t *j)
{
	size_t n = ad->conf->n_providers;
	j->providers = calloc(n ? n : 1, sizeof(*j->providers));
	if (j->providers == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		snprintf(j->providers[i], sizeof(j->providers[i]), "%s",
		         ad->conf->providers[i].name);
	j->n_providers = n;
	return 0;
}

static void form_copy(httpd_req_t *req, const char *field, char *out, size_t size)
{
	const char *v = httpd_req_form(req, field);
	snprintf(out, size, "%s", v != NULL ? v : "");
}

/* "T:NAME" of the records list's next link into a cursor. */
static void parse_cursor(const char *text, store_cursor_t *c)
{
	*c = (store_cursor_t){ .first = true };
	if (text == NULL || text[0] == '\0')
		return;
	char *end = NULL;
	long long t = strtoll(text, &end, 10);
	if (end == text || *end != ':')
		return;
	c->first = false;
	c->last_change = t;
	snprintf(c->name, sizeof(c->name), "%s", end + 1);
}

static void handle_login(admin_t *ad, httpd_req_t *req, admin_session_t *s, bool post)
{
	if (!post) {
		if (s != NULL && s->user[0] != '\0')
			redirect(req, "/records");
		else
			login_form(ad, req, s, 200, "");
		return;
	}
	if (s == NULL || !admin_session_csrf_ok(s, httpd_req_form(req, "csrf"))) {
		/* an expired form: a fresh one, not a password check */
		login_form(ad, req, s, 403, "The form expired: please log in again.");
		return;
	}
	if (ad->n_checks >= ADMIN_MAX_CHECKS) {
		log_warn("admin", "login from %s refused: %u password checks running",
		         httpd_req_client(req), ad->n_checks);
		httpd_req_add_header(req, "Retry-After", "1");
		login_form(ad, req, s, 503, "Busy: please try again in a moment.");
		return;
	}
	admin_job_t *j = job_for(ad, req, ADMIN_JOB_LOGIN, s);
	if (j != NULL) {
		ad->n_checks++;
		form_copy(req, "user", j->name, sizeof(j->name));
		const char *pw = httpd_req_form(req, "password");
		if (pw == NULL || strlen(pw) > ADMIN_PASSWORD_MAX)
			pw = "";
		snprintf(j->password, sizeof(j->password), "%s", pw);
	}
	job_start(req, j, s);
}

/* The record's name from "/record/NAME[/ACTION]": its action into @p action. */
static bool record_path(const char *path, char *name, const char **action)
{
	const char *p = path + strlen("/record/");
	const char *slash = strchr(p, '/');
	size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	char raw[NAME_TEXT_MAX];
	if (n == 0 || n >= sizeof(raw))
		return false;
	memcpy(raw, p, n);
	raw[n] = '\0';
	*action = slash != NULL ? slash + 1 : "";
	return addr_name_normalize(raw, name) == 0;
}

static void handle_record(admin_t *ad, httpd_req_t *req, admin_session_t *s, bool post)
{
	char name[NAME_TEXT_MAX];
	const char *action;
	if (!record_path(httpd_req_path(req), name, &action)) {
		error_page(req, 404, s, "No such record.");
		return;
	}
	admin_job_kind_t kind;
	if (!post && action[0] == '\0')
		kind = ADMIN_JOB_RECORD;
	else if (!post && strcmp(action, "delete") == 0)
		kind = ADMIN_JOB_DELETE_ASK;
	else if (post && strcmp(action, "delete") == 0)
		kind = ADMIN_JOB_DELETE;
	else if (post && strcmp(action, "rotate") == 0)
		kind = ADMIN_JOB_ROTATE;
	else {
		error_page(req, 404, s, "No such page.");
		return;
	}
	admin_job_t *j = job_for(ad, req, kind, s);
	if (j != NULL)
		snprintf(j->name, sizeof(j->name), "%s", name);
	job_start(req, j, s);
}

static void handle_static(httpd_req_t *req, const char *path)
{
	security_headers(req, false);
	if (strcmp(path, "/static/admin.js") == 0)
		httpd_reply(req, 200, "text/javascript; charset=utf-8", admin_js,
		            sizeof(admin_js) - 1);
	else if (strcmp(path, "/static/admin.css") == 0)
		httpd_reply(req, 200, "text/css; charset=utf-8", admin_css, sizeof(admin_css) - 1);
	else
		httpd_reply(req, 204, NULL, "", 0); /* /favicon.ico: none */
}

/* A POST from another origin (a page elsewhere, a DNS-rebinding name
 * pointing at loopback) is refused before its token is even looked at.
 * Browsers send Origin with every POST; a client without one (curl) is
 * judged by its CSRF token alone. */
static bool origin_ok(httpd_req_t *req)
{
	const char *origin = httpd_req_header(req, "Origin");
	const char *host = httpd_req_header(req, "Host");
	if (origin == NULL)
		return true;
	const char *sep = strstr(origin, "://");
	return host != NULL && sep != NULL && strcmp(sep + 3, host) == 0;
}

static void admin_handle(httpd_req_t *req, void *arg)
{
	admin_t *ad = arg;
	const char *m = httpd_req_method(req), *path = httpd_req_path(req);
	bool post = strcmp(m, "POST") == 0;
	if (!post && strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
		httpd_req_add_header(req, "Allow", "GET, HEAD, POST");
		httpd_reply(req, 405, "text/plain; charset=utf-8", "method not allowed\n", 19);
		return;
	}
	if (!post && (strncmp(path, "/static/", 8) == 0 || strcmp(path, "/favicon.ico") == 0)) {
		handle_static(req, path);
		return;
	}
	if (post && !origin_ok(req)) {
		log_warn("admin", "a form from %s posted from origin %s refused",
		         httpd_req_client(req), httpd_req_header(req, "Origin"));
		error_page(req, 403, NULL, "This form comes from another site.");
		return;
	}
	admin_session_t *s = admin_session_find(ad, req);
	if (strcmp(path, "/login") == 0) {
		handle_login(ad, req, s, post);
		return;
	}
	if (s == NULL || s->user[0] == '\0') {
		if (post)
			error_page(req, 403, NULL, "Not logged in.");
		else
			redirect(req, "/login");
		return;
	}
	if (post && !admin_session_csrf_ok(s, httpd_req_form(req, "csrf"))) {
		log_warn(s->user, "admin: a form from %s without its CSRF token refused",
		         httpd_req_client(req));
		error_page(req, 403, s, "This form lacks its token (CSRF): reload the page "
		           "and try again.");
		return;
	}
	if (post && strcmp(path, "/logout") == 0) {
		log_notice(s->user, "admin: logged out");
		admin_session_end(s);
		admin_session_cookie(ad, req, NULL);
		redirect(req, "/login");
	} else if (!post && strcmp(path, "/") == 0) {
		redirect(req, "/records");
	} else if (!post && strcmp(path, "/records") == 0) {
		admin_job_t *j = job_for(ad, req, ADMIN_JOB_RECORDS, s);
		if (j != NULL) {
			const char *q = httpd_req_query(req, "q");
			snprintf(j->search, sizeof(j->search), "%s", q != NULL ? q : "");
			parse_cursor(httpd_req_query(req, "after"), &j->cursor);
		}
		job_start(req, j, s);
	} else if (strcmp(path, "/records/new") == 0) {
		admin_job_t *j = job_for(ad, req, ADMIN_JOB_ADD, s);
		if (j == NULL || copy_providers(ad, j) != 0) {
			admin_job_free(j);
			error_page(req, 503, s, "Out of memory.");
		} else if (!post) {
			security_headers(req, true);
			admin_page_new(&j->html, s->user, s->csrf, j->providers, j->n_providers, "");
			reply_html(req, 200, &j->html);
			admin_job_free(j);
		} else {
			form_copy(req, "name", j->name, sizeof(j->name));
			form_copy(req, "provider", j->provider, sizeof(j->provider));
			form_copy(req, "lan_ipv4", j->lan_ipv4, sizeof(j->lan_ipv4));
			form_copy(req, "lan_ipv6", j->lan_ipv6, sizeof(j->lan_ipv6));
			job_start(req, j, s);
		}
	} else if (strncmp(path, "/record/", 8) == 0) {
		handle_record(ad, req, s, post);
	} else if (!post && strcmp(path, "/providers") == 0) {
		admin_job_t *j = job_for(ad, req, ADMIN_JOB_PROVIDERS, s);
		if (j != NULL && copy_providers(ad, j) != 0) {
			admin_job_free(j);
			j = NULL;
		}
		job_start(req, j, s);
	} else if (!post && strcmp(path, "/activity") == 0) {
		job_start(req, job_for(ad, req, ADMIN_JOB_ACTIVITY, s), s);
	} else {
		error_page(req, 404, s, "No such page.");
	}
}

/* ---- life ---- */

int admin_start(uv_loop_t *loop, const conf_t *conf, httpd_tls_t *tls,
                const admin_env_t *env, admin_t **out, char *err, size_t errlen)
{
	admin_t *ad = calloc(1, sizeof(*ad));
	if (ad == NULL || (ad->db_path = strdup(conf->database)) == NULL) {
		free(ad);
		snprintf(err, errlen, "admin: out of memory");
		return -ENOMEM;
	}
	uv_mutex_init(&ad->pool_lock);
	ad->loop = loop;
	ad->env = *env;
	ad->conf = conf;
	ad->tls = tls != NULL;
	httpd_config_t hc = {
		.listen = (const char *const *)conf->admin.listen,
		.n_listen = conf->admin.n_listen,
		.trusted = conf->trusted_proxies, .n_trusted = conf->n_trusted_proxies,
		.max_body = 16384, .tls = tls,
		.connection_limit = 64,
		.connection_timeout_s = conf->connection_timeout_s,
		.per_ip_limit = 32,
		.conn_memory = conf->max_header_bytes,
		.request_timeout_s = conf->request_timeout_s,
		.tls_priorities = conf->tls_priorities,
	};
	char why[512] = "";
	int rc = httpd_start(loop, &hc, &ad->httpd, why, sizeof(why));
	if (rc == 0)
		rc = httpd_route(ad->httpd, "/", admin_handle, ad);
	if (rc != 0) {
		snprintf(err, errlen, "admin: %s", why[0] ? why : ddns_strerror(rc));
		ad->closing = true;
		if (ad->httpd != NULL)
			httpd_free(ad->httpd);
		maybe_free(ad);
		return rc;
	}
	*out = ad;
	return 0;
}

void admin_set_conf(admin_t *ad, const conf_t *conf)
{
	if (ad != NULL)
		ad->conf = conf;
}

void admin_set_tls(admin_t *ad, httpd_tls_t *t)
{
	if (ad == NULL || !ad->tls) {
		httpd_tls_unref(t);
		return;
	}
	if (t != NULL)
		httpd_set_tls(ad->httpd, t);
}

unsigned admin_pending(const admin_t *ad)
{
	return ad != NULL ? httpd_pending(ad->httpd) : 0;
}

void admin_quiesce(admin_t *ad)
{
	if (ad != NULL)
		httpd_quiesce(ad->httpd);
}

int admin_port(const admin_t *ad, size_t i)
{
	return ad != NULL ? httpd_port(ad->httpd, i) : -1;
}

void admin_free(admin_t *ad)
{
	if (ad == NULL)
		return;
	ad->closing = true;
	for (admin_delay_t *d = ad->delays, *next; d != NULL; d = next) {
		next = d->next;
		uv_timer_stop(&d->timer);
		uv_close((uv_handle_t *)&d->timer, delay_closed_cb);
	}
	ad->delays = NULL;
	httpd_free(ad->httpd);
	ad->httpd = NULL;
	maybe_free(ad);
}
