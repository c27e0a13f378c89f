/*
 * One Hetzner update: find the zone (configured, cached, or by asking
 * GET /v1/zones?name=<candidate> up the labels), read the RRset of the name
 * and type, then set its records (or create it) and wait for the action
 * that does it: Hetzner applies every change asynchronously, so the update
 * is confirmed only once GET /v1/actions/{id} says "success".  A then AAAA.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hz.h"

static const rest_policy_t hz_policy = {
	.max_attempts = 4,
	.backoff_ms = 250,
	.default_wait_ms = 1000,
	.rate_limit_413 = false,
};

/* An action is asked about after 500 ms, then ever less often: a DDNS change
 * should land fast, and an hour's 3,600 requests allow a few polls. */
#define HZ_POLL_FIRST_MS 500
#define HZ_POLL_MAX_MS 4000

static void next_family(rest_job_t *base);
static void find_zone(hz_job_t *job);

static void send(hz_job_t *job, const char *method, const char *url, json_t *body,
                 rest_reply_cb cb)
{
	rest_api_send_json(&job->base, job->inst->auth_header, method, url, body, cb);
}

static void fail_status(hz_job_t *job, const ddns_http_response_t *res, const char *doing)
{
	rest_api_fail_status(&job->base, &job->inst->zones, res, doing, NULL);
}

static void poll_action(rest_job_t *base);

/* An action as the API describes it: go on, wait, or fail with its error. */
static void on_action(hz_job_t *job, const json_t *action)
{
	rest_job_t *base = &job->base;
	const char *status = rest_json_str(action, "status");
	if (status == NULL ||
	    rest_json_id(json_object_get(action, "id"), job->action, sizeof(job->action)) < 0) {
		rest_api_bad_reply(base, "for", "an action with id and status", NULL);
		return;
	}
	if (strcmp(status, "success") == 0) {
		job->after(base);
		return;
	}
	if (strcmp(status, "error") == 0) {
		const json_t *err = json_object_get(action, "error");
		const char *code = rest_json_str(err, "code"), *msg = rest_json_str(err, "message");
		rest_job_finish(base, DDNS_EPROVIDER, "%s %s: action %s failed: %s (%s)",
		                base->rtype, base->update->name, job->action,
		                msg ? msg : "no message", code ? code : "no code");
		return;
	}
	if (strcmp(status, "running") != 0) {
		rest_api_bad_reply(base, "for", "action status running, success or error", NULL);
		return;
	}
	uint64_t ms = job->poll_ms;
	job->poll_ms = ms * 2 > HZ_POLL_MAX_MS ? HZ_POLL_MAX_MS : ms * 2;
	rest_job_wait(base, ms, "the Hetzner action to finish", poll_action);
}

/* A reply carrying {"action": {...}} (201 for a mutation, 200 for a poll). */
static void on_action_reply(rest_job_t *base, const ddns_http_response_t *res)
{
	hz_job_t *job = (hz_job_t *)base;
	bool poll = strcmp(base->method, "GET") == 0;
	char err[256];

	if (res->status != (poll ? 200 : 201)) {
		fail_status(job, res, poll ? "waiting for the change of" :
		            strstr(base->url, "/actions/") ? "updating" : "creating");
		return;
	}
	json_t *root = rest_json_parse(res, err, sizeof(err));
	if (root == NULL || !json_is_object(json_object_get(root, "action"))) {
		json_decref(root);
		rest_api_bad_reply(base, "for", "{\"action\": {...}}", root ? NULL : err);
		return;
	}
	on_action(job, json_object_get(root, "action"));
	json_decref(root);
}

static void poll_action(rest_job_t *base)
{
	hz_job_t *job = (hz_job_t *)base;
	char url[1024];
	snprintf(url, sizeof(url), "%s/v1/actions/%s", job->inst->conf.api_url, job->action);
	send(job, "GET", url, NULL, on_action_reply);
}

/* Start a mutation whose action then leads to @p after. */
static void mutate(hz_job_t *job, const char *url, json_t *body, rest_step_cb after)
{
	job->after = after;
	job->poll_ms = HZ_POLL_FIRST_MS;
	send(job, "POST", url, body, on_action_reply);
}

static void rrset_url(hz_job_t *job, char *url, size_t len, const char *tail)
{
	snprintf(url, len, "%s/v1/zones/%s/rrsets/%s/%s%s", job->inst->conf.api_url, job->zone,
	         job->rel, job->base.rtype, tail);
}

static void ttl_changed(rest_job_t *base)
{
	hz_job_t *job = (hz_job_t *)base;
	rest_job_note(base, "TTL %" PRId64, job->inst->conf.ttl);
	next_family(base);
}

/* The records are set: the TTL too, if the config names another one. */
static void records_set(rest_job_t *base)
{
	hz_job_t *job = (hz_job_t *)base;
	char url[1024];
	rest_job_note(base, "%s %s -> %s (action %s)", base->rtype, base->update->name,
	              base->addr, job->action);
	if (job->inst->conf.ttl == 0 || job->rr_ttl == job->inst->conf.ttl) {
		next_family(base);
		return;
	}
	rrset_url(job, url, sizeof(url), "/actions/change_ttl");
	mutate(job, url, json_pack("{s:I}", "ttl", (json_int_t)job->inst->conf.ttl), ttl_changed);
}

static void created(rest_job_t *base)
{
	hz_job_t *job = (hz_job_t *)base;
	rest_job_note(base, "%s %s -> %s (created, action %s)", base->rtype, base->update->name,
	              base->addr, job->action);
	next_family(base);
}

static void create_rrset(hz_job_t *job)
{
	char url[1024];
	if (!job->inst->conf.create) {
		rest_job_finish(&job->base, DDNS_ENOTFOUND, "no %s record %s in zone %s (set create "
		                "= true to have it created)", job->base.rtype, job->base.update->name,
		                job->zone);
		return;
	}
	snprintf(url, sizeof(url), "%s/v1/zones/%s/rrsets", job->inst->conf.api_url, job->zone);
	json_t *body = json_pack("{s:s, s:s, s:[{s:s}]}", "name", job->rel, "type",
	                         job->base.rtype, "records", "value", job->base.addr);
	if (body && job->inst->conf.ttl)
		json_object_set_new(body, "ttl", json_integer(job->inst->conf.ttl));
	mutate(job, url, body, created);
}

/* GET .../rrsets/{name}/{type}: already right, to be set, or to be created. */
static void on_rrset(rest_job_t *base, const ddns_http_response_t *res)
{
	hz_job_t *job = (hz_job_t *)base;
	char err[256], url[1024];

	if (res->status == 404) {
		create_rrset(job);
		return;
	}
	if (res->status != 200) {
		fail_status(job, res, "reading");
		return;
	}
	json_t *root = rest_json_parse(res, err, sizeof(err));
	json_t *rrset = json_object_get(root, "rrset");
	json_t *records = json_object_get(rrset, "records");
	if (!json_is_array(records)) {
		json_decref(root);
		rest_api_bad_reply(base, "for", "{\"rrset\": {\"records\": [...]}}",
		                   root ? NULL : err);
		return;
	}
	json_t *ttl = json_object_get(rrset, "ttl");
	job->rr_ttl = json_is_integer(ttl) ? json_integer_value(ttl) : 0;
	const char *value = rest_json_str(json_array_get(records, 0), "value");
	bool same = json_array_size(records) == 1 && value != NULL &&
	            strcmp(value, base->addr) == 0;
	json_decref(root);
	if (same && (job->inst->conf.ttl == 0 || job->rr_ttl == job->inst->conf.ttl)) {
		rest_job_note(base, "%s %s already %s", base->rtype, base->update->name, base->addr);
		next_family(base);
		return;
	}
	if (same) {
		records_set(base); /* only the TTL to change */
		return;
	}
	rrset_url(job, url, sizeof(url), "/actions/set_records");
	mutate(job, url, json_pack("{s:[{s:s}]}", "records", "value", base->addr), records_set);
}

static void read_rrset(hz_job_t *job, const char *zone)
{
	char url[1024];
	if (zone != job->zone)
		snprintf(job->zone, sizeof(job->zone), "%s", zone);
	if (rest_name_relative(job->base.update->name, job->zone, job->rel, sizeof(job->rel)) < 0) {
		rest_job_finish(&job->base, DDNS_ECONFIG, "%s is not in zone %s",
		                job->base.update->name, job->zone);
		return;
	}
	rrset_url(job, url, sizeof(url), "");
	send(job, "GET", url, NULL, on_rrset);
}

/* GET /v1/zones?name=<candidate>: a zone of that name, or ask the parent. */
static void on_zones(rest_job_t *base, const ddns_http_response_t *res)
{
	hz_job_t *job = (hz_job_t *)base;
	const char *cand = rest_zone_candidate(base->update->name, job->zone_try);
	char err[256], id[64] = "";
	json_t *z;
	size_t i;

	if (res->status != 200) {
		fail_status(job, res, "finding the zone of");
		return;
	}
	json_t *root = rest_json_parse(res, err, sizeof(err));
	json_t *zones = json_object_get(root, "zones");
	if (!json_is_array(zones)) {
		json_decref(root);
		rest_api_bad_reply(base, "for", "{\"zones\": [...]}", root ? NULL : err);
		return;
	}
	json_array_foreach(zones, i, z) {
		const char *name = rest_json_str(z, "name");
		if (name != NULL && strcasecmp(name, cand) == 0 &&
		    rest_json_id(json_object_get(z, "id"), id, sizeof(id)) == 0)
			break;
		id[0] = '\0';
	}
	json_decref(root);
	if (id[0] == '\0') {
		job->zone_try++;
		find_zone(job);
		return;
	}
	rest_zones_put(&job->inst->zones, base->update->name, cand, id);
	read_rrset(job, cand);
}

static void find_zone(hz_job_t *job)
{
	const char *cand = rest_zone_candidate(job->base.update->name, job->zone_try);
	char url[1024], esc[768];
	if (cand == NULL) {
		rest_job_finish(&job->base, DDNS_ENOTFOUND, "no zone of this Hetzner project holds "
		                "%s (set zone = \"...\" if it is there)", job->base.update->name);
		return;
	}
	rest_url_escape(cand, esc, sizeof(esc));
	snprintf(url, sizeof(url), "%s/v1/zones?name=%s", job->inst->conf.api_url, esc);
	send(job, "GET", url, NULL, on_zones);
}

static void next_family(rest_job_t *base)
{
	hz_job_t *job = (hz_job_t *)base;
	const rest_zone_entry_t *known;

	if (!rest_job_next_in_zone(base, job->inst->conf.zone))
		return;
	if (job->zone[0] != '\0') {
		read_rrset(job, job->zone);
	} else if (job->inst->conf.zone != NULL) {
		read_rrset(job, job->inst->conf.zone);
	} else if ((known = rest_zones_find(&job->inst->zones, base->update->name)) != NULL) {
		read_rrset(job, known->zone);
	} else {
		job->zone_try = 0;
		find_zone(job);
	}
}

int hz_update_start(void *instance, ddns_update_t *update)
{
	hz_instance_t *inst = instance;
	hz_job_t *job = (hz_job_t *)rest_job_new(sizeof(*job), inst->host, inst->ctx,
	                                         update, "hetzner", &hz_policy);
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	return rest_job_launch(&job->base, next_family);
}
