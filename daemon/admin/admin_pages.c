/* The web admin's read-only pages, rendered on the thread pool: the
 * records (keyset pages, search), one record with its history and client
 * lines, the delete confirmation, the providers' health and the activity
 * chart. */
#include "admin_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"

static void not_found(admin_job_t *j)
{
	j->status = 404;
	admin_page_error(&j->html, j->user, j->csrf, "No such record.");
}

static void store_error(admin_job_t *j)
{
	j->status = 503;
	admin_page_error(&j->html, j->user, j->csrf, "The store cannot be read now.");
}

static void cell(ahtml_t *b, const char *s)
{
	ah_raw(b, "<td>");
	ah_text(b, s[0] != '\0' ? s : "-");
	ah_raw(b, "</td>");
}

/* ---- records ---- */

typedef struct page_state {
	ahtml_t *b;
	int n;
	store_record_t last;
} page_state_t;

static int records_row(const store_record_t *r, void *arg)
{
	page_state_t *p = arg;
	char when[32];
	ah_time(r->last_change, when);
	ah_raw(p->b, "<tr><td><a class=\"record\" href=\"/record/");
	ah_url(p->b, r->name);
	ah_raw(p->b, "\">");
	ah_text(p->b, r->name);
	ah_raw(p->b, "</a>");
	if (r->source == STORE_SRC_CONFIG)
		ah_raw(p->b, " <span class=\"badge\" title=\"from ddns.conf: read-only here\">"
		             "ddns.conf</span>");
	ah_raw(p->b, "</td>");
	cell(p->b, r->ipv4);
	cell(p->b, r->ipv6);
	cell(p->b, r->provider);
	cell(p->b, when);
	ah_raw(p->b, "</tr>\n");
	p->n++;
	p->last = *r;
	return 0;
}

void admin_work_records(admin_job_t *j, store_t *st)
{
	ahtml_t *b = &j->html;
	ah_head(b, "Records", j->user, j->csrf);
	ah_raw(b, "<form method=\"get\" action=\"/records\" class=\"search\">"
	          "<input name=\"q\" id=\"q\" placeholder=\"part of a name\" value=\"");
	ah_text(b, j->search);
	ah_raw(b, "\"> <button type=\"submit\">Search</button></form>\n"
	          "<p class=\"note\">Newest change first. Records marked ddns.conf are "
	          "read-only here: edit them in the configuration file.</p>\n"
	          "<table id=\"records\"><thead><tr><th>Name</th><th>IPv4</th><th>IPv6</th>"
	          "<th>Provider</th><th>Last change</th></tr></thead><tbody>\n");
	page_state_t p = { .b = b };
	int n = store_record_page(st, &j->cursor, j->search, ADMIN_PAGE_SIZE, records_row, &p);
	if (n < 0) {
		ah_free(b);
		store_error(j);
		return;
	}
	ah_raw(b, "</tbody></table>\n");
	if (n == 0)
		ah_raw(b, "<p id=\"empty\">No records here.</p>");
	ah_raw(b, "<p class=\"pager\">");
	if (!j->cursor.first) {
		ah_raw(b, "<a href=\"/records?q=");
		ah_url(b, j->search);
		ah_raw(b, "\">First page</a> ");
	}
	if (n == ADMIN_PAGE_SIZE) {
		ah_raw(b, "<a id=\"next\" href=\"/records?q=");
		ah_url(b, j->search);
		ah_fmt(b, "&amp;after=%" PRId64 ":", p.last.last_change);
		ah_url(b, p.last.name);
		ah_raw(b, "\">Next page</a>");
	}
	ah_raw(b, "</p>");
	ah_foot(b);
}

/* ---- one record ---- */

static const char *result_class(ddns_outcome_t o)
{
	return o == DDNS_OUTCOME_APPLIED ? "ok" : "bad";
}

static int history_row(const store_history_t *h, void *arg)
{
	ahtml_t *b = arg;
	char when[32];
	ah_time(h->time, when);
	ah_raw(b, "<tr class=\"history\">");
	cell(b, when);
	cell(b, h->family);
	ah_raw(b, "<td>");
	ah_text(b, h->old_ip[0] ? h->old_ip : "-");
	ah_raw(b, " &rarr; ");
	ah_text(b, h->new_ip[0] ? h->new_ip : "-");
	ah_fmt(b, "</td><td class=\"%s\">%s</td>", result_class(h->result),
	       ddns_outcome_name(h->result));
	cell(b, h->client);
	cell(b, h->message);
	ah_raw(b, "</tr>\n");
	return 0;
}

static void detail(ahtml_t *b, const char *label, const char *id, const char *value)
{
	ah_fmt(b, "<tr><th>%s</th><td id=\"%s\">", label, id);
	ah_text(b, value[0] != '\0' ? value : "-");
	ah_raw(b, "</td></tr>\n");
}

/* The job's record, or false once the page says it is not there (or the
 * store cannot be read). */
static bool record_or_reply(admin_job_t *j, store_t *st, store_record_t *r)
{
	int err = store_record_get(st, j->name, r);
	if (err == -ENOENT)
		not_found(j);
	else if (err)
		store_error(j);
	return err == 0;
}

void admin_work_record(admin_job_t *j, store_t *st)
{
	store_record_t r;
	if (!record_or_reply(j, st, &r))
		return;
	ahtml_t *b = &j->html;
	char changed[32], seen[32];
	ah_time(r.last_change, changed);
	ah_time(r.last_seen, seen);
	ah_head(b, r.name, j->user, j->csrf);
	ah_raw(b, "<table class=\"details\">\n");
	detail(b, "IPv4", "ipv4", r.ipv4);
	detail(b, "IPv6", "ipv6", r.ipv6);
	detail(b, "LAN IPv4", "lan_ipv4", r.lan_ipv4);
	detail(b, "LAN IPv6", "lan_ipv6", r.lan_ipv6);
	detail(b, "Provider", "provider", r.provider);
	detail(b, "Last change", "last_change", changed);
	detail(b, "Last seen", "last_seen", seen);
	detail(b, "Managed by", "source", r.source == STORE_SRC_CONFIG ? "ddns.conf"
	                                  : "ddnsctl / this admin");
	ah_raw(b, "</table>\n");
	if (r.source == STORE_SRC_CONFIG) {
		ah_raw(b, "<p class=\"note\" id=\"readonly\">This record comes from ddns.conf: "
		          "its key, provider and LAN addresses are changed there (and take "
		          "effect on SIGHUP), not here.</p>\n");
	} else {
		ah_raw(b, "<div class=\"actions\"><form method=\"post\" action=\"/record/");
		ah_url(b, r.name);
		ah_raw(b, "/rotate\">");
		ah_csrf(b, j->csrf);
		ah_raw(b, "<button type=\"submit\" id=\"rotate\">Rotate the key</button></form> "
		          "<a class=\"danger\" id=\"delete\" href=\"/record/");
		ah_url(b, r.name);
		ah_raw(b, "/delete\">Delete&hellip;</a></div>\n");
	}
	ah_raw(b, "<h2>Updating it</h2>\n");
	admin_clients(b, j->public_url, r.name, NULL);
	ah_raw(b, "<h2>History</h2>\n<table id=\"history\"><thead><tr><th>Time</th>"
	          "<th>Family</th><th>Change</th><th>Result</th><th>Client</th>"
	          "<th>Message</th></tr></thead><tbody>\n");
	if (store_history_foreach(st, r.name, 100, history_row, b) != 0)
		ah_raw(b, "<tr><td colspan=\"6\">The history cannot be read now.</td></tr>");
	ah_raw(b, "</tbody></table>\n");
	ah_foot(b);
}

void admin_work_delete_ask(admin_job_t *j, store_t *st)
{
	store_record_t r;
	if (!record_or_reply(j, st, &r))
		return;
	ahtml_t *b = &j->html;
	ah_head(b, "Delete a record", j->user, j->csrf);
	if (r.source == STORE_SRC_CONFIG) {
		ah_raw(b, "<p class=\"note\" id=\"readonly\">");
		ah_text(b, r.name);
		ah_raw(b, " comes from ddns.conf: remove it there.</p>");
		ah_foot(b);
		return;
	}
	ah_raw(b, "<p>Delete <strong id=\"name\">");
	ah_text(b, r.name);
	ah_raw(b, "</strong>? Its clients will be refused from then on; the address stays "
	          "at the provider.</p><form method=\"post\" action=\"/record/");
	ah_url(b, r.name);
	ah_raw(b, "/delete\">");
	ah_csrf(b, j->csrf);
	ah_raw(b, "<button type=\"submit\" class=\"danger\" id=\"confirm\">Delete it</button> "
	          "<a href=\"/record/");
	ah_url(b, r.name);
	ah_raw(b, "\">Cancel</a></form>");
	ah_foot(b);
}

/* ---- providers ---- */

#define PROVIDER_SCAN 1000
#define PROVIDER_FAILURES 5

typedef struct prov_health {
	const char *name;
	bool decided, failing;
	int64_t last_time;
	unsigned applied, failed, n_fail;
	store_attempt_t fail[PROVIDER_FAILURES];
} prov_health_t;

typedef struct prov_scan {
	prov_health_t *p;
	size_t n;
} prov_scan_t;

static int provider_attempt(const store_attempt_t *a, void *arg)
{
	prov_scan_t *s = arg;
	if (a->h.result == DDNS_OUTCOME_ABUSE || a->h.result == DDNS_OUTCOME_CANCELED)
		return 0; /* says nothing about the provider */
	for (size_t i = 0; i < s->n; i++) {
		prov_health_t *p = &s->p[i];
		if (strcmp(p->name, a->provider) != 0)
			continue;
		bool ok = a->h.result == DDNS_OUTCOME_APPLIED;
		if (!p->decided) {
			p->decided = true;
			p->failing = !ok;
			p->last_time = a->h.time;
		}
		if (ok) {
			p->applied++;
		} else {
			p->failed++;
			if (p->n_fail < PROVIDER_FAILURES)
				p->fail[p->n_fail++] = *a;
		}
	}
	return 0;
}

void admin_work_providers(admin_job_t *j, store_t *st)
{
	prov_scan_t s = { .p = calloc(j->n_providers ? j->n_providers : 1, sizeof(prov_health_t)),
	                  .n = j->n_providers };
	if (s.p == NULL) {
		store_error(j);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		s.p[i].name = j->providers[i];
	if (store_attempts_recent(st, PROVIDER_SCAN, provider_attempt, &s) != 0) {
		free(s.p);
		store_error(j);
		return;
	}
	ahtml_t *b = &j->html;
	ah_head(b, "Providers", j->user, j->csrf);
	ah_fmt(b, "<p class=\"note\">From the last %d attempts in the history: a provider "
	          "is healthy when its latest attempt applied.</p>\n", PROVIDER_SCAN);
	ah_raw(b, "<table id=\"providers\"><thead><tr><th>Provider</th><th>Health</th>"
	          "<th>Latest attempt</th><th>Applied</th><th>Failed</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s.n; i++) {
		prov_health_t *p = &s.p[i];
		char when[32];
		ah_time(p->decided ? p->last_time : 0, when);
		ah_raw(b, "<tr><td>");
		ah_text(b, p->name);
		ah_fmt(b, "</td><td class=\"%s\">%s</td>", !p->decided ? "" : p->failing ? "bad" : "ok",
		       !p->decided ? "no attempt yet" : p->failing ? "failing" : "healthy");
		cell(b, when);
		ah_fmt(b, "<td>%u</td><td>%u</td></tr>\n", p->applied, p->failed);
	}
	ah_raw(b, "</tbody></table>\n<h2>Recent failures</h2>\n<table id=\"failures\"><thead>"
	          "<tr><th>Time</th><th>Provider</th><th>Record</th><th>Result</th>"
	          "<th>Message</th></tr></thead><tbody>\n");
	unsigned shown = 0;
	for (size_t i = 0; i < s.n; i++) {
		for (unsigned k = 0; k < s.p[i].n_fail; k++) {
			const store_attempt_t *a = &s.p[i].fail[k];
			char when[32];
			ah_time(a->h.time, when);
			ah_raw(b, "<tr>");
			cell(b, when);
			cell(b, a->provider);
			ah_raw(b, "<td><a href=\"/record/");
			ah_url(b, a->h.name);
			ah_raw(b, "\">");
			ah_text(b, a->h.name);
			ah_fmt(b, "</a></td><td class=\"bad\">%s</td>", ddns_outcome_name(a->h.result));
			cell(b, a->h.message);
			ah_raw(b, "</tr>\n");
			shown++;
		}
	}
	if (shown == 0)
		ah_raw(b, "<tr><td colspan=\"5\">None.</td></tr>");
	ah_raw(b, "</tbody></table>\n");
	ah_foot(b);
	free(s.p);
}

/* ---- activity ---- */

#define ACTIVITY_HOURS 48

void admin_work_activity(admin_job_t *j, store_t *st)
{
	uint32_t counts[ACTIVITY_HOURS], failed[ACTIVITY_HOURS];
	int64_t since = (j->now / 3600 - (ACTIVITY_HOURS - 1)) * 3600;
	if (store_history_hourly(st, since, ACTIVITY_HOURS, counts, failed) != 0) {
		store_error(j);
		return;
	}
	uint64_t total = 0, total_failed = 0;
	for (int i = 0; i < ACTIVITY_HOURS; i++) {
		total += counts[i];
		total_failed += failed[i];
	}
	ahtml_t *b = &j->html;
	ah_head(b, "Activity", j->user, j->csrf);
	ah_fmt(b, "<p>Updates that reached a provider in the last %d hours: <strong "
	          "id=\"total\">%" PRIu64 "</strong>, of which %" PRIu64 " did not apply.</p>\n",
	       ACTIVITY_HOURS, total, total_failed);
	admin_chart(b, since, ACTIVITY_HOURS, counts, failed);
	ah_foot(b);
}
