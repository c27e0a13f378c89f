/* The dynamicdns API, reply for reply the one of django-dynamic-dns, the
 * Django project ddnsd ports (README.md, "Updating an address"):
 *   POST /dynamicdns/update/<domain>/   form key=..., optional ip=...
 *   GET  /dynamicdns/read/<domain>/     {domain, ip, last_change}
 *
 * Read is unauthenticated and so tells whether a name exists, as in
 * django-dynamic-dns; the update path never does (unknown name and wrong key are both a
 * delayed 403). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "frontend.h"
#include "http_parse.h"
#include "log.h"

#define UPDATE_PREFIX "/dynamicdns/update/"
#define READ_PREFIX "/dynamicdns/read/"

/* ISO 8601 UTC of @p t, in a static buffer.  The last answer is kept:
 * clients of one record (the cron case) ask for the same last_change again
 * and again.  The loop is single-threaded, so a static is safe. */
static const char *iso_time(int64_t t)
{
	static int64_t last_t = -1;
	static char last[32];
	if (t != last_t) {
		struct tm tm;
		time_t tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last_t = t;
	}
	return last;
}

static json_t *time_json(int64_t t)
{
	if (t <= 0)
		return json_null();
	return json_string_nocheck(iso_time(t));
}

static json_t *ip_json(const char *ip)
{
	return ip != NULL && ip[0] != '\0' ? json_string_nocheck(ip) : json_null();
}

/* Send @p o (stolen) as a JSON reply. */
static void reply_json(httpd_req_t *r, unsigned status, json_t *o)
{
	char buf[1024];
	size_t n = o != NULL ? json_dumpb(o, buf, sizeof(buf), 0) : 0;
	json_decref(o);
	if (n == 0 || n > sizeof(buf)) {
		httpd_reply_json_error(r, 500, "Internal error");
		return;
	}
	httpd_reply(r, status, "application/json", buf, n);
}

static void method_not_allowed(httpd_req_t *r, const char *allow)
{
	httpd_req_add_header(r, "Allow", allow);
	httpd_reply_json_error(r, 405, "Method not allowed");
}

/* ---- update ---- */

/* Seconds a client is asked to wait when the store stayed locked. */
#define STORE_BUSY_RETRY_AFTER "5"

static void update_reply(const pipeline_result_t *res, httpd_req_t *r, bool v6)
{
	switch (res->status) {
	case PIPELINE_CHANGED:
	case PIPELINE_UNCHANGED: {
		/* The hot path: names, addresses and times are validated ASCII,
		 * so the _nocheck setters skip jansson's UTF-8 scan. */
		json_t *o = json_object();
		if (o != NULL) {
			json_object_set_new_nocheck(o, "domain", json_string_nocheck(res->name));
			json_object_set_new_nocheck(o, "ip", ip_json(v6 ? res->ipv6 : res->ipv4));
			json_object_set_new_nocheck(o, "last_change", time_json(res->last_change));
			json_object_set_new_nocheck(o, "updated",
			                            json_boolean(res->status == PIPELINE_CHANGED));
		}
		reply_json(r, 200, o);
		return;
	}
	case PIPELINE_AUTH_FAILED:
		httpd_reply_json_error(r, 403, "Authentication failure");
		return;
	case PIPELINE_PROVIDER_FAILED:
		httpd_reply_json_error(r, 502, res->message[0] ? res->message
		                                               : "Provider failure");
		return;
	case PIPELINE_TIMEOUT:
		httpd_reply_json_error(r, 504, "The DNS provider did not answer in time");
		return;
	case PIPELINE_PARTIAL: {
		/* This request's family failed in an update that also changed
		 * the other one (requests of both families merged): the error
		 * names the family; the other family's requests got their 200. */
		char m[512];
		if (res->failed_status == PIPELINE_TIMEOUT) {
			snprintf(m, sizeof(m), "%s: The DNS provider did not answer in time",
			         res->failed_ipv6 ? "AAAA" : "A");
			httpd_reply_json_error(r, 504, m);
		} else {
			httpd_reply_json_error(r, 502, res->message);
		}
		return;
	}
	case PIPELINE_ABUSE:
		httpd_reply_json_error(r, 429, "Too many requests; try again later");
		return;
	case PIPELINE_UNAVAILABLE:
		httpd_reply_json_error(r, 503, "Service unavailable");
		return;
	case PIPELINE_STORE_BUSY:
		/* Another process held the store past the deadline; the
		 * provider's change was taken back.  Nothing is lost by trying
		 * again a little later. */
		httpd_req_add_header(r, "Retry-After", STORE_BUSY_RETRY_AFTER);
		httpd_reply_json_error(r, 503, "The store is busy; try again later");
		return;
	case PIPELINE_INTERNAL:
	default:
		httpd_reply_json_error(r, 500, "Internal error");
		return;
	}
}

/* One callback per family, so no per-request state is allocated. */
static void update_done_v4(const pipeline_result_t *res, void *arg)
{
	update_reply(res, arg, false);
}

static void update_done_v6(const pipeline_result_t *res, void *arg)
{
	update_reply(res, arg, true);
}

static void update_handler(httpd_req_t *r, void *arg)
{
	const frontend_env_t *env = arg;
	char name[NAME_TEXT_MAX], ip[ADDR_TEXT_MAX];
	int family;

	if (strcmp(httpd_req_method(r), "POST") != 0) {
		method_not_allowed(r, "POST");
		return;
	}
	if (http_parse_path_name(httpd_req_path(r) + strlen(UPDATE_PREFIX), name) != 0) {
		httpd_reply_json_error(r, 400, "Malformed domain name");
		return;
	}
	const char *key = httpd_req_form(r, "key");
	if (key == NULL || key[0] == '\0') {
		httpd_reply_json_error(r, 400, "Bad request");
		return;
	}
	const char *given = httpd_req_form(r, "ip");
	if (given != NULL && given[0] != '\0') {
		if (addr_canonical(given, ip, &family) != 0) {
			httpd_reply_json_error(r, 400,
				"Invalid ip: not an IPv4 or IPv6 address");
			return;
		}
	} else {
		const addr_t *a = httpd_req_client_addr(r);
		addr_format(a, ip);
		family = a->family;
	}
	bool v6 = family == AF_INET6;
	pipeline_request_t req = {
		.name = name, .key = key, .key_len = strlen(key),
		.ipv4 = v6 ? NULL : ip, .ipv6 = v6 ? ip : NULL,
		.client = httpd_req_client(r), .sync_ok = true,
	};
	int rc = pipeline_submit(env->pipeline, &req,
	                         v6 ? update_done_v6 : update_done_v4, r);
	if (rc != 0)
		httpd_reply_json_error(r, 503, "Service unavailable");
}

/* ---- read ---- */

static void read_handler(httpd_req_t *r, void *arg)
{
	const frontend_env_t *env = arg;
	char name[NAME_TEXT_MAX];
	store_record_t rec;
	const char *m = httpd_req_method(r);

	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
		method_not_allowed(r, "GET, HEAD");
		return;
	}
	if (http_parse_path_name(httpd_req_path(r) + strlen(READ_PREFIX), name) != 0) {
		httpd_reply_json_error(r, 400, "Malformed domain name");
		return;
	}
	int rc = pipeline_record_get(env->pipeline, name, &rec);
	if (rc == -ENOENT) {
		httpd_reply_json_error(r, 404, "Not found");
		return;
	}
	if (rc != 0) {
		log_err(name, "store: %d", rc);
		httpd_reply_json_error(r, 500, "Internal error");
		return;
	}
	/* Never the LAN address: that is only for the built-in DNS server. */
	json_t *o = json_pack("{s:s,s:o,s:o}", "domain", rec.name,
		"ip", ip_json(rec.ipv4[0] ? rec.ipv4 : rec.ipv6),
		"last_change", time_json(rec.last_change));
	if (o != NULL && rec.ipv6[0] != '\0')
		json_object_set_new(o, "ipv6", json_string(rec.ipv6));
	reply_json(r, 200, o);
}

int api_dynamicdns_register(httpd_t *h, const frontend_env_t *env)
{
	int rc = httpd_route(h, UPDATE_PREFIX, update_handler, (void *)env);
	if (rc == 0)
		rc = httpd_route(h, READ_PREFIX, read_handler, (void *)env);
	return rc;
}
