/* The daemon's configuration over time: SIGHUP reloads and the settings
 * derived from a conf.  (The store watch, ddnsctl writing behind our back,
 * is in app_gen.c with the record sync it triggers.) */
#include "app_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	                          .auth_fail_delay_ms = c->auth_fail_delay_ms };
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

/* ---- reload ---- */

static void warn_restart(const conf_t *old, const conf_t *nc)
{
	bool same = old->n_http_listen == nc->n_http_listen;
	for (size_t i = 0; same && i < nc->n_http_listen; i++)
		same = strcmp(old->http_listen[i], nc->http_listen[i]) == 0;
	if (!same)
		log_warn(nc->path, "http.listen changed: takes effect at restart");
	if (strcmp(old->database, nc->database) != 0)
		log_warn(nc->path, "database changed: takes effect at restart");
	if (old->max_body != nc->max_body)
		log_warn(nc->path, "http.max_body changed: takes effect at restart");
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

int app_reload(app_t *a)
{
	char err[512] = "";
	conf_t *nc = NULL;
	app_gen_t *g = NULL;
	httpd_tls_t *tls = NULL;

	if (a->stopping) {
		log_notice("ddnsd", "SIGHUP while stopping: not reloading");
		return -ECANCELED;
	}
	log_notice("ddnsd", "reloading %s", a->conf_path);
	int rc = conf_load(a->conf_path, a->plugin_dir, &nc, err, sizeof(err));
	if (rc == 0 && (g = app_gen_new(nc)) == NULL) {
		conf_free(nc);
		nc = NULL;
		rc = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	}
	/* A certificate that cannot be served refuses the whole reload, before
	 * anything changed: the old one keeps serving. */
	if (rc == 0)
		rc = tls_reload(a, nc, &tls, err, sizeof(err));
	if (rc == 0) {
		/* Records first: a refusal leaves the providers untouched, and
		 * the reconcile is one transaction. */
		rc = app_records_reconcile(a, g->conf, err, sizeof(err));
		if (rc == 0)
			rc = app_providers_apply(a, g, err, sizeof(err));
		if (rc != 0) {
			/* Put the running configuration's records back. */
			char e2[256];
			app_records_reconcile(a, a->gen->conf, e2, sizeof(e2));
			pipeline_records_changed(a->pipeline);
		}
	}
	if (rc != 0) {
		log_err("reload", "%s; keeping the running configuration", err);
		metrics_ddns_reload(a->metrics, "failed");
		httpd_tls_unref(tls);
		if (g != NULL)
			app_gen_unref(g);
		else
			conf_free(nc);
		return rc;
	}
	metrics_ddns_reload(a->metrics, "ok");
	warn_restart(a->gen->conf, nc);
	app_log_setup(nc);
	httpd_set_trusted(a->httpd, nc->trusted_proxies, nc->n_trusted_proxies);
	if (tls != NULL) {
		log_info(nc->tls_certificate, "now serving %s", httpd_tls_describe(tls));
		httpd_set_tls(a->httpd, tls);
	}
	pipeline_opts_t po = app_pipeline_opts(nc);
	pipeline_set_opts(a->pipeline, &po);
	abuse_opts_t ao = app_abuse_opts(nc);
	abuse_set_opts(a->abuse, &ao);
	app_gen_unref(a->gen);
	a->gen = g;
	pipeline_records_changed(a->pipeline);
	app_records_sync(a, false);
	/* The instances replaced go now, not at the next watch tick: one that
	 * holds a port (builtin_dns) hands its queries to its successor then. */
	if (a->n_retired > 0)
		app_retired_sweep(a, false);
	log_notice("ddnsd", "reloaded: %zu provider(s), %zu configured record(s)",
	           nc->n_providers, nc->n_records);
	return 0;
}
