/* The HTTP APIs ACME DNS-01 clients use to set a TXT value (doc/acme.md),
 * both turned into pipeline_txt_submit() on "_acme-challenge.<name>":
 *
 * acme-dns (as acme-dns/acme-dns answers it):
 *   POST /update  X-Api-User: <name>  X-Api-Key: <name's key>
 *                 {"subdomain": "<name>", "txt": "<value>"}
 *   200 {"txt": "<value>"}; 401 {"error": "forbidden"} for a wrong key, an
 *   unknown name or a subdomain other than X-Api-User; 400 bad_txt,
 *   bad_subdomain, malformed_json_payload, too_many_txt.  In ddnsd the
 *   account is the record itself: username = subdomain = the record name,
 *   password = its key, fulldomain = _acme-challenge.<name>.  There is no
 *   /register (404): accounts are records, made by ddnsctl.  Values are not
 *   rolled over two at a time as acme-dns does: up to PIPELINE_TXT_MAX
 *   live together and each expires (acme.txt_expire).
 *
 * lego httpreq:
 *   POST /present, /cleanup  Authorization: Basic <name>:<key>
 *                 {"fqdn": "_acme-challenge.<name>.", "value": "<value>"}
 *   200 {"fqdn", "value"}; 401 for wrong credentials or an fqdn that is not
 *   _acme-challenge.<the user's name>; 400 for a bad body or value.
 *
 * A wrong key costs the failed-authentication delay and counts against the
 * source, as every update does (pipeline.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "addr.h"
#include "dyndns2_parse.h"
#include "frontend.h"
#include "log.h"

#define ACME_PREFIX "_acme-challenge."
#define BODY_MAX 4096

typedef enum { ACME_DNS, HTTPREQ } acme_api_t;

/* One request waiting for its pipeline answer. */
typedef struct acme_req {
	httpd_req_t *r;
	acme_api_t api;
	char name[NAME_TEXT_MAX];
	char value[256];
} acme_req_t;

static void reply_obj(httpd_req_t *r, unsigned status, json_t *o)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (s == NULL) {
		httpd_reply_json_error(r, 500, "Internal error");
		return;
	}
	httpd_reply(r, status, "application/json", s, strlen(s));
	free(s);
}

/* acme-dns's error body: {"error": "<code>"}. */
static void reply_error(httpd_req_t *r, acme_api_t api, unsigned status, const char *code)
{
	if (api == HTTPREQ && status == 401)
		httpd_req_add_header(r, "WWW-Authenticate", "Basic realm=\"ddnsd\"");
	reply_obj(r, status, json_pack("{s:s}", "error", code));
}

static void txt_done(const pipeline_result_t *res, void *arg)
{
	acme_req_t *a = arg;
	httpd_req_t *r = a->r;
	switch (res->status) {
	case PIPELINE_CHANGED:
	case PIPELINE_UNCHANGED:
		if (a->api == ACME_DNS)
			reply_obj(r, 200, json_pack("{s:s}", "txt", a->value));
		else
			reply_obj(r, 200, json_pack("{s:s+,s:s}", "fqdn", ACME_PREFIX, a->name,
			                            "value", a->value));
		break;
	case PIPELINE_AUTH_FAILED:
		reply_error(r, a->api, 401, "forbidden");
		break;
	case PIPELINE_ABUSE:
		reply_error(r, a->api, 429, "too_many_failed_authentications");
		break;
	case PIPELINE_PROVIDER_FAILED:
	case PIPELINE_TIMEOUT:
		reply_obj(r, 502, json_pack("{s:s,s:s}", "error", "provider_failed", "message",
		                            res->message != NULL ? res->message : ""));
		break;
	default:
		reply_error(r, a->api, 503, "unavailable");
		break;
	}
	free(a);
}

/* Submit; the request is answered now (bad input) or by txt_done(). */
static void submit(httpd_req_t *r, const frontend_env_t *env, acme_api_t api,
                   const char *name, const char *key, size_t key_len, const char *value,
                   bool remove)
{
	acme_req_t *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		reply_error(r, api, 503, "unavailable");
		return;
	}
	a->r = r;
	a->api = api;
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->value, sizeof(a->value), "%s", value);
	pipeline_txt_request_t req = { .name = name, .key = key, .key_len = key_len,
	                               .client = httpd_req_client(r), .value = value,
	                               .remove = remove };
	int rc = pipeline_txt_submit(env->pipeline, &req, txt_done, a);
	if (rc == 0)
		return;
	free(a);
	if (rc == -EINVAL)
		reply_error(r, api, 400, "bad_txt");
	else if (rc == -E2BIG)
		reply_error(r, api, 400, "too_many_txt");
	else
		reply_error(r, api, 503, "unavailable");
}

/* The JSON body, or NULL with the request answered. */
static json_t *body_json(httpd_req_t *r, acme_api_t api)
{
	if (strcmp(httpd_req_method(r), "POST") != 0) {
		httpd_req_add_header(r, "Allow", "POST");
		reply_error(r, api, 405, "method_not_allowed");
		return NULL;
	}
	size_t len = 0;
	const char *body = httpd_req_body(r, &len);
	json_t *o = body != NULL && len <= BODY_MAX ? json_loadb(body, len, 0, NULL) : NULL;
	if (!json_is_object(o)) {
		json_decref(o);
		reply_error(r, api, 400, "malformed_json_payload");
		return NULL;
	}
	return o;
}

static void acmedns_update(httpd_req_t *r, void *arg)
{
	if (strcmp(httpd_req_path(r), "/update") != 0) {
		reply_error(r, ACME_DNS, 404, "not_found");
		return;
	}
	json_t *o = body_json(r, ACME_DNS);
	if (o == NULL)
		return;
	const char *user = httpd_req_header(r, "X-Api-User");
	const char *key = httpd_req_header(r, "X-Api-Key");
	const char *sub = json_string_value(json_object_get(o, "subdomain"));
	const char *txt = json_string_value(json_object_get(o, "txt"));
	char name[NAME_TEXT_MAX], subname[NAME_TEXT_MAX];
	if (sub == NULL || addr_name_normalize(sub, subname) != 0)
		reply_error(r, ACME_DNS, 400, "bad_subdomain");
	else if (txt == NULL)
		reply_error(r, ACME_DNS, 400, "bad_txt");
	else if (user == NULL || key == NULL || addr_name_normalize(user, name) != 0 ||
	         strcmp(name, subname) != 0)
		reply_error(r, ACME_DNS, 401, "forbidden");
	else
		submit(r, arg, ACME_DNS, name, key, strlen(key), txt, false);
	json_decref(o);
}

static void httpreq(httpd_req_t *r, void *arg, bool remove)
{
	json_t *o = body_json(r, HTTPREQ);
	if (o == NULL)
		return;
	dyndns2_auth_t auth = { 0 };
	const char *fqdn = json_string_value(json_object_get(o, "fqdn"));
	const char *value = json_string_value(json_object_get(o, "value"));
	char name[NAME_TEXT_MAX], owner[NAME_TEXT_MAX + sizeof(ACME_PREFIX)];
	if (fqdn == NULL || value == NULL) {
		reply_error(r, HTTPREQ, 400, "fqdn and value required (HTTPREQ_MODE=RAW is not supported)");
	} else if (dyndns2_parse_auth(httpd_req_header(r, "Authorization"), &auth) != 0 ||
	           auth.user == NULL || addr_name_normalize(auth.user, name) != 0) {
		reply_error(r, HTTPREQ, 401, "forbidden");
	} else {
		/* the fqdn must be the user's own challenge name */
		size_t n = strlen(fqdn);
		snprintf(owner, sizeof(owner), ACME_PREFIX "%s", name);
		size_t m = strlen(owner);
		bool match = (n == m || (n == m + 1 && fqdn[m] == '.')) &&
		             strncasecmp(fqdn, owner, m) == 0;
		if (!match)
			reply_error(r, HTTPREQ, 401, "forbidden");
		else
			submit(r, arg, HTTPREQ, name, auth.pass, auth.pass_len, value, remove);
	}
	dyndns2_auth_clear(&auth);
	json_decref(o);
}

static void httpreq_present(httpd_req_t *r, void *arg)
{
	httpreq(r, arg, false);
}

static void httpreq_cleanup(httpd_req_t *r, void *arg)
{
	httpreq(r, arg, true);
}

int api_acme_register(httpd_t *h, const frontend_env_t *env)
{
	int rc = httpd_route(h, "/update", acmedns_update, (void *)env);
	if (rc == 0)
		rc = httpd_route(h, "/present", httpreq_present, (void *)env);
	if (rc == 0)
		rc = httpd_route(h, "/cleanup", httpreq_cleanup, (void *)env);
	return rc;
}
