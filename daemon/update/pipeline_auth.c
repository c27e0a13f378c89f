/* The pipeline's key check (pipeline_auth(), for pipeline.c's updates and
 * pipeline_txt.c's TXT sets) and the failed-authentication delay: failed
 * requests wait on one timer in deadline order (a throttled source's for
 * longer, see pipeline.h).  Calls down into pipeline_job.c and
 * pipeline_batch.c only. */
#include "pipeline_priv.h"

#include "abuse.h"
#include "metrics.h"

/* ---- failed authentication: one timer, deadline order ---- */

static void auth_timer_cb(uv_timer_t *t)
{
	pipeline_t *p = t->data;
	uint64_t now = uv_now(p->loop);
	while (p->delayed != NULL && p->delayed->deadline <= now) {
		job_t *j = p->delayed;
		p->delayed = j->next;
		pipeline_job_finish(p, j, j->status, "", "", false, false, 0, "");
	}
	if (p->delayed != NULL && !p->closing)
		uv_timer_start(&p->auth_timer, auth_timer_cb, p->delayed->deadline - now, 0);
}

/* Answer @p j with @p st (AUTH_FAILED, or ABUSE for a throttled source)
 * after @p delay_ms.  The list is in deadline order; with two delays in use
 * an insert may walk it, which only failed requests pay for. */
static void auth_delay(pipeline_t *p, job_t *j, uint32_t delay_ms, pipeline_status_t st)
{
	job_t **pp = &p->delayed;
	j->status = st;
	j->deadline = uv_now(p->loop) + delay_ms;
	while (*pp != NULL && (*pp)->deadline <= j->deadline)
		pp = &(*pp)->next;
	j->next = *pp;
	*pp = j;
	if (p->delayed == j)
		uv_timer_start(&p->auth_timer, auth_timer_cb, delay_ms, 0);
}

/* ---- last_seen ---- */

/* Check @p key for the record j->name into *@p rec.  True: it opens it.
 * False: @p j is answered later (the failed-authentication delay, or a
 * throttled source's) and counted against its source unless @p proven. */
bool pipeline_auth(pipeline_t *p, job_t *j, const char *key, size_t key_len, bool proven,
                   store_record_t *rec)
{
	addr_t client;
	bool have_client;

	have_client = p->abuse != NULL && addr_parse(j->client, &client) == 0;
	/* A throttled source is still heard: its key is checked like anyone's
	 * (below), so the owner behind an attacker's NAT gets through. */
	bool source_throttled = have_client &&
	                        abuse_source_throttled(p->abuse, &client, uv_now(p->loop));
	bool throttled = source_throttled && !proven;
	if (have_client && !source_throttled)
		pipeline_abuse_over(p, &client, j->name);
	/* from memory: no store read on the hot path */
	int rc = rindex_get(&p->index, j->name, rec);
	/* An unknown name costs the same hash and compare as a wrong key. */
	bool ok = key_check(key ? key : "", key ? key_len : 0,
	                    rc == 0 ? rec->key_hash : p->dummy_hash);
	if (rc != 0 || !ok) {
		if (throttled) {
			if (pipeline_abuse_first(p, &client, j->name))
				pipeline_history_pair(p, j->name, "", j->ipv4, "", j->ipv6, j->client,
				                      DDNS_OUTCOME_ABUSE, "source throttled after "
				                      "failed authentications (wrong keys answered "
				                      "late until the throttle ends)");
			/* answered `abuse`, but still a failed key for the
			 * auth-failure counter a brute-force alert watches */
			if (p->metrics != NULL)
				metrics_ddns_auth_failure(p->metrics);
			auth_delay(p, j, p->opts.auth_throttle_delay_ms, PIPELINE_ABUSE);
			return false;
		}
		if (have_client && !proven)
			abuse_auth_failed(p->abuse, &client, uv_now(p->loop));
		auth_delay(p, j, p->opts.auth_fail_delay_ms, PIPELINE_AUTH_FAILED);
		return false;
	}
	return true;
}
