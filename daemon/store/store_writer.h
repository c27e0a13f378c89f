/**
 * @file store_writer.h
 * @brief Store writes off the event loop, with group commit.
 *
 * One thread owns a second connection to the store.  The loop queues
 * writes (a confirmed update, a history row, last-seen stamps, a config
 * reconciliation) and goes on; the thread takes every write that is queued,
 * runs them in one transaction (each in its own savepoint, so one bad write
 * does not sink the others) and one fsync, then hands each result back to
 * the loop, where its callback runs.  So the loop never waits for the disk,
 * for sqlite's lock or for another process holding it, and a burst of
 * updates costs one fsync instead of one each.
 *
 * A write carries a deadline: while another process holds the lock the
 * thread retries until the earliest deadline of its batch, then fails the
 * batch with -EBUSY (the caller answers 503 with Retry-After).
 *
 * Ownership: every argument is copied when queued (but see
 * store_writer_reconcile()).  Callbacks run on the
 * loop thread, exactly once per write, also when the writer stops (with
 * -ECANCELED for writes it never started).  store_writer_*() are called
 * from the loop thread only.
 */
#ifndef DDNS_STORE_WRITER_H
#define DDNS_STORE_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "store.h"

typedef struct store_writer store_writer_t;

/** A write's result on the loop: 0 committed (durably, under full sync),
 *  or a negative code (-EBUSY: locked until the deadline). */
typedef void (*store_write_cb)(int err, void *arg);

/**
 * Open a writer connection to @p path (already migrated by store_open).
 * Its thread starts with the first write (after a privilege drop, so it
 * is born with the daemon's final credentials).  @p full_sync as
 * store_set_sync().
 */
int store_writer_start(uv_loop_t *loop, const char *path, bool full_sync,
                       store_writer_t **out);
/**
 * Stop: writes already queued are still run (their callbacks fire), then
 * the thread ends; @p done (may be NULL) runs on the loop once everything
 * is closed and the writer freed.  A lock held by another process is not
 * waited for any longer: those writes fail with -ECANCELED.
 */
void store_writer_stop(store_writer_t *w, void (*done)(void *arg), void *arg);

/** Queue store_commit_update(); @p deadline_ms is a uv_now() value (0:
 *  the default wait of STORE_BUSY_TIMEOUT_MS). */
int store_writer_commit_update(store_writer_t *w, const char *name, const char *ipv4,
                               const char *ipv6, int64_t now, const char *client,
                               const char *message, uint64_t deadline_ms,
                               store_write_cb cb, void *arg);
/** Queue store_add_history(); @p cb may be NULL. */
int store_writer_add_history(store_writer_t *w, const store_history_t *h,
                             store_write_cb cb, void *arg);
/** Queue store_touch_seen() of @p n names; no callback (failures are logged). */
int store_writer_touch_seen(store_writer_t *w, const char *const *names, size_t n,
                            int64_t now);
/** Queue store_reconcile_config() of @p recs (malloc'd; the writer owns and
 *  frees the array, also on failure; the strings it points to are the
 *  caller's and must stay until @p cb ran).  The thread appends to
 *  @p touched (may be NULL; the caller's, left alone until @p cb ran) the
 *  names it changed. */
int store_writer_reconcile(store_writer_t *w, store_conf_record_t *recs, size_t n,
                           store_names_t *touched, store_write_cb cb, void *arg);
/** Queue a write that only completes once everything queued before it is
 *  committed (a barrier, e.g. for ddnsctl's change notice). */
int store_writer_barrier(store_writer_t *w, store_write_cb cb, void *arg);

/**
 * Queue a look at the store for what other processes (ddnsctl, the sqlite3
 * shell) changed: the thread appends to @p changed (the caller's, left
 * alone until @p cb ran) the names of the records they inserted, changed
 * or deleted since the previous probe, from the store's change notes (see
 * store.h).  @p cb gets the number of names, or a negative code.  While
 * the last transaction failed, the probe also writes one page, so a store
 * that heals (space freed, lock released) reads healthy again without
 * waiting for the next update.
 */
int store_writer_probe(store_writer_t *w, store_names_t *changed, store_write_cb cb,
                       void *arg);

/** 0 while the last transaction committed, else its negative code. */
int store_writer_health(const store_writer_t *w);
/** Writes queued or running, not yet completed. */
unsigned store_writer_pending(const store_writer_t *w);
/** Transactions committed and failed since start (for /metrics). */
void store_writer_counts(const store_writer_t *w, uint64_t *commits, uint64_t *failures,
                         uint64_t *writes);

#endif
