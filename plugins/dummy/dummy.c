/* dummy.so: django-dynamic-dns's Dummy provider.  It changes nothing anywhere and says
 * so; options make it fail, fail for some names, or take its time, so the
 * host's failure, timeout and shutdown paths can be tested for real.
 * Uses nothing but <ddns/plugin.h>. */
#include <ddns/plugin.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pending {
	struct dummy *d;
	ddns_update_t *update;
	ddns_timer_t *timer;
	struct pending *prev, *next;
} pending_t;

typedef struct dummy {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	const char *fail;  /* borrowed from the host's configuration */
	int64_t delay_ms;
	pending_t *pending;
} dummy_t;

static const ddns_option_t dummy_options[] = {
	{ .name = "fail", .type = DDNS_OPT_STRING, .help = "fail every update with this message" },
	{ .name = "delay_ms", .type = DDNS_OPT_INT, .help = "take this many milliseconds per update",
	  .min = 0, .max = 3600 * 1000, .def = "0" },
	{ .name = "fail_names", .type = DDNS_OPT_LIST, .help = "fail only updates of these names" },
	{ .name = "fail_family", .type = DDNS_OPT_STRING,
	  .help = "\"A\", \"AAAA\" or \"TXT\": fail this record type (and apply the other family)" },
	{ .name = NULL },
};

static int dummy_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	dummy_t *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->ctx = ctx;
	d->host = host;
	if (host->conf_string(ctx, "fail", &d->fail) != 0)
		d->fail = NULL;
	/* in range, 0 by default: the host checked it against the declaration */
	if (host->conf_int(ctx, "delay_ms", &d->delay_ms) != 0)
		d->delay_ms = 0;
	*instance = d;
	return 0;
}

static bool fails_name(dummy_t *d, const char *name)
{
	int n = d->host->conf_list_count(d->ctx, "fail_names");
	for (int i = 0; i < n; i++) {
		const char *item = d->host->conf_list_item(d->ctx, "fail_names", i);
		if (item != NULL && strcmp(item, name) == 0)
			return true;
	}
	return false;
}

/* With fail_family: the other family is applied (and said so per record
 * type, so the host stores it), this one fails. */
static bool fails_family(dummy_t *d, ddns_update_t *u)
{
	const char *fam;
	if (d->host->conf_string(d->ctx, "fail_family", &fam) != 0)
		return false;
	bool v4 = strcmp(fam, "A") == 0;
	if (!v4 && strcmp(fam, "AAAA") != 0)
		return false;
	const char *mine = v4 ? u->ipv4 : u->ipv6, *other = v4 ? u->ipv6 : u->ipv4;
	if (mine == NULL)
		return false;
	if (other != NULL && DDNS_HOST_HAS(d->host, update_result))
		d->host->update_result(u, v4 ? DDNS_RR_AAAA : DDNS_RR_A, DDNS_OK,
		                       v4 ? "dummy: AAAA applied" : "dummy: A applied");
	d->host->update_done(u, DDNS_EPROVIDER, v4 ? "dummy: A fails as configured"
	                                           : "dummy: AAAA fails as configured");
	return true;
}

/* A TXT record set (DDNS_CAP_TXT): nothing is set anywhere, as for A and
 * AAAA, but the answer repeats what the host handed over. */
static void complete_txt(dummy_t *d, ddns_update_t *u)
{
	const char *fam;
	if (d->host->conf_string(d->ctx, "fail_family", &fam) == 0 && strcmp(fam, "TXT") == 0) {
		d->host->update_done(u, DDNS_EPROVIDER, "dummy: TXT fails as configured");
		return;
	}
	char msg[1024];
	size_t off = (size_t)snprintf(msg, sizeof(msg), "dummy: TXT %s =", u->txt_name);
	for (size_t i = 0; i < u->n_txt_values && off < sizeof(msg); i++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, " \"%s\"", u->txt_values[i]);
	if (off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, "%s (ttl %u)",
		         u->n_txt_values == 0 ? " (deleted)" : "", (unsigned)u->txt_ttl);
	d->host->update_done(u, DDNS_OK, msg);
}

static void complete(dummy_t *d, ddns_update_t *u)
{
	if (u->txt_name != NULL) {
		complete_txt(d, u);
		return;
	}
	if (fails_family(d, u))
		return;
	if (d->fail != NULL)
		d->host->update_done(u, DDNS_EPROVIDER, d->fail);
	else if (fails_name(d, u->name))
		d->host->update_done(u, DDNS_EPROVIDER, "dummy: this name fails as configured");
	else
		d->host->update_done(u, DDNS_OK, "dummy: applied");
}

static void pending_drop(pending_t *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		p->d->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	free(p);
}

static void delay_over(void *arg)
{
	pending_t *p = arg;
	dummy_t *d = p->d;
	ddns_update_t *u = p->update;
	pending_drop(p);
	complete(d, u);
}

static int dummy_update(void *instance, ddns_update_t *u)
{
	dummy_t *d = instance;
	if (d->delay_ms == 0) {
		complete(d, u); /* django-dynamic-dns's Dummy answered at once */
		return 0;
	}
	pending_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->d = d;
	p->update = u;
	int rc = d->host->timer_start(d->ctx, (uint64_t)d->delay_ms, delay_over, p,
	                              &p->timer);
	if (rc != 0) {
		free(p);
		return rc;
	}
	p->next = d->pending;
	if (d->pending != NULL)
		d->pending->prev = p;
	d->pending = p;
	u->module_data = p;
	/* Tests wait for this line to know the update is with the provider. */
	d->host->log(d->ctx, DDNS_LOG_DEBUG, "%s: answering in %lld ms", u->name,
	             (long long)d->delay_ms);
	return 0;
}

static void dummy_cancel(void *instance, ddns_update_t *u)
{
	dummy_t *d = instance;
	pending_t *p = u->module_data;
	if (p == NULL)
		return;
	d->host->timer_stop(p->timer);
	pending_drop(p);
	u->module_data = NULL;
	d->host->update_done(u, DDNS_ECANCELED, "dummy: cancelled");
}

static void dummy_destroy(void *instance)
{
	dummy_t *d = instance;
	while (d->pending != NULL) {
		d->host->timer_stop(d->pending->timer);
		pending_drop(d->pending);
	}
	free(d);
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "dummy",
	.version = "1.0",
	.description = "changes nothing; succeeds, or fails or waits on request (tests)",
	DDNS_PLUGIN_OPTIONS(dummy_options),
	.caps = DDNS_CAP_TXT,
	.create = dummy_create,
	.destroy = dummy_destroy,
	.update = dummy_update,
	.cancel = dummy_cancel,
};
