/**
 * @file admin_priv.h
 * @brief What the files of daemon/admin share: the admin's state, its
 *        sessions, the HTML buffer and the jobs run on the thread pool.
 */
#ifndef DDNS_ADMIN_PRIV_H
#define DDNS_ADMIN_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "admin.h"
#include "store.h"
#include "store_admin.h"

/** The session cookie's name. */
#define ADMIN_COOKIE "ddns_admin"
/** Random bytes of a session id and of a CSRF token (256 bits). */
#define ADMIN_TOKEN_BYTES 32
/** Their text: hex, with the NUL. */
#define ADMIN_TOKEN_HEX (ADMIN_TOKEN_BYTES * 2 + 1)
/** Sessions kept; the least recently used goes first when full (an
 *  anonymous one, the login form's, before a logged-in one). */
#define ADMIN_MAX_SESSIONS 512
/** Records per page of the records list. */
#define ADMIN_PAGE_SIZE 50
/** Password checks at once: each holds a thread of the pool and 19 MiB
 *  for a moment, so a flood of logins must not take them all. */
#define ADMIN_MAX_CHECKS 2
/** Longest password taken from the login form. */
#define ADMIN_PASSWORD_MAX 256

/** One session: in memory only.  The cookie's id is kept as its SHA-256,
 *  so the table holds nothing a cookie could be made from. */
typedef struct admin_session {
	bool used;
	uint8_t id_hash[32];
	char csrf[ADMIN_TOKEN_HEX];  /**< per session, on every form */
	char user[STORE_ADMIN_NAME_MAX]; /**< "": not logged in (login form) */
	uint64_t created_ms, used_ms;    /**< uv_now() */
} admin_session_t;

/** A failed login's answer, held back like a failed update's. */
typedef struct admin_delay {
	uv_timer_t timer;
	struct admin_delay *prev, *next;
	struct admin_job *job;
} admin_delay_t;

struct admin {
	uv_loop_t *loop;
	httpd_t *httpd;
	admin_env_t env;
	const conf_t *conf;
	char *db_path;
	bool tls;                       /**< native HTTPS: cookies are Secure */
	admin_session_t sessions[ADMIN_MAX_SESSIONS];
	uv_mutex_t pool_lock;           /**< the store connections of the pool */
	store_t **pool;
	size_t n_pool, cap_pool;
	unsigned n_jobs;                /**< jobs and held answers alive */
	unsigned n_checks;              /**< password checks running */
	admin_delay_t *delays;
	bool closing;
};

/* ---- sessions (admin_session.c), loop thread ---- */

/** The live session the request's cookie names, or NULL (expired ones are
 *  ended on the way).  Marks it used. */
admin_session_t *admin_session_find(admin_t *ad, httpd_req_t *req);
/** A new session for @p user ("" anonymous); its id into @p id.  NULL when
 *  the random source fails. */
admin_session_t *admin_session_new(admin_t *ad, const char *user, char *id);
/** End one session. */
void admin_session_end(admin_session_t *s);
/** End every session of @p user (the account is gone). */
void admin_session_end_user(admin_t *ad, const char *user);
/** True when @p token is the session's CSRF token (constant time). */
bool admin_session_csrf_ok(const admin_session_t *s, const char *token);
/** Add the Set-Cookie header for @p id (NULL: clear the cookie). */
void admin_session_cookie(admin_t *ad, httpd_req_t *req, const char *id);

/* ---- HTML (admin_html.c): any thread ---- */

/** A growing buffer of HTML; a failed allocation is remembered (oom). */
typedef struct ahtml {
	char *p;
	size_t len, cap;
	bool oom;
} ahtml_t;

void ah_raw(ahtml_t *b, const char *s);
/** printf into @p b, unescaped: for numbers and fixed text only. */
void ah_fmt(ahtml_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** @p s escaped for text and attribute values. */
void ah_text(ahtml_t *b, const char *s);
/** @p s percent-encoded for a URL's path or query (then safe in HTML). */
void ah_url(ahtml_t *b, const char *s);
/** The page's head and navigation; @p user "" leaves out the menu. */
void ah_head(ahtml_t *b, const char *title, const char *user, const char *csrf);
void ah_foot(ahtml_t *b);
/** The hidden CSRF field of a form. */
void ah_csrf(ahtml_t *b, const char *csrf);
/** Unix time as "2026-12-05 01:02:03 UTC" ("never" for 0) into @p buf[32]. */
void ah_time(int64_t t, char *buf);
/** Free the buffer. */
void ah_free(ahtml_t *b);

/* ---- jobs (admin_job.c) ---- */

typedef enum admin_job_kind {
	ADMIN_JOB_LOGIN,
	ADMIN_JOB_RECORDS,
	ADMIN_JOB_RECORD,
	ADMIN_JOB_DELETE_ASK,
	ADMIN_JOB_PROVIDERS,
	ADMIN_JOB_ACTIVITY,
	ADMIN_JOB_ADD,
	ADMIN_JOB_ROTATE,
	ADMIN_JOB_DELETE,
} admin_job_kind_t;

/** One request's work on the thread pool.  Inputs are copies (the worker
 *  touches nothing the loop owns); outputs are read back on the loop. */
typedef struct admin_job {
	uv_work_t work;
	void (*done)(struct admin_job *j, int status);
	admin_t *ad;
	httpd_req_t *req;
	admin_job_kind_t kind;
	/* inputs */
	char user[STORE_ADMIN_NAME_MAX];
	char csrf[ADMIN_TOKEN_HEX];
	char name[NAME_TEXT_MAX];          /**< the record (or the login's user) */
	char search[128];
	char password[ADMIN_PASSWORD_MAX + 1];
	char provider[64];
	char lan_ipv4[64], lan_ipv6[64];
	store_cursor_t cursor;
	char public_url[256];
	char (*providers)[64];             /**< configured instances (malloc'd) */
	size_t n_providers;
	char client[ADDR_TEXT_MAX];        /**< the browser's address */
	int64_t now;
	/* outputs */
	unsigned status;                   /**< 0: 200 */
	ahtml_t html;
	char location[600];                /**< a 303 to here when set */
	bool changed;                      /**< the store changed: take it in */
	bool user_gone;                    /**< the account no longer exists */
	bool login_ok;
} admin_job_t;

/** A job of @p kind for @p req, with the session's user and token; NULL
 *  on ENOMEM. */
admin_job_t *admin_job_new(admin_t *ad, httpd_req_t *req, admin_job_kind_t kind,
                           const admin_session_t *s);
/** Run @p j on the thread pool; @p done gets it back on the loop (with
 *  uv_queue_work's status). */
int admin_job_queue(admin_job_t *j, void (*done)(admin_job_t *j, int status));
/** Free a job (its password is wiped). */
void admin_job_free(admin_job_t *j);
/** Close the pool's store connections (the last job is done). */
void admin_pool_close(admin_t *ad);

/* ---- what the worker runs (any thread but the loop) ---- */

/** Check the login (admin_login.c). */
void admin_work_login(admin_job_t *j, store_t *st);
/** The pages (admin_pages.c). */
void admin_work_records(admin_job_t *j, store_t *st);
void admin_work_record(admin_job_t *j, store_t *st);
void admin_work_delete_ask(admin_job_t *j, store_t *st);
void admin_work_providers(admin_job_t *j, store_t *st);
void admin_work_activity(admin_job_t *j, store_t *st);
/** The changes (admin_edit.c). */
void admin_work_add(admin_job_t *j, store_t *st);
void admin_work_rotate(admin_job_t *j, store_t *st);
void admin_work_delete(admin_job_t *j, store_t *st);

/* ---- pages the loop renders itself (no store) ---- */

/** The login form, with @p error ("" none) (admin_login.c). */
void admin_page_login(ahtml_t *b, const char *csrf, const char *error);
/** The form adding a record (admin_edit.c). */
void admin_page_new(ahtml_t *b, const char *user, const char *csrf,
                    char (*providers)[64], size_t n_providers, const char *error);
/** An error page. */
void admin_page_error(ahtml_t *b, const char *user, const char *csrf, const char *msg);

/** The update lines for record @p name with @p key (admin_clients.c). */
void admin_clients(ahtml_t *b, const char *public_url, const char *name,
                   const char *key);
/** The updates-per-hour chart as inline SVG (admin_chart.c). */
void admin_chart(ahtml_t *b, int64_t since, int hours, const uint32_t *counts,
                 const uint32_t *failed);

#endif
