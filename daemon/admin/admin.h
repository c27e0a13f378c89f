/**
 * @file admin.h
 * @brief The web admin: server-rendered pages on listeners of their own
 *        (ddns.conf's `admin` group), for the records, their keys and
 *        history, and the providers' health.
 *
 * It runs a second httpd_t (daemon/http) on the loop with only its own
 * routes, so nothing of it exists on the update listeners, and nothing of
 * the update API on its.  Accounts are Argon2id hashes in the store
 * (`ddnsctl admin add`); sessions are kept in memory only (a restart logs
 * everybody out).  Every read and write of the store, and every Argon2id
 * check, runs on libuv's thread pool with a store connection of the pool's
 * own (admin_job.c): the loop never waits for the disk nor for a hash.  A
 * change is written like ddnsctl writes one, with a history row naming the
 * admin; the loop is then asked to take it in (admin_env_t.store_changed)
 * before the browser is answered, so a key shown is a key that works.
 *
 * Ownership: the env's pointers are borrowed and must outlive the admin;
 * the conf given to admin_set_conf() must stay until the next call or
 * admin_free().  Loop thread only.
 */
#ifndef DDNS_ADMIN_H
#define DDNS_ADMIN_H

#include <stdint.h>
#include <uv.h>
#include "abuse.h"
#include "conf.h"
#include "httpd.h"

typedef struct admin admin_t;

/** What the daemon lends the admin. */
typedef struct admin_env {
	abuse_t *abuse;          /**< failed logins count like failed updates */
	/** Take in what another connection changed in the store, then call
	 *  @p done (on the loop, exactly once). */
	void (*store_changed)(void *arg, void (*done)(void *d), void *d);
	void *arg;
} admin_env_t;

/**
 * Start the web admin of @p conf (which must have conf->admin.enabled) on
 * @p loop: bind its listeners with @p tls (may be NULL: plain HTTP; a
 * reference is taken).  @p err gets one line on failure.
 */
int admin_start(uv_loop_t *loop, const conf_t *conf, httpd_tls_t *tls,
                const admin_env_t *env, admin_t **out, char *err, size_t errlen);
/** The configuration changed (SIGHUP): providers, delays, session times. */
void admin_set_conf(admin_t *ad, const conf_t *conf);
/** Serve @p t from now on (takes over the caller's reference; NULL is
 *  ignored; dropped when the admin serves plain HTTP). */
void admin_set_tls(admin_t *ad, httpd_tls_t *t);
/** Requests taken and not answered yet (the graceful stop waits for them). */
unsigned admin_pending(const admin_t *ad);
/** Stop accepting connections. */
void admin_quiesce(admin_t *ad);
/** Stop; jobs on the thread pool finish first, then the memory goes.
 *  NULL is fine. */
void admin_free(admin_t *ad);
/** The bound port of listener @p i (tests listen on port 0). */
int admin_port(const admin_t *ad, size_t i);

#endif
