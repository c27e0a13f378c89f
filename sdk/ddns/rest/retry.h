/**
 * @file ddns/rest/retry.h
 * @brief When to try a provider call again, and how long to wait first.
 *
 * Rate limits (429, and Rackspace's 413) say how long to wait; server
 * errors (5xx) and network errors get a bounded exponential backoff.  The
 * caller checks every wait against the update's deadline.
 */
#ifndef DDNS_REST_RETRY_H
#define DDNS_REST_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ddns/plugin.h>

/** A plugin's retry policy. */
typedef struct rest_policy {
	unsigned max_attempts;  /**< tries of one call on 5xx/network errors */
	uint32_t backoff_ms;    /**< first backoff; doubles each time */
	uint32_t default_wait_ms; /**< rate-limit wait when the reply names none */
	bool rate_limit_413;    /**< 413 means "over limit" (Rackspace) */
	/** The API's own way of saying "later" (Route 53 answers 400 with
	 *  <Code>Throttling</Code>): REST_REPLY_RATELIMIT or _TRANSIENT for such
	 *  a reply, REST_REPLY_FINAL to leave it to the usual rules.  NULL: none. */
	int (*classify)(const ddns_http_response_t *res);
	/** What an error reply says, for log lines and messages, when the API
	 *  does not speak JSON (Route 53 answers XML).  NULL: rest_api_message. */
	const char *(*message)(const ddns_http_response_t *res, char *out, size_t len);
} rest_policy_t;

/** What a reply calls for. */
typedef enum {
	REST_REPLY_FINAL = 0,   /**< hand it to the plugin */
	REST_REPLY_RATELIMIT,   /**< wait as told, then try again */
	REST_REPLY_TRANSIENT,   /**< back off, then try again (bounded) */
} rest_reply_kind_t;

/** Classify @p res under @p policy. */
rest_reply_kind_t rest_retry_classify(const rest_policy_t *policy, const ddns_http_response_t *res);

/**
 * How long a rate-limited reply asks to wait, in ms: Retry-After (seconds
 * or an HTTP date), else DigitalOcean's RateLimit-Reset (Unix time), else a
 * Rackspace overLimit "retryAfter" timestamp, else @p policy's default.
 * @p now is the wall clock, for the absolute forms.
 */
uint64_t rest_retry_wait_ms(const rest_policy_t *policy, const ddns_http_response_t *res,
                              time_t now);

/** Backoff before try number @p attempt + 1 (attempt >= 1). */
uint64_t rest_retry_backoff_ms(const rest_policy_t *policy, unsigned attempt);

/**
 * Parse an ISO 8601 timestamp ("2014-11-24T22:05:39.115Z", or with an
 * offset such as "-06:00"; no zone means UTC); fractions are dropped.
 * @return 0 and *out (Unix time), or -EINVAL.
 */
int rest_parse_iso8601(const char *text, time_t *out);

#endif
