/*
 * Rackspace applies changes asynchronously: PUT and POST answer 202 with a
 * job, polled (GET <callbackUrl>?showDetails=true) until it is COMPLETED or
 * ERROR, every wait bounded by the update's deadline; a COMPLETED job goes
 * on with job->after_job (set by rs_update.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest/json.h>
#include "rs.h"

#define RS_FIRST_POLL_MS 500u
#define RS_POLL_MS 1000u

static void poll_job(rest_job_t *base);

static void poll_later(rs_job_t *job)
{
	uint64_t ms = job->polls == 0 ? RS_FIRST_POLL_MS : RS_POLL_MS;
	uint64_t left = rest_job_left_ms(&job->base);
	char what[160];

	/* Poll once more just before the deadline rather than give up early. */
	if (ms >= left && left > 200)
		ms = left - 100;
	snprintf(what, sizeof(what), "waiting for job %s to complete", job->job_id);
	rest_job_wait(&job->base, ms, what, poll_job);
}

static void on_job(rest_job_t *base, const ddns_http_response_t *res)
{
	rs_job_t *job = (rs_job_t *)base;
	bool created = job->record_id[0] == '\0';
	char err[256], id[64];
	json_t *root, *e;
	const char *status;

	if (res->status != 200 && res->status != 202) {
		rs_fail_status(job, res, "polling the job of");
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	status = rest_json_str(root, "status");
	if (status == NULL) {
		json_decref(root);
		rs_bad_reply(job, "polling the job of", "a job with a status", root ? NULL : err);
		return;
	}
	if (!strcmp(status, "RUNNING") || !strcmp(status, "INITIALIZED")) {
		json_decref(root);
		poll_later(job);
		return;
	}
	if (!strcmp(status, "ERROR")) {
		const char *details;
		e = json_object_get(root, "error");
		details = rest_json_str(e, "details");
		rest_job_finish(base, DDNS_EPROVIDER, "%s %s: job %s ended in ERROR: %s%s%s",
		                base->rtype, base->update->name, job->job_id,
		                rest_json_str(e, "message") ? rest_json_str(e, "message") : "(no message)",
		                details ? " - " : "", details ? details : "");
		json_decref(root);
		return;
	}
	if (strcmp(status, "COMPLETED") != 0) {
		json_decref(root);
		rs_bad_reply(job, "polling the job of", "status RUNNING, COMPLETED or ERROR", NULL);
		return;
	}
	if (created) {
		e = json_array_get(json_object_get(json_object_get(root, "response"), "records"), 0);
		if (rest_json_id(json_object_get(e, "id"), id, sizeof(id)) < 0) {
			json_decref(root);
			rs_bad_reply(job, "creating", "response.records[0].id in the COMPLETED job", NULL);
			return;
		}
		snprintf(job->record_id, sizeof(job->record_id), "%s", id);
	}
	json_decref(root);
	rest_job_note(base, "%s %s -> %s (%srecord %s, job %s COMPLETED)", base->rtype,
	              base->update->name, base->addr, created ? "created " : "", job->record_id,
	              job->job_id);
	job->after_job(base);
}

static void poll_job(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;
	char url[1200];

	snprintf(url, sizeof(url), "%s%cshowDetails=true", job->callback_url,
	         strchr(job->callback_url, '?') ? '&' : '?');
	job->polls++;
	rs_send_call(job, "GET", url, NULL, on_job);
}

/* PUT/POST answered: 202 and a job to follow. */
void rs_on_accepted(rest_job_t *base, const ddns_http_response_t *res)
{
	rs_job_t *job = (rs_job_t *)base;
	const char *doing = job->record_id[0] ? "updating" : "creating";
	char err[256];
	json_t *root;
	const char *cb;

	if (res->status != 202) {
		rs_fail_status(job, res, doing);
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	cb = rest_json_str(root, "callbackUrl");
	if (cb == NULL || rest_json_id(json_object_get(root, "jobId"), job->job_id,
	                               sizeof(job->job_id)) < 0) {
		json_decref(root);
		rs_bad_reply(job, doing, "a 202 job with jobId and callbackUrl", root ? NULL : err);
		return;
	}
	if (!rs_under_endpoint(job, cb)) {
		json_decref(root);
		rs_bad_reply(job, doing, "a callbackUrl under the Cloud DNS endpoint", NULL);
		return;
	}
	free(job->callback_url);
	job->callback_url = strdup(cb);
	json_decref(root);
	if (job->callback_url == NULL) {
		rest_job_finish(base, -ENOMEM, "out of memory");
		return;
	}
	job->polls = 0;
	poll_later(job);
}
