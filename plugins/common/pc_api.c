/* Sending to a provider's JSON API and failing on its replies (pc_api.h). */
#include <errno.h>
#include <stdlib.h>

#include "pc_api.h"
#include "pc_json.h"

void pc_api_send_text(pc_job_t *job, const char *auth, const char *method, const char *url,
                      const char *text, pc_reply_cb cb)
{
	const char *headers[] = { auth, "Accept: application/json",
	                          text ? "Content-Type: application/json" : NULL, NULL };

	pc_job_send(job, method, url, headers, text, cb);
}

void pc_api_send_json(pc_job_t *job, const char *auth, const char *method, const char *url,
                      json_t *body, pc_reply_cb cb)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (body != NULL && text == NULL) {
		pc_job_finish(job, -ENOMEM, "out of memory");
		return;
	}
	pc_api_send_text(job, auth, method, url, text, cb);
	free(text);
}

void pc_api_fail_status(pc_job_t *job, pc_zones_t *zones, const ddns_http_response_t *res,
                        const char *doing, const char *api_msg)
{
	char msg[512];
	int rc = DDNS_EPROVIDER;

	if (api_msg == NULL)
		api_msg = pc_api_message(res, msg, sizeof(msg));
	if (res->status == 401 || res->status == 403)
		rc = DDNS_EAUTH;
	else if (res->status == 404) {
		/* The zone may be gone: walk again next time. */
		pc_zones_forget(zones, job->update->name);
		rc = DDNS_ENOTFOUND;
	}
	pc_job_finish(job, rc, "%s %s %s: %s (HTTP %ld)", doing, job->rtype, job->update->name,
	              api_msg, res->status);
}

void pc_api_bad_reply(pc_job_t *job, const char *doing, const char *expected, const char *err)
{
	pc_job_finish(job, DDNS_EBADREPLY, "unexpected reply %s %s %s: expected %s%s%s", doing,
	              job->rtype, job->update->name, expected, err ? "; " : "", err ? err : "");
}
