/* The daemon's life: start, signals, graceful stop (see app.h); reloads are
 * in app_reload.c. */
#include <config.h>
#include "app_priv.h"
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "error.h"
#include "log.h"
#include "plugin_loader.h"
#include "privdrop.h"
#include "watchdog.h"

#define WATCH_MS 1000
/* The loop ran nothing this long: the watchdog logs whose code held it. */
#define LOOP_STALL_MS 1000
#define DRAIN_TICK_MS 50

/* Room for every connection the limits allow, plus the store, plugins and
 * DNS sockets: the soft limit (often 1024) is raised up to the hard one. */
static void raise_nofile(const conf_t *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->max_connections * (c->n_http_listen + c->n_ops_listen) + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warn("ddnsd", "open files limit %llu (was %llu) is below what "
		         "http.max_connections needs (%llu): raise LimitNOFILE",
		         (unsigned long long)rl.rlim_cur, (unsigned long long)old,
		         (unsigned long long)want);
}

static int http_start(app_t *a, char *err, size_t errlen)
{
	const conf_t *c = a->gen->conf;
	httpd_tls_t *tls = NULL;
	int rc = 0;

	raise_nofile(c);
	if (c->tls_certificate != NULL) {
		rc = httpd_tls_load(c->tls_certificate, c->tls_key, &tls, err, errlen);
		if (rc != 0)
			return rc;
		log_info(c->tls_certificate, "serving %s", httpd_tls_describe(tls));
	}
	httpd_config_t hc = {
		.listen = (const char *const *)c->http_listen,
		.n_listen = c->n_http_listen,
		.ops_listen = (const char *const *)c->ops_listen,
		.n_ops_listen = c->n_ops_listen,
		.trusted = c->trusted_proxies, .n_trusted = c->n_trusted_proxies,
		.ops_allow = c->ops_allow, .n_ops_allow = c->n_ops_allow,
		.max_body = c->max_body, .tls = tls,
		.connection_limit = c->max_connections,
		.connection_timeout_s = c->connection_timeout_s,
		.per_ip_limit = c->max_connections_per_ip,
		.conn_memory = c->max_header_bytes,
		.request_timeout_s = c->request_timeout_s,
		.tls_priorities = c->tls_priorities,
	};
	rc = httpd_start(a->loop, &hc, &a->httpd, err, errlen);
	httpd_tls_unref(tls);
	return rc;
}

/* ---- stop ---- */

static void app_closed_cb(uv_handle_t *h)
{
	app_release(h->data);
}

/* Everything down; memory goes in close callbacks. */
static void app_teardown(app_t *a)
{
	if (a->pipeline != NULL)
		pipeline_free(a->pipeline); /* answers what still waits */
	a->pipeline = NULL;
	if (a->httpd != NULL)
		httpd_free(a->httpd);
	a->httpd = NULL;
	admin_free(a->admin); /* before the writer: its last look is answered */
	a->admin = NULL;
	app_providers_release(a);
	if (a->http != NULL)
		http_client_free(a->http);
	a->http = NULL;
	if (a->abuse != NULL)
		abuse_free(a->abuse);
	a->abuse = NULL;
	/* after the pipeline: its last writes (last_seen) are still run */
	store_writer_stop(a->writer, NULL, NULL);
	a->writer = NULL;
	store_notify_close(a->notify);
	a->notify = NULL;
	store_close(a->store);
	a->store = NULL;
	metrics_free(a->metrics);
	a->metrics = NULL;
	app_gen_unref(a->gen);
	a->gen = NULL;
	watchdog_stop();
	uv_close((uv_handle_t *)&a->sighup, app_closed_cb);
	uv_close((uv_handle_t *)&a->sigint, app_closed_cb);
	uv_close((uv_handle_t *)&a->sigterm, app_closed_cb);
	uv_close((uv_handle_t *)&a->watch, app_closed_cb);
	uv_close((uv_handle_t *)&a->drain, app_closed_cb);
}

/* Complete every provider update now (DDNS_ECANCELED): clients get 503. */
static void app_cancel_updates(app_t *a)
{
	a->canceled = true;
	for (size_t i = 0; i < a->n_provs; i++)
		provider_cancel_all(a->provs[i].p);
	for (size_t i = 0; i < a->n_retired; i++)
		provider_cancel_all(a->retired[i].p);
}

static void drain_cb(uv_timer_t *t)
{
	app_t *a = t->data;
	/* Every pipeline request came through the server: count it once. */
	unsigned waiting = httpd_pending(a->httpd) + admin_pending(a->admin);
	if (waiting == 0)
		waiting = pipeline_pending(a->pipeline);
	uint64_t spent = uv_now(a->loop) - a->stop_started;

	if (waiting == 0) {
		/* Two quiet ticks: the last replies have been written out. */
		if (++a->quiet_ticks >= 2) {
			uv_timer_stop(t);
			log_notice("ddnsd", "stopped");
			app_teardown(a);
		}
		return;
	}
	a->quiet_ticks = 0;
	if (!a->canceled && spent >= a->gen->conf->shutdown_timeout_ms) {
		log_warn("ddnsd", "%u request(s) still waiting after %u ms; "
		         "cancelling provider updates", waiting,
		         a->gen->conf->shutdown_timeout_ms);
		app_cancel_updates(a);
	} else if (a->canceled && spent >= 2ULL * a->gen->conf->shutdown_timeout_ms + 1000) {
		log_err("ddnsd", "%u request(s) never completed; stopping anyway", waiting);
		uv_timer_stop(t);
		app_teardown(a);
	}
}

void app_stop(app_t *a)
{
	if (a->stopping) {
		/* A second signal: do not wait for the providers any longer. */
		if (!a->canceled) {
			log_notice("ddnsd", "second stop signal: cancelling provider updates");
			app_cancel_updates(a);
		}
		return;
	}
	a->stopping = true;
	a->stop_started = uv_now(a->loop);
	log_notice("ddnsd", "stopping: no new connections, finishing %u request(s)",
	           httpd_pending(a->httpd));
	httpd_quiesce(a->httpd);
	admin_quiesce(a->admin);
	/* SIGHUP stays caught (stopping its watcher would restore the default
	 * action, which kills): app_reload() refuses while stopping. */
	uv_timer_start(&a->drain, drain_cb, 0, DRAIN_TICK_MS);
}

static void signal_cb(uv_signal_t *s, int signum)
{
	app_t *a = s->data;
	if (signum == SIGHUP)
		app_reload(a);
	else
		app_stop(a);
}

/* ---- start ---- */

/* Leave root once everything is bound (the `user` setting). */
static int app_drop_privileges(app_t *a, char *err, size_t errlen)
{
	const conf_t *c = a->gen->conf;
	char wal[4096], shm[4096];
	snprintf(wal, sizeof(wal), "%s-wal", c->database);
	snprintf(shm, sizeof(shm), "%s-shm", c->database);
	const char *const files[] = { c->database, wal, shm };
	int rc = privdrop_give_files(c->user, files, 3, err, errlen);
	/* host->state_dir(): plugins may have written there as root. */
	char plugins[4096];
	if (rc == 0 && conf_plugin_state_root(c->database, plugins, sizeof(plugins)) == 0)
		rc = privdrop_give_tree(c->user, plugins, err, errlen);
	if (rc == 0)
		rc = privdrop_apply(c->user, err, errlen);
	/* Read as root at start, but as the user on SIGHUP: say so now rather
	 * than at the first renewal. */
	const char *const tls[] = { c->tls_certificate, c->tls_key };
	for (size_t i = 0; rc == 0 && c->user != NULL && i < 2; i++) {
		if (tls[i] != NULL && access(tls[i], R_OK) != 0)
			log_warn(tls[i], "not readable by user %s (%s): a reload cannot "
			         "re-read it", c->user, strerror(errno));
	}
	return rc;
}

static int app_bring_up(app_t *a, char *err, size_t errlen)
{
	const conf_t *c = a->gen->conf;
	if (c->user != NULL) { /* a typo in `user` is reported before binding */
		privdrop_ids_t ids;
		int lrc = privdrop_lookup(c->user, &ids, err, errlen);
		if (lrc != 0)
			return lrc;
	}
	int rc = store_open(c->database, &a->store);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot open the store: %s", c->database,
		         ddns_strerror(rc));
		return rc;
	}
	if (!c->database_sync_full && (rc = store_set_sync(a->store, false)) != 0) {
		snprintf(err, errlen, "%s: cannot set database_sync: %s", c->database,
		         ddns_strerror(rc));
		return rc;
	}
	rc = app_records_reconcile(a, c, err, errlen);
	if (rc == 0 && (rc = store_changes_forget(a->store)) != 0)
		snprintf(err, errlen, "%s: cannot clear the change notes: %s", c->database,
		         ddns_strerror(rc));
	if (rc != 0)
		return rc;
	rc = store_writer_start(a->loop, c->database, c->database_sync_full, &a->writer);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot start the store writer: %s", c->database,
		         ddns_strerror(rc));
		return rc;
	}
	rc = http_client_new(a->loop, &a->http);
	if (rc != 0) {
		snprintf(err, errlen, "HTTP client: %s", ddns_strerror(rc));
		return rc;
	}
	rc = metrics_new(&a->metrics); /* before the providers: they count too */
	if (rc != 0) {
		snprintf(err, errlen, "metrics: %s", ddns_strerror(rc));
		return rc;
	}
	rc = app_providers_apply(a, a->gen, NULL, err, errlen);
	if (rc != 0)
		return rc;
	app_records_sync(a, false);
	abuse_opts_t ao = app_abuse_opts(c);
	rc = abuse_new(a->loop, &ao, &a->abuse);
	pipeline_opts_t po = app_pipeline_opts(c);
	if (rc == 0)
		rc = pipeline_new(a->loop, a->store, a->writer, app_provider_lookup, a, &po,
		                  &a->pipeline);
	if (rc != 0) {
		snprintf(err, errlen, "%s", ddns_strerror(rc));
		return rc;
	}
	pipeline_set_abuse(a->pipeline, a->abuse);
	pipeline_set_metrics(a->pipeline, a->metrics);
	if ((rc = app_followers_apply(a)) != 0) {
		snprintf(err, errlen, "followers of IPv6 prefixes: %s", ddns_strerror(rc));
		return rc;
	}
	rc = http_start(a, err, errlen);
	if (rc != 0)
		return rc;
	a->env = (frontend_env_t){ .pipeline = a->pipeline, .store = a->store,
	                           .writer = a->writer, .metrics = a->metrics,
	                           .stopping = &a->stopping,
	                           .dyndns2_query_credentials = app_qcred(c) };
	rc = api_dynamicdns_register(a->httpd, &a->env);
	if (rc == 0)
		rc = api_dyndns2_register(a->httpd, &a->env);
	if (rc == 0)
		rc = api_acme_register(a->httpd, &a->env);
	if (rc == 0)
		rc = api_ops_register(a->httpd, &a->env);
	if (rc != 0) {
		snprintf(err, errlen, "routes: %s", ddns_strerror(rc));
		return rc;
	}
	rc = app_admin_start(a, err, errlen);
	if (rc != 0)
		return rc;
	rc = app_drop_privileges(a, err, errlen);
	if (rc != 0)
		return rc;
	/* Made as ddnsd's final user, so ddnsctl run as that user can knock;
	 * without it changes are still seen, within a second. */
	rc = store_notify_listen(a->loop, c->database, app_store_notice, a, &a->notify);
	if (rc != 0)
		log_warn(c->database, "no change notices from ddnsctl (%s%s): it sees "
		         "ddnsctl's changes within a second instead", ddns_strerror(rc),
		         rc == -EADDRINUSE ? ": another ddnsd uses this database?" : "");
	return 0;
}

int app_start(uv_loop_t *loop, const app_opts_t *opts, app_t **out,
              char *err, size_t errlen)
{
	conf_t *conf = NULL;
	app_t *a = NULL;
	int rc = conf_load(opts->conf_path, opts->plugin_dir, &conf, err, errlen);
	if (rc != 0)
		return rc;
	app_log_setup(conf);
	a = calloc(1, sizeof(*a));
	if (a == NULL || (a->gen = app_gen_new(conf)) == NULL) {
		conf_free(conf);
		free(a);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->loop = loop;
	a->exit_status = opts->exit_status;
	a->conf_path = strdup(opts->conf_path);
	a->plugin_dir = strdup(opts->plugin_dir);
	uv_signal_init(loop, &a->sighup);
	uv_signal_init(loop, &a->sigint);
	uv_signal_init(loop, &a->sigterm);
	uv_timer_init(loop, &a->watch);
	uv_timer_init(loop, &a->drain);
	a->sighup.data = a->sigint.data = a->sigterm.data = a;
	a->watch.data = a->drain.data = a;
	a->n_handles = 5;
	*a->exit_status = 1; /* until a clean stop */
	/* Caught before the HTTP port is bound: a client (or a test) that saw
	 * the port answer may signal at once, and the default action would
	 * kill ddnsd; the loop handles the signal once it runs. */
	uv_signal_start(&a->sighup, signal_cb, SIGHUP);
	uv_signal_start(&a->sigint, signal_cb, SIGINT);
	uv_signal_start(&a->sigterm, signal_cb, SIGTERM);
	if (a->conf_path == NULL || a->plugin_dir == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	} else {
		rc = app_bring_up(a, err, errlen);
	}
	if (rc != 0) {
		app_teardown(a);
		*opts->exit_status = 1;
		return rc;
	}
	uv_timer_start(&a->watch, app_watch_cb, WATCH_MS, WATCH_MS);
	rc = watchdog_start(loop, LOOP_STALL_MS);
	if (rc != 0)
		log_warn("ddnsd", "no watchdog for the event loop: %s", ddns_strerror(rc));

	char where[512] = "";
	size_t off = 0;
	for (size_t i = 0; i < conf->n_http_listen && off < sizeof(where); i++) {
		/* The text with the bound port (it may have said 0). */
		const char *l = conf->http_listen[i], *colon = strrchr(l, ':');
		int hl = colon != NULL ? (int)(colon - l) : (int)strlen(l);
		off += (size_t)snprintf(where + off, sizeof(where) - off, "%s%.*s:%d",
		                        i ? ", " : "", hl, l, httpd_port(a->httpd, i));
	}
	log_notice(NULL, "ddnsd %s ready: http%s on %s", PACKAGE_VERSION,
	           conf->tls_certificate ? "s" : "", where);
	*out = a;
	return 0;
}

int app_http_port(const app_t *a, size_t i)
{
	return a->httpd != NULL ? httpd_port(a->httpd, i) : -1;
}

int app_check_config(const char *conf_path, const char *plugin_dir,
                     char *err, size_t errlen)
{
	conf_t *conf = NULL;
	int rc = conf_load(conf_path, plugin_dir, &conf, err, errlen);
	for (size_t i = 0; rc == 0 && i < conf->n_providers; i++) {
		const conf_provider_t *cp = &conf->providers[i];
		plugin_module_t *m = NULL;
		char why[512];
		rc = plugin_module_load(cp->plugin, conf->plugin_dir, &m, why, sizeof(why));
		if (rc != 0)
			snprintf(err, errlen, "%s:%d: providers.%s: %s", cp->file, cp->line,
			         cp->name, why);
		if (rc == 0) {
			rc = plugin_check_options(m->desc, cp, err, errlen);
			plugin_module_unref(m);
		}
	}
	if (rc == 0 && conf->tls_certificate != NULL) {
		httpd_tls_t *tls = NULL;
		rc = httpd_tls_load(conf->tls_certificate, conf->tls_key, &tls, err, errlen);
		httpd_tls_unref(tls);
	}
	conf_free(conf);
	return rc;
}
