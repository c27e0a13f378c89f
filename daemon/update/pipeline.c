/* The update pipeline (see pipeline.h): submit, the failed-
 * authentication delay, last_seen batching, life cycle.  Jobs and their
 * completion are in pipeline_job.c.
 *
 * A request becomes a job.  Jobs that can be answered at once (unchanged,
 * blocked, store trouble) are queued on `ready` and completed from a
 * uv_check handle, so callbacks never run inside pipeline_submit() (unless
 * the request allows it: sync_ok).  Failed authentications wait on one timer
 * in deadline order (a throttled source's for longer, see pipeline.h).
 * Dispatch to providers is in pipeline_batch.c. */
#include "pipeline_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "abuse.h"
#include "error.h"
#include "log.h"
#include "metrics.h"

/* last_seen is batched for a minute: each distinct name seen costs one row
 * write per flush, and 100,000 clients reporting every few minutes would
 * otherwise keep the store writer busy with them. */
#define SEEN_FLUSH_MS 60000
/* Blocks remembered as already in the history. */
#define ABUSE_NOTED_MAX 4096

static void seen_timer_cb(uv_timer_t *t)
{
	pipeline_flush(t->data);
}

void pipeline_flush(pipeline_t *p)
{
	int rc = seen_flush(&p->seen, p->writer, time(NULL));
	if (rc != 0)
		log_err("store", "cannot record last_seen: %s", ddns_strerror(rc));
}

/* ---- submit ---- */

int pipeline_submit(pipeline_t *p, const pipeline_request_t *req,
                    pipeline_cb cb, void *arg)
{
	store_record_t rec;

	if (p->closing)
		return -ECANCELED;
	job_t *j = pipeline_job_begin(p, req->name, req->client, cb, arg);
	if (j == NULL)
		return -ENOMEM;
	copy_str(j->ipv4, sizeof(j->ipv4), req->ipv4);
	copy_str(j->ipv6, sizeof(j->ipv6), req->ipv6);

	const store_record_t *r = &rec;
	if (!pipeline_auth(p, j, req->key, req->key_len, req->proven, &rec))
		return 0;
	copy_str(j->provider, sizeof(j->provider), r->provider);
	if (seen_add(&p->seen, j->name) == 0 && !uv_is_active((uv_handle_t *)&p->seen_timer))
		uv_timer_start(&p->seen_timer, seen_timer_cb, SEEN_FLUSH_MS, 0);

	rec_state_t *rs = pipeline_inflight_find(p, j->name);
	if (rs != NULL) { /* coalesce: the latest address per family wins */
		if (j->ipv4[0])
			memcpy(rs->want4, j->ipv4, sizeof(rs->want4));
		if (j->ipv6[0]) { /* its own AAAA overrides a router's, as a
		                     * later router change overrides it */
			memcpy(rs->want6, j->ipv6, sizeof(rs->want6));
			rs->wvia[0] = '\0';
		}
		memcpy(rs->wclient, j->client, sizeof(rs->wclient));
		*rs->waiting_tail = j;
		rs->waiting_tail = &j->next;
		return 0;
	}
	bool same4 = j->ipv4[0] == '\0' || strcmp(j->ipv4, r->ipv4) == 0;
	bool same6 = j->ipv6[0] == '\0' || strcmp(j->ipv6, r->ipv6) == 0;
	if (same4 && same6 && req->sync_ok) { /* the hot path: answer now */
		pipeline_job_finish(p, j, PIPELINE_UNCHANGED, r->ipv4, r->ipv6, false, false,
		                    r->last_change, "");
		return 0;
	}
	char want4[ADDR_TEXT_MAX], want6[ADDR_TEXT_MAX];
	memcpy(want4, j->ipv4, sizeof(want4));
	memcpy(want6, j->ipv6, sizeof(want6));
	pipeline_batch_start(p, r, j, want4, want6, j->client);
	return 0;
}

/* ---- life cycle ---- */

int pipeline_new(uv_loop_t *loop, store_t *store, store_writer_t *writer,
                 pipeline_provider_fn lookup, void *lookup_arg,
                 const pipeline_opts_t *opts, pipeline_t **out)
{
	pipeline_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->loop = loop;
	p->store = store;
	p->writer = writer;
	p->lookup = lookup;
	p->lookup_arg = lookup_arg;
	p->opts = *opts;
	p->ready_tail = &p->ready;
	int rc = key_hash("not a key", 9, p->dummy_hash);
	if (rc == 0)
		rc = abuse_table_init(&p->noted, ABUSE_NOTED_MAX);
	if (rc == 0 && (rc = rindex_load(&p->index, store)) != 0) {
		log_err("store", "cannot read the records: %s", ddns_strerror(rc));
		abuse_table_clear(&p->noted);
	}
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
	uv_check_start(&p->check, pipeline_check_cb);
	uv_unref((uv_handle_t *)&p->check);
	*out = p;
	return 0;
}

void pipeline_records_changed(pipeline_t *p)
{
	int rc = rindex_load(&p->index, p->store);
	if (rc != 0)
		log_err("store", "cannot read the records again: %s; serving those read "
		        "before", ddns_strerror(rc));
}

int pipeline_record_refresh(pipeline_t *p, const char *name, const store_record_t *rec)
{
	if (rec == NULL) {
		rindex_remove(&p->index, name);
		return 0;
	}
	return rindex_put(&p->index, rec);
}

int pipeline_record_get(const pipeline_t *p, const char *name, store_record_t *out)
{
	return rindex_get(&p->index, name, out);
}

size_t pipeline_record_count(const pipeline_t *p)
{
	return p->index.n;
}

int pipeline_set_followers(pipeline_t *p, const pipeline_follower_t *v, size_t n)
{
	int rc = pipeline_follow_set(p, v, n);
	if (rc != 0) {
		log_err("pipeline", "cannot keep %zu follower(s): %s", n, ddns_strerror(rc));
		return rc;
	}
	/* Each router once (the table is sorted by router), from memory. */
	for (size_t i = 0; i < p->n_follow && !p->closing;) {
		size_t count;
		const char *router = p->follow[i].router;
		store_record_t rec;
		(void)pipeline_follow_find(p, router, &count);
		if (rindex_get(&p->index, router, &rec) == 0 && rec.ipv6[0] != '\0')
			pipeline_follow_router(p, router, rec.ipv6, "");
		i += count;
	}
	return 0;
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
		pipeline_job_finish(p, j, j->status, "", "", false, false, 0, "");
	}
	pipeline_ready_drain(p);
	pipeline_flush(p);
	p->metrics = NULL;
	if (p->inflight != NULL)
		log_warn("pipeline", "freed with updates in flight; their results "
		         "will not be recorded");
	uv_close((uv_handle_t *)&p->check, handle_closed_cb);
	uv_close((uv_handle_t *)&p->idle, handle_closed_cb);
	uv_close((uv_handle_t *)&p->auth_timer, handle_closed_cb);
	uv_close((uv_handle_t *)&p->seen_timer, handle_closed_cb);
	pipeline_txt_close(p);
}
