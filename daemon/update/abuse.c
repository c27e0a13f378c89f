/* Abuse control: see abuse.h.
 *
 * Each name and each source has a sliding-window counter: the events of the
 * current fixed window plus those of the previous one weighted by how much
 * of it still overlaps the sliding window (the estimate nginx and Cloudflare
 * use).  Unlike a plain fixed window it cannot be doubled by bursting across
 * a window edge, and it needs two counters instead of one timestamp per
 * event.  Reaching the limit blocks the subject for the block time and
 * clears its counters, so it starts afresh once the block is lifted.
 *
 * IPv6 sources are counted per /64: one customer usually gets a whole /64
 * and could otherwise try 2^64 addresses.  IPv4 sources are counted per
 * address.
 *
 * Times come from the caller (uv_now() in the daemon, an injected clock in
 * tests).  The sweep timer has no clock of its own: it extrapolates from the
 * last time a caller gave, using the loop's clock for the elapsed part. */
#include "abuse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "abuse_table.h"
#include "error.h"
#include "log.h"

#define ABUSE_DEFAULT_MAX_ENTRIES 100000
#define ABUSE_SWEEP_MAX_MS 60000

/** One limit in milliseconds. */
typedef struct abuse_limit {
	uint32_t max;        /* 0: disabled */
	uint64_t window_ms;
	uint64_t block_ms;
} abuse_limit_t;

struct abuse {
	uv_loop_t *loop;
	uv_timer_t sweep;
	abuse_table_t names;
	abuse_table_t sources;
	abuse_limit_t name_limit;
	abuse_limit_t source_limit;
	uint64_t last_now_ms;  /* caller's clock at the last call */
	uint64_t last_uv_ms;   /* uv_now() then */
};

static abuse_limit_t limit_make(uint32_t max, uint32_t window_s, uint32_t block_s)
{
	abuse_limit_t l = {
		.max = max,
		/* A zero window would divide by zero; one second is the least
		 * that still means something. */
		.window_ms = (uint64_t)(window_s > 0 ? window_s : 1) * 1000,
		.block_ms = (uint64_t)block_s * 1000,
	};
	return l;
}

static void abuse_clock(abuse_t *a, uint64_t now_ms)
{
	if (now_ms >= a->last_now_ms) {
		a->last_now_ms = now_ms;
		a->last_uv_ms = uv_now(a->loop);
	}
}

/* Move the entry's windows forward to the one holding @p now. */
static void entry_roll(abuse_entry_t *e, const abuse_limit_t *l, uint64_t now)
{
	if (now < e->win_start_ms + l->window_ms)
		return;
	uint64_t k = (now - e->win_start_ms) / l->window_ms;
	e->prev = k == 1 ? e->cur : 0;
	e->cur = 0;
	e->win_start_ms += k * l->window_ms;
}

/* Events in the sliding window ending at @p now (entry rolled). */
static double entry_estimate(const abuse_entry_t *e, const abuse_limit_t *l, uint64_t now)
{
	uint64_t elapsed = now > e->win_start_ms ? now - e->win_start_ms : 0;
	double overlap = (double)(l->window_ms - elapsed) / (double)l->window_ms;
	return (double)e->cur + (double)e->prev * overlap;
}

/* True while @p e is blocked; a block whose time has passed is lifted. */
static bool entry_blocked(abuse_entry_t *e, uint64_t now)
{
	if (e->blocked_until_ms == 0)
		return false;
	if (now < e->blocked_until_ms)
		return true;
	e->blocked_until_ms = 0;
	return false;
}

/* Count one event on @p e; true if this starts a block. */
static bool entry_count(abuse_table_t *t, abuse_entry_t *e, const abuse_limit_t *l,
                        uint64_t now)
{
	abuse_table_touch(t, e);
	if (e->cur == 0 && e->prev == 0)
		e->win_start_ms = now; /* a fresh start, not an old window */
	entry_roll(e, l, now);
	if (e->cur < UINT32_MAX)
		e->cur++;
	if (entry_estimate(e, l, now) < (double)l->max)
		return false;
	e->blocked_until_ms = now + (l->block_ms > 0 ? l->block_ms : 1);
	e->cur = e->prev = 0;
	return true;
}

/* The table key of a source: family, then the address or its /64. */
static size_t source_key(const addr_t *client, unsigned char *key)
{
	size_t n = client->family == AF_INET6 ? 8 : 4;
	key[0] = client->family == AF_INET6 ? 6 : 4;
	memcpy(key + 1, client->bytes, n);
	return n + 1;
}

/* The source as it is counted, for log lines. */
static void source_text(const addr_t *client, char *buf)
{
	addr_t net = *client;
	if (net.family == AF_INET6)
		memset(net.bytes + 8, 0, 8);
	addr_format(&net, buf);
	if (net.family == AF_INET6)
		strcat(buf, "/64");
}

bool abuse_source_throttled(abuse_t *a, const addr_t *client, uint64_t now_ms)
{
	abuse_clock(a, now_ms);
	if (a->source_limit.max == 0 || client == NULL)
		return false;
	unsigned char key[17];
	abuse_entry_t *e = abuse_table_find(&a->sources, key, source_key(client, key));
	return e != NULL && entry_blocked(e, now_ms);
}

bool abuse_auth_failed(abuse_t *a, const addr_t *client, uint64_t now_ms)
{
	abuse_clock(a, now_ms);
	if (a->source_limit.max == 0 || client == NULL)
		return false;
	unsigned char key[17];
	abuse_entry_t *e = abuse_table_get(&a->sources, key, source_key(client, key));
	if (e == NULL)
		return false; /* out of memory: fail open rather than lock everyone out */
	if (entry_blocked(e, now_ms))
		return true;
	if (!entry_count(&a->sources, e, &a->source_limit, now_ms))
		return false;
	char text[ADDR_TEXT_MAX + 4];
	source_text(client, text);
	log_notice(text, "source throttled for %llu s after %u failed authentications "
	           "(its wrong keys wait longer; right keys are served)",
	           (unsigned long long)(a->source_limit.block_ms / 1000),
	           a->source_limit.max);
	return true;
}

bool abuse_change_blocked(abuse_t *a, const char *name, uint64_t now_ms)
{
	abuse_clock(a, now_ms);
	if (a->name_limit.max == 0 || name == NULL)
		return false;
	abuse_entry_t *e = abuse_table_find(&a->names, name, strlen(name));
	return e != NULL && entry_blocked(e, now_ms);
}

bool abuse_change_applied(abuse_t *a, const char *name, uint64_t now_ms)
{
	abuse_clock(a, now_ms);
	if (a->name_limit.max == 0 || name == NULL)
		return false;
	abuse_entry_t *e = abuse_table_get(&a->names, name, strlen(name));
	if (e == NULL)
		return false;
	if (entry_blocked(e, now_ms))
		return true;
	if (!entry_count(&a->names, e, &a->name_limit, now_ms))
		return false;
	log_notice(name, "changes blocked for %llu s after %u changes",
	           (unsigned long long)(a->name_limit.block_ms / 1000), a->name_limit.max);
	return true;
}

/* An entry matters while it is blocked or its counters are non-zero in the
 * sliding window, i.e. for two windows after its last event. */
static void table_sweep(abuse_table_t *t, const abuse_limit_t *l, uint64_t now)
{
	abuse_entry_t *e = t->oldest;
	while (e != NULL) {
		abuse_entry_t *next = e->newer;
		bool live = entry_blocked(e, now) ||
		            (l->max > 0 && (e->cur > 0 || e->prev > 0) &&
		             now < e->win_start_ms + 2 * l->window_ms);
		if (!live)
			abuse_table_remove(t, e);
		e = next;
	}
}

void abuse_sweep(abuse_t *a, uint64_t now_ms)
{
	table_sweep(&a->names, &a->name_limit, now_ms);
	table_sweep(&a->sources, &a->source_limit, now_ms);
}

size_t abuse_entries(const abuse_t *a)
{
	return a->names.count + a->sources.count;
}

static void abuse_sweep_cb(uv_timer_t *t)
{
	abuse_t *a = t->data;
	abuse_sweep(a, a->last_now_ms + (uv_now(a->loop) - a->last_uv_ms));
}

/* Sweep about as often as the shortest window or block, at most a minute
 * apart, so memory follows the limits without waking the loop for nothing. */
static void abuse_schedule(abuse_t *a)
{
	uint64_t period = ABUSE_SWEEP_MAX_MS;
	const uint64_t times[] = {
		a->name_limit.window_ms, a->name_limit.block_ms,
		a->source_limit.window_ms, a->source_limit.block_ms,
	};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (times[i] >= 1000 && times[i] < period)
			period = times[i];
	uv_timer_start(&a->sweep, abuse_sweep_cb, period, period);
}

void abuse_set_opts(abuse_t *a, const abuse_opts_t *o)
{
	a->name_limit = limit_make(o->max_changes, o->change_window_s, o->change_block_s);
	a->source_limit = limit_make(o->max_auth_failures, o->auth_window_s, o->auth_block_s);
	size_t cap = o->max_entries > 0 ? o->max_entries : ABUSE_DEFAULT_MAX_ENTRIES;
	a->names.cap = a->sources.cap = cap;
	abuse_schedule(a);
}

int abuse_new(uv_loop_t *loop, const abuse_opts_t *opts, abuse_t **out)
{
	abuse_t *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	int err = abuse_table_init(&a->names, ABUSE_DEFAULT_MAX_ENTRIES);
	if (err)
		goto fail;
	err = abuse_table_init(&a->sources, ABUSE_DEFAULT_MAX_ENTRIES);
	if (err)
		goto fail;
	err = uv_timer_init(loop, &a->sweep);
	if (err)
		goto fail;
	a->loop = loop;
	a->sweep.data = a;
	/* The sweep alone must not keep the loop (or a test) running. */
	uv_unref((uv_handle_t *)&a->sweep);
	a->last_now_ms = 0;
	a->last_uv_ms = uv_now(loop);
	abuse_set_opts(a, opts);
	*out = a;
	return 0;
fail:
	log_err("abuse", "cannot start abuse control: %s", ddns_strerror(err));
	abuse_table_clear(&a->names);
	abuse_table_clear(&a->sources);
	free(a);
	return err;
}

static void abuse_close_cb(uv_handle_t *h)
{
	abuse_t *a = h->data;
	abuse_table_clear(&a->names);
	abuse_table_clear(&a->sources);
	free(a);
}

void abuse_free(abuse_t *a)
{
	if (a == NULL)
		return;
	uv_timer_stop(&a->sweep);
	uv_close((uv_handle_t *)&a->sweep, abuse_close_cb);
}
