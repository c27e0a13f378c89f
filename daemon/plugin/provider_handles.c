/* The asynchronous host services: HTTP (through http_client), timers
 * (uv_timer) and fd watches (uv_poll), and the clock.  Each one is listed
 * on its instance, so destroying the instance reclaims what a buggy plugin
 * leaks; handle memory is freed in close callbacks, and the instance waits
 * for them: the last close frees it (provider_maybe_free).  This file is
 * the bottom of the provider files: provider.c, provider_host.c and
 * provider_create.c call it, it calls none of them. */
#include "provider_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "metrics.h"

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
struct ddns_http {
	plink_t link;
	provider_t *p;
	http_req_t *h;
	ddns_http_cb cb;
	void *arg;
};
typedef ddns_http_t phttp_t;

static const char *or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

ddns_record_t provider_record_view(const store_record_t *r)
{
	return (ddns_record_t){
		.name = r->name, .ipv4 = or_null(r->ipv4), .ipv6 = or_null(r->ipv6),
		.lan_ipv4 = or_null(r->lan_ipv4), .lan_ipv6 = or_null(r->lan_ipv6),
		.last_change = r->last_change,
	};
}

uint64_t provider_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

void provider_maybe_free(provider_t *p)
{
	if (!p->destroying || p->handles > 0)
		return;
	free(p->name);
	free(p->subject);
	free(p->state_dir);
	free(p);
}

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

static void http_done(const ddns_http_response_t *res, void *arg)
{
	phttp_t *w = arg;
	ddns_http_cb cb = w->cb;
	void *cb_arg = w->arg;
	provider_t *p = w->p;
	plink_del(&w->link);
	free(w);
	PROVIDER_CALL(p, "HTTP response", cb(res, cb_arg));
}

int provider_http_request(ddns_ctx_t *ctx, const ddns_http_request_t *req,
                             ddns_http_cb cb, void *arg, ddns_http_t **out)
{
	return provider_http_request_sigv4(ctx, req, NULL, cb, arg, out);
}

int provider_http_request_sigv4(ddns_ctx_t *ctx, const ddns_http_request_t *req,
                                const ddns_http_sigv4_t *sig, ddns_http_cb cb, void *arg,
                                ddns_http_t **out)
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
	int rc = http_client_request_signed(p->env.http, req, sig, http_done, w, &w->h);
	if (rc != 0) {
		free(w);
		return rc;
	}
	plink_add(&p->https, &w->link);
	if (out != NULL)
		*out = w;
	return 0;
}

void provider_http_cancel(ddns_http_t *h)
{
	if (h == NULL)
		return;
	http_client_cancel(h->h);
	plink_del(&h->link);
	free(h);
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
	PROVIDER_CALL(t->p, "timer", t->cb(t->arg));
}

int provider_timer_start(ddns_ctx_t *ctx, uint64_t ms, ddns_timer_cb cb,
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

void provider_timer_stop(ddns_timer_t *t)
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
	PROVIDER_CALL(w->p, "fd watch", w->cb(fd, ev, w->arg));
}

int provider_fd_watch(ddns_ctx_t *ctx, int fd, unsigned events, ddns_fd_cb cb,
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

void provider_fd_unwatch(ddns_fd_watch_t *w)
{
	if (w == NULL || w->stopped)
		return;
	w->stopped = true;
	uv_poll_stop(&w->h);
	plink_del(&w->link);
	uv_close((uv_handle_t *)&w->h, watch_closed);
}

/* A published counter, on the instance's list. */
typedef struct pcounter {
	plink_t link;
	metrics_ext_t *ext;
	char name[104];
} pcounter_t;

int provider_metric_counter(ddns_ctx_t *ctx, const char *name, const char *help,
                            ddns_metric_read_cb read, void *arg)
{
	provider_t *p = ctx->p;
	pcounter_t *c;
	int rc;

	if (name == NULL || strlen(name) >= sizeof(c->name) || read == NULL)
		return -EINVAL;
	for (plink_t *l = p->counters.next; l != &p->counters; l = l->next)
		if (strcmp(PCONTAINER(l, pcounter_t, link)->name, name) == 0)
			return -EEXIST;
	if (p->env.metrics == NULL)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	rc = metrics_ext_new(p->env.metrics, name, help, p->name, read, arg, &c->ext);
	if (rc < 0) {
		log_warn(p->subject, "plugin %s: counter \"%s\" not published: %s", p->desc->name,
		         name, rc == -EINVAL ? "a name must be [a-z][a-z0-9_]* ending in _total, "
		                               "and not one of ddnsd's own" : strerror(-rc));
		free(c);
		return rc;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	plink_add(&p->counters, &c->link);
	return 0;
}

/* A txt_update() in flight: the pipeline answers it, maybe after the
 * instance is gone (then the wrapper is off the list, and only freed). */
typedef struct ptxt {
	plink_t link;
	provider_t *p;
	ddns_txt_cb cb;
	void *arg;
} ptxt_t;

static void txt_done(int result, const char *message, void *arg)
{
	ptxt_t *w = arg;
	bool orphan = w->link.next == NULL;
	plink_del(&w->link);
	ddns_txt_cb cb = w->cb;
	void *cb_arg = w->arg;
	provider_t *p = w->p;
	free(w);
	if (!orphan)
		PROVIDER_CALL(p, "TXT outcome", cb(result, message, cb_arg));
}

int provider_txt_update(ddns_ctx_t *ctx, const char *record, ddns_txt_op_t op,
                        const char *value, const char *client, ddns_txt_cb cb, void *arg)
{
	provider_t *p = ctx->p;
	if (p->env.txt_update == NULL)
		return -ENOTSUP;
	if (cb == NULL || record == NULL || op < DDNS_TXT_ADD || op > DDNS_TXT_CLEAR ||
	    (op != DDNS_TXT_CLEAR && value == NULL))
		return -EINVAL;
	ptxt_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (ptxt_t){ .p = p, .cb = cb, .arg = arg };
	plink_add(&p->txts, &w->link);
	int rc = p->env.txt_update(p->env.txt_update_arg, record, op,
	                           op == DDNS_TXT_CLEAR ? NULL : value, client, txt_done, w);
	if (rc != 0) {
		plink_del(&w->link);
		free(w);
	}
	return rc;
}

void provider_reclaim(provider_t *p, bool warn)
{
	/* An outcome still to come is dropped when it comes, not cancelled:
	 * the TXT change itself goes on (the client asked for it). */
	while (p->txts.next != &p->txts)
		plink_del(p->txts.next);
	/* Counters are published until the instance goes: not a leak. */
	while (p->counters.next != &p->counters) {
		pcounter_t *c = PCONTAINER(p->counters.next, pcounter_t, link);
		plink_del(&c->link);
		metrics_ext_free(c->ext);
		free(c);
	}
	while (p->timers.next != &p->timers) {
		if (warn)
			log_warn(p->subject, "plugin %s left a timer running; stopped",
			         p->desc->name);
		provider_timer_stop(PCONTAINER(p->timers.next, ddns_timer_t, link));
	}
	while (p->watches.next != &p->watches) {
		if (warn)
			log_warn(p->subject, "plugin %s left an fd watch; removed",
			         p->desc->name);
		provider_fd_unwatch(PCONTAINER(p->watches.next, ddns_fd_watch_t, link));
	}
	while (p->https.next != &p->https) {
		if (warn)
			log_warn(p->subject, "plugin %s left an HTTP request running; "
			         "cancelled", p->desc->name);
		provider_http_cancel(PCONTAINER(p->https.next, phttp_t, link));
	}
}
