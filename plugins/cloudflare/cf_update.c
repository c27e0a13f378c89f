/*
 * One Cloudflare update: the zone id (GET /zones?name=<zone>, for the
 * configured zone or each candidate up the labels), the record (GET
 * /zones/<id>/dns_records?type=&name=, page by page as result_info says),
 * then PATCH its content or POST a new record.  A then AAAA.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cf.h"
#include <ddns/rest/api.h>
#include <ddns/rest/json.h>
#include <ddns/rest/name.h>

#define CF_PER_PAGE 100

static const rest_policy_t cf_policy = {
	.max_attempts = 4,
	.backoff_ms = 250,
	.default_wait_ms = 1000,
	.rate_limit_413 = false,
};

static void next_family(rest_job_t *base);
static void find_zone(cf_job_t *job);
static void list_records(cf_job_t *job);

static void send(cf_job_t *job, const char *method, const char *url, json_t *body,
                 rest_reply_cb cb)
{
	rest_api_send_json(&job->base, job->inst->auth_header, method, url, body, cb);
}

/* Cloudflare's words: errors[0].message, and the first of its error_chain. */
static const char *cf_message(const json_t *root, const ddns_http_response_t *res,
                              char *out, size_t len)
{
	const json_t *err = json_array_get(json_object_get(root, "errors"), 0);
	const json_t *chain = json_array_get(json_object_get(err, "error_chain"), 0);
	const char *msg = rest_json_str(err, "message"), *detail = rest_json_str(chain, "message");

	if (msg == NULL)
		return rest_api_message(res, out, len);
	snprintf(out, len, "%s (code %lld)%s%s", msg,
	         (long long)json_integer_value(json_object_get(err, "code")),
	         detail ? ": " : "", detail ? detail : "");
	return out;
}

/*
 * Parse a reply that must be 200 with "success": true; on anything else the
 * job is finished and NULL returned.  @p doing names the step for messages.
 */
static json_t *envelope(cf_job_t *job, const ddns_http_response_t *res, const char *doing)
{
	char err[256], msg[512];
	json_t *root = rest_json_parse(res, err, sizeof(err));

	if (res->status == 200 && root != NULL &&
	    json_is_true(json_object_get(root, "success")) &&
	    json_object_get(root, "result") != NULL)
		return root;
	if (res->status == 200)
		rest_api_bad_reply(&job->base, doing, "{\"success\": true, \"result\": ...}",
		                     root ? NULL : err);
	else
		rest_api_fail_status(&job->base, &job->inst->zones, res, doing,
		                       cf_message(root, res, msg, sizeof(msg)));
	json_decref(root);
	return NULL;
}

static void on_written(rest_job_t *base, const ddns_http_response_t *res)
{
	cf_job_t *job = (cf_job_t *)base;
	bool created = strcmp(base->method, "POST") == 0;
	json_t *root = envelope(job, res, created ? "creating" : "updating");
	json_t *rec;
	const char *id, *content;

	if (root == NULL)
		return;
	rec = json_object_get(root, "result");
	id = rest_json_str(rec, "id");
	content = rest_json_str(rec, "content");
	if (id == NULL || content == NULL) {
		rest_api_bad_reply(base, "for", "a result with id and content", NULL);
	} else if (strcmp(content, base->addr) != 0) {
		rest_job_finish(base, DDNS_EBADREPLY, "%s %s: the API answered content \"%s\", not %s",
		                  base->rtype, base->update->name, content, base->addr);
	} else {
		rest_job_note(base, "%s %s -> %s (%srecord %s)", base->rtype, base->update->name,
		                base->addr, created ? "created " : "", id);
		json_decref(root);
		next_family(base);
		return;
	}
	json_decref(root);
}

static void relist(rest_job_t *base)
{
	list_records((cf_job_t *)base);
}

static void write_record(cf_job_t *job, const char *id)
{
	cf_instance_t *inst = job->inst;
	char url[1024];
	json_t *body;

	if (id != NULL) {
		snprintf(url, sizeof(url), "%s/zones/%s/dns_records/%s", inst->conf.api_url,
		         job->zone_id, id);
		body = json_pack("{s:s}", "content", job->base.addr);
		if (body && inst->conf.ttl)
			json_object_set_new(body, "ttl", json_integer(inst->conf.ttl));
		send(job, "PATCH", url, body, on_written);
		return;
	}
	if (!inst->conf.create) {
		rest_job_finish(&job->base, DDNS_ENOTFOUND, "no %s record %s in zone %s (set create "
		                  "= true to have it created)", job->base.rtype, job->base.update->name,
		                  job->zone);
		return;
	}
	snprintf(url, sizeof(url), "%s/zones/%s/dns_records", inst->conf.api_url, job->zone_id);
	body = json_pack("{s:s, s:s, s:s, s:I, s:b}", "type", job->base.rtype,
	                 "name", job->base.update->name, "content", job->base.addr,
	                 "ttl", (json_int_t)(inst->conf.ttl ? inst->conf.ttl : 1), "proxied", 0);
	/* A POST whose reply is lost may have created the record: list again
	 * rather than fail on the duplicate (error 81058). */
	rest_job_guard_create(&job->base, relist);
	send(job, "POST", url, body, on_written);
}

static void on_records(rest_job_t *base, const ddns_http_response_t *res)
{
	cf_job_t *job = (cf_job_t *)base;
	json_t *root = envelope(job, res, "listing"), *list, *rec, *info;
	const char *found = NULL, *content = NULL;
	json_int_t total_pages;
	size_t i;

	if (root == NULL)
		return;
	list = json_object_get(root, "result");
	info = json_object_get(root, "result_info");
	total_pages = json_integer_value(json_object_get(info, "total_pages"));
	if (!json_is_array(list) || !json_is_integer(json_object_get(info, "total_pages"))) {
		json_decref(root);
		rest_api_bad_reply(base, "listing", "a result array and result_info.total_pages", NULL);
		return;
	}
	json_array_foreach(list, i, rec) {
		const char *type = rest_json_str(rec, "type"), *name = rest_json_str(rec, "name");
		if (type == NULL || name == NULL || rest_json_str(rec, "id") == NULL) {
			json_decref(root);
			rest_api_bad_reply(base, "listing", "records with id, type and name", NULL);
			return;
		}
		if (strcmp(type, base->rtype) == 0 && strcasecmp(name, base->update->name) == 0) {
			found = rest_json_str(rec, "id");
			content = rest_json_str(rec, "content");
			break;
		}
	}
	if (found != NULL && content != NULL && strcmp(content, base->addr) == 0) {
		rest_job_note(base, "%s %s already %s (record %s)", base->rtype, base->update->name,
		                base->addr, found);
		json_decref(root);
		next_family(base);
	} else if (found != NULL) {
		char id[128];
		snprintf(id, sizeof(id), "%s", found);
		json_decref(root);
		write_record(job, id);
	} else if ((json_int_t)job->page < total_pages && job->page < 1000) {
		json_decref(root);
		job->page++;
		list_records(job);
	} else {
		json_decref(root);
		write_record(job, NULL);
	}
}

static void list_records(cf_job_t *job)
{
	char url[1024], name[512];

	rest_url_escape(job->base.update->name, name, sizeof(name));
	snprintf(url, sizeof(url), "%s/zones/%s/dns_records?type=%s&name=%s&page=%u&per_page=%d",
	         job->inst->conf.api_url, job->zone_id, job->base.rtype, name, job->page,
	         CF_PER_PAGE);
	send(job, "GET", url, NULL, on_records);
}

static void zone_found(cf_job_t *job, const char *zone, const char *id)
{
	snprintf(job->zone, sizeof(job->zone), "%s", zone);
	snprintf(job->zone_id, sizeof(job->zone_id), "%s", id);
	job->page = 1;
	list_records(job);
}

/* GET /zones?name=<candidate>: one zone of that name, or none. */
static void on_zones(rest_job_t *base, const ddns_http_response_t *res)
{
	cf_job_t *job = (cf_job_t *)base;
	const char *cand = job->inst->conf.zone ? job->inst->conf.zone
	                   : rest_zone_candidate(base->update->name, job->zone_try);
	json_t *root = envelope(job, res, "finding the zone of"), *list, *z;
	const char *id = NULL;
	size_t i;
	char idbuf[64];

	if (root == NULL)
		return;
	list = json_object_get(root, "result");
	if (!json_is_array(list)) {
		json_decref(root);
		rest_job_finish(base, DDNS_EBADREPLY, "unexpected reply finding the zone of %s: "
		                  "expected a result array", base->update->name);
		return;
	}
	json_array_foreach(list, i, z) {
		const char *name = rest_json_str(z, "name");
		if (name && strcasecmp(name, cand) == 0 && (id = rest_json_str(z, "id")) != NULL)
			break;
	}
	if (id == NULL) {
		json_decref(root);
		if (job->inst->conf.zone != NULL) {
			rest_job_finish(base, DDNS_ENOTFOUND, "the configured zone %s is not in this "
			                  "Cloudflare account (or the token may not read it)", cand);
			return;
		}
		job->zone_try++;
		find_zone(job);
		return;
	}
	snprintf(idbuf, sizeof(idbuf), "%s", id);
	json_decref(root);
	rest_zones_put(&job->inst->zones, base->update->name, cand, idbuf);
	zone_found(job, cand, idbuf);
}

static void find_zone(cf_job_t *job)
{
	const char *cand = job->inst->conf.zone ? job->inst->conf.zone
	                   : rest_zone_candidate(job->base.update->name, job->zone_try);
	char url[1024], name[512];

	if (cand == NULL) {
		rest_job_finish(&job->base, DDNS_ENOTFOUND, "no zone in this Cloudflare account "
		                  "holds %s (set zone = \"...\" if it is there)", job->base.update->name);
		return;
	}
	rest_url_escape(cand, name, sizeof(name));
	snprintf(url, sizeof(url), "%s/zones?name=%s", job->inst->conf.api_url, name);
	send(job, "GET", url, NULL, on_zones);
}

static void next_family(rest_job_t *base)
{
	cf_job_t *job = (cf_job_t *)base;
	const rest_zone_entry_t *known;

	if (!rest_job_next_in_zone(base, job->inst->conf.zone))
		return;
	if (job->zone_id[0] != '\0') {
		job->page = 1;
		list_records(job);
	} else if ((known = rest_zones_find(&job->inst->zones, base->update->name)) != NULL) {
		zone_found(job, known->zone, known->id);
	} else {
		job->zone_try = 0;
		find_zone(job);
	}
}

int cf_update_start(void *instance, ddns_update_t *update)
{
	cf_instance_t *inst = instance;
	cf_job_t *job = (cf_job_t *)rest_job_new(sizeof(*job), inst->host, inst->ctx,
	                                         update, "cloudflare", &cf_policy);
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	return rest_job_launch(&job->base, next_family);
}
