/**
 * @file app.h
 * @brief The daemon: one loop holding the configuration, the store, the
 *        HTTP client, the provider instances, the HTTP server, the update
 *        pipeline and abuse control, plus its signals.
 *
 * app_start() brings everything up and installs SIGHUP (reload), SIGINT and
 * SIGTERM (graceful stop).  The loop then runs until the app has stopped and
 * closed every handle; the app frees itself, so after uv_run() returns
 * uv_loop_close() succeeds and *exit_status holds the process's status.
 *
 * Reload swaps generations: provider instances whose configuration is
 * unchanged are kept, others are created anew, removed ones are retired and
 * destroyed once their in-flight updates are over.  A conf_t lives while
 * any instance made from it does.
 */
#ifndef DDNS_APP_H
#define DDNS_APP_H

#include <stddef.h>
#include <uv.h>

typedef struct app app_t;

/** How to start. */
typedef struct app_opts {
	const char *conf_path;   /**< ddns.conf */
	const char *plugin_dir;  /**< default when the file sets none */
	int *exit_status;        /**< set when the app has stopped (0 clean) */
} app_opts_t;

/**
 * Load the configuration, open the store, reconcile the records, create
 * the providers, start serving.  On failure nothing is left on the loop
 * except handles already closing (run the loop to release them), and
 * @p err holds one line.
 * @return 0 or a negative code.
 */
int app_start(uv_loop_t *loop, const app_opts_t *opts, app_t **out,
              char *err, size_t errlen);
/** Re-read the configuration (what SIGHUP does).  A broken file is
 *  refused and logged; the running configuration stays.
 *  @return 0 or the negative code of the refusal. */
int app_reload(app_t *a);
/** Begin the graceful stop (what SIGTERM does). */
void app_stop(app_t *a);
/** The bound port of HTTP listener @p i (tests with port 0), or -1. */
int app_http_port(const app_t *a, size_t i);

/**
 * `ddnsd -t`: load and check @p conf_path, load every provider's plugin
 * and check its options, without binding anything.
 * @return 0, or a negative code with one line in @p err.
 */
int app_check_config(const char *conf_path, const char *plugin_dir,
                     char *err, size_t errlen);

#endif
