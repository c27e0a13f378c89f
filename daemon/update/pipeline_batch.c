/* The pipeline's dispatch (see pipeline.h): at most one provider update per
 * record.  A record whose update is with its provider has a rec_state: its
 * `batch` completes with that update, and requests arriving meanwhile
 * collect in `waiting`, their addresses merged per family (latest wins), to
 * be dispatched next.  The store is written only after the provider
 * confirmed (one transaction with the history row); failures leave a
 * history row and nothing applied. */
#include "pipeline_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "abuse.h"
#include "error.h"
#include "log.h"
#include "metrics.h"

/* ---- history ---- */

static void history_add(pipeline_t *p, const char *name, const char *family,
                        const char *old_ip, const char *new_ip,
                        const char *client, ddns_outcome_t result, const char *msg)
{
	store_history_t h = { .time = time(NULL), .result = result };
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.family, sizeof(h.family), "%s", family);
	snprintf(h.old_ip, sizeof(h.old_ip), "%s", old_ip);
	snprintf(h.new_ip, sizeof(h.new_ip), "%s", new_ip);
	snprintf(h.client, sizeof(h.client), "%s", client);
	snprintf(h.message, sizeof(h.message), "%s", msg != NULL ? msg : "");
	int rc = store_add_history(p->store, &h);
	if (rc != 0)
		log_err(name, "cannot record history: %s", ddns_strerror(rc));
}

void pipeline_history_pair(pipeline_t *p, const char *name, const char *old4,
                           const char *new4, const char *old6, const char *new6,
                           const char *client, ddns_outcome_t result, const char *msg)
{
	if (new4 != NULL && new4[0] != '\0')
		history_add(p, name, "ipv4", old4, new4, client, result, msg);
	if (new6 != NULL && new6[0] != '\0')
		history_add(p, name, "ipv6", old6, new6, client, result, msg);
}

/* ---- abuse: one history row per block ---- */

/* The note key: 's', the family and the address (the /64 of IPv6, as
 * abuse.c counts sources), or 'n' and the name. */
static size_t abuse_note_key(const addr_t *client, const char *name,
                             unsigned char key[ABUSE_KEY_MAX])
{
	if (client == NULL) {
		size_t n = strnlen(name, ABUSE_KEY_MAX - 1);
		key[0] = 'n';
		memcpy(key + 1, name, n);
		return n + 1;
	}
	size_t n = client->family == AF_INET6 ? 8 : 4;
	key[0] = 's';
	key[1] = client->family == AF_INET6 ? 6 : 4;
	memcpy(key + 2, client->bytes, n);
	return n + 2;
}

bool pipeline_abuse_first(pipeline_t *p, const addr_t *client, const char *name)
{
	unsigned char key[ABUSE_KEY_MAX];
	size_t len = abuse_note_key(client, name, key);
	if (p->noted.buckets == NULL)
		return true; /* no table (out of memory): a row per request */
	if (abuse_table_find(&p->noted, key, len) != NULL)
		return false;
	/* A full table forgets its oldest block: that block may get a second
	 * row later, which is harmless. */
	(void)abuse_table_get(&p->noted, key, len);
	return true;
}

void pipeline_abuse_over(pipeline_t *p, const addr_t *client, const char *name)
{
	if (p->noted.count == 0)
		return; /* the usual case: no lookup on the hot path */
	unsigned char key[ABUSE_KEY_MAX];
	size_t len = abuse_note_key(client, name, key);
	abuse_entry_t *e = abuse_table_find(&p->noted, key, len);
	if (e != NULL)
		abuse_table_remove(&p->noted, e);
}

/* ---- dispatch ---- */

rec_state_t *pipeline_inflight_find(pipeline_t *p, const char *name)
{
	for (rec_state_t *rs = p->inflight; rs != NULL; rs = rs->next)
		if (strcmp(rs->name, name) == 0)
			return rs;
	return NULL;
}

static void inflight_unlink(pipeline_t *p, rec_state_t *rs)
{
	rec_state_t **pp = &p->inflight;
	while (*pp != rs)
		pp = &(*pp)->next;
	*pp = rs->next;
}

/* Defer every job of @p list with one outcome. */
void pipeline_list_defer(pipeline_t *p, job_t *list, pipeline_status_t st,
                         const store_record_t *rec)
{
	while (list != NULL) {
		job_t *next = list->next;
		pipeline_job_defer(p, list, st, rec ? rec->ipv4 : "", rec ? rec->ipv6 : "",
		                   rec ? rec->last_change : 0);
		list = next;
	}
}

static void update_done_cb(int result, const char *message, void *arg);

/* Send @p want4/@p want6 (the families that differ) to the provider, and
 * complete @p jobs when it answers. */
void pipeline_batch_start(pipeline_t *p, const store_record_t *rec, job_t *jobs,
                          const char *want4, const char *want6, const char *client)
{
	const char *n4 = want4[0] && strcmp(want4, rec->ipv4) != 0 ? want4 : NULL;
	const char *n6 = want6[0] && strcmp(want6, rec->ipv6) != 0 ? want6 : NULL;

	if (n4 == NULL && n6 == NULL) {
		pipeline_list_defer(p, jobs, PIPELINE_UNCHANGED, rec);
		return;
	}
	if (p->abuse != NULL && abuse_change_blocked(p->abuse, rec->name, uv_now(p->loop))) {
		if (pipeline_abuse_first(p, NULL, rec->name))
			pipeline_history_pair(p, rec->name, rec->ipv4, n4, rec->ipv6, n6,
			                      client, DDNS_OUTCOME_ABUSE, "too many changes "
			                      "(refused until the block ends)");
		pipeline_list_defer(p, jobs, PIPELINE_ABUSE, rec);
		return;
	}
	if (p->abuse != NULL)
		pipeline_abuse_over(p, NULL, rec->name);
	provider_t *prov = p->lookup(rec->provider, p->lookup_arg);
	if (prov == NULL) {
		log_err(rec->name, "provider %s is not configured", rec->provider);
		pipeline_list_defer(p, jobs, PIPELINE_UNAVAILABLE, rec);
		return;
	}
	rec_state_t *rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		pipeline_list_defer(p, jobs, PIPELINE_INTERNAL, rec);
		return;
	}
	rs->p = p;
	snprintf(rs->name, sizeof(rs->name), "%s", rec->name);
	snprintf(rs->new4, sizeof(rs->new4), "%s", n4 ? n4 : "");
	snprintf(rs->new6, sizeof(rs->new6), "%s", n6 ? n6 : "");
	snprintf(rs->old4, sizeof(rs->old4), "%s", rec->ipv4);
	snprintf(rs->old6, sizeof(rs->old6), "%s", rec->ipv6);
	snprintf(rs->client, sizeof(rs->client), "%s", client);
	rs->batch = jobs;
	rs->waiting_tail = &rs->waiting;
	rs->started = uv_now(p->loop);
	provider_change_t ch = {
		.name = rec->name, .ipv4 = n4, .ipv6 = n6,
		.old_ipv4 = rec->ipv4[0] ? rec->ipv4 : NULL,
		.old_ipv6 = rec->ipv6[0] ? rec->ipv6 : NULL,
		.timeout_ms = p->opts.update_timeout_ms,
	};
	int rc = provider_update(prov, &ch, update_done_cb, rs);
	if (rc != 0) {
		const char *msg = ddns_strerror(rc);
		log_warn(rec->name, "provider %s: %s", rec->provider, msg);
		pipeline_history_pair(p, rec->name, rec->ipv4, n4, rec->ipv6, n6, client,
		                      DDNS_OUTCOME_FAILED, msg);
		pipeline_list_defer(p, jobs, PIPELINE_PROVIDER_FAILED, rec);
		free(rs);
		return;
	}
	rs->prov = provider_ref(prov);
	rs->next = p->inflight;
	p->inflight = rs;
}

static void update_done_cb(int result, const char *message, void *arg)
{
	rec_state_t *rs = arg;
	pipeline_t *p = rs->p;
	pipeline_status_t st;
	store_record_t rec;
	const char *msg = message != NULL && message[0] != '\0' ? message
	                                                       : ddns_strerror(result);
	bool ok = result == DDNS_OK;

	inflight_unlink(p, rs);
	if (p->closing) {
		/* pipeline_free() ran: the store and metrics may be gone. */
		log_warn(rs->name, "update ended after shutdown began (%s); "
		         "not recorded", ok ? "applied" : ddns_strerror(result));
		pipeline_list_defer(p, rs->batch, PIPELINE_UNAVAILABLE, NULL);
		pipeline_list_defer(p, rs->waiting, PIPELINE_UNAVAILABLE, NULL);
		provider_unref(rs->prov);
		free(rs);
		pipeline_try_destroy(p);
		return;
	}
	rcache_drop(&p->cache, rs->name);
	metrics_ddns_provider_latency(p->metrics, provider_name(rs->prov),
	                              (double)(uv_now(p->loop) - rs->started) / 1000.0);
	if (ok) {
		int rc = store_commit_update(p->store, rs->name,
		                             rs->new4[0] ? rs->new4 : NULL,
		                             rs->new6[0] ? rs->new6 : NULL,
		                             time(NULL), rs->client, message ? message : "");
		st = PIPELINE_CHANGED;
		if (rc != 0) {
			log_err(rs->name, "provider applied the change but the store "
			        "refused it: %s", ddns_strerror(rc));
			st = PIPELINE_INTERNAL;
			ok = false;
		} else if (p->abuse != NULL) {
			abuse_change_applied(p->abuse, rs->name, uv_now(p->loop));
		}
		msg = "";
	} else {
		ddns_outcome_t what = result == DDNS_ETIMEOUT ? DDNS_OUTCOME_TIMEOUT
		                      : result == DDNS_ECANCELED ? DDNS_OUTCOME_CANCELED
		                      : DDNS_OUTCOME_FAILED;
		st = result == DDNS_ETIMEOUT ? PIPELINE_TIMEOUT
		     : result == DDNS_ECANCELED ? PIPELINE_UNAVAILABLE
		     : PIPELINE_PROVIDER_FAILED;
		log_warn(rs->name, "provider %s: %s: %s", provider_name(rs->prov),
		         ddns_outcome_name(what), msg);
		pipeline_history_pair(p, rs->name, rs->old4, rs->new4, rs->old6, rs->new6,
		                      rs->client, what, msg);
	}
	int grc = store_record_get(p->store, rs->name, &rec);
	if (grc != 0)
		memset(&rec, 0, sizeof(rec));
	for (job_t *j = rs->batch; j != NULL;) {
		job_t *next = j->next;
		pipeline_job_finish(p, j, st, rec.ipv4, rec.ipv6, ok && rs->new4[0],
		                    ok && rs->new6[0], rec.last_change, msg);
		j = next;
	}
	if (rs->waiting != NULL) {
		if (p->closing || result == DDNS_ECANCELED || grc != 0)
			pipeline_list_defer(p, rs->waiting, PIPELINE_UNAVAILABLE, grc ? NULL : &rec);
		else
			pipeline_batch_start(p, &rec, rs->waiting, rs->want4, rs->want6, rs->wclient);
	}
	provider_unref(rs->prov);
	free(rs);
	if (p->closing)
		pipeline_try_destroy(p);
}
