/**
 * @file provider_priv.h
 * @brief The insides of a provider instance, shared by provider.c (lifecycle
 * and updates), provider_create.c, provider_host.c (the ddns_host_t table)
 * and provider_handles.c (timers, watches, HTTP, the clock).
 */
#ifndef DDNS_PROVIDER_PRIV_H
#define DDNS_PROVIDER_PRIV_H

#include <stdbool.h>
#include <uv.h>
#include "provider.h"
#include "watchdog.h"
#include "plugin_loader.h"

/** An intrusive doubly-linked list node. */
/* Run plugin code: the expression @p call, marked for the loop's watchdog
 * as callback @p what of provider @p p, so a stall says whose code held
 * the loop. */
#define PROVIDER_CALL(p, what, call) do { \
	watchdog_mark_t wd_before_ = watchdog_enter((p)->wd_name, (what)); \
	call; \
	watchdog_leave(wd_before_); \
} while (0)

typedef struct plink {
	struct plink *prev, *next;
} plink_t;

/** The context handed to the plugin; first member of provider_t. */
struct ddns_ctx {
	provider_t *p;
};

struct provider {
	struct ddns_ctx ctx;
	provider_env_t env;
	const conf_t *conf;
	const conf_provider_t *cp;
	plugin_module_t *mod;
	const ddns_plugin_t *desc;
	void *inst;            /**< the plugin's instance */
	char *name;
	char *subject;         /**< "provider <name>", the subject of log lines */
	char *state_dir;       /**< host->state_dir(), made at its first call */
	const char *wd_name;   /**< "provider <name> (<plugin>)", interned for the watchdog */
	unsigned refs;
	unsigned inflight;     /**< updates not yet reported to their caller */
	unsigned handles;      /**< libuv handles not yet closed */
	unsigned seq;          /**< update sequence, for cancel_all */
	bool creating;         /**< inside create(): conf_error fills create_err */
	bool destroying;
	char create_err[512];
	plink_t updates, timers, watches, https, counters, txts;
	provider_idle_cb idle_cb; /**< provider_on_idle() */
	void *idle_arg;
};

/** The host services table given to every plugin. */
extern const ddns_host_t provider_host_table;

/* ---- provider_handles.c: below every other provider file ---- */

/** Monotonic milliseconds (host->now_ms). */
uint64_t provider_now_ms(void);
/** @p r as a plugin sees it (empty fields NULL); its strings are @p r's. */
ddns_record_t provider_record_view(const store_record_t *r);
/** Free @p p if it is being destroyed and its last handle is closed. */
void provider_maybe_free(provider_t *p);
/** Init an empty list head. */
/** host->txt_update(). */
int provider_txt_update(ddns_ctx_t *ctx, const char *record, ddns_txt_op_t op,
                        const char *value, const char *client, ddns_txt_cb cb, void *arg);
void plink_init(plink_t *head);
/** Append @p n to @p head. */
void plink_add(plink_t *head, plink_t *n);
/** Unlink @p n (safe to call twice). */
void plink_del(plink_t *n);

/**
 * Stop and free every timer, watch and HTTP request the plugin left behind
 * (warning about each when @p warn); handle memory goes in close callbacks.
 */
void provider_reclaim(provider_t *p, bool warn);
/* ---- provider.c ---- */

/** host->update_done: record the plugin's result for delivery from the loop. */
void provider_update_done(ddns_update_t *update, int result, const char *message);
/** host->update_result: one record type's result, before update_done. */
void provider_update_result(ddns_update_t *update, ddns_rrtype_t type, int result,
                            const char *message);
/* ---- provider_handles.c again: the asynchronous services ---- */

/** host->http_request: a request tracked on the instance. */
int provider_http_request(ddns_ctx_t *ctx, const ddns_http_request_t *req,
                          ddns_http_cb cb, void *arg, ddns_http_t **out);
/** host->metric_counter: a counter published until the instance goes. */
int provider_metric_counter(ddns_ctx_t *ctx, const char *name, const char *help,
                            ddns_metric_read_cb read, void *arg);
/** host->http_request_sigv4: the same, signed by libcurl. */
int provider_http_request_sigv4(ddns_ctx_t *ctx, const ddns_http_request_t *req,
                                const ddns_http_sigv4_t *sig, ddns_http_cb cb, void *arg,
                                ddns_http_t **out);
/** host->http_cancel. */
void provider_http_cancel(ddns_http_t *h);
/** host->timer_start: a one-shot uv_timer tracked on the instance. */
int provider_timer_start(ddns_ctx_t *ctx, uint64_t ms, ddns_timer_cb cb, void *arg,
                         ddns_timer_t **out);
/** host->timer_stop. */
void provider_timer_stop(ddns_timer_t *t);
/** host->fd_watch: a uv_poll tracked on the instance. */
int provider_fd_watch(ddns_ctx_t *ctx, int fd, unsigned events, ddns_fd_cb cb,
                      void *arg, ddns_fd_watch_t **out);
/** host->fd_unwatch. */
void provider_fd_unwatch(ddns_fd_watch_t *w);


#endif
