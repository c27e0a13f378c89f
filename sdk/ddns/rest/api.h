/**
 * @file ddns/rest/api.h
 * @brief A provider job talking to a JSON API: sending with the API's
 * headers, and ending the update on a reply it cannot use.
 *
 * DigitalOcean, Cloudflare and Rackspace send the same headers, map HTTP
 * errors to the same results and word unusable replies alike; only what
 * they say about an error (the message) is the provider's own.
 */
#ifndef DDNS_REST_API_H
#define DDNS_REST_API_H

#include <jansson.h>

#include <ddns/rest/job.h>
#include <ddns/rest/zones.h>

/**
 * rest_job_send() @p text (or no body when NULL) with @p auth (an
     * "Authorization: ..."-style header line), Accept: application/json and,
 * with a body, Content-Type: application/json.  Same ownership and
 * completion rules as rest_job_send().
 */
void rest_api_send_text(rest_job_t *job, const char *auth, const char *method, const char *url,
                          const char *text, rest_reply_cb cb);

/**
 * rest_api_send_text() with @p body serialised compactly; @p body (may be
     * NULL) is consumed.  A body that cannot be serialised (out of memory)
 * finishes the job with -ENOMEM.
 */
void rest_api_send_json(rest_job_t *job, const char *auth, const char *method, const char *url,
                          json_t *body, rest_reply_cb cb);

/**
 * Finish the job for an HTTP error @p res met while @p doing ("listing"):
 * DDNS_EAUTH for 401/403, DDNS_ENOTFOUND for 404 (then the cached zone of
 * the name is dropped from @p zones, since the zone may be gone), else
 * DDNS_EPROVIDER; the message quotes @p api_msg, what the API said (NULL:
 * what rest_api_message() finds in @p res).
 */
void rest_api_fail_status(rest_job_t *job, rest_zones_t *zones, const ddns_http_response_t *res,
                            const char *doing, const char *api_msg);

/**
 * Finish the job with DDNS_EBADREPLY: "unexpected reply <doing> <type>
 * <name>: expected <expected>[; <err>]".
 */
void rest_api_bad_reply(rest_job_t *job, const char *doing, const char *expected, const char *err);

#endif
