/* Operations front end:
 *   GET /metrics   Prometheus text exposition format 0.0.4
 *   GET /healthz   200 "ok" while serving, 503 once shutdown began or while
 *                  the store's last write transaction failed or stayed
 *                  locked ("store failing: ..." / "store busy: ...")
 * Both are cheap and never touch a provider, so a monitoring system can poll
 * them often.  The records gauge counts the records held in memory, which
 * follow the store (ddnsctl's changes included).
 *
 * Who may ask, and on which listener, is the server's business: these are
 * httpd_route_ops() routes, which httpd serves only to http.ops_allow
 * (loopback by default) and, with http.ops_listen, only on those listeners;
 * anyone else gets the 404 of an unknown path (httpd.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "frontend.h"
#include "log.h"
#include "watchdog.h"
#include "metrics.h"

#define METRICS_PATH "/metrics"
#define HEALTHZ_PATH "/healthz"
#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* GET and HEAD only; the prefix route must not catch "/metricsX".  Returns
 * false after replying when the request is not for us. */
static bool accept_request(httpd_req_t *r, const char *path)
{
	if (strcmp(httpd_req_path(r), path) != 0) {
		httpd_reply_json_error(r, 404, "Not found");
		return false;
	}
	const char *m = httpd_req_method(r);
	if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
		httpd_req_add_header(r, "Allow", "GET, HEAD");
		httpd_reply_json_error(r, 405, "Method not allowed");
		return false;
	}
	return true;
}

static void metrics_handler(httpd_req_t *r, void *arg)
{
	const frontend_env_t *env = arg;
	if (!accept_request(r, METRICS_PATH))
		return;
	if (env->metrics == NULL) {
		httpd_reply_json_error(r, 404, "Not found");
		return;
	}
	int64_t n = env->pipeline != NULL ? (int64_t)pipeline_record_count(env->pipeline) : -1;
	if (n >= 0)
		metrics_ddns_set_records(env->metrics, n);
	if (env->writer != NULL) {
		uint64_t commits, failures, writes;
		store_writer_counts(env->writer, &commits, &failures, &writes);
		metrics_ddns_store(env->metrics, store_writer_health(env->writer), commits,
		                   failures, store_writer_pending(env->writer));
	}
	metrics_ddns_loop(env->metrics, watchdog_stalls());
	char *text = NULL;
	size_t len = 0;
	if (metrics_render(env->metrics, &text, &len) != 0) {
		log_err("metrics", "cannot render: out of memory");
		httpd_reply_json_error(r, 500, "Internal error");
		return;
	}
	httpd_req_add_header(r, "Cache-Control", "no-store");
	httpd_reply(r, 200, PROM_TYPE, text, len);
	free(text);
}

static void healthz_handler(httpd_req_t *r, void *arg)
{
	const frontend_env_t *env = arg;
	if (!accept_request(r, HEALTHZ_PATH))
		return;
	httpd_req_add_header(r, "Cache-Control", "no-store");
	if (env->stopping != NULL && *env->stopping) {
		httpd_reply(r, 503, "text/plain; charset=utf-8", "shutting down\n", 14);
		return;
	}
	/* The writer's last transaction: failing (disk full, I/O error) or
	 * locked by another process past an update's deadline. */
	int health = env->writer != NULL ? store_writer_health(env->writer) : 0;
	if (health != 0) {
		char body[128];
		int n = snprintf(body, sizeof(body), "store %s: %s\n",
		                 health == -EBUSY ? "busy" : "failing", ddns_strerror(health));
		httpd_reply(r, 503, "text/plain; charset=utf-8", body, (size_t)n);
		return;
	}
	httpd_reply(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

int api_ops_register(httpd_t *h, const frontend_env_t *env)
{
	int rc = httpd_route_ops(h, METRICS_PATH, metrics_handler, (void *)env);
	if (rc == 0)
		rc = httpd_route_ops(h, HEALTHZ_PATH, healthz_handler, (void *)env);
	return rc;
}
