#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ddns/rest/json.h>
#include <ddns/rest/retry.h>

rest_reply_kind_t rest_retry_classify(const rest_policy_t *policy, const ddns_http_response_t *res)
{
	if (res->error)
		return REST_REPLY_TRANSIENT;
	if (policy->classify != NULL) {
		int kind = policy->classify(res);
		if (kind == REST_REPLY_RATELIMIT || kind == REST_REPLY_TRANSIENT)
			return (rest_reply_kind_t)kind;
	}
	if (res->status == 429 || (policy->rate_limit_413 && res->status == 413))
		return REST_REPLY_RATELIMIT;
	if (res->status >= 500 && res->status <= 599)
		return REST_REPLY_TRANSIENT;
	return REST_REPLY_FINAL;
}

int rest_parse_iso8601(const char *text, time_t *out)
{
	struct tm tm;
	const char *end;
	int sign, hh, mm, n = 0;
	long offset = 0;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -EINVAL;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end == '+' || *end == '-') {
		/* Older identity services answer local times, e.g. "-06:00". */
		sign = *end == '-' ? -1 : 1;
		if (sscanf(end + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || end[1 + n] != '\0' ||
		    hh > 23 || mm > 59)
			return -EINVAL;
		offset = sign * (hh * 3600L + mm * 60L);
	} else if (strcmp(end, "Z") != 0 && *end != '\0') {
		return -EINVAL;
	}
	*out = timegm(&tm);
	if (*out == (time_t)-1)
		return -EINVAL;
	*out -= offset;
	return 0;
}

/* Seconds from now until absolute time @p t, at least 0. */
static uint64_t until_ms(time_t t, time_t now)
{
	return t > now ? (uint64_t)(t - now) * 1000u : 0;
}

uint64_t rest_retry_wait_ms(const rest_policy_t *policy, const ddns_http_response_t *res,
                              time_t now)
{
	const char *v = rest_header(res, "retry-after");
	struct tm tm;
	char *end;
	time_t t;

	if (v != NULL) {
		unsigned long s = strtoul(v, &end, 10);
		if (end != v && *end == '\0')
			return (uint64_t)s * 1000u;
		memset(&tm, 0, sizeof(tm));
		end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (end != NULL && (t = timegm(&tm)) != (time_t)-1)
			return until_ms(t, now);
	}
	v = rest_header(res, "ratelimit-reset");
	if (v != NULL) {
		long long reset = strtoll(v, &end, 10);
		if (end != v && *end == '\0' && reset > 0)
			return until_ms((time_t)reset, now);
	}
	if (res->status == 413) {
		json_t *root = json_loadb(res->body, res->body_len, 0, NULL);
		const char *when = rest_json_str(json_object_get(root, "overLimit"), "retryAfter");
		uint64_t ms = policy->default_wait_ms;

		if (when != NULL && rest_parse_iso8601(when, &t) == 0)
			ms = until_ms(t, now);
		json_decref(root);
		return ms;
	}
	return policy->default_wait_ms;
}

uint64_t rest_retry_backoff_ms(const rest_policy_t *policy, unsigned attempt)
{
	unsigned shift = attempt > 1 ? attempt - 1 : 0;

	if (shift > 10)
		shift = 10;
	return (uint64_t)policy->backoff_ms << shift;
}
