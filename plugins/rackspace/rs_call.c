/*
 * A Cloud DNS call with the instance's token: sent through rest_api with a
 * token that is not about to expire (renewed first if it is), kept so that
 * a 401 (token revoked early) re-authenticates once per call (rs_auth.c)
 * and sends it again; and the failures every step reports the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest/api.h>
#include <ddns/rest/url.h>
#include "rs.h"

static void send_now(rest_job_t *base);

static void on_reply(rest_job_t *base, const ddns_http_response_t *res)
{
	rs_job_t *job = (rs_job_t *)base;

	if (res->status == 401 && !job->reauthed) {
		/* The token was revoked early: one fresh one, same call. */
		job->reauthed = true;
		rs_auth_invalidate(job->inst, job->sent_gen);
		rs_auth_ensure(job, send_now);
		return;
	}
	job->retry_cb(base, res);
}

/* The kept call with the current token (rs_send_call made sure it is not
 * past its known expiry). */
static void send_now(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;

	job->sent_gen = job->inst->token_gen;
	rest_api_send_text(&job->base, job->inst->token_header, job->retry_method,
	                   job->retry_url, job->retry_body, on_reply);
}

void rs_send_call(rs_job_t *job, const char *method, const char *url, const char *body,
                  rest_reply_cb cb)
{
	char *m = strdup(method), *u = strdup(url), *b = body ? strdup(body) : NULL;

	free(job->retry_method);
	free(job->retry_url);
	free(job->retry_body);
	job->retry_method = m;
	job->retry_url = u;
	job->retry_body = b;
	job->retry_cb = cb;
	if (!m || !u || (body && !b)) {
		rest_job_finish(&job->base, -ENOMEM, "out of memory");
		return;
	}
	job->reauthed = false; /* each call may renew a revoked token once */
	rs_instance_t *inst = job->inst;
	if (inst->token_header != NULL && time(NULL) + RS_TOKEN_SLACK_S < inst->token_expires) {
		send_now(&job->base);
		return;
	}
	/* Past its known expiry (a long update outlived it): a new one first. */
	rs_auth_invalidate(inst, inst->token_gen);
	rs_auth_ensure(job, send_now);
}

void rs_send_json(rs_job_t *job, const char *method, const char *url, json_t *body,
                  rest_reply_cb cb)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (body != NULL && text == NULL) {
		rest_job_finish(&job->base, -ENOMEM, "out of memory");
		return;
	}
	rs_send_call(job, method, url, text, cb);
	free(text);
}

void rs_fail_status(rs_job_t *job, const ddns_http_response_t *res, const char *doing)
{
	rest_api_fail_status(&job->base, &job->inst->zones, res, doing, NULL);
}

void rs_bad_reply(rs_job_t *job, const char *doing, const char *expected, const char *err)
{
	rest_api_bad_reply(&job->base, doing, expected, err);
}

bool rs_under_endpoint(const rs_job_t *job, const char *url)
{
	return rest_url_under(job->inst->endpoint, url);
}
