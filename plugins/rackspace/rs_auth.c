/*
 * Rackspace tokens: one POST /v2.0/tokens per instance at a time, cached
 * until shortly before its "expires"; jobs that need a token meanwhile
 * wait for the one being fetched instead of asking again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest/json.h>
#include "rs.h"

void rs_auth_clear(rs_instance_t *inst)
{
	rest_secret_free(inst->token_header);
	inst->token_header = NULL;
	inst->token_expires = 0;
}

void rs_auth_invalidate(rs_instance_t *inst, unsigned gen)
{
	if (inst->token_gen == gen)
		rs_auth_clear(inst);
}

static void run_after_auth(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;
	rest_step_cb then = job->after_auth;

	job->after_auth = NULL;
	then(base);
}

static void ensure_again(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;

	rs_auth_ensure(job, job->after_auth);
}

/* Let the waiters go on (on the next loop turn, each with its own deadline). */
static void wake_waiters(rs_instance_t *inst, rest_step_cb step)
{
	rs_job_t *w = inst->auth_waiters;

	inst->auth_waiters = NULL;
	while (w != NULL) {
		rs_job_t *next = w->next_waiter;
		w->next_waiter = NULL;
		rest_job_wait(&w->base, 0, "waiting for a token", step);
		w = next;
	}
}

void rs_auth_forget(rs_job_t *job)
{
	rs_instance_t *inst = job->inst;

	if (inst->auth_leader == job) {
		/* It failed or was cancelled: another waiter asks in its place. */
		inst->auth_leader = NULL;
		wake_waiters(inst, ensure_again);
		return;
	}
	for (rs_job_t **p = &inst->auth_waiters; *p; p = &(*p)->next_waiter) {
		if (*p == job) {
			*p = job->next_waiter;
			job->next_waiter = NULL;
			return;
		}
	}
}

/* The cloudDNS endpoint of the service catalog, or NULL. */
static const char *dns_endpoint(const json_t *access)
{
	const json_t *svc, *ep;
	size_t i, k;

	json_array_foreach(json_object_get(access, "serviceCatalog"), i, svc) {
		const char *type = rest_json_str(svc, "type");
		if (type == NULL || strcmp(type, "rax:dns") != 0)
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), k, ep) {
			const char *url = rest_json_str(ep, "publicURL");
			if (url && (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7)))
				return url;
		}
	}
	return NULL;
}

static void on_token(rest_job_t *base, const ddns_http_response_t *res)
{
	rs_job_t *job = (rs_job_t *)base;
	rs_instance_t *inst = job->inst;
	char err[256], msg[512];
	json_t *root, *access, *token;
	const char *id, *expires, *endpoint;
	time_t exp;

	if (res->status == 401 || res->status == 403) {
		rest_job_finish(base, DDNS_EAUTH, "the identity service refused username %s and its "
		                "API key: %s (HTTP %ld)", inst->username,
		                rest_api_message(res, msg, sizeof(msg)), res->status);
		return;
	}
	if (res->status != 200) {
		rest_job_finish(base, DDNS_EPROVIDER, "authenticating: %s (HTTP %ld)",
		                rest_api_message(res, msg, sizeof(msg)), res->status);
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	access = json_object_get(root, "access");
	token = json_object_get(access, "token");
	id = rest_json_str(token, "id");
	expires = rest_json_str(token, "expires");
	endpoint = inst->conf.api_url ? inst->conf.api_url : dns_endpoint(access);
	if (id == NULL || expires == NULL || rest_parse_iso8601(expires, &exp) < 0 ||
	      endpoint == NULL || strpbrk(id, "\r\n") != NULL) {
		rest_job_finish(base, DDNS_EBADREPLY, "unexpected reply from the identity service: "
		                "expected access.token.id, access.token.expires (ISO 8601) and a "
		                "rax:dns endpoint in access.serviceCatalog%s%s",
		                root ? "" : "; ", root ? "" : err);
		json_decref(root);
		return;
	}
	rs_auth_clear(inst);
	if (asprintf(&inst->token_header, "X-Auth-Token: %s", id) < 0) {
		inst->token_header = NULL;
		json_decref(root);
		rest_job_finish(base, -ENOMEM, "out of memory");
		return;
	}
	inst->token_expires = exp;
	inst->token_gen++;
	if (inst->endpoint == NULL || strcmp(inst->endpoint, endpoint) != 0) {
		free(inst->endpoint);
		inst->endpoint = strdup(endpoint);
	}
	json_decref(root);
	if (inst->endpoint == NULL) {
		rest_job_finish(base, -ENOMEM, "out of memory");
		return;
	}
	inst->auth_leader = NULL;
	wake_waiters(inst, run_after_auth);
	run_after_auth(base);
}

void rs_auth_ensure(rs_job_t *job, rest_step_cb then)
{
	rs_instance_t *inst = job->inst;
	const char *headers[] = { "Content-Type: application/json", "Accept: application/json",
	                          NULL };
	char url[1024], *body;
	json_t *req;

	if (inst->token_header != NULL && time(NULL) + RS_TOKEN_MARGIN_S < inst->token_expires) {
		then(&job->base);
		return;
	}
	job->after_auth = then;
	if (inst->auth_leader != NULL) {
		job->next_waiter = inst->auth_waiters;
		inst->auth_waiters = job;
		return;
	}
	inst->auth_leader = job;
	req = json_pack("{s:{s:{s:s, s:s}}}", "auth", "RAX-KSKEY:apiKeyCredentials",
	                "username", inst->username, "apiKey", inst->api_key);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (body == NULL) {
		rest_job_finish(&job->base, -ENOMEM, "out of memory");
		return;
	}
	snprintf(url, sizeof(url), "%s/tokens", inst->identity_url);
	rest_job_send(&job->base, "POST", url, headers, body, on_token);
	memset(body, 0, strlen(body));
	free(body);
}
