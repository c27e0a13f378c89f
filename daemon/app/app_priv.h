/**
 * @file app_priv.h
 * @brief Private to app.c, app_gen.c and app_reload.c: the daemon's state.
 */
#ifndef DDNS_APP_PRIV_H
#define DDNS_APP_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "abuse.h"
#include "app.h"
#include "conf.h"
#include "frontend.h"
#include "http_client.h"
#include "httpd.h"
#include "metrics.h"
#include "pipeline.h"
#include "provider.h"
#include "store.h"
#include "store_notify.h"
#include "store_writer.h"

/** One configuration, alive while it is current or an instance made from
 *  it lives. */
typedef struct app_gen {
	conf_t *conf;
	unsigned refs;
} app_gen_t;

/** A provider instance and the generation it was made from. */
typedef struct app_prov {
	provider_t *p;
	app_gen_t *gen;
	uint64_t digest; /**< of its records, to spot changes */
} app_prov_t;

struct app {
	uv_loop_t *loop;
	char *conf_path, *plugin_dir;
	int *exit_status;
	app_gen_t *gen;          /**< current */
	store_t *store;          /* reads, the startup reconcile and reloads */
	store_writer_t *writer;  /* every write while serving (its own thread) */
	store_notify_t *notify;  /* ddnsctl's change notices */
	http_client_t *http;
	app_prov_t *provs;       /**< current instances */
	size_t n_provs;
	app_prov_t *retired;     /**< dropped by a reload, updates in flight */
	size_t n_retired;
	httpd_t *httpd;
	pipeline_t *pipeline;
	abuse_t *abuse;
	metrics_t *metrics;
	frontend_env_t env;
	uv_signal_t sighup, sigint, sigterm;
	uv_timer_t watch;        /**< other writers' changes and retired instances */
	bool look_pending;       /**< the watch's look at the store is queued */
	uv_timer_t drain;        /**< graceful stop */
	uint64_t stop_started;
	bool stopping, canceled;
	unsigned quiet_ticks;
	unsigned n_handles;
	struct reload *reload;   /**< the reload under way (app_reload.c) */
	bool reload_again;       /**< a SIGHUP came during it */
	struct admin *admin;     /**< the web admin, NULL unless configured */
};

/** New generation owning @p conf, one reference. NULL on ENOMEM. */
app_gen_t *app_gen_new(conf_t *conf);
/** Drop a reference; frees the conf at zero. */
void app_gen_unref(app_gen_t *g);

/** Create the instances of @p g's providers, reusing those of @p a's
 *  current set whose fingerprint is unchanged.  On success the old set is
 *  replaced and the instances no longer configured are retired; the number
 *  of instances made is added to @p created (may be NULL). */
int app_providers_apply(app_t *a, app_gen_t *g, size_t *created, char *err, size_t errlen);
/** @p conf's records as the store takes them, in a new array (*@p out,
 *  free() it; also on -ENOMEM) pointing into @p conf, which must outlive
 *  it.  Touches nothing else: any thread. */
int app_records_from_conf(const conf_t *conf, store_conf_record_t **out, size_t *n_out);
/** Reconcile @p conf's records into the store, on the loop's connection
 *  (at start, before anything is served). */
int app_records_reconcile(app_t *a, const conf_t *conf, char *err, size_t errlen);
/** The records named in @p t changed in the store (a reload's reconcile):
 *  put each into memory and into its provider's digest, and tell the
 *  providers whose records changed.  Many names: one full read instead. */
void app_records_touched(app_t *a, const store_names_t *t);
/** Recompute every instance's record digest; tell those whose records
 *  changed (all when @p notify_all). */
void app_records_sync(app_t *a, bool notify_all);
/** Destroy retired instances that are idle (all when @p force). */
void app_retired_sweep(app_t *a, bool force);
/** Cancel every update in flight and drop every instance. */
void app_providers_release(app_t *a);
/** Logging threshold and target from @p conf. */
void app_log_setup(const conf_t *conf);
/** The pipeline's options from @p c. */
pipeline_opts_t app_pipeline_opts(const conf_t *c);
/** Abuse-control limits from @p c. */
abuse_opts_t app_abuse_opts(const conf_t *c);
/** The front ends' dyndns2_query_credentials policy of @p c. */
frontend_qcred_t app_qcred(const conf_t *c);
/** ddnsctl's notice (store_notify): look at the store now, and answer
 *  @p nt once what it changed is in memory. */
void app_store_notice(void *arg, store_notice_t *nt);
/** Ask the store writer whether another process changed the store; if so,
 *  forget what is kept in memory and tell the providers; then answer @p nt
 *  (may be NULL). */
void app_store_look(app_t *a, store_notice_t *nt);
/** app_store_look(), then @p done(@p arg) on the loop once what another
 *  connection changed is in memory (the web admin's changes). */
void app_store_look_then(app_t *a, void (*done)(void *arg), void *arg);
/** Start the web admin when ddns.conf has an `admin` group (app_admin.c). */
int app_admin_start(app_t *a, char *err, size_t errlen);
/** Hand the admin the current configuration and re-read its certificate. */
void app_admin_reload(app_t *a);
/** Drop one hold on @p a (a handle closed, a look answered); the last
 *  frees it. */
void app_release(app_t *a);
/** The 1 s watch: another process changed the store; retired instances
 *  (started at once by a retired instance going idle). */
void app_watch_cb(uv_timer_t *t);
/** Hand the current configuration's followers of IPv6 prefixes to the
 *  pipeline, which brings each to its router's prefix (app_follow.c).
 *  0, or -ENOMEM (logged; the previous followers stay). */
int app_followers_apply(app_t *a);
/** pipeline lookup callback: the current instance named @p name. */
provider_t *app_provider_lookup(const char *name, void *arg);
/** provider_env_t.txt_update (app_txt.c): @p arg is the app_t. */
int app_txt_update(void *arg, const char *record, ddns_txt_op_t op, const char *value,
                   const char *client, ddns_txt_cb cb, void *cb_arg);

#endif
