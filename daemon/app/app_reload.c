/* The daemon's configuration over time: SIGHUP reloads and the settings
 * derived from a conf.  (The store watch, ddnsctl writing behind our back,
 * is in app_gen.c with the record sync it triggers.) */
#include "app_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "log.h"

void app_log_setup(const conf_t *conf)
{
	ddns_log_level_t lvl = DDNS_LOG_INFO;
	if (conf->log_level != NULL && log_level_parse(conf->log_level, &lvl) != 0)
		log_warn(conf->path, "log_level %s unknown, using info", conf->log_level);
	log_setup(lvl, conf->log_syslog ? LOG_TARGET_SYSLOG : LOG_TARGET_STDERR);
}

pipeline_opts_t app_pipeline_opts(const conf_t *c)
{
	return (pipeline_opts_t){ .update_timeout_ms = c->update_timeout_ms,
	                          .auth_fail_delay_ms = c->auth_fail_delay_ms,
	                          .auth_throttle_delay_ms = c->auth_throttle_delay_ms,
	                          .acme_txt_expire_s = c->acme_txt_expire_s };
}

abuse_opts_t app_abuse_opts(const conf_t *c)
{
	return (abuse_opts_t){
		.max_changes = c->abuse.max_changes,
		.change_window_s = c->abuse.change_window_s,
		.change_block_s = c->abuse.change_block_s,
		.max_auth_failures = c->abuse.max_auth_failures,
		.auth_window_s = c->abuse.auth_window_s,
		.auth_block_s = c->abuse.auth_block_s,
	};
}

frontend_qcred_t app_qcred(const conf_t *c)
{
	switch (c->dyndns2_query_credentials) {
	case CONF_QCRED_ALWAYS:
		return FRONTEND_QCRED_ALWAYS;
	case CONF_QCRED_NEVER:
		return FRONTEND_QCRED_NEVER;
	case CONF_QCRED_HTTPS:
	default:
		return FRONTEND_QCRED_HTTPS;
	}
}

/* ---- reload ---- */

static void warn_restart(const conf_t *old, const conf_t *nc)
{
	bool same = old->n_http_listen == nc->n_http_listen;
	for (size_t i = 0; same && i < nc->n_http_listen; i++)
		same = strcmp(old->http_listen[i], nc->http_listen[i]) == 0;
	if (!same)
		log_warn(nc->path, "http.listen changed: takes effect at restart");
	same = old->n_ops_listen == nc->n_ops_listen;
	for (size_t i = 0; same && i < nc->n_ops_listen; i++)
		same = strcmp(old->ops_listen[i], nc->ops_listen[i]) == 0;
	if (!same)
		log_warn(nc->path, "http.ops_listen changed: takes effect at restart");
	if (strcmp(old->database, nc->database) != 0)
		log_warn(nc->path, "database changed: takes effect at restart");
	if (old->max_body != nc->max_body)
		log_warn(nc->path, "http.max_body changed: takes effect at restart");
	if ((old->tls_priorities == NULL) != (nc->tls_priorities == NULL) ||
	    (old->tls_priorities != NULL &&
	     strcmp(old->tls_priorities, nc->tls_priorities) != 0))
		log_warn(nc->path, "http.tls_priorities changed: takes effect at restart");
	if ((old->tls_certificate == NULL) != (nc->tls_certificate == NULL))
		log_warn(nc->path, "HTTPS %s: takes effect at restart",
		         nc->tls_certificate != NULL ? "turned on" : "turned off");
	if (old->max_header_bytes != nc->max_header_bytes ||
	    old->max_connections != nc->max_connections ||
	    old->max_connections_per_ip != nc->max_connections_per_ip ||
	    old->connection_timeout_s != nc->connection_timeout_s ||
	    old->request_timeout_s != nc->request_timeout_s)
		log_warn(nc->path, "http connection limits changed: take effect at restart");
}

/* The certificate and key as the files say now (certificates get renewed
 * under a running daemon).  Only when both the running server and the new
 * configuration use TLS: turning it on or off needs a restart. */
static int tls_reload(const app_t *a, const conf_t *nc, httpd_tls_t **out,
                      char *err, size_t errlen)
{
	*out = NULL;
	if (nc->tls_certificate == NULL || a->gen->conf->tls_certificate == NULL)
		return 0;
	return httpd_tls_load(nc->tls_certificate, nc->tls_key, out, err, errlen);
}

/* A reload in three steps, none of which holds the loop for long:
 *   1. a worker thread reads and checks the file (libconfig, 100,000
 *      records: about a second) and lists the records for the store;
 *   2. the store writer reconciles them (one transaction, writing only the
 *      records that differ) and names those it touched;
 *   3. back on the loop: the providers are applied, and the touched
 *      records go into memory one by one.
 * SIGHUPs during a reload are folded into one more reload after it. */
typedef struct reload {
	app_t *a;
	uv_work_t work;
	conf_t *nc;               /* read by the worker; then owned by g */
	app_gen_t *g;
	store_conf_record_t *recs; /* for the writer, which takes them (not nc's strings) */
	size_t n_recs;
	store_names_t touched;    /* filled by the writer */
	int rc;
	char err[512];
	/* uv_hrtime() at SIGHUP, and when the read and the store were done:
	 * the "reloaded" line says where the time went. */
	uint64_t t_start, t_read, t_stored;
} reload_t;

static void reload_end(reload_t *r)
{
	app_t *a = r->a;
	if (r->g != NULL)
		app_gen_unref(r->g);
	else
		conf_free(r->nc);
	free(r->recs);
	store_names_clear(&r->touched);
	free(r);
	a->reload = NULL;
	if (a->reload_again && !a->stopping) {
		a->reload_again = false;
		app_reload(a);
	}
	app_release(a);
}

static void reload_fail(reload_t *r)
{
	log_err("reload", "%s; keeping the running configuration", r->err);
	if (r->a->metrics != NULL) /* gone when the reload outlived a stop */
		metrics_ddns_reload(r->a->metrics, "failed");
	reload_end(r);
}

/* The worker thread: nothing here touches the loop's state. */
static void reload_read_cb(uv_work_t *w)
{
	reload_t *r = w->data;
	r->rc = conf_load(r->a->conf_path, r->a->plugin_dir, &r->nc, r->err, sizeof(r->err));
	if (r->rc == 0)
		r->rc = app_records_from_conf(r->nc, &r->recs, &r->n_recs);
	if (r->rc == -ENOMEM)
		snprintf(r->err, sizeof(r->err), "out of memory");
}

/* The running configuration's records went back into the store. */
static void reload_rolled_back_cb(int err, void *arg)
{
	reload_t *r = arg;
	app_t *a = r->a;
	if (err != 0)
		log_err("reload", "cannot put the running configuration's records back: %s; "
		        "records read again", ddns_strerror(err));
	if (!a->stopping && a->pipeline != NULL) {
		if (err != 0) {
			pipeline_records_changed(a->pipeline);
			app_records_sync(a, false);
		} else {
			app_records_touched(a, &r->touched);
		}
	}
	reload_fail(r);
}

static void reload_done(reload_t *r, size_t created)
{
	app_t *a = r->a;
	conf_t *nc = r->nc;
	metrics_ddns_reload(a->metrics, "ok");
	warn_restart(a->gen->conf, nc);
	app_log_setup(nc);
	httpd_set_trusted(a->httpd, nc->trusted_proxies, nc->n_trusted_proxies);
	httpd_set_ops_allow(a->httpd, nc->ops_allow, nc->n_ops_allow);
	pipeline_opts_t po = app_pipeline_opts(nc);
	pipeline_set_opts(a->pipeline, &po);
	abuse_opts_t ao = app_abuse_opts(nc);
	abuse_set_opts(a->abuse, &ao);
	a->env.dyndns2_query_credentials = app_qcred(nc);

	app_gen_unref(a->gen);
	a->gen = r->g;
	r->g = NULL;
	r->nc = NULL;
	app_admin_reload(a);
	if (created > 0) {
		/* new instances: every digest from a full read */
		pipeline_records_changed(a->pipeline);
		app_records_sync(a, false);
	} else {
		app_records_touched(a, &r->touched);
	}
	/* with the records in memory: a follower added, or given another
	 * suffix, takes its router's prefix now, not at the router's next
	 * change (on failure the previous followers stay, logged) */
	(void)app_followers_apply(a);
	/* The instances replaced go now, not at the next watch tick: one that
	 * holds a port (builtin_dns) hands its queries to its successor then. */
	if (a->n_retired > 0)
		app_retired_sweep(a, false);
	uint64_t now = uv_hrtime();
	log_notice("ddnsd", "reloaded: %zu provider(s), %zu configured record(s) in %llu ms "
	           "(read %llu, stored %llu, applied %llu)",
	           a->gen->conf->n_providers, a->gen->conf->n_records,
	           (unsigned long long)((now - r->t_start) / 1000000),
	           (unsigned long long)((r->t_read - r->t_start) / 1000000),
	           (unsigned long long)((r->t_stored - r->t_read) / 1000000),
	           (unsigned long long)((now - r->t_stored) / 1000000));
	reload_end(r);
}

static void reload_reconciled_cb(int err, void *arg)
{
	reload_t *r = arg;
	app_t *a = r->a;
	r->t_stored = uv_hrtime();
	if (a->stopping || a->pipeline == NULL) {
		reload_end(r);
		return;
	}
	if (err != 0) {
		snprintf(r->err, sizeof(r->err), "%s: cannot store the records: %s",
		         r->nc->database, ddns_strerror(err));
		reload_fail(r);
		return;
	}
	/* Certificates get renewed under a running daemon: read them now.
	 * One that cannot be served refuses the reload. */
	httpd_tls_t *tls = NULL;
	size_t created = 0;
	int rc = tls_reload(a, r->nc, &tls, r->err, sizeof(r->err));
	if (rc == 0)
		rc = app_providers_apply(a, r->g, &created, r->err, sizeof(r->err));
	if (rc != 0) {
		httpd_tls_unref(tls);
		/* Put the running configuration's records back. */
		store_conf_record_t *recs = NULL;
		size_t n = 0;
		if (app_records_from_conf(a->gen->conf, &recs, &n) == 0 &&
		    store_writer_reconcile(a->writer, recs, n, &r->touched,
		                           reload_rolled_back_cb, r) == 0)
			return;
		reload_rolled_back_cb(-ENOMEM, r);
		return;
	}
	if (tls != NULL) {
		log_info(r->nc->tls_certificate, "now serving %s", httpd_tls_describe(tls));
		httpd_set_tls(a->httpd, tls);
	}
	reload_done(r, created);
}

static void reload_read_done_cb(uv_work_t *w, int status)
{
	reload_t *r = w->data;
	app_t *a = r->a;
	r->t_read = uv_hrtime();
	if (a->stopping || status != 0) {
		reload_end(r);
		return;
	}
	if (r->rc != 0) {
		reload_fail(r);
		return;
	}
	if ((r->g = app_gen_new(r->nc)) == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		reload_fail(r);
		return;
	}
	int rc = store_writer_reconcile(a->writer, r->recs, r->n_recs, &r->touched,
	                                reload_reconciled_cb, r);
	r->recs = NULL; /* the writer's now, also on failure */
	if (rc != 0) {
		snprintf(r->err, sizeof(r->err), "cannot store the records: %s",
		         ddns_strerror(rc));
		reload_fail(r);
	}
}

int app_reload(app_t *a)
{
	if (a->stopping) {
		log_notice("ddnsd", "SIGHUP while stopping: not reloading");
		return -ECANCELED;
	}
	if (a->reload != NULL) {
		if (!a->reload_again)
			log_notice("ddnsd", "SIGHUP during a reload: reloading again after it");
		a->reload_again = true;
		return 0;
	}
	reload_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		log_err("reload", "out of memory; keeping the running configuration");
		return -ENOMEM;
	}
	r->a = a;
	r->work.data = r;
	r->t_start = uv_hrtime();
	log_notice("ddnsd", "reloading %s", a->conf_path);
	int rc = uv_queue_work(a->loop, &r->work, reload_read_cb, reload_read_done_cb);
	if (rc != 0) {
		log_err("reload", "cannot start: %s; keeping the running configuration",
		        uv_strerror(rc));
		free(r);
		return -ENOMEM;
	}
	a->reload = r;
	a->n_handles++; /* released by reload_end */
	return 0;
}
