/* The pipeline's dispatch (see pipeline.h): at most one provider update per
 * record.  A record whose update is with its provider has a rec_state: its
 * `batch` completes with that update, and requests arriving meanwhile
 * collect in `waiting`, their addresses merged per family (latest wins), to
 * be dispatched next.  The store is written only after the provider
 * confirmed (one transaction with the history row, on the store writer's
 * thread); failures leave a history row and nothing applied.  The provider
 * answers per family: when it confirmed A and failed AAAA, the A change is
 * committed with its row, the AAAA failure gets its own, and the requests
 * that asked for AAAA hear which family failed (PIPELINE_PARTIAL).  When the
 * store cannot commit a confirmed change, the old addresses are sent to the
 * provider again before the record takes its next update, so what the DNS
 * serves never differs from what the store holds for long. */
#include "pipeline_priv.h"

#include <errno.h>
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
	/* in the background: a failure is logged by the writer */
	int rc = store_writer_add_history(p->writer, &h, NULL, NULL);
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

static void update_done_cb(const provider_outcome_t *o, void *arg);

/* How long a confirmed change may still wait for a busy store, at least. */
#define COMMIT_MIN_WAIT_MS 250

/* Send @p want4/@p want6 (the families that differ) to the provider, and
 * complete @p jobs when it answers.  @p via: the router whose prefix this
 * carries, or "". */
static void batch_start_via(pipeline_t *p, const store_record_t *rec, job_t *jobs,
                            const char *want4, const char *want6, const char *client,
                            const char *via)
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
	snprintf(rs->via, sizeof(rs->via), "%s", via);
	rs->batch = jobs;
	rs->last_change = rec->last_change;
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

void pipeline_batch_start(pipeline_t *p, const store_record_t *rec, job_t *jobs,
                          const char *want4, const char *want6, const char *client)
{
	batch_start_via(p, rec, jobs, want4, want6, client, "");
}

void pipeline_follow_router(pipeline_t *p, const char *router, const char *ipv6,
                            const char *client)
{
	size_t n;
	const follow_t *f = pipeline_follow_find(p, router, &n);
	for (size_t i = 0; i < n && !p->closing; i++) {
		char addr[ADDR_TEXT_MAX];
		store_record_t rec;
		if (pipeline_follow_addr(&f[i], ipv6, addr) != 0)
			return; /* the router's AAAA is checked on the way in */
		if (rindex_get(&p->index, f[i].name, &rec) != 0) {
			log_warn(f[i].name, "follows the prefix of %s but is not a record "
			         "of the store", router);
			continue;
		}
		rec_state_t *rs = pipeline_inflight_find(p, f[i].name);
		if (rs != NULL) { /* after the update in flight, as a request would */
			snprintf(rs->want6, sizeof(rs->want6), "%s", addr);
			snprintf(rs->wclient, sizeof(rs->wclient), "%s", client);
			snprintf(rs->wvia, sizeof(rs->wvia), "%s", router);
			rs->wfollow = true;
			continue;
		}
		batch_start_via(p, &rec, NULL, "", addr, client, router);
	}
}

/* The history row's message: @p msg, said to come from the router's prefix
 * for a follower's update. */
static const char *via_message(const rec_state_t *rs, const char *msg, char *buf,
                               size_t size)
{
	if (rs->via[0] == '\0')
		return msg;
	snprintf(buf, size, "prefix of %s%s%s", rs->via, msg[0] ? ": " : "", msg);
	return buf;
}

/* The end of @p rs's update, its outcome known and stored: answer its
 * batch, dispatch what waited, free it. */
static void rec_state_finish(pipeline_t *p, rec_state_t *rs)
{
	store_record_t rec;
	int grc = -ECANCELED;
	inflight_unlink(p, rs);
	/* What the store holds now is what this update knows (the record has
	 * one update at a time); only a next dispatch needs the whole row. */
	bool again = rs->waiting != NULL || rs->wfollow;
	if (again && !p->closing)
		grc = rindex_get(&p->index, rs->name, &rec);
	if (grc != 0) {
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.ipv4, sizeof(rec.ipv4), "%s", rs->applied && rs->new4[0] ? rs->new4
		                                                                     : rs->old4);
		snprintf(rec.ipv6, sizeof(rec.ipv6), "%s", rs->applied && rs->new6[0] ? rs->new6
		                                                                     : rs->old6);
		rec.last_change = rs->last_change;
	}
	const char *msg = rs->message != NULL ? rs->message : "";
	for (job_t *j = rs->batch; j != NULL;) {
		job_t *next = j->next;
		pipeline_result_t res = {
			.status = rs->status, .ipv4 = rec.ipv4, .ipv6 = rec.ipv6,
			.changed_ipv4 = rs->applied && rs->new4[0],
			.changed_ipv6 = rs->applied && rs->new6[0],
			.last_change = rec.last_change, .message = msg,
		};
		if (rs->status == PIPELINE_PARTIAL) {
			/* partial only for a request that asked for the family
			 * that failed; the others got all they asked for */
			res.failed_ipv4 = rs->failed4 && j->ipv4[0];
			res.failed_ipv6 = rs->failed6 && j->ipv6[0];
			if (res.failed_ipv4 || res.failed_ipv6) {
				res.failed_status = rs->failed_status;
			} else {
				res.status = PIPELINE_CHANGED;
				res.message = "";
			}
		}
		pipeline_job_finish_res(p, j, &res);
		j = next;
	}
	if (again) {
		if (p->closing || rs->status == PIPELINE_UNAVAILABLE || grc != 0)
			pipeline_list_defer(p, rs->waiting, PIPELINE_UNAVAILABLE, &rec);
		else
			batch_start_via(p, &rec, rs->waiting, rs->want4, rs->want6, rs->wclient,
			                rs->wvia);
	}
	provider_unref(rs->prov);
	free(rs->message);
	free(rs);
	if (p->closing)
		pipeline_try_destroy(p);
}

static void rollback_done_cb(const provider_outcome_t *o, void *arg)
{
	rec_state_t *rs = arg;
	int result = o->result;
	const char *message = o->message;
	if (result == DDNS_OK)
		log_notice(rs->name, "provider %s: change taken back (the store holds the "
		           "old address)", provider_name(rs->prov));
	else
		log_err(rs->name, "provider %s: cannot take the change back: %s; it serves "
		        "an address the store does not hold until the next update",
		        provider_name(rs->prov),
		        message != NULL && message[0] ? message : ddns_strerror(result));
	rec_state_finish(rs->p, rs);
}

/* The provider applied a change the store could not commit: send it the old
 * addresses again (a family that had none cannot be taken back through an
 * update; that is logged). */
static void rollback_start(pipeline_t *p, rec_state_t *rs)
{
	const char *b4 = rs->new4[0] && rs->old4[0] ? rs->old4 : NULL;
	const char *b6 = rs->new6[0] && rs->old6[0] ? rs->old6 : NULL;
	if ((rs->new4[0] && !b4) || (rs->new6[0] && !b6))
		log_err(rs->name, "provider %s keeps the new address of a family that had "
		        "none before (an update cannot remove it)", provider_name(rs->prov));
	if ((b4 == NULL && b6 == NULL) || p->closing) {
		rec_state_finish(p, rs);
		return;
	}
	provider_change_t ch = {
		.name = rs->name, .ipv4 = b4, .ipv6 = b6,
		.old_ipv4 = b4 != NULL ? rs->new4 : NULL,
		.old_ipv6 = b6 != NULL ? rs->new6 : NULL,
		.timeout_ms = p->opts.update_timeout_ms,
	};
	int rc = provider_update(rs->prov, &ch, rollback_done_cb, rs);
	if (rc != 0)
		rollback_done_cb(&(provider_outcome_t){ .result = rc }, rs);
}

static void commit_done_cb(int err, void *arg)
{
	rec_state_t *rs = arg;
	pipeline_t *p = rs->p;
	if (err != 0) {
		log_err(rs->name, "provider applied the change but the store "
		        "refused it: %s; taking it back", ddns_strerror(err));
		rs->status = err == -EBUSY ? PIPELINE_STORE_BUSY : PIPELINE_INTERNAL;
		rollback_start(p, rs);
		return;
	}
	rs->status = rs->failed4 || rs->failed6 ? PIPELINE_PARTIAL : PIPELINE_CHANGED;
	rs->applied = true;
	rs->last_change = rs->committing_at;
	if (!p->closing)
		rindex_set_addrs(&p->index, rs->name, rs->new4[0] ? rs->new4 : NULL,
		                 rs->new6[0] ? rs->new6 : NULL, rs->committing_at);
	if (p->abuse != NULL && !p->closing)
		abuse_change_applied(p->abuse, rs->name, uv_now(p->loop));
	/* A router's new AAAA moves its followers now, before this update's
	 * jobs are answered (nothing waits for them). */
	if (rs->new6[0] != '\0' && p->n_follow > 0 && !p->closing)
		pipeline_follow_router(p, rs->name, rs->new6, rs->client);
	rec_state_finish(p, rs);
}

static void history_done_cb(int err, void *arg)
{
	rec_state_t *rs = arg;
	(void)err; /* a failed history write is logged by the writer */
	rec_state_finish(rs->p, rs);
}

static ddns_outcome_t outcome_of(int result)
{
	return result == DDNS_ETIMEOUT ? DDNS_OUTCOME_TIMEOUT
	       : result == DDNS_ECANCELED ? DDNS_OUTCOME_CANCELED
	       : DDNS_OUTCOME_FAILED;
}

static pipeline_status_t status_of(int result)
{
	return result == DDNS_ETIMEOUT ? PIPELINE_TIMEOUT
	       : result == DDNS_ECANCELED ? PIPELINE_UNAVAILABLE
	       : PIPELINE_PROVIDER_FAILED;
}

/* Ask the store writer to commit the families left in new4/new6. */
static void commit_start(pipeline_t *p, rec_state_t *rs, const char *message)
{
	/* The commit may wait for a busy store as long as the update could
	 * have waited for its provider (at least a moment). */
	uint64_t now = uv_now(p->loop);
	uint64_t deadline = rs->started + p->opts.update_timeout_ms;
	if (deadline < now + COMMIT_MIN_WAIT_MS)
		deadline = now + COMMIT_MIN_WAIT_MS;
	rs->committing_at = time(NULL);
	char vbuf[700];
	int rc = store_writer_commit_update(p->writer, rs->name,
	                                    rs->new4[0] ? rs->new4 : NULL,
	                                    rs->new6[0] ? rs->new6 : NULL,
	                                    rs->committing_at, rs->client,
	                                    via_message(rs, message ? message : "",
	                                                vbuf, sizeof(vbuf)),
	                                    deadline, commit_done_cb, rs);
	if (rc != 0)
		commit_done_cb(rc, rs);
}

/* The provider confirmed one family and failed the other (@p failed, an
 * index of provider_outcome_t.rr): the failure gets its history row, the
 * confirmed change is committed as any other. */
static void partial_start(pipeline_t *p, rec_state_t *rs, const provider_outcome_t *o,
                          int failed, const char *msg)
{
	bool v4 = failed == PROVIDER_RR_A;
	int code = o->rr[failed];
	const char *why = o->rr_message[failed] != NULL && o->rr_message[failed][0]
	                  ? o->rr_message[failed] : msg;
	const char *rr = v4 ? "A" : "AAAA";
	log_warn(rs->name, "provider %s: %s %s: %s (%s applied)", provider_name(rs->prov),
	         rr, ddns_outcome_name(outcome_of(code)), why, v4 ? "AAAA" : "A");
	char vbuf[700];
	history_add(p, rs->name, v4 ? "ipv4" : "ipv6", v4 ? rs->old4 : rs->old6,
	            v4 ? rs->new4 : rs->new6, rs->client, outcome_of(code),
	            via_message(rs, why, vbuf, sizeof(vbuf)));
	(v4 ? rs->new4 : rs->new6)[0] = '\0';
	rs->failed4 = v4;
	rs->failed6 = !v4;
	rs->failed_status = status_of(code);
	if (asprintf(&rs->message, "%s: %s", rr, why) < 0)
		rs->message = NULL;
	int ok = v4 ? PROVIDER_RR_AAAA : PROVIDER_RR_A;
	/* queued after the failure's row: the writer keeps the order */
	commit_start(p, rs, o->rr_message[ok] != NULL ? o->rr_message[ok] : o->message);
}

static void update_done_cb(const provider_outcome_t *o, void *arg)
{
	rec_state_t *rs = arg;
	pipeline_t *p = rs->p;
	int result = o->result;
	const char *message = o->message;
	const char *msg = message != NULL && message[0] != '\0' ? message
	                                                       : ddns_strerror(result);

	if (p->closing) {
		/* pipeline_free() ran: the store and metrics may be gone. */
		log_warn(rs->name, "update ended after shutdown began (%s); "
		         "not recorded", result == DDNS_OK ? "applied" : ddns_strerror(result));
		rs->status = PIPELINE_UNAVAILABLE;
		rec_state_finish(p, rs);
		return;
	}
	uint64_t now = uv_now(p->loop);
	metrics_ddns_provider_latency(p->metrics, provider_name(rs->prov),
	                              (double)(now - rs->started) / 1000.0);
	bool ok4 = rs->new4[0] && o->rr[PROVIDER_RR_A] == DDNS_OK;
	bool ok6 = rs->new6[0] && o->rr[PROVIDER_RR_AAAA] == DDNS_OK;
	/* every family asked for confirmed (even if the whole then timed
	 * out): what the provider confirmed is what the store gets */
	if (result == DDNS_OK || ((ok4 || !rs->new4[0]) && (ok6 || !rs->new6[0]))) {
		commit_start(p, rs, message);
		return;
	}
	if (ok4 || ok6) { /* both asked for, one confirmed */
		partial_start(p, rs, o, ok4 ? PROVIDER_RR_AAAA : PROVIDER_RR_A, msg);
		return;
	}
	ddns_outcome_t what = outcome_of(result);
	rs->status = status_of(result);
	log_warn(rs->name, "provider %s: %s: %s", provider_name(rs->prov),
	         ddns_outcome_name(what), msg);
	/* a family the plugin failed in its own words gets those in its row */
	const char *m4 = o->rr_message[PROVIDER_RR_A], *m6 = o->rr_message[PROVIDER_RR_AAAA];
	char vbuf[700];
	pipeline_history_pair(p, rs->name, rs->old4, rs->new4, rs->old6, "", rs->client, what,
	                      via_message(rs, m4 != NULL && m4[0] ? m4 : msg, vbuf, sizeof(vbuf)));
	pipeline_history_pair(p, rs->name, rs->old4, "", rs->old6, rs->new6, rs->client, what,
	                      via_message(rs, m6 != NULL && m6[0] ? m6 : msg, vbuf, sizeof(vbuf)));
	rs->message = strdup(msg);
	/* the client hears of the failure once its history row is written */
	if (store_writer_barrier(p->writer, history_done_cb, rs) != 0)
		rec_state_finish(p, rs);
}
