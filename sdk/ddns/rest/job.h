/**
 * @file ddns/rest/job.h
 * @brief One update in a provider plugin: its HTTP calls, retries, waits,
 * its message, and its completion (exactly once).
 *
 * A plugin embeds a rest_job_t at the start of its own job struct, drives its
 * steps with rest_job_send() (each reply lands in the step's callback once
     * rate limits and transient failures are dealt with) and ends with
 * rest_job_finish(), which calls host->update_done and then the job's release
 * function.  Every wait is a host timer, bounded by the update's deadline: a
 * retry that would land past it is not made.
 */
#ifndef DDNS_REST_JOB_H
#define DDNS_REST_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ddns/plugin.h>
#include <ddns/rest/retry.h>

#define REST_JOB_MAX_HEADERS 8
#define REST_JOB_MSG_MAX 1024

typedef struct rest_job rest_job_t;

/** A reply for the current step, after retries; borrowed for the call. */
typedef void (*rest_reply_cb)(rest_job_t *job, const ddns_http_response_t *res);
/** A step to run after a wait (rest_job_wait). */
typedef void (*rest_step_cb)(rest_job_t *job);
/** Frees the plugin's job struct (which embeds the rest_job_t). */
typedef void (*rest_release_cb)(rest_job_t *job);

struct rest_job {
	const ddns_host_t *host;
	ddns_ctx_t *ctx;
	ddns_update_t *update;
	const char *provider;      /**< "digitalocean", prefix of messages */
	const rest_policy_t *policy;
	rest_release_cb release;

	/* The call in progress, kept to send it again. */
	char *method, *url, *body;
	char *headers[REST_JOB_MAX_HEADERS + 1];
	rest_reply_cb on_reply;
	unsigned failures;         /**< transient failures of this call */
	unsigned rate_waits;       /**< rate-limit waits of this call */

	ddns_http_t *http;         /**< request in flight, or NULL */
	ddns_timer_t *timer;       /**< wait in progress, or NULL */
	rest_step_cb after_wait;

	char notes[REST_JOB_MSG_MAX]; /**< what has been done, "; "-separated */

	/* A create in flight (rest_job_guard_create): what to run instead of
	 * sending it again, and how often that happened in this update. */
	rest_step_cb relook;
	unsigned relooks;

	/* The record being changed: A for update->ipv4, then AAAA for ipv6. */
	int family_step;           /**< -1 before the first */
	const char *rtype;         /**< "A" or "AAAA" */
	const char *addr;          /**< the address to set */

	/** Sign every call with AWS SigV4 (host->http_request_sigv4): set by
	 *  the plugin after rest_job_new, borrowed for the job's life. */
	const ddns_http_sigv4_t *sigv4;
};

/** Set up @p job for @p update (no I/O). */
void rest_job_init(rest_job_t *job, const ddns_host_t *host, ddns_ctx_t *ctx,
                     ddns_update_t *update, const char *provider,
                     const rest_policy_t *policy, rest_release_cb release);

/**
 * Run @p first on the next loop turn (so update() never completes the
 * update from inside itself).  @return 0, or a negative code: the job is
 * then untouched and update_done must not be called.
 */
int rest_job_start(rest_job_t *job, rest_step_cb first);

/**
 * The usual update() in two calls: rest_job_new() allocates @p size bytes
 * (the plugin's job struct, which starts with its rest_job_t) zeroed and
 * initialised as rest_job_init() with rest_job_free as the release; the
 * plugin fills in its own members; rest_job_launch() starts it as
 * rest_job_start() and frees it if that fails.
 * @return the job, or NULL (out of memory) / rest_job_start's result.
 */
rest_job_t *rest_job_new(size_t size, const ddns_host_t *host, ddns_ctx_t *ctx,
                         ddns_update_t *update, const char *provider,
                         const rest_policy_t *policy);
int rest_job_launch(rest_job_t *job, rest_step_cb first);

/**
 * Send a request (everything is copied); @p on_reply gets the reply once
 * it is not a rate limit or a transient failure that can still be retried
 * in time.  On failure to start, the job is finished (with the error) and
 * released, so the caller must not touch the job after this call: the
 * next step happens in @p on_reply.
 */
void rest_job_send(rest_job_t *job, const char *method, const char *url,
                    const char *const *headers, const char *body, rest_reply_cb on_reply);

/**
 * Guard the next rest_job_send() (call it just before): that call creates
 * something, so sending it again after a failure that may have hidden a
 * success (no reply, a 5xx) could create it twice.  Instead, after the
 * backoff, @p relook runs: it reads the state back (lists the records) and
 * carries on from what it finds (a PATCH, "already", or the create again).
 * A rate limit, which the API did not act on, is still sent again.  The
 * guard ends with the call's reply; relooks beyond the policy's
 * max_attempts in one update finish the job.
 */
void rest_job_guard_create(rest_job_t *job, rest_step_cb relook);

/** Run @p step after @p ms, or finish with DDNS_ETIMEOUT if that would pass
 *  the deadline (@p what says what was waited for). */
void rest_job_wait(rest_job_t *job, uint64_t ms, const char *what, rest_step_cb step);

/**
 * Move to the next record type the update asks for (A, then AAAA), setting
 * rtype and addr.  Call it once the current type is done: that type is then
 * reported confirmed (host->update_result), so when A changed and AAAA then
 * fails, ddnsd stores the A change.  @return false when none is left.
 */
bool rest_job_next_family(rest_job_t *job);

/**
 * rest_job_next_family(), finishing the job when it is done: with DDNS_OK
 * when no record type is left, with DDNS_ECONFIG when @p zone (the
 * configured zone, or NULL) does not hold the name.
 * @return true when the job goes on with the next record type.
 */
bool rest_job_next_in_zone(rest_job_t *job, const char *zone);

/** Milliseconds left before the update's deadline (0 when past it). */
uint64_t rest_job_left_ms(const rest_job_t *job);

/** Append one "what was done" line (e.g. "A a.example.com -> 1.2.3.4"). */
void rest_job_note(rest_job_t *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Complete the update: update_done(result, "<provider>: <notes>[; <fmt>]"),
 * stop whatever is in flight, then release the job.  Failures are logged
 * once (the message never holds secrets).
 */
void rest_job_finish(rest_job_t *job, int result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** The host gave up: stop everything and finish with DDNS_ECANCELED. */
void rest_job_cancel(rest_job_t *job);

/**
 * ddns_plugin_t.cancel for plugins whose update->module_data is their
 * rest_job_t (as rest_job_start sets it): rest_job_cancel() it if one is running.
 */
void rest_job_cancel_update(void *instance, ddns_update_t *update);

/** The release function of a job that owns nothing but its struct: free() it. */
void rest_job_free(rest_job_t *job);

/** Free the copies of the current call (done by finish; for release fns). */
void rest_job_clear_call(rest_job_t *job);

#endif
