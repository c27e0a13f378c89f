/* The services table a plugin gets (ddns_host_t): logging under the
 * instance's name, typed access to its settings group, HTTP, timers, fd
 * watches and record queries.  Everything a plugin starts is listed on its
 * instance, so destroying the instance reclaims what a buggy plugin leaks. */
#include "provider_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"

#define PCONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct ddns_timer {
	uv_timer_t h;
	plink_t link;
	provider_t *p;
	ddns_timer_cb cb;
	void *arg;
	bool done; /* fired or stopped: the handle is closing */
};

struct ddns_fd_watch {
	uv_poll_t h;
	plink_t link;
	provider_t *p;
	ddns_fd_cb cb;
	void *arg;
	bool stopped;
};

/* What the plugin holds as a ddns_http_t: a tracked wrapper around the
 * client's own handle (the plugin only ever passes it back). */
typedef struct phttp {
	plink_t link;
	provider_t *p;
	ddns_http_t *h;
	ddns_http_cb cb;
	void *arg;
} phttp_t;

void plink_init(plink_t *head)
{
	head->prev = head->next = head;
}

void plink_add(plink_t *head, plink_t *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

void plink_del(plink_t *n)
{
	if (n->next == NULL)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

static void host_log(ddns_ctx_t *ctx, ddns_log_level_t level, const char *fmt, ...)
{
	if (level < DDNS_LOG_ERR || level > DDNS_LOG_DEBUG)
		level = DDNS_LOG_INFO;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, ctx->p->subject, fmt, ap);
	va_end(ap);
}

static uint64_t host_now_ms(void)
{
	return uv_hrtime() / 1000000u;
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

static int host_conf_string(ddns_ctx_t *ctx, const char *name, const char **out)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL)
		return -ENOENT;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return -EINVAL;
	*out = config_setting_get_string(s);
	return 0;
}

static int host_conf_int(ddns_ctx_t *ctx, const char *name, int64_t *out)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL)
		return -ENOENT;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return -EINVAL;
	*out = config_setting_get_int64(s);
	return 0;
}

static int host_conf_bool(ddns_ctx_t *ctx, const char *name, int *out)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL)
		return -ENOENT;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return -EINVAL;
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int host_conf_list_count(ddns_ctx_t *ctx, const char *name)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	if (config_setting_is_array(s) || config_setting_is_list(s))
		return config_setting_length(s);
	return 0;
}

static const char *host_conf_list_item(ddns_ctx_t *ctx, const char *name, int i)
{
	config_setting_t *s = option(ctx, name);
	if (s == NULL || i < 0)
		return NULL;
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

static void http_done(const ddns_http_response_t *res, void *arg)
{
	phttp_t *w = arg;
	ddns_http_cb cb = w->cb;
	void *cb_arg = w->arg;
	plink_del(&w->link);
	free(w);
	cb(res, cb_arg);
}

static int host_http_request(ddns_ctx_t *ctx, const ddns_http_request_t *req,
                             ddns_http_cb cb, void *arg, ddns_http_t **out)
{
	provider_t *p = ctx->p;
	if (p->env.http == NULL)
		return -ENOTSUP;
	if (cb == NULL || req == NULL)
		return -EINVAL;
	phttp_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (phttp_t){ .p = p, .cb = cb, .arg = arg };
	int rc = http_client_request(p->env.http, req, http_done, w, &w->h);
	if (rc != 0) {
		free(w);
		return rc;
	}
	plink_add(&p->https, &w->link);
	if (out != NULL)
		*out = (ddns_http_t *)(void *)w;
	return 0;
}

static void host_http_cancel(ddns_http_t *h)
{
	if (h == NULL)
		return;
	phttp_t *w = (phttp_t *)(void *)h;
	http_client_cancel(w->h);
	plink_del(&w->link);
	free(w);
}

static void timer_closed(uv_handle_t *h)
{
	ddns_timer_t *t = h->data;
	provider_t *p = t->p;
	free(t);
	p->handles--;
	provider_maybe_free(p);
}

static void timer_fire(uv_timer_t *h)
{
	ddns_timer_t *t = h->data;
	t->done = true;
	plink_del(&t->link);
	uv_close((uv_handle_t *)&t->h, timer_closed);
	t->cb(t->arg);
}

static int host_timer_start(ddns_ctx_t *ctx, uint64_t ms, ddns_timer_cb cb,
                            void *arg, ddns_timer_t **out)
{
	provider_t *p = ctx->p;
	if (cb == NULL)
		return -EINVAL;
	ddns_timer_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	*t = (ddns_timer_t){ .p = p, .cb = cb, .arg = arg };
	int rc = uv_timer_init(p->env.loop, &t->h);
	if (rc != 0) {
		free(t);
		return rc;
	}
	p->handles++;
	t->h.data = t;
	uv_timer_start(&t->h, timer_fire, ms, 0);
	plink_add(&p->timers, &t->link);
	if (out != NULL)
		*out = t;
	return 0;
}

static void host_timer_stop(ddns_timer_t *t)
{
	if (t == NULL || t->done)
		return;
	t->done = true;
	uv_timer_stop(&t->h);
	plink_del(&t->link);
	uv_close((uv_handle_t *)&t->h, timer_closed);
}

static void watch_closed(uv_handle_t *h)
{
	ddns_fd_watch_t *w = h->data;
	provider_t *p = w->p;
	free(w);
	p->handles--;
	provider_maybe_free(p);
}

static void watch_ready(uv_poll_t *h, int status, int events)
{
	ddns_fd_watch_t *w = h->data;
	unsigned ev = 0;
	/* On a poll error let the plugin try its I/O and meet the error itself. */
	if (status < 0)
		ev = DDNS_FD_READ | DDNS_FD_WRITE;
	if (events & UV_READABLE)
		ev |= DDNS_FD_READ;
	if (events & UV_WRITABLE)
		ev |= DDNS_FD_WRITE;
	uv_os_fd_t fd;
	uv_fileno((uv_handle_t *)h, &fd);
	w->cb(fd, ev, w->arg);
}

static int host_fd_watch(ddns_ctx_t *ctx, int fd, unsigned events, ddns_fd_cb cb,
                         void *arg, ddns_fd_watch_t **out)
{
	provider_t *p = ctx->p;
	if (cb == NULL || (events & (DDNS_FD_READ | DDNS_FD_WRITE)) == 0)
		return -EINVAL;
	ddns_fd_watch_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (ddns_fd_watch_t){ .p = p, .cb = cb, .arg = arg };
	int rc = uv_poll_init(p->env.loop, &w->h, fd);
	if (rc != 0) {
		free(w);
		return rc;
	}
	p->handles++;
	w->h.data = w;
	int uv_events = ((events & DDNS_FD_READ) ? UV_READABLE : 0) |
	                ((events & DDNS_FD_WRITE) ? UV_WRITABLE : 0);
	plink_add(&p->watches, &w->link);
	if ((rc = uv_poll_start(&w->h, uv_events, watch_ready)) != 0) {
		w->stopped = true;
		plink_del(&w->link);
		uv_close((uv_handle_t *)&w->h, watch_closed);
		return rc;
	}
	if (out != NULL)
		*out = w;
	return 0;
}

static void host_fd_unwatch(ddns_fd_watch_t *w)
{
	if (w == NULL || w->stopped)
		return;
	w->stopped = true;
	uv_poll_stop(&w->h);
	plink_del(&w->link);
	uv_close((uv_handle_t *)&w->h, watch_closed);
}

typedef struct foreach_ctx {
	ddns_record_cb cb;
	void *arg;
} foreach_ctx_t;

static const char *or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

static int record_cb(const store_record_t *r, void *arg)
{
	foreach_ctx_t *fc = arg;
	ddns_record_t rec = {
		.name = r->name, .ipv4 = or_null(r->ipv4), .ipv6 = or_null(r->ipv6),
		.lan_ipv4 = or_null(r->lan_ipv4), .lan_ipv6 = or_null(r->lan_ipv6),
		.last_change = r->last_change,
	};
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

void provider_reclaim(provider_t *p, bool warn)
{
	while (p->timers.next != &p->timers) {
		if (warn)
			log_warn(p->subject, "plugin %s left a timer running; stopped",
			         p->desc->name);
		host_timer_stop(PCONTAINER(p->timers.next, ddns_timer_t, link));
	}
	while (p->watches.next != &p->watches) {
		if (warn)
			log_warn(p->subject, "plugin %s left an fd watch; removed",
			         p->desc->name);
		host_fd_unwatch(PCONTAINER(p->watches.next, ddns_fd_watch_t, link));
	}
	while (p->https.next != &p->https) {
		if (warn)
			log_warn(p->subject, "plugin %s left an HTTP request running; "
			         "cancelled", p->desc->name);
		host_http_cancel((ddns_http_t *)(void *)PCONTAINER(p->https.next, phttp_t, link));
	}
}

const ddns_host_t provider_host_table = {
	.abi = DDNS_HOST_ABI,
	.size = sizeof(ddns_host_t),
	.log = host_log,
	.now_ms = host_now_ms,
	.instance_name = host_instance_name,
	.conf_string = host_conf_string,
	.conf_int = host_conf_int,
	.conf_bool = host_conf_bool,
	.conf_list_count = host_conf_list_count,
	.conf_list_item = host_conf_list_item,
	.conf_error = host_conf_error,
	.http_request = host_http_request,
	.http_cancel = host_http_cancel,
	.timer_start = host_timer_start,
	.timer_stop = host_timer_stop,
	.fd_watch = host_fd_watch,
	.fd_unwatch = host_fd_unwatch,
	.records_foreach = host_records_foreach,
	.update_done = provider_update_done,
};
