/* The services table a plugin gets (ddns_host_t): logging under the
 * instance's name, typed access to its settings group (an absent option
 * reads as its declared default), record queries; the
 * asynchronous ones (HTTP, timers, fd watches) are in provider_handles.c. */
#include "provider_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "error.h"
#include "log.h"
#include "metrics.h"

static void host_log(ddns_ctx_t *ctx, ddns_log_level_t level, const char *fmt, ...)
{
	if (level < DDNS_LOG_ERR || level > DDNS_LOG_DEBUG)
		level = DDNS_LOG_INFO;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, ctx->p->subject, fmt, ap);
	va_end(ap);
}

static const char *host_instance_name(ddns_ctx_t *ctx)
{
	return ctx->p->name;
}

static config_setting_t *option(ddns_ctx_t *ctx, const char *name)
{
	if (name == NULL || strcmp(name, "plugin") == 0)
		return NULL;
	return config_setting_get_member(ctx->p->cp->setting, name);
}

/* The declared default of an option absent from ddns.conf, or NULL.  The
 * loader checked it fits the option's type and range. */
static const ddns_option_t *fallback(ddns_ctx_t *ctx, const char *name)
{
	if (name == NULL)
		return NULL;
	const ddns_option_t *o = plugin_find_option(ctx->p->desc, name);
	return o != NULL && o->def != NULL ? o : NULL;
}

static int host_conf_string(ddns_ctx_t *ctx, const char *name, const char **out)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL) {
		const ddns_option_t *o = fallback(ctx, name);
		if (o == NULL)
			return -ENOENT;
		if (o->type != DDNS_OPT_STRING)
			return -EINVAL;
		*out = o->def;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return -EINVAL;
	*out = config_setting_get_string(s);
	return 0;
}

static int host_conf_int(ddns_ctx_t *ctx, const char *name, int64_t *out)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL) {
		const ddns_option_t *o = fallback(ctx, name);
		if (o == NULL)
			return -ENOENT;
		return o->type == DDNS_OPT_INT && plugin_parse_int(o->def, out) ? 0 : -EINVAL;
	}
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return -EINVAL;
	*out = config_setting_get_int64(s);
	return 0;
}

static int host_conf_bool(ddns_ctx_t *ctx, const char *name, int *out)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL) {
		const ddns_option_t *o = fallback(ctx, name);
		if (o == NULL)
			return -ENOENT;
		if (o->type != DDNS_OPT_BOOL)
			return -EINVAL;
		*out = strcmp(o->def, "true") == 0;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return -EINVAL;
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int host_conf_list_count(ddns_ctx_t *ctx, const char *name)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL) {
		const ddns_option_t *o = fallback(ctx, name);
		return o != NULL && o->type == DDNS_OPT_LIST ? 1 : 0;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	if (config_setting_is_array(s) || config_setting_is_list(s))
		return config_setting_length(s);
	return 0;
}

static const char *host_conf_list_item(ddns_ctx_t *ctx, const char *name, int i)
{
	config_setting_t *s = option(ctx, name);
	if (i < 0)
		return NULL;
	if (s == NULL) {
		const ddns_option_t *o = fallback(ctx, name);
		return o != NULL && o->type == DDNS_OPT_LIST && i == 0 ? o->def : NULL;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return i == 0 ? config_setting_get_string(s) : NULL;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return NULL;
	return config_setting_get_string_elem(s, i);
}

static void host_conf_error(ddns_ctx_t *ctx, const char *name, const char *fmt, ...)
{
	provider_t *p = ctx->p;
	config_setting_t *s = option(ctx, name);
	const char *file = s != NULL ? config_setting_source_file(s) : NULL;
	int line = s != NULL ? (int)config_setting_source_line(s) : p->cp->line;
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%d: providers.%s%s%s: ",
	                 file != NULL ? file : p->cp->file, line, p->name,
	                 name != NULL ? "." : "", name != NULL ? name : "");
	if (n >= 0 && (size_t)n < sizeof(msg)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* During create() the first error becomes provider_create()'s message. */
	if (p->creating && p->create_err[0] == '\0')
		snprintf(p->create_err, sizeof(p->create_err), "%s", msg);
	else
		log_err(NULL, "%s", msg);
}

typedef struct foreach_ctx {
	ddns_record_cb cb;
	void *arg;
} foreach_ctx_t;

static int record_cb(const store_record_t *r, void *arg)
{
	foreach_ctx_t *fc = arg;
	ddns_record_t rec = provider_record_view(r);
	return fc->cb(&rec, fc->arg);
}

static int host_records_foreach(ddns_ctx_t *ctx, ddns_record_cb cb, void *arg)
{
	provider_t *p = ctx->p;
	if (cb == NULL)
		return -EINVAL;
	if (p->env.store == NULL)
		return 0;
	foreach_ctx_t fc = { .cb = cb, .arg = arg };
	return store_record_foreach(p->env.store, p->name, record_cb, &fc);
}

/* Called from the plugin's DNS threads too: only the immutable env pointer
 * is read, and the counter is atomic. */
static void host_dns_answered(ddns_ctx_t *ctx, unsigned rcode, uint64_t n)
{
	metrics_dns_query(ctx->p->env.metrics, rcode, n);
}

/* mkdir that accepts a directory already there, and refuses anything else
 * there (a file, a link an attacker planted). */
static int make_private_dir(const char *path)
{
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	struct stat st;
	if (lstat(path, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static const char *host_state_dir(ddns_ctx_t *ctx)
{
	provider_t *p = ctx->p;
	if (p->state_dir != NULL)
		return p->state_dir;
	const char *db = p->conf != NULL && p->conf->database != NULL ? p->conf->database
	               : "ddns.sqlite3";
	char plugins[4096];
	char *path = NULL;
	int rc = conf_plugin_state_root(db, plugins, sizeof(plugins));
	if (rc == 0 && asprintf(&path, "%s/%s", plugins, p->name) < 0) {
		path = NULL;
		rc = -ENOMEM;
	}
	if (rc == 0 && (rc = make_private_dir(plugins)) == 0)
		rc = make_private_dir(path);
	if (rc != 0) {
		log_err(p->subject, "%s: cannot make the state directory: %s",
		        path != NULL ? path : p->name, strerror(-rc));
		free(path);
		path = NULL;
	}
	p->state_dir = path;
	return path;
}

const ddns_host_t provider_host_table = {
	.abi = DDNS_HOST_ABI,
	.size = sizeof(ddns_host_t),
	.log = host_log,
	.now_ms = provider_now_ms,
	.instance_name = host_instance_name,
	.conf_string = host_conf_string,
	.conf_int = host_conf_int,
	.conf_bool = host_conf_bool,
	.conf_list_count = host_conf_list_count,
	.conf_list_item = host_conf_list_item,
	.conf_error = host_conf_error,
	.http_request = provider_http_request,
	.http_cancel = provider_http_cancel,
	.timer_start = provider_timer_start,
	.timer_stop = provider_timer_stop,
	.fd_watch = provider_fd_watch,
	.fd_unwatch = provider_fd_unwatch,
	.records_foreach = host_records_foreach,
	.update_done = provider_update_done,
	.dns_answered = host_dns_answered,
	.strerror = ddns_strerror,
	.update_result = provider_update_result,
	.http_request_sigv4 = provider_http_request_sigv4,
	.metric_counter = provider_metric_counter,
	.state_dir = host_state_dir,
	.txt_update = provider_txt_update,
};
