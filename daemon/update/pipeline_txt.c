/* ACME DNS-01 TXT sets (pipeline.h, pipeline_txt_submit()): one set per
 * "_acme-challenge.<name>", each value with its own expiry, changed only
 * with <name>'s key, sent whole to <name>'s provider.
 *
 * Sets live in memory only: a challenge lasts minutes, and a restart that
 * forgets one only makes its client retry.  A set's changes are queued and
 * sent one at a time (the provider replaces the whole set, so two in flight
 * could land in either order).  One timer, at the earliest expiry, sends
 * the sets that lost values.  The list of sets is walked linearly: it holds
 * the names with a challenge under way, a handful.
 *
 * An update in flight counts as one of the pipeline's handles, so the
 * pipeline outlives it (pipeline_try_destroy). */
#include "pipeline_priv.h"

#include <errno.h>
#include <stdlib.h>
#include "error.h"
#include "log.h"
#include "provider.h"

#define ACME_PREFIX "_acme-challenge."
#define EXPIRE_DEFAULT_S 3600

/* One queued change; j NULL: only drop expired values. */
typedef struct txt_op {
	struct txt_op *next;
	job_t *j;
	char value[256];
	bool remove;
	bool clear;           /* remove every value */
} txt_op_t;

typedef struct txt_set {
	struct txt_set *next;
	pipeline_t *p;
	char owner[NAME_TEXT_MAX + sizeof(ACME_PREFIX)];
	char record[NAME_TEXT_MAX];
	char provider[64];
	char values[PIPELINE_TXT_MAX][256]; /* what the provider holds */
	uint64_t expires[PIPELINE_TXT_MAX]; /* uv_now() ms */
	size_t n;
	char send[PIPELINE_TXT_MAX][256];   /* what is being sent */
	uint64_t send_exp[PIPELINE_TXT_MAX];
	size_t n_send;
	txt_op_t *ops, **ops_tail;          /* the first is in flight when busy */
	provider_t *prov;                   /* referenced while busy */
	bool busy;
} txt_set_t;

struct txt_table {
	pipeline_t *p;
	txt_set_t *sets;
	uv_timer_t timer;
	bool closed;          /* the timer is closed: the last set frees it */
};

static void txt_run(txt_set_t *s);

static void timer_cb(uv_timer_t *t);

static struct txt_table *table_get(pipeline_t *p)
{
	if (p->txt != NULL)
		return p->txt;
	struct txt_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->p = p;
	uv_timer_init(p->loop, &t->timer);
	t->timer.data = t;
	p->n_handles++;
	p->txt = t;
	return t;
}

/* Start the timer at the earliest expiry among idle sets. */
static void timer_arm(struct txt_table *t)
{
	uint64_t first = 0;
	for (txt_set_t *s = t->sets; s; s = s->next)
		for (size_t i = 0; i < s->n; i++)
			if (first == 0 || s->expires[i] < first)
				first = s->expires[i];
	if (t->p->closing)
		return;
	if (first == 0) {
		uv_timer_stop(&t->timer);
		return;
	}
	uint64_t now = uv_now(t->p->loop);
	uv_timer_start(&t->timer, timer_cb, first > now ? first - now : 0, 0);
}

static txt_op_t *op_push(txt_set_t *s, job_t *j, const char *value, bool remove)
{
	txt_op_t *op = calloc(1, sizeof(*op));
	if (op == NULL)
		return NULL;
	op->j = j;
	op->remove = remove;
	op->clear = remove && value == NULL;
	copy_str(op->value, sizeof(op->value), value != NULL ? value : "");
	*s->ops_tail = op;
	s->ops_tail = &op->next;
	return op;
}

static void timer_cb(uv_timer_t *timer)
{
	struct txt_table *t = timer->data;
	uint64_t now = uv_now(t->p->loop);
	for (txt_set_t *s = t->sets, *next; s; s = next) {
		next = s->next;
		bool expired = false;
		for (size_t i = 0; i < s->n; i++)
			expired |= s->expires[i] <= now;
		if (expired && s->ops == NULL) {
			if (op_push(s, NULL, "", false) == NULL) {
				log_err(s->owner, "TXT: out of memory; expired values stay");
				continue;
			}
			txt_run(s); /* may free s */
		}
	}
	timer_arm(t);
}

static txt_set_t *set_find(struct txt_table *t, const char *record)
{
	for (txt_set_t *s = t->sets; s; s = s->next)
		if (strcmp(s->record, record) == 0)
			return s;
	return NULL;
}

static void set_free_if_idle(txt_set_t *s)
{
	if (s->busy || s->ops != NULL || s->n != 0)
		return;
	struct txt_table *t = s->p->txt;
	txt_set_t **pp = &t->sets;
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	free(s);
}

static bool has_value(char (*v)[256], size_t n, const char *value, size_t *at)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], value) == 0) {
			*at = i;
			return true;
		}
	return false;
}

/* Count of values live now. */
static size_t live_count(const txt_set_t *s, uint64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->expires[i] > now;
	return n;
}

static txt_op_t *op_pop(txt_set_t *s)
{
	txt_op_t *op = s->ops;
	s->ops = op->next;
	if (s->ops == NULL)
		s->ops_tail = &s->ops;
	return op;
}

/* The op at the head is done: its job answered with @p st and @p msg. */
static void op_finish(txt_set_t *s, pipeline_status_t st, const char *msg, bool now)
{
	txt_op_t *op = op_pop(s);
	if (op->j != NULL) {
		if (now)
			pipeline_job_finish(s->p, op->j, st, "", "", false, false, 0, msg);
		else
			pipeline_job_defer(s->p, op->j, st, "", "", 0);
	}
	free(op);
}

/* The table, once its timer is closed and its last set gone. */
static void table_free_if_done(pipeline_t *p)
{
	struct txt_table *t = p->txt;
	if (t == NULL || !t->closed || t->sets != NULL)
		return;
	p->txt = NULL;
	free(t);
}

static void txt_done_cb(const provider_outcome_t *o, void *arg)
{
	txt_set_t *s = arg;
	pipeline_t *p = s->p;
	s->busy = false;
	provider_unref(s->prov);
	s->prov = NULL;
	p->n_handles--;
	if (o->result == DDNS_OK) {
		memcpy(s->values, s->send, sizeof(s->values));
		memcpy(s->expires, s->send_exp, sizeof(s->expires));
		s->n = s->n_send;
		log_info(s->owner, "TXT set: %zu value(s)", s->n);
		op_finish(s, PIPELINE_CHANGED, o->message, true);
	} else {
		const char *msg = o->message != NULL ? o->message : ddns_strerror(o->result);
		log_warn(s->owner, "TXT set refused by %s: %s", s->provider, msg);
		op_finish(s, o->result == DDNS_ETIMEOUT ? PIPELINE_TIMEOUT :
		          PIPELINE_PROVIDER_FAILED, msg, true);
	}
	if (p->closing) {
		s->n = 0; /* nothing more is sent; the set goes */
		while (s->ops != NULL)
			op_finish(s, PIPELINE_UNAVAILABLE, "shutting down", true);
		set_free_if_idle(s);
		table_free_if_done(p);
		pipeline_try_destroy(p);
		return;
	}
	txt_run(s); /* may free s */
	timer_arm(p->txt);
}

/* Send the head op's set, or answer ops that need no sending, until one is
 * in flight or none is left.  May free @p s. */
static void txt_run(txt_set_t *s)
{
	pipeline_t *p = s->p;
	while (s->ops != NULL && !s->busy) {
		txt_op_t *op = s->ops;
		if (p->closing) {
			op_finish(s, PIPELINE_UNAVAILABLE, "shutting down", false);
			continue;
		}
		uint64_t now = uv_now(p->loop);
		uint64_t expire_s = p->opts.acme_txt_expire_s ? p->opts.acme_txt_expire_s
		                                              : EXPIRE_DEFAULT_S;
		s->n_send = 0;
		for (size_t i = 0; i < s->n; i++)
			if (s->expires[i] > now &&
			    !(op->remove && (op->clear || strcmp(s->values[i], op->value) == 0))) {
				memcpy(s->send[s->n_send], s->values[i], sizeof(s->send[0]));
				s->send_exp[s->n_send++] = s->expires[i];
			}
		size_t at;
		if (op->j != NULL && !op->remove) {
			if (has_value(s->send, s->n_send, op->value, &at)) {
				s->send_exp[at] = now + expire_s * 1000; /* renewed */
			} else if (s->n_send == PIPELINE_TXT_MAX) {
				/* submit counted the queue, so only a race of renewals gets here */
				op_finish(s, PIPELINE_PROVIDER_FAILED, "", false);
				continue;
			} else {
				copy_str(s->send[s->n_send], sizeof(s->send[0]), op->value);
				s->send_exp[s->n_send++] = now + expire_s * 1000;
			}
		}
		bool same = s->n_send == s->n;
		for (size_t i = 0; same && i < s->n; i++)
			same = has_value(s->values, s->n, s->send[i], &at);
		if (same) { /* nothing for the provider: keep the renewed expiries */
			memcpy(s->expires, s->send_exp, sizeof(s->expires));
			for (size_t i = 0; i < s->n; i++)
				memcpy(s->values[i], s->send[i], sizeof(s->values[0]));
			op_finish(s, PIPELINE_UNCHANGED, "", false);
			continue;
		}
		provider_t *prov = p->lookup(s->provider, p->lookup_arg);
		if (prov == NULL) {
			log_warn(s->owner, "TXT: provider %s is not configured", s->provider);
			op_finish(s, PIPELINE_UNAVAILABLE, "", false);
			continue;
		}
		const char *vals[PIPELINE_TXT_MAX];
		for (size_t i = 0; i < s->n_send; i++)
			vals[i] = s->send[i];
		provider_change_t ch = { .name = s->record, .txt_name = s->owner, .txt_values = vals,
		                         .n_txt_values = s->n_send,
		                         .timeout_ms = p->opts.update_timeout_ms };
		int rc = provider_update(prov, &ch, txt_done_cb, s);
		if (rc != 0) {
			log_warn(s->owner, "TXT not sent to %s: %s", s->provider, ddns_strerror(rc));
			op_finish(s, rc == -ECANCELED ? PIPELINE_UNAVAILABLE : PIPELINE_PROVIDER_FAILED,
			          "", false);
			continue;
		}
		s->busy = true;
		s->prov = provider_ref(prov);
		p->n_handles++; /* the pipeline waits for this answer */
	}
	set_free_if_idle(s);
}

/* A TXT string ACME clients send: base64url digests (43 bytes), or any
 * printable ASCII without quotes or backslashes, so no zone file or log
 * line can be bent by one. */
static bool value_ok(const char *v)
{
	size_t n = 0;
	for (; v[n] != '\0'; n++)
		if (v[n] < 0x21 || v[n] > 0x7e || v[n] == '"' || v[n] == '\\')
			return false;
	return n >= 1 && n <= 255;
}

int pipeline_txt_submit(pipeline_t *p, const pipeline_txt_request_t *req,
                        pipeline_cb cb, void *arg)
{
	if (p->closing)
		return -ECANCELED;
	if (req->value == NULL ? !req->remove : !value_ok(req->value))
		return -EINVAL;
	store_record_t rec;
	if (req->authorized && rindex_get(&p->index, req->name, &rec) != 0)
		return -ENOENT;
	struct txt_table *t = table_get(p);
	job_t *j = t != NULL ? pipeline_job_begin(p, req->name, req->client, cb, arg) : NULL;
	if (j == NULL)
		return -ENOMEM;
	if (!req->authorized && !pipeline_auth(p, j, req->key, req->key_len, false, &rec))
		return 0;
	copy_str(j->provider, sizeof(j->provider), rec.provider);
	if (t->closed) { /* cannot be: closing is checked above */
		p->pending--;
		pipeline_job_put(p, j);
		return -ECANCELED;
	}
	txt_set_t *s = set_find(t, rec.name);
	uint64_t now = uv_now(p->loop);
	if (s != NULL && !req->remove) {
		/* values now, plus the adds queued: refuse at once when full */
		size_t at, n = live_count(s, now);
		bool present = has_value(s->values, s->n, req->value, &at);
		for (txt_op_t *op = s->ops; op; op = op->next) {
			if (op->j != NULL && !op->remove &&
			    !has_value(s->values, s->n, op->value, &at))
				n++;
			present |= op->j != NULL && !op->remove && strcmp(op->value, req->value) == 0;
		}
		if (!present && n >= PIPELINE_TXT_MAX) {
			p->pending--;
			pipeline_job_put(p, j);
			log_warn(s->owner, "TXT: already %d values; one more refused",
			         PIPELINE_TXT_MAX);
			return -E2BIG;
		}
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			p->pending--;
			pipeline_job_put(p, j);
			return -ENOMEM;
		}
		s->p = p;
		snprintf(s->owner, sizeof(s->owner), ACME_PREFIX "%s", rec.name);
		copy_str(s->record, sizeof(s->record), rec.name);
		s->ops_tail = &s->ops;
		s->next = t->sets;
		t->sets = s;
	}
	copy_str(s->provider, sizeof(s->provider), rec.provider); /* may have moved */
	if (op_push(s, j, req->value, req->remove) == NULL) {
		p->pending--;
		pipeline_job_put(p, j);
		set_free_if_idle(s);
		return -ENOMEM;
	}
	txt_run(s);
	timer_arm(t);
	return 0;
}

static void table_closed_cb(uv_handle_t *h)
{
	struct txt_table *t = h->data;
	pipeline_t *p = t->p;
	t->closed = true;
	for (txt_set_t *s = t->sets, *next; s; s = next) {
		next = s->next;
		if (!s->busy) {
			s->n = 0;
			set_free_if_idle(s);
		}
	}
	table_free_if_done(p);
	p->n_handles--;
	pipeline_try_destroy(p);
}

void pipeline_txt_close(pipeline_t *p)
{
	struct txt_table *t = p->txt;
	if (t == NULL)
		return;
	/* Jobs still queued are answered now; a set in flight keeps the
	 * pipeline (a handle) until its provider answers. */
	for (txt_set_t *s = t->sets; s; s = s->next) {
		txt_op_t **pp = s->busy ? &s->ops->next : &s->ops;
		while (*pp != NULL) {
			txt_op_t *op = *pp;
			*pp = op->next;
			if (op->j != NULL)
				pipeline_job_finish(p, op->j, PIPELINE_UNAVAILABLE, "", "", false, false,
				                    0, "shutting down");
			free(op);
		}
		s->ops_tail = s->ops != NULL ? &s->ops->next : &s->ops;
	}
	uv_close((uv_handle_t *)&t->timer, table_closed_cb);
}
