/*
 * One Route 53 update: find the hosted zone (configured, cached, or by
 * ListHostedZonesByName up the labels, most specific first: the longest
 * match), UPSERT the A and AAAA records in one change batch (Route 53
 * applies a batch as a whole), then poll GetChange until the change is
 * INSYNC, that is on every Route 53 server.  Throttling waits and tries
 * again; PriorRequestNotComplete (another change of the zone still in
 * progress) backs off exponentially.  Every wait is a host timer.
 * A TXT update (DDNS_CAP_TXT) UPSERTs the TXT set of its own name; an
 * empty set is deleted, which Route 53 allows only with the exact values
 * it holds, so they are read first (ListResourceRecordSets).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "r53.h"

/* Throttling: Route 53's token buckets refill 10 per second, so a second's
 * wait is enough; PriorRequestNotComplete: the zone's previous change takes
 * seconds, so back off from half a second, doubling. */
static int r53_classify(const ddns_http_response_t *res)
{
	char code[128], msg[64];

	if (res->status != 400 || r53_xml_error(res, code, sizeof(code), msg, sizeof(msg)) < 0)
		return REST_REPLY_FINAL;
	if (strcmp(code, "Throttling") == 0)
		return REST_REPLY_RATELIMIT;
	if (strcmp(code, "PriorRequestNotComplete") == 0)
		return REST_REPLY_TRANSIENT;
	return REST_REPLY_FINAL;
}

static const rest_policy_t r53_policy = {
	.max_attempts = 6,
	.backoff_ms = 500,
	.default_wait_ms = 1000,
	.classify = r53_classify,
	.message = r53_xml_message,
};

/* A change is asked about after 1 s, then ever less often up to 8 s: it
 * usually is INSYNC within a minute (AWS), often within seconds. */
#define R53_POLL_FIRST_MS 1000
#define R53_POLL_MAX_MS 8000

static void find_zone(r53_job_t *job);

/* The name the update changes: its TXT set's, or the record's. */
static const char *target(const r53_job_t *job)
{
	const ddns_update_t *u = job->base.update;
	return u->txt_name != NULL ? u->txt_name : u->name;
}

static void send(r53_job_t *job, const char *method, const char *url, const char *body,
                 rest_reply_cb cb)
{
	const char *headers[4];
	size_t n = 0;

	if (body != NULL)
		headers[n++] = "Content-Type: application/xml";
	if (job->inst->token_header != NULL)
		headers[n++] = job->inst->token_header;
	headers[n] = NULL;
	rest_job_send(&job->base, method, url, headers, body, cb);
}

static void fail_status(r53_job_t *job, const ddns_http_response_t *res, const char *doing)
{
	char msg[768];
	r53_xml_message(res, msg, sizeof(msg));
	rest_api_fail_status(&job->base, &job->inst->zones, res, doing, msg);
}

/* Done: every family of the update is confirmed (the batch was atomic). */
static void confirmed(r53_job_t *job, const char *how)
{
	rest_job_t *base = &job->base;
	rest_job_note(base, "%s (change %s %s)", job->what, job->change, how);
	while (base->update->txt_name == NULL && rest_job_next_family(base))
		;
	rest_job_finish(base, DDNS_OK, NULL);
}

static void poll_change(rest_job_t *base);

/* <ChangeInfo><Id>/change/C…</Id><Status>PENDING|INSYNC</Status> */
static void on_change(rest_job_t *base, const ddns_http_response_t *res)
{
	r53_job_t *job = (r53_job_t *)base;
	bool poll = strcmp(base->method, "GET") == 0;
	char id[96], status[32];

	if (res->status != 200) {
		fail_status(job, res, poll ? "waiting for the change of" : "updating");
		return;
	}
	xmlDoc *doc = r53_xml_parse(res);
	xmlNode *info = r53_xml_child(doc != NULL ? xmlDocGetRootElement(doc) : NULL, "ChangeInfo");
	const char *ok_id = r53_xml_text(r53_xml_child(info, "Id"), id, sizeof(id));
	const char *ok_st = r53_xml_text(r53_xml_child(info, "Status"), status, sizeof(status));
	xmlFreeDoc(doc);
	if (info == NULL || ok_id == NULL || ok_st == NULL || id[0] == '\0') {
		rest_api_bad_reply(base, poll ? "waiting for the change of" : "updating",
		                   "<ChangeInfo> with <Id> and <Status>", NULL);
		return;
	}
	const char *bare = strncmp(id, "/change/", 8) == 0 ? id + 8 : id;
	if (strlen(bare) >= sizeof(job->change) || strspn(bare, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                                  "abcdefghijklmnopqrstuvwxyz0123456789_-")
	                                              != strlen(bare)) {
		rest_api_bad_reply(base, "updating", "a change id of letters and digits", NULL);
		return;
	}
	snprintf(job->change, sizeof(job->change), "%s", bare);
	if (strcmp(status, "INSYNC") == 0 || !job->inst->wait_insync) {
		confirmed(job, status);
		return;
	}
	if (strcmp(status, "PENDING") != 0) {
		rest_api_bad_reply(base, "for", "change status PENDING or INSYNC", NULL);
		return;
	}
	uint64_t ms = job->poll_ms;
	job->poll_ms = ms * 2 > R53_POLL_MAX_MS ? R53_POLL_MAX_MS : ms * 2;
	if (ms + 500 >= rest_job_left_ms(base)) {
		/* Route 53 accepted the batch and will apply it everywhere (its
		 * API's promise); only the propagation could not be watched. */
		confirmed(job, "accepted, still PENDING at the update's deadline");
		return;
	}
	rest_job_wait(base, ms, "the Route 53 change to be INSYNC", poll_change);
}

static void poll_change(rest_job_t *base)
{
	r53_job_t *job = (r53_job_t *)base;
	char url[1024];
	snprintf(url, sizeof(url), "%s/2013-04-01/change/%s", job->inst->api_url, job->change);
	send(job, "GET", url, NULL, on_change);
}

/* POST a change batch; its reply leads to on_change. */
static void send_batch(r53_job_t *job, char *body)
{
	char url[1024];
	if (body == NULL) {
		rest_job_finish(&job->base, -ENOMEM, "cannot build the change batch");
		return;
	}
	job->poll_ms = R53_POLL_FIRST_MS;
	snprintf(url, sizeof(url), "%s/2013-04-01/hostedzone/%s/rrset/", job->inst->api_url,
	         job->zone_id);
	/* UPSERT is idempotent, and a DELETE sent twice fails harmlessly
	 * (InvalidChangeBatch, "not found"): sending again after a lost reply
	 * is safe. */
	send(job, "POST", url, body, on_change);
	free(body);
}

/* The TXT set as Route 53 holds it (ListResourceRecordSets from the name):
 * delete exactly those values, or nothing when there is none. */
static void on_txt_listed(rest_job_t *base, const ddns_http_response_t *res)
{
	r53_job_t *job = (r53_job_t *)base;
	const char *name = target(job);
	char rname[300], rtype[16], ttl[24], vals[16][300];
	const char *ptr[16];
	size_t n = 0;

	if (res->status != 200) {
		fail_status(job, res, "reading the TXT set of");
		return;
	}
	xmlDoc *doc = r53_xml_parse(res);
	xmlNode *sets = r53_xml_child(doc != NULL ? xmlDocGetRootElement(doc) : NULL,
	                              "ResourceRecordSets");
	if (sets == NULL) {
		xmlFreeDoc(doc);
		rest_api_bad_reply(base, "for", "<ListResourceRecordSetsResponse>", NULL);
		return;
	}
	/* The list starts at the first set >= (name, TXT): it may be another. */
	xmlNode *set = r53_xml_child(sets, "ResourceRecordSet");
	r53_xml_text(r53_xml_child(set, "Name"), rname, sizeof(rname));
	r53_xml_text(r53_xml_child(set, "Type"), rtype, sizeof(rtype));
	r53_xml_text(r53_xml_child(set, "TTL"), ttl, sizeof(ttl));
	size_t rl = strlen(rname);
	if (rl > 0 && rname[rl - 1] == '.')
		rname[rl - 1] = '\0';
	xmlNode *rrs = set != NULL && strcasecmp(rname, name) == 0 && strcmp(rtype, "TXT") == 0
	                       ? r53_xml_child(set, "ResourceRecords") : NULL;
	for (xmlNode *r = rrs != NULL ? rrs->children : NULL; r != NULL && n < 16; r = r->next) {
		if (r->type != XML_ELEMENT_NODE)
			continue;
		if (r53_xml_text(r53_xml_child(r, "Value"), vals[n], sizeof(vals[n])) != NULL) {
			ptr[n] = vals[n];
			n++;
		}
	}
	xmlFreeDoc(doc);
	if (n == 0) {
		rest_job_note(base, "TXT %s already absent", name);
		rest_job_finish(base, DDNS_OK, NULL);
		return;
	}
	snprintf(job->what, sizeof(job->what), "TXT %s deleted (%zu value%s)", name, n,
	         n == 1 ? "" : "s");
	send_batch(job, r53_xml_change_batch(name, strtoll(ttl, NULL, 10), NULL, NULL, ptr, n,
	                                     "DELETE", true));
}

static void change_txt(r53_job_t *job)
{
	const ddns_update_t *u = job->base.update;
	char url[1400], esc[768];

	if (u->n_txt_values > 0) {
		snprintf(job->what, sizeof(job->what), "TXT %s = %zu value%s", u->txt_name,
		         u->n_txt_values, u->n_txt_values == 1 ? "" : "s");
		send_batch(job, r53_xml_change_batch(u->txt_name,
		                                     u->txt_ttl ? u->txt_ttl : job->inst->ttl, NULL,
		                                     NULL, u->txt_values, u->n_txt_values, "UPSERT",
		                                     false));
		return;
	}
	/* maxitems, name, type: sorted, as libcurl 7.88 signs the query as sent. */
	if (rest_url_escape(u->txt_name, esc, sizeof(esc)) < 0) {
		rest_job_finish(&job->base, -ENAMETOOLONG, "%s is too long", u->txt_name);
		return;
	}
	snprintf(url, sizeof(url), "%s/2013-04-01/hostedzone/%s/rrset?maxitems=1&name=%s.&type=TXT",
	         job->inst->api_url, job->zone_id, esc);
	send(job, "GET", url, NULL, on_txt_listed);
}

static void upsert(r53_job_t *job)
{
	rest_job_t *base = &job->base;
	const ddns_update_t *u = base->update;
	int w = 0;

	if (u->txt_name != NULL) {
		change_txt(job);
		return;
	}
	job->what[0] = '\0';

	if (u->ipv4 != NULL && u->ipv4[0] != '\0')
		w = snprintf(job->what, sizeof(job->what), "A %s -> %s", u->name, u->ipv4);
	if (u->ipv6 != NULL && u->ipv6[0] != '\0' && w >= 0 && (size_t)w < sizeof(job->what))
		snprintf(job->what + w, sizeof(job->what) - (size_t)w, "%sAAAA %s -> %s",
		         w ? ", " : "", u->name, u->ipv6);
	send_batch(job, r53_xml_change_batch(u->name, job->inst->ttl,
	                                     u->ipv4 && u->ipv4[0] ? u->ipv4 : NULL,
	                                     u->ipv6 && u->ipv6[0] ? u->ipv6 : NULL, NULL, 0,
	                                     NULL, false));
}

/* Walk one page of ListHostedZonesByName for the public zone named @p want.
 * @return 1 found (id set), 0 not on this page, -1 a page may follow
 * (next set), -EINVAL the reply is not such a list. */
static int scan_zones(const ddns_http_response_t *res, const char *want, char *id, size_t id_len,
                      char *next_name, char *next_id, size_t next_len)
{
	xmlDoc *doc = r53_xml_parse(res);
	xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *zones = r53_xml_child(root, "HostedZones");
	char name[300], priv[16], trunc[16], last[300] = "";
	int found = 0;

	if (zones == NULL) {
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	for (xmlNode *z = zones->children; z != NULL && !found; z = z->next) {
		if (z->type != XML_ELEMENT_NODE || strcmp((const char *)z->name, "HostedZone") != 0)
			continue;
		if (r53_xml_text(r53_xml_child(z, "Name"), name, sizeof(name)) == NULL)
			continue;
		size_t n = strlen(name);
		if (n > 0 && name[n - 1] == '.')
			name[n - 1] = '\0';
		snprintf(last, sizeof(last), "%s", name);
		r53_xml_text(r53_xml_path(z, "Config/PrivateZone"), priv, sizeof(priv));
		if (strcasecmp(name, want) != 0 || strcmp(priv, "true") == 0)
			continue;
		const char *zid = r53_xml_text(r53_xml_child(z, "Id"), id, id_len);
		if (zid != NULL && strncmp(id, "/hostedzone/", 12) == 0)
			memmove(id, id + 12, strlen(id + 12) + 1);
		found = zid != NULL && id[0] != '\0';
	}
	r53_xml_text(r53_xml_child(root, "IsTruncated"), trunc, sizeof(trunc));
	/* More zones of the same name (private ones first, say) on the next page. */
	if (!found && strcmp(trunc, "true") == 0 && strcasecmp(last, want) == 0 &&
	    r53_xml_text(r53_xml_child(root, "NextDNSName"), next_name, next_len) != NULL &&
	    r53_xml_text(r53_xml_child(root, "NextHostedZoneId"), next_id, next_len) != NULL &&
	    next_name[0] != '\0')
		found = -1;
	xmlFreeDoc(doc);
	return found;
}

static void list_zones(r53_job_t *job, const char *dnsname, const char *zone_id);

static const char *candidate(const r53_job_t *job)
{
	if (job->inst->zone != NULL)
		return job->zone_try == 0 ? job->inst->zone : NULL;
	return rest_zone_candidate(target(job), job->zone_try);
}

static void on_zones(rest_job_t *base, const ddns_http_response_t *res)
{
	r53_job_t *job = (r53_job_t *)base;
	const char *cand = candidate(job);
	char id[96], next_name[300], next_id[300];

	if (res->status != 200) {
		fail_status(job, res, "finding the hosted zone of");
		return;
	}
	int r = scan_zones(res, cand, id, sizeof(id), next_name, next_id, sizeof(next_name));
	if (r == -EINVAL) {
		rest_api_bad_reply(base, "for", "<ListHostedZonesByNameResponse><HostedZones>", NULL);
		return;
	}
	if (r < 0) {
		list_zones(job, next_name, next_id);
		return;
	}
	if (r == 0 || strlen(id) >= sizeof(job->zone_id)) {
		job->zone_try++;
		find_zone(job);
		return;
	}
	snprintf(job->zone, sizeof(job->zone), "%s", cand);
	snprintf(job->zone_id, sizeof(job->zone_id), "%s", id);
	rest_zones_put(&job->inst->zones, target(job), job->zone, job->zone_id);
	upsert(job);
}

/* GET /2013-04-01/hostedzonesbyname?dnsname=…[&hostedzoneid=…]&maxitems=10:
 * the parameters in sorted order, already encoded, as libcurl 7.88 signs
 * the query string as it is sent. */
static void list_zones(r53_job_t *job, const char *dnsname, const char *zone_id)
{
	char url[1400], name_esc[768], id_esc[300] = "";

	if (rest_url_escape(dnsname, name_esc, sizeof(name_esc)) < 0 ||
	    (zone_id != NULL && rest_url_escape(zone_id, id_esc, sizeof(id_esc)) < 0)) {
		rest_job_finish(&job->base, DDNS_EBADREPLY, "zone name or id too long to ask about");
		return;
	}
	snprintf(url, sizeof(url), "%s/2013-04-01/hostedzonesbyname?dnsname=%s%s%s&maxitems=10",
	         job->inst->api_url, name_esc, zone_id ? "&hostedzoneid=" : "", id_esc);
	send(job, "GET", url, NULL, on_zones);
}

static void find_zone(r53_job_t *job)
{
	const char *cand = candidate(job);
	if (cand == NULL) {
		if (job->inst->zone != NULL)
			rest_job_finish(&job->base, DDNS_ENOTFOUND, "no public hosted zone %s in this "
			                "AWS account", job->inst->zone);
		else
			rest_job_finish(&job->base, DDNS_ENOTFOUND, "no public hosted zone of this AWS "
			                "account holds %s (set zone or zone_id if it is there)",
			                target(job));
		return;
	}
	list_zones(job, cand, NULL);
}

static void start(rest_job_t *base)
{
	r53_job_t *job = (r53_job_t *)base;
	r53_instance_t *inst = job->inst;
	const rest_zone_entry_t *known;

	/* The first record type becomes the job's current one (its messages
	 * name it); confirmed() reports every type once the batch is in. */
	if (base->update->txt_name != NULL) {
		base->rtype = "TXT";
		if (inst->zone != NULL && !rest_name_in_zone(target(job), inst->zone)) {
			rest_job_finish(base, DDNS_ECONFIG, "%s is not in the configured zone %s",
			                target(job), inst->zone);
			return;
		}
	} else if (!rest_job_next_in_zone(base, inst->zone)) {
		return;
	}
	if (inst->zone_id != NULL) {
		snprintf(job->zone_id, sizeof(job->zone_id), "%s", inst->zone_id);
		upsert(job);
	} else if ((known = rest_zones_find(&inst->zones, target(job))) != NULL) {
		snprintf(job->zone, sizeof(job->zone), "%s", known->zone);
		snprintf(job->zone_id, sizeof(job->zone_id), "%s", known->id);
		upsert(job);
	} else {
		find_zone(job);
	}
}

int r53_update_start(void *instance, ddns_update_t *update)
{
	r53_instance_t *inst = instance;
	r53_job_t *job = (r53_job_t *)rest_job_new(sizeof(*job), inst->host, inst->ctx, update,
	                                           "route53", &r53_policy);
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	job->base.sigv4 = &inst->sig;
	return rest_job_launch(&job->base, start);
}
