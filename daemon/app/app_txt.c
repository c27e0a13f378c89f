/* host->txt_update() for plugins (provider_env_t.txt_update): an ACME TXT
 * change a plugin authorised itself (builtin_dns's RFC 2136 UPDATE with a
 * TSIG key), handed to the pipeline's TXT sets like the HTTP ACME APIs'
 * changes, minus the key check. */
#include "app_priv.h"

#include <errno.h>
#include <stdlib.h>
#include "error.h"

typedef struct app_txt {
	ddns_txt_cb cb;
	void *arg;
} app_txt_t;

static void txt_result(const pipeline_result_t *res, void *arg)
{
	app_txt_t *t = arg;
	const char *msg = res->message != NULL && res->message[0] != '\0' ? res->message : NULL;
	int rc;
	switch (res->status) {
	case PIPELINE_CHANGED:
		rc = DDNS_OK;
		msg = msg ? msg : "TXT set changed";
		break;
	case PIPELINE_UNCHANGED:
		rc = DDNS_OK;
		msg = "TXT set unchanged";
		break;
	case PIPELINE_TIMEOUT:
		rc = DDNS_ETIMEOUT;
		break;
	case PIPELINE_PROVIDER_FAILED:
		rc = DDNS_EPROVIDER;
		break;
	case PIPELINE_UNAVAILABLE:
		rc = DDNS_ECANCELED;
		msg = msg ? msg : "the record's provider is not available, or ddnsd is stopping";
		break;
	default:
		rc = DDNS_EPROVIDER;
		break;
	}
	t->cb(rc, msg != NULL ? msg : ddns_strerror(rc), t->arg);
	free(t);
}

int app_txt_update(void *arg, const char *record, ddns_txt_op_t op, const char *value,
                   const char *client, ddns_txt_cb cb, void *cb_arg)
{
	app_t *a = arg;
	if (a->pipeline == NULL)
		return -ENOTSUP;
	app_txt_t *t = malloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	*t = (app_txt_t){ .cb = cb, .arg = cb_arg };
	pipeline_txt_request_t req = { .name = record, .client = client != NULL ? client : "",
	                               .value = value, .remove = op != DDNS_TXT_ADD,
	                               .authorized = true };
	int rc = pipeline_txt_submit(a->pipeline, &req, txt_result, t);
	if (rc != 0)
		free(t);
	return rc == -ENOENT ? DDNS_ENOTFOUND : rc;
}
