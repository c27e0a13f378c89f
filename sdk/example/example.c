/*
 * example.so: a complete third-party provider for ddnsd, built out of tree
 * on the installed SDK alone (<ddns/plugin.h> and the REST toolkit
 * <ddns/rest.h>, `pkg-config ddns-rest`).
 *
 * It keeps A and AAAA records current at "Example DNS", a small REST API
 * (mock_api.py next to this file serves it for the tests):
 *
 *     PUT {api_url}/v1/zones/{zone}/rrsets/{name}/{type}
 *     Authorization: Bearer {token}
 *     {"ttl": 300, "records": ["203.0.113.7"]}
 *
 * answers 200 {"rrset": {"name": ..., "type": ..., "ttl": ..., "records": [...]}}
 * with the record set as stored.  The toolkit does the rest: retries of 5xx
 * and network errors, waits on 429 with Retry-After (each a host timer
 * bounded by the update's deadline), 401/403/404 mapped to results, one
 * message per update, completion exactly once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest.h>

#define EX_DEFAULT_API "https://api.example-dns.invalid"

static const rest_policy_t ex_policy = {
	.max_attempts = 3,      /* tries of one call on 5xx and network errors */
	.backoff_ms = 200,      /* then 400, 800... */
	.default_wait_ms = 1000, /* a 429 without Retry-After */
};

/* ddnsd checks types and the ttl's range (with file:line) before
 * ex_create() runs, and serves the ttl's default. */
static const ddns_option_t ex_options[] = {
	{ .name = "token", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  .help = "Example DNS API token" },
	{ .name = "zone", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED,
	  .help = "the zone the records are in" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "TTL of the records",
	  .min = 60, .max = 86400, .def = "300" },
	{ .name = "api_url", .type = DDNS_OPT_STRING,
	  .help = "API base URL (default " EX_DEFAULT_API ")" },
	{ .name = NULL },
};

/* One update in progress: the toolkit's job first, so a rest_job_t * is ours. */
typedef struct ex_job {
	rest_job_t base;
	rest_bearer_t *inst;
} ex_job_t;

static void next_family(rest_job_t *base);

/* PUT answered: the stored record set must hold exactly our address. */
static void on_put(rest_job_t *base, const ddns_http_response_t *res)
{
	ex_job_t *job = (ex_job_t *)base;
	json_t *root, *records;
	char err[256];

	if (res->status != 200) {
		rest_api_fail_status(base, &job->inst->zones, res, "updating", NULL);
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	records = json_object_get(json_object_get(root, "rrset"), "records");
	if (!json_is_array(records) || json_array_size(records) != 1 ||
	    !json_is_string(json_array_get(records, 0))) {
		json_decref(root);
		rest_api_bad_reply(base, "for", "{\"rrset\": {\"records\": [one address]}}",
		                   root ? NULL : err);
		return;
	}
	if (strcmp(json_string_value(json_array_get(records, 0)), base->addr) != 0) {
		rest_job_finish(base, DDNS_EBADREPLY, "%s %s: the API stored %s, not %s",
		                base->rtype, base->update->name,
		                json_string_value(json_array_get(records, 0)), base->addr);
		json_decref(root);
		return;
	}
	json_decref(root);
	rest_job_note(base, "%s %s -> %s", base->rtype, base->update->name, base->addr);
	next_family(base);
}

/* A, then AAAA: whichever the update carries. */
static void next_family(rest_job_t *base)
{
	ex_job_t *job = (ex_job_t *)base;
	const char *zone = job->inst->conf.zone;
	char url[1024], rel[256], esc[768];
	json_t *body;

	if (!rest_job_next_in_zone(base, zone))
		return; /* finished: done, or the name is outside the zone */
	if (rest_name_relative(base->update->name, zone, rel, sizeof(rel)) < 0 ||
	    rest_url_escape(rel, esc, sizeof(esc)) < 0) {
		rest_job_finish(base, DDNS_ECONFIG, "name %s is too long", base->update->name);
		return;
	}
	snprintf(url, sizeof(url), "%s/v1/zones/%s/rrsets/%s/%s", job->inst->conf.api_url,
	         zone, esc, base->rtype);
	body = json_pack("{s:I, s:[s]}", "ttl", (json_int_t)job->inst->conf.ttl,
	                 "records", base->addr);
	rest_api_send_json(base, job->inst->auth_header, "PUT", url, body, on_put);
}

static int ex_update(void *instance, ddns_update_t *update)
{
	rest_bearer_t *inst = instance;
	ex_job_t *job = (ex_job_t *)rest_job_new(sizeof(*job), inst->host, inst->ctx,
	                                         update, "example", &ex_policy);
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	return rest_job_launch(&job->base, next_family);
}

static int ex_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	rest_bearer_t *inst;
	int rc = rest_bearer_create(ctx, host, "an Example DNS API token is required",
	                            EX_DEFAULT_API, &inst);

	if (rc < 0)
		return rc;
	host->log(ctx, DDNS_LOG_INFO, "zone %s at %s", inst->conf.zone, inst->conf.api_url);
	*instance = inst;
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "example",
	.version = "2.0",
	.description = "Example DNS (a REST API): A and AAAA records",
	DDNS_PLUGIN_OPTIONS(ex_options),
	.create = ex_create,
	.destroy = rest_bearer_destroy,
	.update = ex_update,
	.cancel = rest_job_cancel_update,
};
