/* The loop's watchdog (see watchdog.h). */
#include "watchdog.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define BEAT_MS 100

typedef struct interned {
	struct interned *next;
	char name[];
} interned_t;

static struct {
	uv_loop_t *loop;
	uv_timer_t beat;
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cv;
	bool running, stopping; /* under mu */
	unsigned stall_ms;
	atomic_uint_fast64_t last_beat; /* uv_hrtime() of the loop's last beat */
	atomic_uint_fast64_t stalls;
	_Atomic(const char *) who, what;
	interned_t *names;       /* the loop's */
} wd;

static void beat_cb(uv_timer_t *t)
{
	(void)t;
	atomic_store(&wd.last_beat, uv_hrtime());
}

static void watch_main(void *arg)
{
	(void)arg;
	bool stalled = false;
	uint64_t stalled_since = 0;
	uv_mutex_lock(&wd.mu);
	while (!wd.stopping) {
		uv_cond_timedwait(&wd.cv, &wd.mu, (uint64_t)BEAT_MS * 1000000);
		uint64_t now = uv_hrtime(), beat = atomic_load(&wd.last_beat);
		uint64_t quiet_ms = now > beat ? (now - beat) / 1000000 : 0;
		if (!stalled && quiet_ms > wd.stall_ms) {
			stalled = true;
			stalled_since = beat;
			atomic_fetch_add(&wd.stalls, 1);
			const char *who = atomic_load(&wd.who), *what = atomic_load(&wd.what);
			log_warn("event loop", "stalled for %llu ms%s%s%s%s: HTTP and DNS over TCP "
			         "wait meanwhile", (unsigned long long)quiet_ms,
			         who != NULL ? ", in " : "", who != NULL ? who : "",
			         what != NULL ? ": " : "", what != NULL ? what : "");
		} else if (stalled && beat != stalled_since) {
			stalled = false;
			log_notice("event loop", "running again after %llu ms",
			           (unsigned long long)((beat - stalled_since) / 1000000));
		}
	}
	uv_mutex_unlock(&wd.mu);
}

int watchdog_start(uv_loop_t *loop, unsigned stall_ms)
{
	if (wd.running)
		return -EALREADY;
	wd.loop = loop;
	wd.stall_ms = stall_ms;
	wd.stopping = false;
	atomic_store(&wd.last_beat, uv_hrtime());
	uv_mutex_init(&wd.mu);
	uv_cond_init(&wd.cv);
	uv_timer_init(loop, &wd.beat);
	uv_timer_start(&wd.beat, beat_cb, BEAT_MS, BEAT_MS);
	uv_unref((uv_handle_t *)&wd.beat); /* never what keeps the loop alive */
	if (uv_thread_create(&wd.thread, watch_main, NULL) != 0) {
		uv_close((uv_handle_t *)&wd.beat, NULL);
		uv_cond_destroy(&wd.cv);
		uv_mutex_destroy(&wd.mu);
		return -EAGAIN;
	}
	wd.running = true;
	return 0;
}

void watchdog_stop(void)
{
	if (wd.running) {
		uv_mutex_lock(&wd.mu);
		wd.stopping = true;
		uv_cond_signal(&wd.cv);
		uv_mutex_unlock(&wd.mu);
		uv_thread_join(&wd.thread);
		uv_close((uv_handle_t *)&wd.beat, NULL);
		uv_cond_destroy(&wd.cv);
		uv_mutex_destroy(&wd.mu);
		wd.running = false;
	}
	atomic_store(&wd.who, NULL);
	atomic_store(&wd.what, NULL);
	while (wd.names != NULL) {
		interned_t *n = wd.names;
		wd.names = n->next;
		free(n);
	}
}

uint64_t watchdog_stalls(void)
{
	return atomic_load(&wd.stalls);
}

watchdog_mark_t watchdog_enter(const char *who, const char *what)
{
	watchdog_mark_t before = { atomic_load(&wd.who), atomic_load(&wd.what) };
	atomic_store(&wd.who, who);
	atomic_store(&wd.what, what);
	return before;
}

void watchdog_leave(watchdog_mark_t before)
{
	atomic_store(&wd.who, before.who);
	atomic_store(&wd.what, before.what);
}

const char *watchdog_intern(const char *name)
{
	for (interned_t *n = wd.names; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n->name;
	size_t len = strlen(name) + 1;
	interned_t *n = malloc(sizeof(*n) + len);
	if (n == NULL)
		return NULL;
	memcpy(n->name, name, len);
	n->next = wd.names;
	wd.names = n;
	return n->name;
}
