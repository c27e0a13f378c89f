/*
 * One DigitalOcean update: find the zone (configured, cached, or by asking
 * GET /v2/domains/<candidate> up the labels), list the records of the name
 * and type (following links.pages.next), then PATCH the record or POST a
 * new one.  A then AAAA, one after the other.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "do.h"
#include <ddns/rest/api.h>
#include <ddns/rest/json.h>
#include <ddns/rest/name.h>
#include <ddns/rest/url.h>

static const rest_policy_t do_policy = {
	.max_attempts = 4,
	.backoff_ms = 250,
	.default_wait_ms = 1000,
	.rate_limit_413 = false,
};

static void next_family(rest_job_t *base);
static void find_zone(do_job_t *job);
static void list_records(do_job_t *job, const char *url);

static void send(do_job_t *job, const char *method, const char *url, json_t *body,
                 rest_reply_cb cb)
{
	rest_api_send_json(&job->base, job->inst->auth_header, method, url, body, cb);
}

/* An HTTP error: say what the API said. */
static void fail_status(do_job_t *job, const ddns_http_response_t *res, const char *doing)
{
	rest_api_fail_status(&job->base, &job->inst->zones, res, doing, NULL);
}

/* PATCH or POST answered: check the record now holds the address. */
static void on_written(rest_job_t *base, const ddns_http_response_t *res)
{
	do_job_t *job = (do_job_t *)base;
	bool created = strcmp(base->method, "POST") == 0;
	char err[256], id[64];
	json_t *root, *rec;
	const char *data;

	if (res->status != (created ? 201 : 200)) {
		fail_status(job, res, created ? "creating" : "updating");
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	if (root == NULL) {
		rest_api_bad_reply(&job->base, "for", "{\"domain_record\": {...}}", err);
		return;
	}
	rec = json_object_get(root, "domain_record");
	data = rest_json_str(rec, "data");
	if (!json_is_object(rec) || rest_json_id(json_object_get(rec, "id"), id, sizeof(id)) ||
	      data == NULL) {
		json_decref(root);
		rest_api_bad_reply(&job->base, "for", "a domain_record object with id and data", NULL);
		return;
	}
	if (strcmp(data, base->addr) != 0) {
		rest_job_finish(base, DDNS_EBADREPLY, "%s %s: the API answered data \"%s\", not %s",
		                base->rtype, base->update->name, data, base->addr);
		json_decref(root);
		return;
	}
	rest_job_note(base, "%s %s -> %s (%srecord %s)", base->rtype, base->update->name,
	              base->addr, created ? "created " : "", id);
	json_decref(root);
	next_family(base);
}

static void relist(rest_job_t *base)
{
	list_records((do_job_t *)base, NULL);
}

static void write_record(do_job_t *job, const char *id)
{
	do_instance_t *inst = job->inst;
	char url[1024], rel[256];
	json_t *body;

	if (id != NULL) {
		snprintf(url, sizeof(url), "%s/v2/domains/%s/records/%s", inst->conf.api_url,
		         job->zone, id);
		body = json_pack("{s:s, s:s}", "type", job->base.rtype, "data", job->base.addr);
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
	rest_name_relative(job->base.update->name, job->zone, rel, sizeof(rel));
	snprintf(url, sizeof(url), "%s/v2/domains/%s/records", inst->conf.api_url, job->zone);
	body = json_pack("{s:s, s:s, s:s, s:I}", "type", job->base.rtype, "name", rel,
	                 "data", job->base.addr,
	                 "ttl", (json_int_t)(inst->conf.ttl ? inst->conf.ttl : 1800));
	/* A POST whose reply is lost may have created the record: list again
	 * rather than make a duplicate. */
	rest_job_guard_create(&job->base, relist);
	send(job, "POST", url, body, on_written);
}

/* One page of GET .../records: look for the name, else follow "next". */
static void on_records(rest_job_t *base, const ddns_http_response_t *res)
{
	do_job_t *job = (do_job_t *)base;
	char err[256], id[64], fqdn[256];
	json_t *root, *list, *rec, *next;
	const char *data = NULL, *next_url;
	size_t i;

	if (res->status != 200) {
		fail_status(job, res, "listing");
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	list = json_object_get(root, "domain_records");
	if (root == NULL || !json_is_array(list)) {
		json_decref(root);
		rest_api_bad_reply(&job->base, "for", "{\"domain_records\": [...]}",
		                   root ? NULL : err);
		return;
	}
	id[0] = '\0';
	json_array_foreach(list, i, rec) {
		const char *type = rest_json_str(rec, "type"), *name = rest_json_str(rec, "name");
		if (type == NULL || name == NULL ||
		    rest_json_id(json_object_get(rec, "id"), id, sizeof(id)) < 0) {
			json_decref(root);
			rest_api_bad_reply(&job->base, "for", "records with id, type and name", NULL);
			return;
		}
		/* Replies name records relative to the zone: "@", "www". */
		if (strcmp(type, base->rtype) == 0 &&
		    rest_name_absolute(name, job->zone, fqdn, sizeof(fqdn)) == 0 &&
		    strcmp(fqdn, base->update->name) == 0) {
			data = rest_json_str(rec, "data");
			break;
		}
		id[0] = '\0';
	}
	if (id[0] != '\0') {
		if (data != NULL && strcmp(data, base->addr) == 0) {
			rest_job_note(base, "%s %s already %s (record %s)", base->rtype,
			              base->update->name, base->addr, id);
			json_decref(root);
			next_family(base);
			return;
		}
		json_decref(root);
		write_record(job, id);
		return;
	}
	next = json_object_get(json_object_get(json_object_get(root, "links"), "pages"), "next");
	next_url = json_is_string(next) ? json_string_value(next) : NULL;
	if (next_url != NULL) {
		/* The token goes only where it was configured to go: scheme, host and
		 * port compared parsed, not as a text prefix. */
		if (!rest_url_under(job->inst->conf.api_url, next_url) ||
		    ++job->pages > 1000) {
			json_decref(root);
			rest_api_bad_reply(&job->base, "for",
			                   "links.pages.next under the configured api_url", NULL);
			return;
		}
		snprintf(err, sizeof(err), "%s", next_url);
		json_decref(root);
		list_records(job, err);
		return;
	}
	json_decref(root);
	write_record(job, NULL);
}

static void list_records(do_job_t *job, const char *url)
{
	char first[1024], name[512];

	if (url == NULL) {
		rest_url_escape(job->base.update->name, name, sizeof(name));
		snprintf(first, sizeof(first), "%s/v2/domains/%s/records?type=%s&name=%s&per_page=200",
		         job->inst->conf.api_url, job->zone, job->base.rtype, name);
		url = first;
		job->pages = 0;
	}
	send(job, "GET", url, NULL, on_records);
}

static void zone_found(do_job_t *job, const char *zone)
{
	snprintf(job->zone, sizeof(job->zone), "%s", zone);
	list_records(job, NULL);
}

/* GET /v2/domains/<candidate>: 200 is the zone, 404 means ask the parent. */
static void on_domain(rest_job_t *base, const ddns_http_response_t *res)
{
	do_job_t *job = (do_job_t *)base;
	const char *cand = rest_zone_candidate(base->update->name, job->zone_try);
	char err[256];
	json_t *root;
	const char *name;

	if (res->status == 404) {
		job->zone_try++;
		find_zone(job);
		return;
	}
	if (res->status != 200) {
		fail_status(job, res, "finding the zone of");
		return;
	}
	root = rest_json_parse(res, err, sizeof(err));
	name = rest_json_str(json_object_get(root, "domain"), "name");
	if (name == NULL || strcasecmp(name, cand) != 0) {
		json_decref(root);
		rest_api_bad_reply(&job->base, "for",
		                   "{\"domain\": {\"name\": ...}} naming the domain asked for",
		                   root ? NULL : err);
		return;
	}
	json_decref(root);
	rest_zones_put(&job->inst->zones, base->update->name, cand, NULL);
	zone_found(job, cand);
}

static void find_zone(do_job_t *job)
{
	const char *cand = rest_zone_candidate(job->base.update->name, job->zone_try);
	char url[1024];

	if (cand == NULL) {
		rest_job_finish(&job->base, DDNS_ENOTFOUND, "no domain in this DigitalOcean account "
		                "holds %s (set zone = \"...\" if it is there)", job->base.update->name);
		return;
	}
	snprintf(url, sizeof(url), "%s/v2/domains/%s", job->inst->conf.api_url, cand);
	send(job, "GET", url, NULL, on_domain);
}

static void next_family(rest_job_t *base)
{
	do_job_t *job = (do_job_t *)base;
	const rest_zone_entry_t *known;

	if (!rest_job_next_in_zone(base, job->inst->conf.zone))
		return;
	if (job->zone[0] != '\0') {
		list_records(job, NULL);
	} else if (job->inst->conf.zone != NULL) {
		zone_found(job, job->inst->conf.zone);
	} else if ((known = rest_zones_find(&job->inst->zones, base->update->name)) != NULL) {
		zone_found(job, known->zone);
	} else {
		job->zone_try = 0;
		find_zone(job);
	}
}

int do_update_start(void *instance, ddns_update_t *update)
{
	do_instance_t *inst = instance;
	do_job_t *job = (do_job_t *)rest_job_new(sizeof(*job), inst->host, inst->ctx,
	                                         update, "digitalocean", &do_policy);
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	return rest_job_launch(&job->base, next_family);
}
