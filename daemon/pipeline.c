/* The update pipeline (see pipeline.h).
 *
 * A request becomes a job.  Jobs that can be answered at once (unchanged,
 * blocked, store trouble) are queued on `ready` and completed from a
 * uv_check handle, so callbacks never run inside pipeline_submit().  Failed
 * authentications wait on one timer in deadline order.  A record whose
 * update is with its provider has a rec_state: its `batch` completes with
 * that update, and requests arriving meanwhile collect in `waiting`, their
 * addresses merged per family (latest wins), to be dispatched next. */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "abuse.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "pipeline_cache.h"
#include "pipeline_seen.h"

#define SEEN_FLUSH_MS 5000
#define JOB_FREE_MAX 256
#define RCACHE_MAX 8192

typedef struct job {
	struct job *next;
	pipeline_cb cb;
	void *arg;
	char name[NAME_TEXT_MAX];
	char ipv4[ADDR_TEXT_MAX]; /* requested; for `ready` jobs: the answer */
	char ipv6[ADDR_TEXT_MAX];
	char client[ADDR_TEXT_MAX];
	char provider[64];        /* for metrics; "" when not authenticated */
	pipeline_status_t status; /* ready jobs */
	int64_t last_change;
	uint64_t deadline;        /* auth delay, uv_now() ms */
} job_t;

typedef struct rec_state {
	struct rec_state *next;
	pipeline_t *p;
	provider_t *prov;
	char name[NAME_TEXT_MAX];
	char new4[ADDR_TEXT_MAX], new6[ADDR_TEXT_MAX]; /* "" untouched */
	char old4[ADDR_TEXT_MAX], old6[ADDR_TEXT_MAX];
	char client[ADDR_TEXT_MAX];
	job_t *batch;
	job_t *waiting, **waiting_tail;
	char want4[ADDR_TEXT_MAX], want6[ADDR_TEXT_MAX], wclient[ADDR_TEXT_MAX];
	uint64_t started;  /* uv_now() at dispatch, for the latency metric */
} rec_state_t;

struct pipeline {
	uv_loop_t *loop;
	store_t *store;
	pipeline_provider_fn lookup;
	void *lookup_arg;
	pipeline_opts_t opts;
	struct abuse *abuse;
	struct metrics *metrics;
	uv_check_t check;      /* completes `ready` after the poll phase */
	uv_idle_t idle;        /* keeps the poll from blocking meanwhile */
	uv_timer_t auth_timer;
	uv_timer_t seen_timer;
	job_t *ready, **ready_tail;
	job_t *delayed;        /* by deadline */
	rec_state_t *inflight;
	seen_set_t seen;
	rcache_t cache;
	job_t *free_jobs;
	size_t n_free;
	unsigned pending;
	unsigned n_handles;
	bool closing;
	char dummy_hash[KEY_HASH_MAX];
};

static void pipeline_try_destroy(pipeline_t *p);

/* Copy @p src (NULL: "") into @p dst of @p size, truncating.  The hot path
 * copies four strings per request: cheaper than snprintf. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strnlen(src, size - 1) : 0;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- jobs ---- */

static job_t *job_get(pipeline_t *p)
{
	job_t *j = p->free_jobs;
	if (j != NULL) {
		p->free_jobs = j->next;
		p->n_free--;
		return j;
	}
	return malloc(sizeof(*j));
}

static void job_put(pipeline_t *p, job_t *j)
{
	if (p->n_free >= JOB_FREE_MAX) {
		free(j);
		return;
	}
	j->next = p->free_jobs;
	p->free_jobs = j;
	p->n_free++;
}

/* Complete @p j now. */
static void job_finish(pipeline_t *p, job_t *j, pipeline_status_t st,
                       const char *ip4, const char *ip6, bool c4, bool c6,
                       int64_t last_change, const char *msg)
{
	pipeline_result_t res = {
		.status = st, .name = j->name, .ipv4 = ip4, .ipv6 = ip6,
		.changed_ipv4 = c4, .changed_ipv6 = c6,
		.last_change = last_change, .message = msg != NULL ? msg : "",
	};
	static const char *const words[] = {
		[PIPELINE_CHANGED] = "changed", [PIPELINE_UNCHANGED] = "unchanged",
		[PIPELINE_AUTH_FAILED] = "auth_failed",
		[PIPELINE_PROVIDER_FAILED] = "provider_failed",
		[PIPELINE_TIMEOUT] = "timeout", [PIPELINE_ABUSE] = "abuse",
		[PIPELINE_UNAVAILABLE] = "unavailable", [PIPELINE_INTERNAL] = "internal",
	};
	pipeline_cb cb = j->cb;
	void *arg = j->arg;
	if (p->metrics != NULL) {
		metrics_ddns_update(p->metrics, j->provider, words[st]);
		if (st == PIPELINE_AUTH_FAILED)
			metrics_ddns_auth_failure(p->metrics);
	}
	p->pending--;
	cb(&res, arg);
	job_put(p, j);
}

static void idle_cb(uv_idle_t *i)
{
	(void)i; /* only there so the poll phase does not block */
}

/* Complete @p j from the loop, with the addresses it now carries. */
static void job_defer(pipeline_t *p, job_t *j, pipeline_status_t st,
                      const char *ip4, const char *ip6, int64_t last_change)
{
	if (ip4 != j->ipv4)
		copy_str(j->ipv4, sizeof(j->ipv4), ip4);
	if (ip6 != j->ipv6)
		copy_str(j->ipv6, sizeof(j->ipv6), ip6);
	j->status = st;
	j->last_change = last_change;
	if (p->closing) {
		job_finish(p, j, st, j->ipv4, j->ipv6, false, false, last_change, "");
		return;
	}
	j->next = NULL;
	*p->ready_tail = j;
	p->ready_tail = &j->next;
	uv_idle_start(&p->idle, idle_cb);
}

static void ready_drain(pipeline_t *p)
{
	job_t *j = p->ready;
	p->ready = NULL;
	p->ready_tail = &p->ready;
	uv_idle_stop(&p->idle);
	while (j != NULL) {
		job_t *next = j->next;
		job_finish(p, j, j->status, j->ipv4, j->ipv6, false, false,
		           j->last_change, "");
		j = next;
	}
}

static void check_cb(uv_check_t *c)
{
	pipeline_t *p = c->data;
	if (p->ready != NULL)
		ready_drain(p);
}

/* ---- history ---- */

static void history_add(pipeline_t *p, const char *name, const char *family,
                        const char *old_ip, const char *new_ip,
                        const char *client, const char *result, const char *msg)
{
	store_history_t h = { .time = time(NULL) };
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.family, sizeof(h.family), "%s", family);
	snprintf(h.old_ip, sizeof(h.old_ip), "%s", old_ip);
	snprintf(h.new_ip, sizeof(h.new_ip), "%s", new_ip);
	snprintf(h.client, sizeof(h.client), "%s", client);
	snprintf(h.result, sizeof(h.result), "%s", result);
	snprintf(h.message, sizeof(h.message), "%s", msg != NULL ? msg : "");
	int rc = store_add_history(p->store, &h);
	if (rc != 0)
		log_err(name, "cannot record history: %s", ddns_strerror(rc));
}

static void history_pair(pipeline_t *p, const char *name, const char *old4,
                         const char *new4, const char *old6, const char *new6,
                         const char *client, const char *result, const char *msg)
{
	if (new4 != NULL && new4[0] != '\0')
		history_add(p, name, "ipv4", old4, new4, client, result, msg);
	if (new6 != NULL && new6[0] != '\0')
		history_add(p, name, "ipv6", old6, new6, client, result, msg);
}

/* ---- failed authentication: one timer, deadline order ---- */

static void auth_timer_cb(uv_timer_t *t)
{
	pipeline_t *p = t->data;
	uint64_t now = uv_now(p->loop);
	while (p->delayed != NULL && p->delayed->deadline <= now) {
		job_t *j = p->delayed;
		p->delayed = j->next;
		job_finish(p, j, PIPELINE_AUTH_FAILED, "", "", false, false, 0, "");
	}
	if (p->delayed != NULL && !p->closing)
		uv_timer_start(&p->auth_timer, auth_timer_cb, p->delayed->deadline - now, 0);
}

static void auth_delay(pipeline_t *p, job_t *j)
{
	job_t **pp = &p->delayed;
	j->deadline = uv_now(p->loop) + p->opts.auth_fail_delay_ms;
	while (*pp != NULL && (*pp)->deadline <= j->deadline)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
	if (p->delayed == j)
		uv_timer_start(&p->auth_timer, auth_timer_cb, p->opts.auth_fail_delay_ms, 0);
}

/* ---- last_seen ---- */

static void seen_timer_cb(uv_timer_t *t)
{
	pipeline_flush(t->data);
}

void pipeline_flush(pipeline_t *p)
{
	int rc = seen_flush(&p->seen, p->store, time(NULL));
	if (rc != 0)
		log_err("store", "cannot record last_seen: %s", ddns_strerror(rc));
}

/* ---- dispatch ---- */

static rec_state_t *inflight_find(pipeline_t *p, const char *name)
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
static void list_defer(pipeline_t *p, job_t *list, pipeline_status_t st,
                       const store_record_t *rec)
{
	while (list != NULL) {
		job_t *next = list->next;
		job_defer(p, list, st, rec ? rec->ipv4 : "", rec ? rec->ipv6 : "",
		          rec ? rec->last_change : 0);
		list = next;
	}
}

static void update_done_cb(int result, const char *message, void *arg);

/* Send @p want4/@p want6 (the families that differ) to the provider, and
 * complete @p jobs when it answers. */
static void batch_start(pipeline_t *p, const store_record_t *rec, job_t *jobs,
                        const char *want4, const char *want6, const char *client)
{
	const char *n4 = want4[0] && strcmp(want4, rec->ipv4) != 0 ? want4 : NULL;
	const char *n6 = want6[0] && strcmp(want6, rec->ipv6) != 0 ? want6 : NULL;

	if (n4 == NULL && n6 == NULL) {
		list_defer(p, jobs, PIPELINE_UNCHANGED, rec);
		return;
	}
	if (p->abuse != NULL && abuse_change_blocked(p->abuse, rec->name, uv_now(p->loop))) {
		history_pair(p, rec->name, rec->ipv4, n4, rec->ipv6, n6, client,
		             "abuse", "too many changes");
		list_defer(p, jobs, PIPELINE_ABUSE, rec);
		return;
	}
	provider_t *prov = p->lookup(rec->provider, p->lookup_arg);
	if (prov == NULL) {
		log_err(rec->name, "provider %s is not configured", rec->provider);
		list_defer(p, jobs, PIPELINE_UNAVAILABLE, rec);
		return;
	}
	rec_state_t *rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		list_defer(p, jobs, PIPELINE_INTERNAL, rec);
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
		history_pair(p, rec->name, rec->ipv4, n4, rec->ipv6, n6, client,
		             "failed", msg);
		list_defer(p, jobs, PIPELINE_PROVIDER_FAILED, rec);
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
		list_defer(p, rs->batch, PIPELINE_UNAVAILABLE, NULL);
		list_defer(p, rs->waiting, PIPELINE_UNAVAILABLE, NULL);
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
		const char *what = result == DDNS_ETIMEOUT ? "timeout"
		                   : result == DDNS_ECANCELED ? "canceled" : "failed";
		st = result == DDNS_ETIMEOUT ? PIPELINE_TIMEOUT
		     : result == DDNS_ECANCELED ? PIPELINE_UNAVAILABLE
		     : PIPELINE_PROVIDER_FAILED;
		log_warn(rs->name, "provider %s: %s: %s", provider_name(rs->prov),
		         what, msg);
		history_pair(p, rs->name, rs->old4, rs->new4, rs->old6, rs->new6,
		             rs->client, what, msg);
	}
	int grc = store_record_get(p->store, rs->name, &rec);
	if (grc != 0)
		memset(&rec, 0, sizeof(rec));
	for (job_t *j = rs->batch; j != NULL;) {
		job_t *next = j->next;
		job_finish(p, j, st, rec.ipv4, rec.ipv6, ok && rs->new4[0],
		           ok && rs->new6[0], rec.last_change, msg);
		j = next;
	}
	if (rs->waiting != NULL) {
		if (p->closing || result == DDNS_ECANCELED || grc != 0)
			list_defer(p, rs->waiting, PIPELINE_UNAVAILABLE, grc ? NULL : &rec);
		else
			batch_start(p, &rec, rs->waiting, rs->want4, rs->want6, rs->wclient);
	}
	provider_unref(rs->prov);
	free(rs);
	if (p->closing)
		pipeline_try_destroy(p);
}

/* ---- submit ---- */

int pipeline_submit(pipeline_t *p, const pipeline_request_t *req,
                    pipeline_cb cb, void *arg)
{
	store_record_t rec;
	addr_t client;
	bool have_client;

	if (p->closing)
		return -ECANCELED;
	job_t *j = job_get(p);
	if (j == NULL)
		return -ENOMEM;
	j->next = NULL;
	j->cb = cb;
	j->arg = arg;
	copy_str(j->name, sizeof(j->name), req->name);
	copy_str(j->ipv4, sizeof(j->ipv4), req->ipv4);
	copy_str(j->ipv6, sizeof(j->ipv6), req->ipv6);
	copy_str(j->client, sizeof(j->client), req->client);
	j->provider[0] = '\0';
	p->pending++;

	have_client = p->abuse != NULL && addr_parse(j->client, &client) == 0;
	if (have_client && abuse_source_blocked(p->abuse, &client, uv_now(p->loop))) {
		history_pair(p, j->name, "", j->ipv4, "", j->ipv6, j->client, "abuse",
		             "source blocked after failed authentications");
		job_defer(p, j, PIPELINE_ABUSE, "", "", 0);
		return 0;
	}
	const store_record_t *r = rcache_get(&p->cache, j->name);
	int rc = 0;
	if (r == NULL) {
		rc = store_record_get(p->store, j->name, &rec);
		if (rc != 0 && rc != -ENOENT) {
			log_err(j->name, "store: %s", ddns_strerror(rc));
			job_defer(p, j, PIPELINE_INTERNAL, "", "", 0);
			return 0;
		}
		if (rc == 0) {
			rcache_put(&p->cache, &rec);
			r = &rec;
		}
	}
	/* An unknown name costs the same hash and compare as a wrong key. */
	bool ok = key_check(req->key ? req->key : "", req->key ? req->key_len : 0,
	                    rc == 0 ? r->key_hash : p->dummy_hash);
	if (rc != 0 || !ok) {
		if (have_client)
			abuse_auth_failed(p->abuse, &client, uv_now(p->loop));
		auth_delay(p, j);
		return 0;
	}
	copy_str(j->provider, sizeof(j->provider), r->provider);
	if (seen_add(&p->seen, j->name) == 0 && !uv_is_active((uv_handle_t *)&p->seen_timer))
		uv_timer_start(&p->seen_timer, seen_timer_cb, SEEN_FLUSH_MS, 0);

	rec_state_t *rs = inflight_find(p, j->name);
	if (rs != NULL) { /* coalesce: the latest address per family wins */
		if (j->ipv4[0])
			memcpy(rs->want4, j->ipv4, sizeof(rs->want4));
		if (j->ipv6[0])
			memcpy(rs->want6, j->ipv6, sizeof(rs->want6));
		memcpy(rs->wclient, j->client, sizeof(rs->wclient));
		*rs->waiting_tail = j;
		rs->waiting_tail = &j->next;
		return 0;
	}
	bool same4 = j->ipv4[0] == '\0' || strcmp(j->ipv4, r->ipv4) == 0;
	bool same6 = j->ipv6[0] == '\0' || strcmp(j->ipv6, r->ipv6) == 0;
	if (same4 && same6 && req->sync_ok) { /* the hot path: answer now */
		job_finish(p, j, PIPELINE_UNCHANGED, r->ipv4, r->ipv6, false, false,
		           r->last_change, "");
		return 0;
	}
	char want4[ADDR_TEXT_MAX], want6[ADDR_TEXT_MAX];
	memcpy(want4, j->ipv4, sizeof(want4));
	memcpy(want6, j->ipv6, sizeof(want6));
	batch_start(p, r, j, want4, want6, j->client);
	return 0;
}

/* ---- life cycle ---- */

int pipeline_new(uv_loop_t *loop, store_t *store, pipeline_provider_fn lookup,
                 void *lookup_arg, const pipeline_opts_t *opts, pipeline_t **out)
{
	pipeline_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->loop = loop;
	p->store = store;
	p->lookup = lookup;
	p->lookup_arg = lookup_arg;
	p->opts = *opts;
	p->ready_tail = &p->ready;
	p->cache.max = RCACHE_MAX;
	int rc = key_hash("not a key", 9, p->dummy_hash);
	if (rc != 0) {
		free(p);
		return rc;
	}
	uv_check_init(loop, &p->check);
	uv_idle_init(loop, &p->idle);
	uv_timer_init(loop, &p->auth_timer);
	uv_timer_init(loop, &p->seen_timer);
	p->check.data = p->idle.data = p->auth_timer.data = p->seen_timer.data = p;
	p->n_handles = 4;
	uv_check_start(&p->check, check_cb);
	uv_unref((uv_handle_t *)&p->check);
	*out = p;
	return 0;
}

void pipeline_records_changed(pipeline_t *p)
{
	rcache_clear(&p->cache);
}

void pipeline_set_abuse(pipeline_t *p, struct abuse *abuse)
{
	p->abuse = abuse;
}

void pipeline_set_metrics(pipeline_t *p, struct metrics *m)
{
	p->metrics = m;
}

void pipeline_set_opts(pipeline_t *p, const pipeline_opts_t *opts)
{
	p->opts = *opts;
}

unsigned pipeline_pending(const pipeline_t *p)
{
	return p->pending;
}

static void pipeline_try_destroy(pipeline_t *p)
{
	if (p->n_handles != 0 || p->inflight != NULL)
		return;
	while (p->free_jobs != NULL) {
		job_t *j = p->free_jobs;
		p->free_jobs = j->next;
		free(j);
	}
	seen_clear(&p->seen);
	rcache_clear(&p->cache);
	free(p);
}

static void handle_closed_cb(uv_handle_t *h)
{
	pipeline_t *p = h->data;
	p->n_handles--;
	pipeline_try_destroy(p);
}

void pipeline_free(pipeline_t *p)
{
	if (p == NULL)
		return;
	p->closing = true;
	while (p->delayed != NULL) {
		job_t *j = p->delayed;
		p->delayed = j->next;
		job_finish(p, j, PIPELINE_AUTH_FAILED, "", "", false, false, 0, "");
	}
	ready_drain(p);
	pipeline_flush(p);
	p->metrics = NULL;
	if (p->inflight != NULL)
		log_warn("pipeline", "freed with updates in flight; their results "
		         "will not be recorded");
	uv_close((uv_handle_t *)&p->check, handle_closed_cb);
	uv_close((uv_handle_t *)&p->idle, handle_closed_cb);
	uv_close((uv_handle_t *)&p->auth_timer, handle_closed_cb);
	uv_close((uv_handle_t *)&p->seen_timer, handle_closed_cb);
}
