/*
 * One Rackspace update: a token (rs_auth.c), the domain id (GET
 * /domains?name=<zone>, configured or walked up), the record (GET
 * /domains/<id>/records?type=&name=, following links rel "next"), then PUT
 * or POST, which answer 202 with an async job (rs_job.c, which goes on
 * with job->after_job).  Every call goes through rs_call.c: a 401 anywhere
 * re-authenticates once and repeats the call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ddns/rest/api.h>
#include <ddns/rest/json.h>
#include <ddns/rest/name.h>
#include "rs.h"

static const rest_policy_t rs_policy = {
	.max_attempts = 4,
	.backoff_ms = 250,
	.default_wait_ms = 2000,
	.rate_limit_413 = true,
};

static void find_zone(rest_job_t *base);
static void next_family(rest_job_t *base);

/* ---- the record ---------------------------------------------------- */

static void write_record(rs_job_t *job)
{
	rs_instance_t *inst = job->inst;
	char url[1200];
	json_t *body;

	if (job->record_id[0] != '\0') {
		snprintf(url, sizeof(url), "%s/domains/%s/records/%s", inst->endpoint,
		         job->domain_id, job->record_id);
		body = json_pack("{s:s, s:s}", "name", job->base.update->name, "data", job->base.addr);
		if (body && inst->conf.ttl)
			json_object_set_new(body, "ttl", json_integer(inst->conf.ttl));
		rs_send_json(job, "PUT", url, body, rs_on_accepted);
		return;
	}
	if (!inst->conf.create) {
		rest_job_finish(&job->base, DDNS_ENOTFOUND, "no %s record %s in domain %s (set create "
		                "= true to have it created)", job->base.rtype, job->base.update->name,
		                job->zone);
		return;
	}
	snprintf(url, sizeof(url), "%s/domains/%s/records", inst->endpoint, job->domain_id);
	body = json_pack("{s:[{s:s, s:s, s:s, s:I}]}", "records", "name", job->base.update->name,
	                 "type", job->base.rtype, "data", job->base.addr,
	                 "ttl", (json_int_t)(inst->conf.ttl ? inst->conf.ttl : 3600));
	rs_send_json(job, "POST", url, body, rs_on_accepted);
}

static void list_records(rs_job_t *job, const char *url);

static void on_records(rest_job_t *base, const ddns_http_response_t *res)
{
	rs_job_t *job = (rs_job_t *)base;
	char err[256], id[64], next[1200] = "";
	json_t *root, *list, *rec, *link;
	const char *data = NULL;
	size_t i;

	if (res->status != 200) {
		rs_fail_status(job, res, "listing");
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	list = json_object_get(root, "records");
	if (!json_is_array(list)) {
		json_decref(root);
		rs_bad_reply(job, "listing", "{\"records\": [...]}", root ? NULL : err);
		return;
	}
	json_array_foreach(list, i, rec) {
		const char *type = rest_json_str(rec, "type"), *name = rest_json_str(rec, "name");
		if (!type || !name || rest_json_id(json_object_get(rec, "id"), id, sizeof(id)) < 0) {
			json_decref(root);
			rs_bad_reply(job, "listing", "records with id, type and name", NULL);
			return;
		}
		if (!strcmp(type, base->rtype) && !strcasecmp(name, base->update->name)) {
			snprintf(job->record_id, sizeof(job->record_id), "%s", id);
			data = rest_json_str(rec, "data");
			break;
		}
	}
	json_array_foreach(json_object_get(root, "links"), i, link) {
		const char *rel = rest_json_str(link, "rel"), *href = rest_json_str(link, "href");
		if (rel && href && !strcmp(rel, "next"))
			snprintf(next, sizeof(next), "%s", href);
	}
	if (job->record_id[0] && data && !strcmp(data, base->addr)) {
		rest_job_note(base, "%s %s already %s (record %s)", base->rtype, base->update->name,
		              base->addr, job->record_id);
		json_decref(root);
		next_family(base);
		return;
	}
	json_decref(root);
	if (job->record_id[0] == '\0' && next[0] != '\0') {
		if (!rs_under_endpoint(job, next) || ++job->pages > 1000) {
			rs_bad_reply(job, "listing", "a next link under the Cloud DNS endpoint", NULL);
			return;
		}
		list_records(job, next);
		return;
	}
	write_record(job);
}

static void list_records(rs_job_t *job, const char *url)
{
	char first[1200], name[512];

	if (url == NULL) {
		rest_url_escape(job->base.update->name, name, sizeof(name));
		snprintf(first, sizeof(first), "%s/domains/%s/records?type=%s&name=%s",
		         job->inst->endpoint, job->domain_id, job->base.rtype, name);
		url = first;
		job->pages = 0;
		job->record_id[0] = '\0';
	}
	rs_send_call(job, "GET", url, NULL, on_records);
}

/* ---- the domain ---------------------------------------------------- */

static const char *zone_asked(const rs_job_t *job)
{
	return job->inst->conf.zone ? job->inst->conf.zone
	       : rest_zone_candidate(job->base.update->name, job->zone_try);
}

static void on_domains(rest_job_t *base, const ddns_http_response_t *res)
{
	rs_job_t *job = (rs_job_t *)base;
	const char *cand = zone_asked(job);
	char err[256];
	json_t *root, *list, *d;
	size_t i;
	bool found = false;

	if (res->status != 200 && res->status != 404) {
		rs_fail_status(job, res, "finding the domain of");
		return;
	}
	root = res->status == 200 ? rest_json_parse(res, err, sizeof(err)) : NULL;
	list = json_object_get(root, "domains");
	if (res->status == 200 && !json_is_array(list)) {
		json_decref(root);
		rs_bad_reply(job, "finding the domain of", "{\"domains\": [...]}", root ? NULL : err);
		return;
	}
	json_array_foreach(list, i, d) {
		const char *name = rest_json_str(d, "name");
		if (name && !strcasecmp(name, cand) &&
		    rest_json_id(json_object_get(d, "id"), job->domain_id, sizeof(job->domain_id)) == 0) {
			found = true;
			break;
		}
	}
	/* The search includes subdomains, 100 to a page: the zone may be on a
	 * later one. */
	char next[1200] = "";
	json_t *link;
	json_array_foreach(json_object_get(root, "links"), i, link) {
		const char *rel = rest_json_str(link, "rel"), *href = rest_json_str(link, "href");
		if (rel && href && !strcmp(rel, "next"))
			snprintf(next, sizeof(next), "%s", href);
	}
	json_decref(root);
	if (!found && next[0] != '\0') {
		if (!rs_under_endpoint(job, next) || ++job->pages > 1000) {
			rs_bad_reply(job, "finding the domain of", "a next link under the Cloud DNS "
			             "endpoint", NULL);
			return;
		}
		rs_send_call(job, "GET", next, NULL, on_domains);
		return;
	}
	if (!found) {
		if (job->inst->conf.zone) {
			rest_job_finish(base, DDNS_ENOTFOUND, "the configured domain %s is not in this "
			                "Rackspace account", cand);
			return;
		}
		job->zone_try++;
		find_zone(base);
		return;
	}
	snprintf(job->zone, sizeof(job->zone), "%s", cand);
	rest_zones_put(&job->inst->zones, base->update->name, job->zone, job->domain_id);
	list_records(job, NULL);
}

static void find_zone(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;
	const char *cand = zone_asked(job);
	char url[1200], name[512];

	if (cand == NULL) {
		rest_job_finish(base, DDNS_ENOTFOUND, "no domain in this Rackspace account holds %s "
		                "(set zone = \"...\" if it is there)", base->update->name);
		return;
	}
	rest_url_escape(cand, name, sizeof(name));
	snprintf(url, sizeof(url), "%s/domains?name=%s", job->inst->endpoint, name);
	job->pages = 0;
	rs_send_call(job, "GET", url, NULL, on_domains);
}

static void with_token(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;
	const rest_zone_entry_t *known;

	if (job->domain_id[0] != '\0') {
		list_records(job, NULL);
	} else if ((known = rest_zones_find(&job->inst->zones, base->update->name)) != NULL) {
		snprintf(job->zone, sizeof(job->zone), "%s", known->zone);
		snprintf(job->domain_id, sizeof(job->domain_id), "%s", known->id);
		list_records(job, NULL);
	} else {
		job->zone_try = 0;
		find_zone(base);
	}
}

static void next_family(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;

	if (rest_job_next_in_zone(base, job->inst->conf.zone))
		rs_auth_ensure(job, with_token);
}

static void release(rest_job_t *base)
{
	rs_job_t *job = (rs_job_t *)base;

	rs_auth_forget(job);
	free(job->retry_method);
	free(job->retry_url);
	rest_secret_free(job->retry_body);
	free(job->callback_url);
	free(job);
}

int rs_update_start(void *instance, ddns_update_t *update)
{
	rs_instance_t *inst = instance;
	rs_job_t *job = calloc(1, sizeof(*job));
	int rc;

	if (job == NULL)
		return -ENOMEM;
	rest_job_init(&job->base, inst->host, inst->ctx, update, "rackspace", &rs_policy, release);
	job->inst = inst;
	job->after_job = next_family;
	rc = rest_job_start(&job->base, next_family);
	if (rc < 0)
		free(job);
	return rc;
}
