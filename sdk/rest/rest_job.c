#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ddns/rest/job.h>
#include <ddns/rest/json.h>
#include <ddns/rest/name.h>

/* No single provider call may take longer than this, deadline or not. */
#define REST_CALL_TIMEOUT_MS 30000u

static void send_current(rest_job_t *job);

void rest_job_init(rest_job_t *job, const ddns_host_t *host, ddns_ctx_t *ctx,
                     ddns_update_t *update, const char *provider,
                     const rest_policy_t *policy, rest_release_cb release)
{
	memset(job, 0, sizeof(*job));
	job->host = host;
	job->ctx = ctx;
	job->update = update;
	job->provider = provider;
	job->policy = policy;
	job->release = release;
	job->family_step = -1;
	job->rtype = NULL;
	update->module_data = job;
}

bool rest_job_next_family(rest_job_t *job)
{
	/* The type done so far is confirmed: said now, so a failure of the
	 * next one does not hide it (the host stores the one that changed). */
	if (job->rtype != NULL && DDNS_HOST_HAS(job->host, update_result))
		job->host->update_result(job->update, job->family_step == 0 ? DDNS_RR_A
		                                                            : DDNS_RR_AAAA,
		                         DDNS_OK, NULL);
	while (++job->family_step < 2) {
		const char *addr = job->family_step == 0 ? job->update->ipv4 : job->update->ipv6;
		if (addr != NULL && addr[0] != '\0') {
			job->rtype = job->family_step == 0 ? "A" : "AAAA";
			job->addr = addr;
			return true;
		}
	}
	job->rtype = job->addr = NULL;
	return false;
}

bool rest_job_next_in_zone(rest_job_t *job, const char *zone)
{
	if (!rest_job_next_family(job)) {
		rest_job_finish(job, DDNS_OK, NULL);
		return false;
	}
	/* Checked before any call: a name outside the zone is a config error. */
	if (zone != NULL && !rest_name_in_zone(job->update->name, zone)) {
		rest_job_finish(job, DDNS_ECONFIG, "%s is not in the configured zone %s",
		                  job->update->name, zone);
		return false;
	}
	return true;
}

uint64_t rest_job_left_ms(const rest_job_t *job)
{
	uint64_t now = job->host->now_ms();

	return job->update->deadline_ms > now ? job->update->deadline_ms - now : 0;
}

void rest_job_clear_call(rest_job_t *job)
{
	/* Bodies and headers may carry credentials: leave no copy behind. */
	if (job->body)
		memset(job->body, 0, strlen(job->body));
	free(job->method);
	free(job->url);
	free(job->body);
	for (size_t i = 0; job->headers[i] != NULL; i++) {
		memset(job->headers[i], 0, strlen(job->headers[i]));
		free(job->headers[i]);
		job->headers[i] = NULL;
	}
	job->method = job->url = job->body = NULL;
}

static void stop_io(rest_job_t *job)
{
	if (job->http != NULL) {
		job->host->http_cancel(job->http);
		job->http = NULL;
	}
	if (job->timer != NULL) {
		job->host->timer_stop(job->timer);
		job->timer = NULL;
	}
}

void rest_job_note(rest_job_t *job, const char *fmt, ...)
{
	size_t used = strlen(job->notes);
	va_list ap;

	if (used > 0 && used + 2 < sizeof(job->notes)) {
		memcpy(job->notes + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(job->notes + used, sizeof(job->notes) - used, fmt, ap);
	va_end(ap);
}

void rest_job_finish(rest_job_t *job, int result, const char *fmt, ...)
{
	char why[REST_JOB_MSG_MAX] = "";
	char msg[2 * REST_JOB_MSG_MAX + 64];
	va_list ap;

	stop_io(job);
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	snprintf(msg, sizeof(msg), "%s: %s%s%s", job->provider, job->notes,
	         job->notes[0] && why[0] ? "; " : "", why);
	if (result != DDNS_OK && result != DDNS_ECANCELED)
		job->host->log(job->ctx, DDNS_LOG_WARNING, "%s: update failed: %s",
		               job->update->name, msg);
	job->update->module_data = NULL;
	job->host->update_done(job->update, result, msg);
	rest_job_clear_call(job);
	job->release(job);
}

void rest_job_cancel(rest_job_t *job)
{
	rest_job_finish(job, DDNS_ECANCELED, "cancelled before the provider confirmed");
}

void rest_job_free(rest_job_t *job)
{
	free(job);
}

void rest_job_cancel_update(void *instance, ddns_update_t *update)
{
	(void)instance;
	/* NULL: the job was never started (or has finished) and owns nothing. */
	if (update->module_data != NULL)
		rest_job_cancel(update->module_data);
}

static void wait_cb(void *arg)
{
	rest_job_t *job = arg;
	rest_step_cb step = job->after_wait;

	job->timer = NULL;
	job->after_wait = NULL;
	step(job);
}

void rest_job_wait(rest_job_t *job, uint64_t ms, const char *what, rest_step_cb step)
{
	int rc;

	if (ms >= rest_job_left_ms(job)) {
		rest_job_finish(job, DDNS_ETIMEOUT, "%s would need %llu ms more, past the "
		                  "update's deadline", what, (unsigned long long)ms);
		return;
	}
	job->after_wait = step;
	rc = job->host->timer_start(job->ctx, ms, wait_cb, job, &job->timer);
	if (rc < 0)
		rest_job_finish(job, rc, "cannot start a timer (%d)", rc);
}

int rest_job_start(rest_job_t *job, rest_step_cb first)
{
	int rc;

	job->after_wait = first;
	rc = job->host->timer_start(job->ctx, 0, wait_cb, job, &job->timer);
	if (rc < 0) {
		job->update->module_data = NULL;
		job->timer = NULL;
	}
	return rc;
}

rest_job_t *rest_job_new(size_t size, const ddns_host_t *host, ddns_ctx_t *ctx,
                         ddns_update_t *update, const char *provider,
                         const rest_policy_t *policy)
{
	rest_job_t *job = size >= sizeof(*job) ? calloc(1, size) : NULL;

	if (job != NULL)
		rest_job_init(job, host, ctx, update, provider, policy, rest_job_free);
	return job;
}

int rest_job_launch(rest_job_t *job, rest_step_cb first)
{
	int rc = rest_job_start(job, first);

	if (rc < 0)
		free(job);
	return rc;
}

/* Run @p next after a wait, if the deadline allows it. */
static void after_failure(rest_job_t *job, uint64_t ms, int result, const char *why,
                          const char *then, rest_step_cb next)
{
	int rc;

	if (ms >= rest_job_left_ms(job)) {
		rest_job_finish(job, result, "%s; a retry in %llu ms would be past the update's "
		                  "deadline (%llu ms left)", why, (unsigned long long)ms,
		                  (unsigned long long)rest_job_left_ms(job));
		return;
	}
	job->host->log(job->ctx, DDNS_LOG_INFO, "%s: %s; %s in %llu ms",
	               job->update->name, why, then, (unsigned long long)ms);
	job->after_wait = next;
	rc = job->host->timer_start(job->ctx, ms, wait_cb, job, &job->timer);
	if (rc < 0)
		rest_job_finish(job, rc, "%s; cannot start a timer (%d)", why, rc);
}

/* Retry the current call after a wait. */
static void retry_later(rest_job_t *job, uint64_t ms, int result, const char *why)
{
	after_failure(job, ms, result, why, "retrying", send_current);
}

/* A guarded create failed ambiguously: run its relook step after a wait. */
static void relook_later(rest_job_t *job, uint64_t ms, int result, const char *why)
{
	rest_step_cb relook = job->relook;
	job->relook = NULL;
	after_failure(job, ms, result, why, "looking whether it was created", relook);
}

static const char *reply_message(const rest_job_t *job, const ddns_http_response_t *res,
                                 char *out, size_t len)
{
	if (job->policy->message != NULL)
		return job->policy->message(res, out, len);
	return rest_api_message(res, out, len);
}

static void on_http(const ddns_http_response_t *res, void *arg)
{
	rest_job_t *job = arg;
	char why[768], api[512];

	job->http = NULL;
	switch (rest_retry_classify(job->policy, res)) {
	case REST_REPLY_FINAL:
		job->relook = NULL;
		job->on_reply(job, res);
		return;
	case REST_REPLY_RATELIMIT:
		job->rate_waits++;
		snprintf(why, sizeof(why), "rate-limited on %s %s (HTTP %ld: %s)", job->method,
		         job->url, res->status, reply_message(job, res, api, sizeof(api)));
		retry_later(job, rest_retry_wait_ms(job->policy, res, time(NULL)),
		                DDNS_ERATELIMIT, why);
		return;
	case REST_REPLY_TRANSIENT:
		break;
	}
	job->failures++;
	if (res->error)
		snprintf(why, sizeof(why), "no reply to %s %s: %s", job->method, job->url,
		         res->error_text ? res->error_text : "network error");
	else
		snprintf(why, sizeof(why), "HTTP %ld from %s %s: %s", res->status, job->method,
		         job->url, reply_message(job, res, api, sizeof(api)));
	if (res->error == DDNS_ETIMEOUT && rest_job_left_ms(job) == 0) {
		rest_job_finish(job, DDNS_ETIMEOUT, "%s before the update's deadline", why);
		return;
	}
	if (job->relook != NULL) {
		/* The create may have happened: look before creating again. */
		if (++job->relooks >= job->policy->max_attempts) {
			rest_job_finish(job, res->error ? res->error : DDNS_EPROVIDER,
			                "%s (gave up after %u attempts)", why, job->relooks);
			return;
		}
		relook_later(job, rest_retry_backoff_ms(job->policy, job->relooks),
		             res->error ? res->error : DDNS_EPROVIDER, why);
		return;
	}
	if (job->failures >= job->policy->max_attempts) {
		rest_job_finish(job, res->error ? res->error : DDNS_EPROVIDER,
		                  "%s (gave up after %u attempts)", why, job->failures);
		return;
	}
	retry_later(job, rest_retry_backoff_ms(job->policy, job->failures),
	                res->error ? res->error : DDNS_EPROVIDER, why);
}

void rest_job_guard_create(rest_job_t *job, rest_step_cb relook)
{
	job->relook = relook;
}

static void send_current(rest_job_t *job)
{
	uint64_t left = rest_job_left_ms(job);
	ddns_http_request_t req = {
		.method = job->method,
		.url = job->url,
		.headers = (const char *const *)job->headers,
		.body = job->body,
		.body_len = job->body ? strlen(job->body) : 0,
		.timeout_ms = left < REST_CALL_TIMEOUT_MS ? (uint32_t)left : REST_CALL_TIMEOUT_MS,
	};
	int rc;

	if (left == 0) {
		rest_job_finish(job, DDNS_ETIMEOUT, "the update's deadline passed before %s %s",
		                  job->method, job->url);
		return;
	}
	if (job->sigv4 == NULL)
		rc = job->host->http_request(job->ctx, &req, on_http, job, &job->http);
	else if (DDNS_HOST_HAS(job->host, http_request_sigv4))
		rc = job->host->http_request_sigv4(job->ctx, &req, job->sigv4, on_http, job,
		                                   &job->http);
	else
		rc = -ENOTSUP; /* a host older than the SigV4 member */
	if (rc < 0)
		rest_job_finish(job, rc, "cannot start %s %s (%d)", job->method, job->url, rc);
}

void rest_job_send(rest_job_t *job, const char *method, const char *url,
                     const char *const *headers, const char *body, rest_reply_cb on_reply)
{
	size_t i;
	bool ok;

	rest_job_clear_call(job);
	job->method = strdup(method);
	job->url = strdup(url);
	job->body = body ? strdup(body) : NULL;
	ok = job->method && job->url && (!body || job->body);
	for (i = 0; ok && headers && headers[i]; i++) {
		if (i == REST_JOB_MAX_HEADERS) {
			rest_job_finish(job, -E2BIG, "too many headers for %s %s", method, url);
			return;
		}
		job->headers[i] = strdup(headers[i]);
		ok = job->headers[i] != NULL;
	}
	job->on_reply = on_reply;
	job->failures = 0;
	job->rate_waits = 0;
	if (!ok) {
		rest_job_finish(job, -ENOMEM, "out of memory building %s %s", method, url);
		return;
	}
	send_current(job);
}
