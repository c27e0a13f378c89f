/**
 * @file watchdog.h
 * @brief Notices when the event loop stops running, and says whose code held it.
 *
 * ddnsd does everything on one loop; code that blocks there (a plugin that
 * sleeps, reads a file on a dead NFS mount, spins) stops HTTP and DNS for
 * everyone.  A timer on the loop stamps a heartbeat every 100 ms; a thread
 * of its own looks at it, and when it is older than the stall threshold
 * logs one warning naming what the loop was running (the plugin instance
 * and its callback, marked by the provider layer with watchdog_enter()),
 * counts it (ddns_loop_stalls_total), and logs again when the loop runs.
 *
 * One watchdog per process.  watchdog_enter/leave are called on the loop
 * thread only; the names they take must outlive the process's watchdog
 * (use watchdog_intern() for names that come and go).
 */
#ifndef DDNS_WATCHDOG_H
#define DDNS_WATCHDOG_H

#include <stdint.h>
#include <uv.h>

/** What the loop runs: @p who (an instance), @p what (a callback). */
typedef struct watchdog_mark {
	const char *who, *what;
} watchdog_mark_t;

/** Start watching @p loop: a stall is @p stall_ms without a heartbeat.
 *  0, or a negative code. */
int watchdog_start(uv_loop_t *loop, unsigned stall_ms);
/** Stop the thread and close the timer (memory goes with the loop's close
 *  callbacks); interned names are freed.  Safe when never started. */
void watchdog_stop(void);
/** Stalls seen since start (for /metrics). */
uint64_t watchdog_stalls(void);
/** Mark the loop as running @p what of @p who until watchdog_leave(); the
 *  mark before is returned, to be restored (calls nest). */
watchdog_mark_t watchdog_enter(const char *who, const char *what);
/** Restore the mark @p before. */
void watchdog_leave(watchdog_mark_t before);
/** A copy of @p name that lives until watchdog_stop(): the same pointer for
 *  the same text.  NULL on ENOMEM. */
const char *watchdog_intern(const char *name);

#endif
