/**
 * @file store_notify.h
 * @brief ddnsctl tells the running daemon at once that it changed the store.
 *
 * ddnsd listens on a Unix socket beside its database (the database path
 * with ".notify" appended, mode 0600).  After ddnsctl commits a change
 * (add, rm, rotate-key) it connects there; ddnsd re-reads what it keeps in
 * memory and then writes "ok\n" (once the store writer has looked: see
 * store_writer_probe()).  So when `ddnsctl rotate-key` returns, the old
 * key is refused.  The connection itself is the message: nothing is
 * read from it, so a client cannot make ddnsd wait.  Without a daemon (no
 * socket, or nobody listening) ddnsctl goes on silently; ddnsd's once-a-
 * second look at the store's change notes still catches writers that do
 * not notify (the sqlite3 shell).
 */
#ifndef DDNS_STORE_NOTIFY_H
#define DDNS_STORE_NOTIFY_H

#include <uv.h>

/** Suffix of the socket's path after the database's. */
#define STORE_NOTIFY_SUFFIX ".notify"

typedef struct store_notify store_notify_t;

/** One client's notice, waiting for its answer. */
typedef struct store_notice store_notice_t;

/** Called on the loop for each notice; the client waits for its "ok"
 *  until store_notify_answer(@p nt), which must follow exactly once. */
typedef void (*store_notify_cb)(void *arg, store_notice_t *nt);

/**
 * Listen beside @p db_path.  A socket left by a daemon that died is
 * replaced; one that answers belongs to a running daemon: -EADDRINUSE.
 * -ENAMETOOLONG when the path does not fit a Unix socket address.
 */
int store_notify_listen(uv_loop_t *loop, const char *db_path, store_notify_cb cb,
                        void *arg, store_notify_t **out);
/** Answer "ok" to @p nt (the daemon took the change in) and free it. */
void store_notify_answer(store_notice_t *nt);
/** Stop listening and remove the socket; NULL is fine.  Memory goes in a
 *  close callback. */
void store_notify_close(store_notify_t *n);

/**
 * ddnsctl's side: tell the daemon using @p db_path, and wait up to
 * @p timeout_ms for its "ok".  0: the daemon took the change in;
 * -ENOENT or -ECONNREFUSED: no daemon runs on this database;
 * -ETIMEDOUT or another code: it did not confirm.
 */
int store_notify_send(const char *db_path, int timeout_ms);

#endif
