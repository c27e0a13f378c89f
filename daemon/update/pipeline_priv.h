/**
 * @file pipeline_priv.h
 * @brief Private to the pipeline's files: jobs, records in flight and the
 *        pipeline itself.  Layering inside: pipeline.c (submit) calls
 *        pipeline_batch.c (dispatch) and pipeline_job.c (completion);
 *        pipeline_batch.c calls pipeline_job.c; both call pipeline_follow.c
 *        (the follower table); never the other way.  pipeline.c and
 *        pipeline_txt.c (ACME TXT sets; pipeline.c closes them) check keys
 *        with pipeline_auth.c, which calls only batch and job.
 */
#ifndef DDNS_PIPELINE_PRIV_H
#define DDNS_PIPELINE_PRIV_H

#include <string.h>
#include "abuse_table.h"
#include "pipeline.h"
#include "record_index.h"
#include "pipeline_seen.h"

/** One request, from submit to its callback. */
typedef struct job {
	struct job *next;
	pipeline_cb cb;
	void *arg;
	char name[NAME_TEXT_MAX];
	char ipv4[ADDR_TEXT_MAX]; /* requested; for `ready` jobs: the answer */
	char ipv6[ADDR_TEXT_MAX];
	char client[ADDR_TEXT_MAX];
	char provider[64];        /* for metrics; "" when not authenticated */
	pipeline_status_t status; /* ready and delayed jobs: the answer */
	int64_t last_change;
	uint64_t deadline;        /* auth delay, uv_now() ms */
} job_t;

/** A record whose AAAA follows a router's prefix (pipeline_follow.c). */
typedef struct follow {
	char *name;          /* the follower */
	char *router;        /* whose prefix it follows */
	uint8_t suffix[16];  /* its interface identifier */
	unsigned prefix_len;
} follow_t;

/** A record whose update is with its provider. */
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
	int64_t last_change;      /* the record's, at dispatch; the commit's time
	                             once applied */
	int64_t committing_at;    /* the time given to the store's commit */
	pipeline_status_t status; /* the outcome, once known */
	bool applied;      /* the provider confirmed and the store committed */
	bool failed4, failed6;  /* partial: this family failed (its new* is "") */
	pipeline_status_t failed_status; /* partial: how it failed */
	char *message;     /* the provider's words for the outcome, or NULL */
	/* A follower's update: the router whose prefix it carries ("" for a
	 * request of its own), for the history row's message.  `wvia` and
	 * `wfollow` are the same for the update waiting: a router's change
	 * waits here with no job of its own. */
	char via[NAME_TEXT_MAX], wvia[NAME_TEXT_MAX];
	bool wfollow;
} rec_state_t;

struct pipeline {
	uv_loop_t *loop;
	store_t *store;
	store_writer_t *writer;
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
	rindex_t index;        /* every record (record_index.h) */
	follow_t *follow;      /* followers sorted by router (pipeline_follow.c) */
	size_t n_follow;
	abuse_table_t noted;   /* blocks already in the history (see below) */
	job_t *free_jobs;
	size_t n_free;
	unsigned pending;
	unsigned n_handles;
	bool closing;
	char dummy_hash[KEY_HASH_MAX];
	struct txt_table *txt; /* ACME TXT sets (pipeline_txt.c), or NULL */
};


/* Copy @p src (NULL: "") into @p dst of @p size, truncating.  The hot path
 * copies four strings per request: cheaper than snprintf. */
static inline void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strnlen(src, size - 1) : 0;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- pipeline_job.c ---- */

/** A job from the free list, or malloc()ed; NULL when out of memory. */
job_t *pipeline_job_get(pipeline_t *p);
/** A job for a request on @p name from @p client, counted pending: its
 *  callback, no addresses, no provider yet.  NULL when out of memory. */
job_t *pipeline_job_begin(pipeline_t *p, const char *name, const char *client, pipeline_cb cb,
                          void *arg);
/** Give back a job that was never submitted (no callback, not pending). */
void pipeline_job_put(pipeline_t *p, job_t *j);
/** Complete @p j now (counts it in the metrics). */
void pipeline_job_finish(pipeline_t *p, job_t *j, pipeline_status_t st,
                         const char *ip4, const char *ip6, bool c4, bool c6,
                         int64_t last_change, const char *msg);
/** Complete @p j now with @p res (its name is set here). */
void pipeline_job_finish_res(pipeline_t *p, job_t *j, pipeline_result_t *res);
/** Complete @p j from the loop, never inside the caller's stack. */
void pipeline_job_defer(pipeline_t *p, job_t *j, pipeline_status_t st,
                        const char *ip4, const char *ip6, int64_t last_change);
/** Complete every job queued by pipeline_job_defer(). */
void pipeline_ready_drain(pipeline_t *p);
/** The uv_check callback that runs pipeline_ready_drain() after the poll. */
void pipeline_check_cb(uv_check_t *c);
/** Free @p p once closed and idle. */
void pipeline_try_destroy(pipeline_t *p);

/* ---- pipeline_auth.c ---- */

/** Check @p key for the record j->name into *@p rec.  True: it opens it.
 *  False: @p j is answered later (the failed-authentication delay) and the
 *  failure is counted against its source unless @p proven. */
bool pipeline_auth(pipeline_t *p, job_t *j, const char *key, size_t key_len, bool proven,
                   store_record_t *rec);

/* ---- pipeline_txt.c ---- */

struct txt_table;
/** Drop every TXT set and stop the expiry timer (pipeline_free). */
void pipeline_txt_close(pipeline_t *p);

/* ---- pipeline_follow.c ---- */

/** Replace the follower table with copies of @p v.  0, or -ENOMEM (the
 *  old table stays). */
int pipeline_follow_set(pipeline_t *p, const pipeline_follower_t *v, size_t n);
/** Free the follower table. */
void pipeline_follow_clear(pipeline_t *p);
/** The followers of @p router (*@p count of them, in a row), or NULL. */
const follow_t *pipeline_follow_find(const pipeline_t *p, const char *router,
                                     size_t *count);
/** @p f's address under @p router_ipv6 into @p out (ADDR_TEXT_MAX).
 *  0, or -EINVAL when @p router_ipv6 is no IPv6 address. */
int pipeline_follow_addr(const follow_t *f, const char *router_ipv6, char *out);

/* ---- pipeline_batch.c ---- */

/** pipeline_job_defer() every job of @p list (@p rec: the addresses, or NULL). */
void pipeline_list_defer(pipeline_t *p, job_t *list, pipeline_status_t st,
                         const store_record_t *rec);
/** One history row per family given (non-empty @p new4 / @p new6). */
void pipeline_history_pair(pipeline_t *p, const char *name, const char *old4,
                           const char *new4, const char *old6, const char *new6,
                           const char *client, ddns_outcome_t result, const char *msg);
/**
 * Refusals for abuse are written to the history once per block, not once
 * per request: a blocked client must not make every request an fsync'd
 * write.  pipeline_abuse_first() is true (and remembers the block) when
 * the block of @p client (its /64 for IPv6) or, with @p client NULL, of the
 * name @p name has no row yet; pipeline_abuse_over() forgets it once the
 * abuse module no longer blocks it, so the next block gets its row.
 */
bool pipeline_abuse_first(pipeline_t *p, const addr_t *client, const char *name);
/** See pipeline_abuse_first(). */
void pipeline_abuse_over(pipeline_t *p, const addr_t *client, const char *name);
/** The record @p name's update in flight, or NULL. */
rec_state_t *pipeline_inflight_find(pipeline_t *p, const char *name);
/** Send the families of @p want4/@p want6 that differ from @p rec to the
 *  provider; @p jobs complete when it answers. */
void pipeline_batch_start(pipeline_t *p, const store_record_t *rec, job_t *jobs,
                          const char *want4, const char *want6, const char *client);
/** @p router's AAAA is now @p ipv6 (committed, or found at
 *  pipeline_set_followers()): send each follower's new AAAA to its own
 *  provider, with no job (nobody waits for it; its history row tells). */
void pipeline_follow_router(pipeline_t *p, const char *router, const char *ipv6,
                            const char *client);

#endif
