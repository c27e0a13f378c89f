/*
 * The mock host: ddnsd's host services for one plugin, on a private loop
 * with the daemon's real HTTP client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "mock_host.h"

#define MH_MAX_OPTIONS 16

typedef struct mh_option {
	char *name;
	ddns_opt_type_t type;
	char *str;
	int64_t num;
} mh_option_t;

struct ddns_ctx {
	mock_host_t *mh;
};

struct mock_host {
	struct ddns_ctx ctx;
	ddns_host_t host;
	uv_loop_t loop;
	http_client_t *http;
	void *dl;
	const ddns_plugin_t *plugin;
	mh_option_t options[MH_MAX_OPTIONS];
	size_t n_options;
	char error[1024];
	bool rr_set[4];   /* the last update's host->update_result() calls */
	int rr[4];
	char *logs;
	size_t logs_len;
};

struct ddns_timer {
	uv_timer_t handle;
	ddns_timer_cb cb;
	void *arg;
};

static uint64_t mh_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static void mh_log(ddns_ctx_t *ctx, ddns_log_level_t level, const char *fmt, ...)
{
	mock_host_t *mh = ctx->mh;
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "[plugin log %d] %s\n", (int)level, line);
	char *grown = realloc(mh->logs, mh->logs_len + strlen(line) + 2);
	if (grown == NULL)
		return;
	mh->logs = grown;
	mh->logs_len += (size_t)sprintf(mh->logs + mh->logs_len, "%s\n", line);
}

static const char *mh_instance_name(ddns_ctx_t *ctx)
{
	return "test";
}

static mh_option_t *find_option(mock_host_t *mh, const char *name)
{
	for (size_t i = 0; i < mh->n_options; i++)
		if (strcmp(mh->options[i].name, name) == 0)
			return &mh->options[i];
	return NULL;
}

/* The declaration of @p name with a default, as ddnsd serves it when the
 * option is absent. */
static const ddns_option_t *declared_default(mock_host_t *mh, const char *name)
{
	if (mh->plugin == NULL || mh->plugin->options == NULL)
		return NULL;
	for (const ddns_option_t *d = mh->plugin->options; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d->def != NULL ? d : NULL;
	return NULL;
}

static int mh_conf_string(ddns_ctx_t *ctx, const char *name, const char **out)
{
	mh_option_t *o = find_option(ctx->mh, name);
	const ddns_option_t *d = o == NULL ? declared_default(ctx->mh, name) : NULL;

	if (d != NULL && d->type == DDNS_OPT_STRING) {
		*out = d->def;
		return 0;
	}
	if (o == NULL)
		return -ENOENT;
	if (o->type != DDNS_OPT_STRING)
		return -EINVAL;
	*out = o->str;
	return 0;
}

static int mh_conf_int(ddns_ctx_t *ctx, const char *name, int64_t *out)
{
	mh_option_t *o = find_option(ctx->mh, name);
	const ddns_option_t *d = o == NULL ? declared_default(ctx->mh, name) : NULL;

	if (d != NULL && d->type == DDNS_OPT_INT) {
		*out = strtoll(d->def, NULL, 10);
		return 0;
	}
	if (o == NULL)
		return -ENOENT;
	if (o->type != DDNS_OPT_INT)
		return -EINVAL;
	*out = o->num;
	return 0;
}

static int mh_conf_bool(ddns_ctx_t *ctx, const char *name, int *out)
{
	mh_option_t *o = find_option(ctx->mh, name);
	const ddns_option_t *d = o == NULL ? declared_default(ctx->mh, name) : NULL;

	if (d != NULL && d->type == DDNS_OPT_BOOL) {
		*out = strcmp(d->def, "true") == 0;
		return 0;
	}
	if (o == NULL)
		return -ENOENT;
	if (o->type != DDNS_OPT_BOOL)
		return -EINVAL;
	*out = o->num != 0;
	return 0;
}

static int mh_conf_list_count(ddns_ctx_t *ctx, const char *name)
{
	mh_option_t *o = find_option(ctx->mh, name);

	return o != NULL && o->type == DDNS_OPT_STRING ? 1 : 0;
}

static const char *mh_conf_list_item(ddns_ctx_t *ctx, const char *name, int i)
{
	mh_option_t *o = find_option(ctx->mh, name);

	return o != NULL && o->type == DDNS_OPT_STRING && i == 0 ? o->str : NULL;
}

static void mh_conf_error(ddns_ctx_t *ctx, const char *option, const char *fmt, ...)
{
	mock_host_t *mh = ctx->mh;
	int n = snprintf(mh->error, sizeof(mh->error), "%s: ", option ? option : "(instance)");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mh->error + n, sizeof(mh->error) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* What a plugin holds: a handle of its own around the client's request, as
 * in the real host (provider_handles.c). */
struct ddns_http {
	http_req_t *req;
	ddns_http_cb cb;
	void *arg;
};

static void mh_http_done(const ddns_http_response_t *res, void *arg)
{
	ddns_http_t *w = arg;
	ddns_http_cb cb = w->cb;
	void *cb_arg = w->arg;
	free(w);
	cb(res, cb_arg);
}

static int mh_http_request_sigv4(ddns_ctx_t *ctx, const ddns_http_request_t *req,
                                 const ddns_http_sigv4_t *sig, ddns_http_cb cb, void *arg,
                                 ddns_http_t **out)
{
	ddns_http_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (ddns_http_t){ .cb = cb, .arg = arg };
	int rc = http_client_request_signed(ctx->mh->http, req, sig, mh_http_done, w, &w->req);
	if (rc != 0) {
		free(w);
		return rc;
	}
	if (out != NULL)
		*out = w;
	return 0;
}

static int mh_http_request(ddns_ctx_t *ctx, const ddns_http_request_t *req, ddns_http_cb cb,
                           void *arg, ddns_http_t **out)
{
	return mh_http_request_sigv4(ctx, req, NULL, cb, arg, out);
}

static void mh_http_cancel(ddns_http_t *w)
{
	if (w == NULL)
		return;
	http_client_cancel(w->req);
	free(w);
}

static void timer_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static void timer_fire_cb(uv_timer_t *t)
{
	ddns_timer_t *timer = t->data;

	timer->cb(timer->arg);
	uv_close((uv_handle_t *)&timer->handle, timer_free_cb);
}

static int mh_timer_start(ddns_ctx_t *ctx, uint64_t ms, ddns_timer_cb cb, void *arg,
                          ddns_timer_t **out)
{
	ddns_timer_t *timer = calloc(1, sizeof(*timer));

	if (timer == NULL)
		return -ENOMEM;
	timer->cb = cb;
	timer->arg = arg;
	timer->handle.data = timer;
	uv_timer_init(&ctx->mh->loop, &timer->handle);
	uv_timer_start(&timer->handle, timer_fire_cb, ms, 0);
	if (out != NULL)
		*out = timer;
	return 0;
}

static void mh_timer_stop(ddns_timer_t *timer)
{
	uv_timer_stop(&timer->handle);
	uv_close((uv_handle_t *)&timer->handle, timer_free_cb);
}

static int mh_records_foreach(ddns_ctx_t *ctx, ddns_record_cb cb, void *arg)
{
	return 0;
}

/* One update run by mock_host_update(). */
typedef struct mh_update {
	ddns_update_t u; /* first: update_done finds the host from it */
	mock_host_t *mh;
	void *instance;
	uv_timer_t deadline;
	bool gave_up;
	unsigned done_calls;
	int result;
	char message[2048];
	bool rr_set[4]; /* by ddns_rrtype_t */
	int rr[4];
} mh_update_t;

static void mh_update_done(ddns_update_t *update, int result, const char *message)
{
	mh_update_t *up = (mh_update_t *)update;

	up->done_calls++;
	up->result = result;
	snprintf(up->message, sizeof(up->message), "%s", message ? message : "");
}

static void mh_update_result(ddns_update_t *update, ddns_rrtype_t type, int result,
                             const char *message)
{
	mh_update_t *up = (mh_update_t *)update;

	(void)message;
	assert_true(type >= DDNS_RR_A && type <= DDNS_RR_TXT);
	assert_int_equal(up->done_calls, 0); /* before update_done */
	assert_false(up->rr_set[type]);      /* once per type */
	up->rr_set[type] = true;
	up->rr[type] = result;
}

int mock_host_new(mock_host_t **out)
{
	mock_host_t *mh = calloc(1, sizeof(*mh));
	int rc;

	if (mh == NULL)
		return -ENOMEM;
	mh->ctx.mh = mh;
	mh->host = (ddns_host_t){
		.abi = DDNS_HOST_ABI,
		.size = sizeof(ddns_host_t),
		.log = mh_log,
		.now_ms = mh_now_ms,
		.instance_name = mh_instance_name,
		.conf_string = mh_conf_string,
		.conf_int = mh_conf_int,
		.conf_bool = mh_conf_bool,
		.conf_list_count = mh_conf_list_count,
		.conf_list_item = mh_conf_list_item,
		.conf_error = mh_conf_error,
		.http_request = mh_http_request,
		.http_cancel = mh_http_cancel,
		.timer_start = mh_timer_start,
		.timer_stop = mh_timer_stop,
		.records_foreach = mh_records_foreach,
		.update_done = mh_update_done,
		.update_result = mh_update_result,
		.http_request_sigv4 = mh_http_request_sigv4,
	};
	rc = uv_loop_init(&mh->loop);
	if (rc == 0)
		rc = http_client_new(&mh->loop, &mh->http);
	if (rc < 0) {
		free(mh);
		return rc;
	}
	*out = mh;
	return 0;
}

static void clear_options(mock_host_t *mh)
{
	for (size_t i = 0; i < mh->n_options; i++) {
		free(mh->options[i].name);
		free(mh->options[i].str);
	}
	mh->n_options = 0;
}

int mock_host_free(mock_host_t *mh)
{
	int rc;

	http_client_free(mh->http);
	uv_run(&mh->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&mh->loop);
	clear_options(mh);
	if (mh->dl)
		dlclose(mh->dl);
	free(mh->logs);
	free(mh);
	return rc;
}

const ddns_plugin_t *mock_host_load(mock_host_t *mh, const char *name)
{
	const char *dir = getenv("DDNS_TEST_PLUGIN_DIR");
	char path[4096];
	const ddns_plugin_t *p;

	snprintf(path, sizeof(path), "%s/%s.so", dir ? dir : "plugins/.libs", name);
	mh->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (mh->dl == NULL) {
		fprintf(stderr, "mock_host: %s\n", dlerror());
		return NULL;
	}
	p = dlsym(mh->dl, DDNS_PLUGIN_SYMBOL);
	if (p == NULL || p->abi != DDNS_PLUGIN_ABI || p->size != sizeof(ddns_plugin_t)) {
		fprintf(stderr, "mock_host: %s: bad or missing descriptor\n", path);
		return NULL;
	}
	mh->plugin = p;
	return p;
}

static mh_option_t *new_option(mock_host_t *mh, const char *name, ddns_opt_type_t type)
{
	mh_option_t *o = find_option(mh, name);

	if (o == NULL) {
		assert_true(mh->n_options < MH_MAX_OPTIONS);
		o = &mh->options[mh->n_options++];
		o->name = strdup(name);
	}
	free(o->str);
	o->str = NULL;
	o->type = type;
	return o;
}

void mock_host_set(mock_host_t *mh, const char *name, const char *value)
{
	new_option(mh, name, DDNS_OPT_STRING)->str = strdup(value);
}

void mock_host_set_int(mock_host_t *mh, const char *name, int64_t value)
{
	new_option(mh, name, DDNS_OPT_INT)->num = value;
}

void mock_host_set_bool(mock_host_t *mh, const char *name, bool value)
{
	new_option(mh, name, DDNS_OPT_BOOL)->num = value;
}

/* What ddnsd's plugin_check_options() does before create(), ranges
 * included. */
static int check_options(mock_host_t *mh)
{
	const ddns_option_t *d;

	for (size_t i = 0; i < mh->n_options; i++) {
		const mh_option_t *o = &mh->options[i];
		for (d = mh->plugin->options; d->name && strcmp(d->name, o->name); d++)
			;
		if (d->name == NULL) {
			snprintf(mh->error, sizeof(mh->error), "%s: unknown option", o->name);
			return DDNS_ECONFIG;
		}
		if (d->flags & DDNS_OPT_REJECTED) {
			snprintf(mh->error, sizeof(mh->error), "%s: %s", o->name, d->help);
			return DDNS_ECONFIG;
		}
		if (d->type != o->type && !(d->type == DDNS_OPT_LIST && o->type == DDNS_OPT_STRING)) {
			snprintf(mh->error, sizeof(mh->error), "%s: wrong type", o->name);
			return DDNS_ECONFIG;
		}
		if (d->type == DDNS_OPT_INT && (d->min != 0 || d->max != 0) &&
		    (o->num < d->min || o->num > d->max)) {
			snprintf(mh->error, sizeof(mh->error), "%s: %lld is out of range "
			         "(%lld to %lld)", o->name, (long long)o->num,
			         (long long)d->min, (long long)d->max);
			return DDNS_ECONFIG;
		}
	}
	for (d = mh->plugin->options; d->name; d++) {
		if ((d->flags & DDNS_OPT_REQUIRED) && find_option(mh, d->name) == NULL) {
			snprintf(mh->error, sizeof(mh->error), "%s: required", d->name);
			return DDNS_ECONFIG;
		}
	}
	return 0;
}

int mock_host_create(mock_host_t *mh, void **instance)
{
	int rc;

	mh->error[0] = '\0';
	rc = check_options(mh);
	if (rc == 0)
		rc = mh->plugin->create(&mh->ctx, &mh->host, instance);
	return rc;
}

int mock_host_create_unchecked(mock_host_t *mh, void **instance)
{
	mh->error[0] = '\0';
	return mh->plugin->create(&mh->ctx, &mh->host, instance);
}

void mock_host_destroy(mock_host_t *mh, void *instance)
{
	mh->plugin->destroy(instance);
	/* Let handles the plugin closed finish closing. */
	uv_run(&mh->loop, UV_RUN_NOWAIT);
}

const char *mock_host_error(const mock_host_t *mh)
{
	return mh->error;
}

const char *mock_host_logs(const mock_host_t *mh)
{
	return mh->logs ? mh->logs : "";
}

static void deadline_cb(uv_timer_t *t)
{
	mh_update_t *up = t->data;

	up->gave_up = true;
	if (up->mh->plugin->cancel != NULL && up->done_calls == 0)
		up->mh->plugin->cancel(up->instance, &up->u);
}

static void close_nop(uv_handle_t *h)
{
}

static bool all_done(const mh_update_t *ups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ups[i].done_calls == 0 && ups[i].result == 0)
			return false;
	return true;
}

void mock_host_update_many(mock_host_t *mh, void *instance, mock_update_t *list, size_t n,
                           uint32_t timeout_ms)
{
	mh_update_t *ups = test_calloc(n, sizeof(*ups));
	uint64_t guard = mh_now_ms() + timeout_ms + 15000;
	size_t i;

	for (i = 0; i < n; i++) {
		mh_update_t *up = &ups[i];
		int rc;

		up->u = (ddns_update_t){ .name = list[i].name, .ipv4 = list[i].ipv4,
		                         .ipv6 = list[i].ipv6, .txt_name = list[i].txt_name,
		                         .txt_values = list[i].txt_values,
		                         .n_txt_values = list[i].n_txt_values,
		                         .deadline_ms = mh_now_ms() + timeout_ms };
		up->mh = mh;
		up->instance = instance;
		uv_timer_init(&mh->loop, &up->deadline);
		up->deadline.data = up;
		rc = mh->plugin->update(instance, &up->u);
		if (rc < 0) {
			up->result = rc; /* refused: no done expected */
			snprintf(up->message, sizeof(up->message), "update() refused: %d", rc);
			continue;
		}
		assert_int_equal(up->done_calls, 0); /* never from inside update() */
		uv_timer_start(&up->deadline, deadline_cb, timeout_ms, 0);
	}
	while (!all_done(ups, n) && mh_now_ms() < guard)
		uv_run(&mh->loop, UV_RUN_ONCE);
	for (i = 0; i < n; i++)
		uv_close((uv_handle_t *)&ups[i].deadline, close_nop);
	uv_run(&mh->loop, UV_RUN_NOWAIT);
	for (i = 0; i < n; i++) {
		const mh_update_t *up = &ups[i];
		if (up->done_calls > 1 || (up->done_calls == 0 && up->result == 0))
			fail_msg("update_done called %u times for %s", up->done_calls, up->u.name);
		list[i].result = up->gave_up ? DDNS_ETIMEOUT : up->result;
		memcpy(mh->rr_set, up->rr_set, sizeof(mh->rr_set));
		memcpy(mh->rr, up->rr, sizeof(mh->rr));
		snprintf(list[i].msg, sizeof(list[i].msg), "%s", up->message);
		fprintf(stderr, "[update %s] %d: %s\n", up->u.name, up->result, up->message);
	}
	test_free(ups);
}

int mock_host_update(mock_host_t *mh, void *instance, const char *name, const char *ipv4,
                     const char *ipv6, uint32_t timeout_ms, char *msg, size_t msglen)
{
	mock_update_t one = { .name = name, .ipv4 = ipv4, .ipv6 = ipv6 };

	mock_host_update_many(mh, instance, &one, 1, timeout_ms);
	snprintf(msg, msglen, "%s", one.msg);
	return one.result;
}

bool mock_host_rr(const mock_host_t *mh, ddns_rrtype_t type, int *result)
{
	if (type < DDNS_RR_A || type > DDNS_RR_TXT || !mh->rr_set[type])
		return false;
	*result = mh->rr[type];
	return true;
}
