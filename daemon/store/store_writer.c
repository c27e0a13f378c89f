/* The store's writer thread: group commit off the event loop (see
 * store_writer.h).  The loop and the thread share only the two lists below,
 * under one mutex; everything else belongs to one side. */
#include "store_writer.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"
#include "store_int.h"

typedef enum { W_UPDATE, W_HISTORY, W_SEEN, W_RECONCILE, W_BARRIER, W_PROBE } wkind_t;

typedef struct wop {
	struct wop *next;
	wkind_t kind;
	store_write_cb cb;
	void *arg;
	int err;
	int n_changed;     /* W_PROBE: names found */
	uint64_t deadline; /* uv_hrtime() milliseconds */
	union {
		struct {
			char name[NAME_TEXT_MAX];
			char ipv4[ADDR_TEXT_MAX], ipv6[ADDR_TEXT_MAX];
			bool has4, has6;
			int64_t now;
			char client[ADDR_TEXT_MAX];
			char *message;
		} up;
		store_history_t hist;
		struct {
			char **names;
			size_t n;
			int64_t now;
		} seen;
		struct {
			store_conf_record_t *recs;
			size_t n;
			store_names_t *touched;
		} conf;
		store_names_t *changed; /* W_PROBE: the caller's */
	} u;
} wop_t;

struct store_writer {
	uv_loop_t *loop;
	store_t *st;          /* the thread's connection */
	uv_thread_t thread;
	uv_async_t async;     /* thread -> loop: results are ready */
	uv_mutex_t mu;
	uv_cond_t cv;
	/* under mu */
	wop_t *queue, **queue_tail;
	wop_t *done, **done_tail;
	bool stopping, exited;
	/* the thread's own */
	uint64_t batch_deadline;
	int64_t batch_mark;   /* the newest change note when the batch began */
	/* the loop's own */
	unsigned pending;
	bool thread_started;
	void (*on_stopped)(void *arg);
	void *on_stopped_arg;
	/* read from the loop, written by the thread */
	atomic_int health;
	atomic_bool stop_waiting;
	atomic_uint_fast64_t commits, failures, writes;
};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* ---- the thread ---- */

/* sqlite calls this while another connection holds the lock: wait (in this
 * thread only) until the batch's earliest deadline, or until stopping. */
static int writer_busy_cb(void *arg, int count)
{
	store_writer_t *w = arg;
	if (atomic_load(&w->stop_waiting) || now_ms() >= w->batch_deadline)
		return 0;
	long ms = count < 10 ? count + 1 : 10;
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
	return 1;
}

/* The probe: which records other connections changed (their change notes:
 * this writer drops its own before each commit), and, while the store is
 * failing, can it commit again? */
static int writer_probe(store_writer_t *w, wop_t *op)
{
	size_t before = op->u.changed->n;
	int err = store_changes_take(w->st, w->batch_mark, op->u.changed);
	if (err)
		return err;
	op->n_changed = (int)(op->u.changed->n - before);
	return atomic_load(&w->health) != 0 ? store_probe_write(w->st) : 0;
}

static int wop_run(store_writer_t *w, wop_t *op)
{
	store_t *st = w->st;
	switch (op->kind) {
	case W_UPDATE:
		return store_commit_update(st, op->u.up.name, op->u.up.has4 ? op->u.up.ipv4 : NULL,
		                           op->u.up.has6 ? op->u.up.ipv6 : NULL, op->u.up.now,
		                           op->u.up.client, op->u.up.message);
	case W_HISTORY:
		return store_add_history(st, &op->u.hist);
	case W_SEEN:
		return store_touch_seen(st, (const char *const *)op->u.seen.names, op->u.seen.n,
		                        op->u.seen.now);
	case W_RECONCILE:
		return store_reconcile_config(st, op->u.conf.recs, op->u.conf.n, op->u.conf.touched);
	case W_BARRIER:
		return 0;
	case W_PROBE:
		return writer_probe(w, op);
	}
	return -EINVAL;
}

/* Fail with @p err the writes of @p *list whose deadline has passed (all,
 * with @p all), moving them to @p *failed. */
static void wop_expire(wop_t **list, wop_t ***failed_tail, int err, bool all)
{
	uint64_t now = now_ms();
	for (wop_t **pp = list; *pp != NULL;) {
		wop_t *op = *pp;
		if (all || op->deadline <= now) {
			*pp = op->next;
			op->err = err;
			op->next = NULL;
			**failed_tail = op;
			*failed_tail = &op->next;
		} else {
			pp = &op->next;
		}
	}
}

/* Hand @p list (writes with their results) to the loop. */
static void writer_deliver(store_writer_t *w, wop_t *list)
{
	if (list == NULL)
		return;
	for (wop_t *op = list; op != NULL; op = op->next)
		atomic_fetch_add(&w->writes, 1);
	uv_mutex_lock(&w->mu);
	*w->done_tail = list;
	while (*w->done_tail != NULL)
		w->done_tail = &(*w->done_tail)->next;
	uv_mutex_unlock(&w->mu);
	uv_async_send(&w->async);
}

/* Run @p batch in one transaction and deliver every write's result. */
static void writer_run_batch(store_writer_t *w, wop_t *batch)
{
	wop_t *failed = NULL, **failed_tail = &failed;
	int err;
	for (;;) {
		w->batch_deadline = UINT64_MAX;
		for (wop_t *op = batch; op != NULL; op = op->next)
			if (op->deadline < w->batch_deadline)
				w->batch_deadline = op->deadline;
		err = store_begin(w->st);
		if (err != -EBUSY)
			break;
		/* Locked by someone else until the earliest deadline: those
		 * writes give up, the others try again. */
		wop_expire(&batch, &failed_tail, -EBUSY, atomic_load(&w->stop_waiting));
		if (failed != NULL) {
			/* answered now, not when the others are done waiting */
			atomic_fetch_add(&w->failures, 1);
			atomic_store(&w->health, -EBUSY);
			writer_deliver(w, failed);
			failed = NULL;
			failed_tail = &failed;
		} else { /* busy without waiting: no hot spin */
			struct timespec ts = { 0, 1000000L };
			nanosleep(&ts, NULL);
		}
		if (batch == NULL)
			break;
	}
	if (batch != NULL) {
		int64_t mark = store_changes_mark(w->st);
		if (mark < 0)
			err = (int)mark;
		w->batch_mark = mark;
		for (wop_t *op = batch; op != NULL && !err; op = op->next) {
			/* each write in its own savepoint: one refused write
			 * (a vanished record) does not sink the batch */
			op->err = store_begin(w->st);
			if (op->err == 0)
				op->err = store_end(w->st, wop_run(w, op));
			if (sqlite3_get_autocommit(w->st->db)) /* an I/O error ended it all */
				err = op->err != 0 ? op->err : -EIO;
		}
		/* Our own changes leave no notes: the notes left are others'. */
		if (!err && w->st->depth > 0)
			err = store_changes_drop_after(w->st, mark);
		if (w->st->depth > 0)
			err = store_end(w->st, err);
		for (wop_t *op = batch; op != NULL; op = op->next)
			if (err != 0)
				op->err = err;
		/* A probe whose write failed says the store is still failing,
		 * even though its empty transaction committed. */
		int health = err;
		for (wop_t *op = batch; op != NULL && health == 0; op = op->next)
			if (op->kind == W_PROBE)
				health = op->err;
		atomic_fetch_add(health == 0 ? &w->commits : &w->failures, 1);
		atomic_store(&w->health, health);
		writer_deliver(w, batch);
	}
}

static void writer_main(void *arg)
{
	store_writer_t *w = arg;
	uv_mutex_lock(&w->mu);
	for (;;) {
		while (w->queue == NULL && !w->stopping)
			uv_cond_wait(&w->cv, &w->mu);
		if (w->queue == NULL)
			break; /* stopping, and nothing left */
		wop_t *batch = w->queue;
		w->queue = NULL;
		w->queue_tail = &w->queue;
		uv_mutex_unlock(&w->mu);

		writer_run_batch(w, batch);
		uv_mutex_lock(&w->mu);
	}
	w->exited = true;
	uv_mutex_unlock(&w->mu);
	uv_async_send(&w->async);
}

/* ---- the loop ---- */

static void wop_free(wop_t *op)
{
	switch (op->kind) {
	case W_UPDATE:
		free(op->u.up.message);
		break;
	case W_SEEN:
		for (size_t i = 0; i < op->u.seen.n; i++)
			free(op->u.seen.names[i]);
		free(op->u.seen.names);
		break;
	case W_RECONCILE:
		free(op->u.conf.recs);
		break;
	default:
		break;
	}
	free(op);
}

static void writer_closed_cb(uv_handle_t *h)
{
	store_writer_t *w = h->data;
	void (*done)(void *) = w->on_stopped;
	void *arg = w->on_stopped_arg;
	store_close(w->st);
	uv_cond_destroy(&w->cv);
	uv_mutex_destroy(&w->mu);
	free(w);
	if (done != NULL)
		done(arg);
}

static void writer_async_cb(uv_async_t *a)
{
	store_writer_t *w = a->data;
	uv_mutex_lock(&w->mu);
	wop_t *list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	bool exited = w->exited;
	uv_mutex_unlock(&w->mu);
	while (list != NULL) {
		wop_t *op = list;
		list = op->next;
		w->pending--;
		if (op->err != 0 && op->cb == NULL)
			log_err("store", "a background write failed: %s", ddns_strerror(op->err));
		if (op->cb != NULL)
			op->cb(op->kind == W_PROBE && op->err == 0 ? op->n_changed : op->err,
			       op->arg);
		wop_free(op);
	}
	if (exited && w->thread_started) {
		uv_thread_join(&w->thread); /* it has returned already */
		w->thread_started = false;
		uv_close((uv_handle_t *)&w->async, writer_closed_cb);
	}
}

int store_writer_start(uv_loop_t *loop, const char *path, bool full_sync,
                       store_writer_t **out)
{
	*out = NULL;
	store_writer_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	int err = store_open(path, &w->st);
	if (!err && !full_sync)
		err = store_set_sync(w->st, false);
	if (err) {
		store_close(w->st);
		free(w);
		return err;
	}
	/* The thread waits for a busy lock itself, bounded by the deadlines
	 * of the writes it runs (replaces store_open's fixed busy timeout). */
	sqlite3_busy_handler(w->st->db, writer_busy_cb, w);
	w->loop = loop;
	w->queue_tail = &w->queue;
	w->done_tail = &w->done;
	uv_mutex_init(&w->mu);
	uv_cond_init(&w->cv);
	uv_async_init(loop, &w->async, writer_async_cb);
	w->async.data = w;
	*out = w;
	return 0;
}

/* The thread starts with the first write, so it is born after ddnsd left
 * root (a thread made before keeps what setuid and prctl do not reach). */
static int writer_thread_start(store_writer_t *w)
{
	if (w->thread_started)
		return 0;
	if (uv_thread_create(&w->thread, writer_main, w) != 0) {
		log_err(w->st->path, "store: cannot start the writer thread");
		return -EAGAIN;
	}
	w->thread_started = true;
	return 0;
}

void store_writer_stop(store_writer_t *w, void (*done)(void *arg), void *arg)
{
	if (w == NULL) {
		if (done != NULL)
			done(arg);
		return;
	}
	w->on_stopped = done;
	w->on_stopped_arg = arg;
	atomic_store(&w->stop_waiting, true);
	if (!w->thread_started) { /* never wrote: nothing to drain */
		uv_close((uv_handle_t *)&w->async, writer_closed_cb);
		return;
	}
	uv_mutex_lock(&w->mu);
	w->stopping = true;
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
}

static wop_t *wop_new(store_writer_t *w, wkind_t kind, uint64_t deadline_ms,
                      store_write_cb cb, void *arg)
{
	wop_t *op = calloc(1, sizeof(*op));
	if (op == NULL)
		return NULL;
	op->kind = kind;
	op->cb = cb;
	op->arg = arg;
	uint64_t now = uv_now(w->loop);
	uint64_t wait = deadline_ms > now ? deadline_ms - now
	              : deadline_ms == 0 ? STORE_BUSY_TIMEOUT_MS : 0;
	op->deadline = now_ms() + wait;
	return op;
}

static int wop_queue(store_writer_t *w, wop_t *op)
{
	int err = writer_thread_start(w);
	if (err) {
		wop_free(op);
		return err;
	}
	uv_mutex_lock(&w->mu);
	bool stopping = w->stopping;
	if (!stopping) {
		*w->queue_tail = op;
		w->queue_tail = &op->next;
		uv_cond_signal(&w->cv);
	}
	uv_mutex_unlock(&w->mu);
	if (stopping) {
		wop_free(op);
		return -ECANCELED;
	}
	w->pending++;
	return 0;
}

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) != NULL ? (src) : "")

int store_writer_commit_update(store_writer_t *w, const char *name, const char *ipv4,
                               const char *ipv6, int64_t now, const char *client,
                               const char *message, uint64_t deadline_ms,
                               store_write_cb cb, void *arg)
{
	wop_t *op = wop_new(w, W_UPDATE, deadline_ms, cb, arg);
	if (op == NULL)
		return -ENOMEM;
	COPY(op->u.up.name, name);
	COPY(op->u.up.ipv4, ipv4);
	COPY(op->u.up.ipv6, ipv6);
	op->u.up.has4 = ipv4 != NULL;
	op->u.up.has6 = ipv6 != NULL;
	op->u.up.now = now;
	COPY(op->u.up.client, client);
	if (message != NULL && (op->u.up.message = strdup(message)) == NULL) {
		wop_free(op);
		return -ENOMEM;
	}
	return wop_queue(w, op);
}

int store_writer_add_history(store_writer_t *w, const store_history_t *h,
                             store_write_cb cb, void *arg)
{
	wop_t *op = wop_new(w, W_HISTORY, 0, cb, arg);
	if (op == NULL)
		return -ENOMEM;
	op->u.hist = *h;
	return wop_queue(w, op);
}

int store_writer_touch_seen(store_writer_t *w, const char *const *names, size_t n,
                            int64_t now)
{
	if (n == 0)
		return 0;
	wop_t *op = wop_new(w, W_SEEN, 0, NULL, NULL);
	if (op == NULL || (op->u.seen.names = calloc(n, sizeof(char *))) == NULL) {
		free(op);
		return -ENOMEM;
	}
	op->u.seen.now = now;
	for (size_t i = 0; i < n; i++) {
		if ((op->u.seen.names[i] = strdup(names[i])) == NULL) {
			wop_free(op);
			return -ENOMEM;
		}
		op->u.seen.n = i + 1;
	}
	return wop_queue(w, op);
}

int store_writer_reconcile(store_writer_t *w, store_conf_record_t *recs, size_t n,
                           store_names_t *touched, store_write_cb cb, void *arg)
{
	wop_t *op = wop_new(w, W_RECONCILE, 0, cb, arg);
	if (op == NULL) {
		free(recs);
		return -ENOMEM;
	}
	op->u.conf.recs = recs;
	op->u.conf.n = n;
	op->u.conf.touched = touched;
	return wop_queue(w, op);
}

int store_writer_barrier(store_writer_t *w, store_write_cb cb, void *arg)
{
	wop_t *op = wop_new(w, W_BARRIER, 0, cb, arg);
	if (op == NULL)
		return -ENOMEM;
	return wop_queue(w, op);
}

int store_writer_probe(store_writer_t *w, store_names_t *changed, store_write_cb cb,
                       void *arg)
{
	wop_t *op = wop_new(w, W_PROBE, 0, cb, arg);
	if (op == NULL)
		return -ENOMEM;
	op->u.changed = changed;
	return wop_queue(w, op);
}

int store_writer_health(const store_writer_t *w)
{
	return atomic_load(&((store_writer_t *)w)->health);
}

unsigned store_writer_pending(const store_writer_t *w)
{
	return w->pending;
}

void store_writer_counts(const store_writer_t *w, uint64_t *commits, uint64_t *failures,
                         uint64_t *writes)
{
	store_writer_t *m = (store_writer_t *)w;
	*commits = atomic_load(&m->commits);
	*failures = atomic_load(&m->failures);
	*writes = atomic_load(&m->writes);
}
