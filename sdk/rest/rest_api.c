/* Sending to a provider's JSON API and failing on its replies (rest_api.h). */
#include <errno.h>
#include <stdlib.h>

#include <ddns/rest/api.h>
#include <ddns/rest/json.h>

void rest_api_send_text(rest_job_t *job, const char *auth, const char *method, const char *url,
                          const char *text, rest_reply_cb cb)
{
	const char *headers[] = { auth, "Accept: application/json",
	                          text ? "Content-Type: application/json" : NULL, NULL };

	rest_job_send(job, method, url, headers, text, cb);
}

void rest_api_send_json(rest_job_t *job, const char *auth, const char *method, const char *url,
                          json_t *body, rest_reply_cb cb)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (body != NULL && text == NULL) {
		rest_job_finish(job, -ENOMEM, "out of memory");
		return;
	}
	rest_api_send_text(job, auth, method, url, text, cb);
	free(text);
}

void rest_api_fail_status(rest_job_t *job, rest_zones_t *zones, const ddns_http_response_t *res,
                            const char *doing, const char *api_msg)
{
	char msg[512];
	int rc = DDNS_EPROVIDER;

	if (api_msg == NULL)
		api_msg = rest_api_message(res, msg, sizeof(msg));
	if (res->status == 401 || res->status == 403)
		rc = DDNS_EAUTH;
	else if (res->status == 404) {
		/* The zone may be gone: walk again next time. */
		rest_zones_forget(zones, job->update->name);
		rc = DDNS_ENOTFOUND;
	}
	rest_job_finish(job, rc, "%s %s %s: %s (HTTP %ld)", doing, job->rtype, job->update->name,
	                  api_msg, res->status);
}

void rest_api_bad_reply(rest_job_t *job, const char *doing, const char *expected, const char *err)
{
	rest_job_finish(job, DDNS_EBADREPLY, "unexpected reply %s %s %s: expected %s%s%s", doing,
	                  job->rtype, job->update->name, expected, err ? "; " : "", err ? err : "");
}
