/* The pipeline's jobs: the free list, completion (now, or deferred to the
 * loop's check phase so callbacks never run inside pipeline_submit()), and
 * the pipeline's end once its handles are closed and nothing is in flight.
 * Submit and dispatch (pipeline.c, pipeline_batch.c) call down into this
 * file; it calls back only through each job's callback. */
#include "pipeline_priv.h"

#include <stdlib.h>
#include "abuse_table.h"
#include "metrics.h"

#define JOB_FREE_MAX 256

job_t *pipeline_job_get(pipeline_t *p)
{
	job_t *j = p->free_jobs;
	if (j != NULL) {
		p->free_jobs = j->next;
		p->n_free--;
		return j;
	}
	return malloc(sizeof(*j));
}

job_t *pipeline_job_begin(pipeline_t *p, const char *name, const char *client, pipeline_cb cb,
                          void *arg)
{
	job_t *j = pipeline_job_get(p);
	if (j == NULL)
		return NULL;
	j->next = NULL;
	j->cb = cb;
	j->arg = arg;
	copy_str(j->name, sizeof(j->name), name);
	j->ipv4[0] = j->ipv6[0] = '\0';
	copy_str(j->client, sizeof(j->client), client);
	j->provider[0] = '\0';
	p->pending++;
	return j;
}

void pipeline_job_put(pipeline_t *p, job_t *j)
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
void pipeline_job_finish(pipeline_t *p, job_t *j, pipeline_status_t st,
                         const char *ip4, const char *ip6, bool c4, bool c6,
                         int64_t last_change, const char *msg)
{
	pipeline_result_t res = {
		.status = st, .ipv4 = ip4, .ipv6 = ip6,
		.changed_ipv4 = c4, .changed_ipv6 = c6,
		.last_change = last_change, .message = msg != NULL ? msg : "",
	};
	pipeline_job_finish_res(p, j, &res);
}

void pipeline_job_finish_res(pipeline_t *p, job_t *j, pipeline_result_t *res)
{
	pipeline_status_t st = res->status;
	res->name = j->name;
	/* The request's outcome, as /metrics counts it. */
	static const ddns_outcome_t outcomes[] = {
		[PIPELINE_CHANGED] = DDNS_OUTCOME_CHANGED,
		[PIPELINE_UNCHANGED] = DDNS_OUTCOME_UNCHANGED,
		[PIPELINE_AUTH_FAILED] = DDNS_OUTCOME_AUTH_FAILED,
		[PIPELINE_PROVIDER_FAILED] = DDNS_OUTCOME_PROVIDER_FAILED,
		[PIPELINE_TIMEOUT] = DDNS_OUTCOME_TIMEOUT,
		[PIPELINE_ABUSE] = DDNS_OUTCOME_ABUSE,
		[PIPELINE_UNAVAILABLE] = DDNS_OUTCOME_UNAVAILABLE,
		[PIPELINE_INTERNAL] = DDNS_OUTCOME_INTERNAL,
		[PIPELINE_STORE_BUSY] = DDNS_OUTCOME_STORE_BUSY,
		[PIPELINE_PARTIAL] = DDNS_OUTCOME_PARTIAL,
	};
	pipeline_cb cb = j->cb;
	void *arg = j->arg;
	if (p->metrics != NULL) {
		metrics_ddns_update(p->metrics, j->provider, ddns_outcome_name(outcomes[st]));
		if (st == PIPELINE_AUTH_FAILED)
			metrics_ddns_auth_failure(p->metrics);
	}
	p->pending--;
	cb(res, arg);
	pipeline_job_put(p, j);
}

static void idle_cb(uv_idle_t *i)
{
	(void)i; /* only there so the poll phase does not block */
}

/* Complete @p j from the loop, with the addresses it now carries. */
void pipeline_job_defer(pipeline_t *p, job_t *j, pipeline_status_t st,
                        const char *ip4, const char *ip6, int64_t last_change)
{
	if (ip4 != j->ipv4)
		copy_str(j->ipv4, sizeof(j->ipv4), ip4);
	if (ip6 != j->ipv6)
		copy_str(j->ipv6, sizeof(j->ipv6), ip6);
	j->status = st;
	j->last_change = last_change;
	if (p->closing) {
		pipeline_job_finish(p, j, st, j->ipv4, j->ipv6, false, false, last_change, "");
		return;
	}
	j->next = NULL;
	*p->ready_tail = j;
	p->ready_tail = &j->next;
	uv_idle_start(&p->idle, idle_cb);
}

void pipeline_ready_drain(pipeline_t *p)
{
	job_t *j = p->ready;
	p->ready = NULL;
	p->ready_tail = &p->ready;
	uv_idle_stop(&p->idle);
	while (j != NULL) {
		job_t *next = j->next;
		pipeline_job_finish(p, j, j->status, j->ipv4, j->ipv6, false, false,
		                    j->last_change, "");
		j = next;
	}
}

void pipeline_check_cb(uv_check_t *c)
{
	pipeline_t *p = c->data;
	if (p->ready != NULL)
		pipeline_ready_drain(p);
}

void pipeline_try_destroy(pipeline_t *p)
{
	if (p->n_handles != 0 || p->inflight != NULL)
		return;
	while (p->free_jobs != NULL) {
		job_t *j = p->free_jobs;
		p->free_jobs = j->next;
		free(j);
	}
	seen_clear(&p->seen);
	rindex_clear(&p->index);
	pipeline_follow_clear(p);
	abuse_table_clear(&p->noted);
	free(p);
}
