/* dyndns2 front end: /nic/update and /nic/checkip (see frontend.h; the
 * protocol as clients see it is in README.md "dyndns2" and doc/clients.md).
 *
 * One update may name up to 20 hosts.  Each valid name becomes its own
 * pipeline request; the HTTP request stays suspended until every one has
 * completed, then one reply line per name goes out in request order.
 *
 * Reply lines: `good <ip>` / `nochg <ip>` give the addresses of the families
 * the request carried, `v4,v6` when it carried both (ddclient and inadyn
 * look only at the first word); `good` only when every family it carried
 * was applied: one that changed A but failed AAAA says `dnserr` (A is
 * stored all the same, with its history row).  `nohost` is said only to a
 * caller that has proven it holds a valid key (the password opens one of
 * its other names in this request, or the user name is a record it opens):
 * a stranger with a wrong key gets `badauth` for unknown and existing names
 * alike, after the same delay.
 *
 * Credentials: Basic authentication, or `username`/`password` parameters
 * as dyndns2_query_credentials allows (get_credentials()).  The password
 * is never logged, whichever way it came. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dyndns2_parse.h"
#include "error.h"
#include "frontend.h"
#include "keys.h"
#include "log.h"

/* "good " + v4 + "," + v6 + "\n" */
#define LINE_MAX_LEN (16 + 2 * ADDR_TEXT_MAX)

typedef struct dd2_job dd2_job_t;

/** One name of an update. */
typedef struct dd2_host {
	dd2_job_t *job;
	dyndns2_host_t parsed;
	pipeline_status_t status;
	char line[LINE_MAX_LEN];
	bool submitted;
} dd2_host_t;

/** One /nic/update request in flight. */
struct dd2_job {
	httpd_req_t *req;
	const frontend_env_t *env;
	dyndns2_auth_t auth;
	dyndns2_addrs_t addrs;
	bool proven;             /**< caller_proven() */
	size_t n_hosts;
	size_t pending;
	dd2_host_t hosts[DYNDNS2_MAX_HOSTS];
};

static void reply_text(httpd_req_t *req, unsigned status, const char *text)
{
	httpd_req_add_header(req, "Cache-Control", "no-store");
	httpd_reply(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static const char *param(httpd_req_t *req, const char *name)
{
	const char *v = httpd_req_query(req, name);
	return v != NULL ? v : httpd_req_form(req, name);
}

/* The addresses a good/nochg line reports: those of the families asked for,
 * as the store holds them now. */
static void format_addrs(const dd2_job_t *job, const pipeline_result_t *res,
                         char *buf, size_t len)
{
	const char *v4 = job->addrs.ipv4[0] ? (res->ipv4[0] ? res->ipv4 : job->addrs.ipv4) : "";
	const char *v6 = job->addrs.ipv6[0] ? (res->ipv6[0] ? res->ipv6 : job->addrs.ipv6) : "";
	snprintf(buf, len, "%s%s%s", v4, v4[0] && v6[0] ? "," : "", v6);
}

/* A well-formed hash no key has: an unknown name costs the same hash and
 * compare as a known one, as in the pipeline. */
#define NO_KEY_HASH "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* Does the caller's password open record @p name? */
static bool key_opens(const dd2_job_t *job, const char *name)
{
	store_record_t rec;
	bool known = pipeline_record_get(job->env->pipeline, name, &rec) == 0;
	bool ok = key_check(job->auth.pass, job->auth.pass_len, known ? rec.key_hash : NO_KEY_HASH);
	return known && ok;
}

/* True when the password opens some record: the user name's, or one of
 * the names asked for.  Such a caller holds a valid key, so a name of its
 * request that fails is stale (renamed, deleted) or someone else's, not a
 * guess: it learns `nohost` for an unknown name, and the pipeline neither
 * counts nor throttles the failure (a client with a dozen stale names must
 * not lock its own address).  One SHA-256 per name, at most 21, known or
 * not, so the time taken tells nothing about which names exist. */
static bool caller_proven(const dd2_job_t *job)
{
	char user[NAME_TEXT_MAX];
	bool proven = false;
	if (job->auth.user != NULL && addr_name_normalize(job->auth.user, user) == 0)
		proven = key_opens(job, user);
	for (size_t i = 0; i < job->n_hosts; i++)
		if (job->hosts[i].parsed.fqdn)
			proven |= key_opens(job, job->hosts[i].parsed.name);
	return proven;
}

static void job_finish(dd2_job_t *job)
{
	char body[DYNDNS2_MAX_HOSTS * LINE_MAX_LEN];
	size_t off = 0;
	for (size_t i = 0; i < job->n_hosts; i++) {
		dd2_host_t *h = &job->hosts[i];
		if (h->submitted && h->status == PIPELINE_AUTH_FAILED) {
			store_record_t rec;
			bool unknown = pipeline_record_get(job->env->pipeline, h->parsed.name,
			                                   &rec) == -ENOENT;
			snprintf(h->line, sizeof(h->line), "%s",
			         job->proven && unknown ? "nohost" : "badauth");
		}
		off += (size_t)snprintf(body + off, sizeof(body) - off, "%s\n", h->line);
	}
	reply_text(job->req, 200, body);
	dyndns2_auth_clear(&job->auth);
	free(job);
}

static void host_done_cb(const pipeline_result_t *res, void *arg)
{
	dd2_host_t *h = arg;
	dd2_job_t *job = h->job;
	char addrs[2 * ADDR_TEXT_MAX];
	h->status = res->status;
	switch (res->status) {
	case PIPELINE_CHANGED:
	case PIPELINE_UNCHANGED:
		format_addrs(job, res, addrs, sizeof(addrs));
		snprintf(h->line, sizeof(h->line), "%s %s",
		         res->status == PIPELINE_CHANGED ? "good" : "nochg", addrs);
		break;
	case PIPELINE_AUTH_FAILED:
		snprintf(h->line, sizeof(h->line), "badauth"); /* refined in job_finish */
		break;
	case PIPELINE_ABUSE:
		snprintf(h->line, sizeof(h->line), "abuse");
		break;
	case PIPELINE_PROVIDER_FAILED:
	case PIPELINE_TIMEOUT:
	case PIPELINE_PARTIAL:
		/* Partial (A stored, AAAA failed, or the reverse) is not `good`:
		 * dyndns2 has one word per host, and `good` would stop the
		 * client from trying the failed family again.  Its retry finds
		 * the stored family unchanged and sends only the other. */
		snprintf(h->line, sizeof(h->line), "dnserr");
		break;
	case PIPELINE_UNAVAILABLE:
	case PIPELINE_INTERNAL:
	default:
		snprintf(h->line, sizeof(h->line), "911");
		break;
	}
	if (--job->pending == 0)
		job_finish(job);
}

/* Submit every valid name; names that cannot be submitted get their line
 * now.  Returns with job->pending requests outstanding. */
static void job_submit(dd2_job_t *job)
{
	const char *client = httpd_req_client(job->req);
	job->pending = 1; /* held until all are submitted, so none finishes early */
	for (size_t i = 0; i < job->n_hosts; i++) {
		dd2_host_t *h = &job->hosts[i];
		h->job = job;
		if (!h->parsed.fqdn) {
			snprintf(h->line, sizeof(h->line), "notfqdn");
			continue;
		}
		pipeline_request_t pr = {
			.name = h->parsed.name,
			.key = job->auth.pass,
			.key_len = job->auth.pass_len,
			.ipv4 = job->addrs.ipv4[0] ? job->addrs.ipv4 : NULL,
			.ipv6 = job->addrs.ipv6[0] ? job->addrs.ipv6 : NULL,
			.client = client,
			.proven = job->proven,
		};
		job->pending++;
		int err = pipeline_submit(job->env->pipeline, &pr, host_done_cb, h);
		if (err) {
			log_err(h->parsed.name, "dyndns2: cannot submit update: %s", ddns_strerror(err));
			snprintf(h->line, sizeof(h->line), "911");
			job->pending--;
			continue;
		}
		h->submitted = true;
	}
	if (--job->pending == 0)
		job_finish(job);
}

/* The caller's credentials: a Basic Authorization header, or else the
 * `username`/`password` parameters when dyndns2_query_credentials allows
 * them on this connection.  Basic wins when both are given.  A URL carries
 * the password in the clear over plain HTTP and ends up in proxies' and
 * routers' logs, hence HTTPS only by default; ddnsd itself never logs a
 * query string. */
static int get_credentials(httpd_req_t *req, const frontend_env_t *env, dyndns2_auth_t *out)
{
	int err = dyndns2_parse_auth(httpd_req_header(req, "Authorization"), out);
	if (err != -ENOENT)
		return err;
	const char *pass = param(req, "password");
	if (pass == NULL)
		return -ENOENT;
	if (env->dyndns2_query_credentials == FRONTEND_QCRED_NEVER ||
	    (env->dyndns2_query_credentials == FRONTEND_QCRED_HTTPS && !httpd_req_https(req))) {
		log_debug(httpd_req_client(req), "dyndns2: password parameter over %s "
		          "refused (dyndns2_query_credentials)",
		          httpd_req_https(req) ? "HTTPS" : "plain HTTP");
		return -EPERM;
	}
	return dyndns2_auth_from_params(param(req, "username"), pass, out);
}

static void update_handler(httpd_req_t *req, void *arg)
{
	const frontend_env_t *env = arg;
	const char *path = httpd_req_path(req);
	const char *method = httpd_req_method(req);
	if (strcmp(path, "/nic/update") != 0 && strcmp(path, "/nic/update/") != 0) {
		reply_text(req, 404, "not found\n");
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
		httpd_req_add_header(req, "Allow", "GET, POST");
		reply_text(req, 405, "badagent\n");
		return;
	}
	dd2_job_t *job = calloc(1, sizeof(*job));
	if (job == NULL) {
		reply_text(req, 500, "911\n");
		return;
	}
	job->req = req;
	job->env = env;
	int err = get_credentials(req, env, &job->auth);
	if (err == -ENOMEM) {
		reply_text(req, 500, "911\n");
		goto fail;
	}
	if (err) {
		httpd_req_add_header(req, "WWW-Authenticate", "Basic realm=\"ddnsd\"");
		reply_text(req, 401, "badauth\n");
		goto fail;
	}
	dyndns2_host_t names[DYNDNS2_MAX_HOSTS];
	if (dyndns2_parse_hosts(param(req, "hostname"), names, &job->n_hosts) != 0) {
		reply_text(req, 200, "numhost\n");
		goto fail;
	}
	for (size_t i = 0; i < job->n_hosts; i++)
		job->hosts[i].parsed = names[i];
	if (job->n_hosts == 0) {
		reply_text(req, 200, "notfqdn\n");
		goto fail;
	}
	char why[160];
	if (dyndns2_parse_addrs(param(req, "myip"), param(req, "myipv6"),
	                        httpd_req_client_addr(req), &job->addrs, why, sizeof(why)) != 0) {
		char body[200];
		snprintf(body, sizeof(body), "badip %s\n", why);
		reply_text(req, 400, body);
		goto fail;
	}
	job->proven = caller_proven(job);
	job_submit(job);
	return;
fail:
	dyndns2_auth_clear(&job->auth);
	free(job);
}

static void checkip_handler(httpd_req_t *req, void *arg)
{
	(void)arg;
	if (strcmp(httpd_req_path(req), "/nic/checkip") != 0 &&
	    strcmp(httpd_req_path(req), "/nic/checkip/") != 0) {
		reply_text(req, 404, "not found\n");
		return;
	}
	char body[160 + ADDR_TEXT_MAX];
	snprintf(body, sizeof(body),
	         "<html><head><title>Current IP Check</title></head>"
	         "<body>Current IP Address: %s</body></html>\n",
	         httpd_req_client(req));
	httpd_req_add_header(req, "Cache-Control", "no-store");
	httpd_reply(req, 200, "text/html; charset=utf-8", body, strlen(body));
}

int api_dyndns2_register(httpd_t *h, const frontend_env_t *env)
{
	int err = httpd_route(h, "/nic/update", update_handler, (void *)env);
	if (err == 0)
		err = httpd_route(h, "/nic/checkip", checkip_handler, (void *)env);
	if (err)
		log_err("dyndns2", "cannot register /nic routes: %s", ddns_strerror(err));
	return err;
}
