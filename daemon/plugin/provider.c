/* Provider instances: creation from a `providers` entry, updates with a
 * deadline and exactly-once completion, reference counting.
 *
 * Every completion reaches the caller from a uv_timer callback of the
 * update's own wrapper, never from inside the plugin's stack: the caller may
 * then drop its last reference and destroy the instance safely. */
#include "provider_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "error.h"
#include "log.h"

/** The host's side of a ddns_update_t (the plugin sees only pub). */
typedef struct upd {
	ddns_update_t pub; /* first: the plugin's pointer is ours */
	plink_t link;
	uv_timer_t timer;  /* the deadline, then the delivery of the result */
	provider_t *p;
	provider_done_cb cb;
	void *arg;
	unsigned seq;
	bool reported;     /* the caller has its one callback */
	bool plugin_done;  /* the plugin called update_done (or never will) */
	bool deferred;     /* a result waits in result/message for the timer */
	bool closing;
	int result;
	char *message;
	char *strs[6];
	char **txt;        /* the TXT strings' copies (txt_values) */
	size_t n_txt;
	bool rr_set[PROVIDER_RR_N]; /* host->update_result() reported the type */
	int rr[PROVIDER_RR_N];
	char *rr_msg[PROVIDER_RR_N];
} upd_t;

#define UPD_OF(l) ((upd_t *)(void *)((char *)(l) - offsetof(upd_t, link)))

static void upd_free_strs(upd_t *u)
{
	for (size_t i = 0; i < sizeof(u->strs) / sizeof(u->strs[0]); i++)
		free(u->strs[i]);
	for (size_t i = 0; i < u->n_txt; i++)
		free(u->txt[i]);
	free(u->txt);
}

static void upd_closed(uv_handle_t *h)
{
	upd_t *u = h->data;
	provider_t *p = u->p;
	upd_free_strs(u);
	for (size_t i = 0; i < PROVIDER_RR_N; i++)
		free(u->rr_msg[i]);
	free(u->message);
	free(u);
	p->handles--;
	provider_maybe_free(p);
}

static void upd_release(upd_t *u)
{
	if (u->closing)
		return;
	u->closing = true;
	plink_del(&u->link);
	uv_close((uv_handle_t *)&u->timer, upd_closed);
}

/* Whether @p u asked for record type @p i. */
static bool upd_asks(const upd_t *u, int i)
{
	switch (i) {
	case PROVIDER_RR_A:
		return u->pub.ipv4 != NULL;
	case PROVIDER_RR_AAAA:
		return u->pub.ipv6 != NULL;
	case PROVIDER_RR_TXT:
		return u->pub.txt_name != NULL;
	default:
		return false;
	}
}

/* The caller's outcome: each type the plugin reported keeps its own result
 * (a confirmation stays one even when the rest timed out), the others take
 * @p result.  The whole is a failure when any type asked for failed. */
static void upd_report(upd_t *u, int result, const char *message)
{
	provider_outcome_t o = { .result = result, .message = message };
	for (int i = 0; i < PROVIDER_RR_N; i++) {
		o.rr[i] = u->rr_set[i] ? u->rr[i] : result;
		o.rr_message[i] = u->rr_set[i] ? u->rr_msg[i] : NULL;
		if (o.result == DDNS_OK && upd_asks(u, i) && o.rr[i] != DDNS_OK) {
			o.result = o.rr[i];
			if (o.message == NULL)
				o.message = o.rr_message[i];
		}
	}
	u->reported = true;
	u->p->inflight--;
	uv_timer_stop(&u->timer);
	u->cb(&o, u->arg);
	provider_t *p = u->p;
	if (p->inflight == 0 && p->idle_cb != NULL)
		p->idle_cb(p, p->idle_arg);
}

/* Updates the plugin still works on that it was never asked to drop: a
 * plugin without cancel keeps each until it calls update_done, even past
 * the deadline (the caller has had its timeout).  destroy() promises that
 * every update was completed or cancelled, so it waits for these. */
static bool plugin_holds_updates(const provider_t *p)
{
	if (p->desc->cancel != NULL)
		return false; /* each given up on was cancelled */
	for (const plink_t *l = p->updates.next; l != &p->updates; l = l->next)
		if (!UPD_OF(l)->plugin_done)
			return true;
	return false;
}

static void maybe_destroy(provider_t *p)
{
	if (p->refs > 0 || p->inflight > 0 || p->destroying || plugin_holds_updates(p))
		return;
	p->destroying = true;
	if (p->inst != NULL)
		PROVIDER_CALL(p, "destroy", p->desc->destroy(p->inst));
	p->inst = NULL;
	provider_reclaim(p, true);
	/* Updates given up on (timeout, cancel) that the plugin never finished:
	 * after destroy() it will not, so their memory goes now. */
	while (p->updates.next != &p->updates)
		upd_release(UPD_OF(p->updates.next));
	plugin_module_unref(p->mod);
	p->mod = NULL;
	log_debug(p->subject, "destroyed");
	provider_maybe_free(p);
}

static void upd_timer_cb(uv_timer_t *h)
{
	upd_t *u = h->data;
	provider_t *p = u->p;
	if (u->reported) {
		if (u->plugin_done) { /* a late answer (see provider_update_done) */
			upd_release(u);
			maybe_destroy(p);
		}
		return;
	}
	p->refs++; /* the caller's callback may drop the last reference */
	if (u->deferred) {
		upd_report(u, u->result, u->message);
		upd_release(u);
	} else {
		char msg[128];
		snprintf(msg, sizeof(msg), "provider %s gave no answer within the deadline",
		         p->name);
		log_warn(p->subject, "update of %s: %s", u->pub.name, "deadline passed");
		upd_report(u, DDNS_ETIMEOUT, msg);
		if (!u->plugin_done && p->desc->cancel != NULL)
			PROVIDER_CALL(p, "cancel", p->desc->cancel(p->inst, &u->pub));
	}
	provider_unref(p);
}

void provider_update_done(ddns_update_t *update, int result, const char *message)
{
	upd_t *u = (upd_t *)update;
	if (u->plugin_done) {
		log_warn(u->p->subject, "update of %s completed twice; ignored", u->pub.name);
		return;
	}
	u->plugin_done = true;
	if (u->reported) {
		/* late: the caller already has a timeout or cancel.  Released
		 * from the timer, off the plugin's stack: an instance that
		 * waited for this answer to be destroyed goes then. */
		uv_timer_start(&u->timer, upd_timer_cb, 0, 0);
		return;
	}
	if (result > 0)
		result = DDNS_EPROVIDER;
	/* Past the deadline the caller is owed a timeout, not a late success:
	 * a plugin that blocked the loop (its deadline timer could not fire)
	 * answers in time only in its own eyes. */
	uint64_t now = provider_now_ms();
	char late[160];
	if (now > u->pub.deadline_ms) {
		unsigned long long ms = now - u->pub.deadline_ms;
		log_warn(u->p->subject, "update of %s: answered %llu ms after the deadline "
		         "(did it block?): treated as timed out", u->pub.name, ms);
		snprintf(late, sizeof(late), "provider %s answered %llu ms after the deadline",
		         u->p->name, ms);
		result = DDNS_ETIMEOUT;
		message = late;
	}
	u->result = result;
	u->message = message != NULL ? strdup(message) : NULL;
	u->deferred = true;
	uv_timer_start(&u->timer, upd_timer_cb, 0, 0);
}

void provider_update_result(ddns_update_t *update, ddns_rrtype_t type, int result,
                            const char *message)
{
	upd_t *u = (upd_t *)update;
	int i = type == DDNS_RR_A ? PROVIDER_RR_A : type == DDNS_RR_AAAA ? PROVIDER_RR_AAAA
	        : type == DDNS_RR_TXT ? PROVIDER_RR_TXT : -1;
	if (i < 0 || !upd_asks(u, i)) {
		log_warn(u->p->subject, "update of %s: a result for record type %d, which "
		         "it did not ask for; ignored", u->pub.name, (int)type);
		return;
	}
	if (u->plugin_done || u->rr_set[i]) {
		log_warn(u->p->subject, "update of %s: record type %d reported %s; ignored",
		         u->pub.name, (int)type, u->plugin_done ? "after update_done" : "twice");
		return;
	}
	/* Past the deadline it is as late as an update_done would be: the
	 * caller has (or will have) a timeout for it. */
	if (u->reported || provider_now_ms() > u->pub.deadline_ms)
		return;
	u->rr_set[i] = true;
	u->rr[i] = result > 0 ? DDNS_EPROVIDER : result;
	u->rr_msg[i] = message != NULL ? strdup(message) : NULL;
}

static int upd_copy(upd_t *u, size_t i, const char *s, const char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((u->strs[i] = strdup(s)) == NULL)
		return -ENOMEM;
	*out = u->strs[i];
	return 0;
}

/* A TXT change: only to a plugin that can, and well-formed. */
static int txt_check(const provider_t *p, const provider_change_t *c, char *name)
{
	if (!(p->desc->caps & DDNS_CAP_TXT)) {
		log_warn(p->subject, "TXT %s: plugin %s cannot set TXT records (no "
		         "DDNS_CAP_TXT)", c->txt_name, p->desc->name);
		return DDNS_EPROVIDER;
	}
	if (c->ipv4 != NULL || c->ipv6 != NULL || addr_name_normalize(c->txt_name, name) != 0 ||
	    (c->n_txt_values > 0 && c->txt_values == NULL))
		return -EINVAL;
	for (size_t i = 0; i < c->n_txt_values; i++)
		if (c->txt_values[i] == NULL || strlen(c->txt_values[i]) > 255)
			return -EINVAL;
	return 0;
}

static int txt_copy(upd_t *u, const provider_change_t *c, const char *name)
{
	if (upd_copy(u, 5, name, &u->pub.txt_name) != 0)
		return -ENOMEM;
	u->txt = calloc(c->n_txt_values + 1, sizeof(*u->txt));
	if (u->txt == NULL)
		return -ENOMEM;
	for (; u->n_txt < c->n_txt_values; u->n_txt++)
		if ((u->txt[u->n_txt] = strdup(c->txt_values[u->n_txt])) == NULL)
			return -ENOMEM;
	u->pub.txt_values = (const char *const *)u->txt;
	u->pub.n_txt_values = u->n_txt;
	u->pub.txt_ttl = c->txt_ttl;
	return 0;
}

int provider_update(provider_t *p, const provider_change_t *c,
                    provider_done_cb cb, void *arg)
{
	if (p->destroying || p->inst == NULL)
		return DDNS_ECANCELED;
	if (cb == NULL || c->name == NULL)
		return -EINVAL;
	char txt_name[NAME_TEXT_MAX];
	int rc;
	if (c->txt_name != NULL && (rc = txt_check(p, c, txt_name)) != 0)
		return rc;
	upd_t *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->p = p;
	u->cb = cb;
	u->arg = arg;
	if (upd_copy(u, 0, c->name, &u->pub.name) != 0 ||
	    upd_copy(u, 1, c->ipv4, &u->pub.ipv4) != 0 ||
	    upd_copy(u, 2, c->ipv6, &u->pub.ipv6) != 0 ||
	    upd_copy(u, 3, c->old_ipv4, &u->pub.old_ipv4) != 0 ||
	    upd_copy(u, 4, c->old_ipv6, &u->pub.old_ipv6) != 0 ||
	    (c->txt_name != NULL && txt_copy(u, c, txt_name) != 0)) {
		upd_free_strs(u);
		free(u);
		return -ENOMEM;
	}
	uint32_t timeout = c->timeout_ms > 0 ? c->timeout_ms
		: p->conf != NULL ? p->conf->update_timeout_ms : 30000;
	u->pub.deadline_ms = provider_now_ms() + timeout;
	uv_timer_init(p->env.loop, &u->timer);
	u->timer.data = u;
	p->handles++;
	uv_timer_start(&u->timer, upd_timer_cb, timeout, 0);
	plink_add(&p->updates, &u->link);
	u->seq = ++p->seq;
	p->inflight++;

	PROVIDER_CALL(p, "update", rc = p->desc->update(p->inst, &u->pub));
	if (rc != 0) {
		if (u->plugin_done)
			log_warn(p->subject, "plugin %s both failed and completed an "
			         "update; the failure counts", p->desc->name);
		u->reported = true;
		u->plugin_done = true;
		p->inflight--;
		upd_release(u);
		return rc < 0 ? rc : DDNS_EPROVIDER;
	}
	return 0;
}

void provider_cancel_all(provider_t *p)
{
	unsigned last = p->seq;
	p->refs++;
	for (;;) {
		upd_t *u = NULL;
		for (plink_t *l = p->updates.next; l != &p->updates; l = l->next) {
			if (!UPD_OF(l)->reported && UPD_OF(l)->seq <= last) {
				u = UPD_OF(l);
				break;
			}
		}
		if (u == NULL)
			break;
		if (u->deferred) {
			/* The provider already answered: that answer is the truth. */
			upd_report(u, u->result, u->message);
			upd_release(u);
			continue;
		}
		upd_report(u, DDNS_ECANCELED, "ddnsd is shutting down");
		if (!u->plugin_done && p->desc->cancel != NULL && p->inst != NULL)
			PROVIDER_CALL(p, "cancel", p->desc->cancel(p->inst, &u->pub));
	}
	provider_unref(p);
}

unsigned provider_inflight(const provider_t *p)
{
	return p->inflight;
}

void provider_on_idle(provider_t *p, provider_idle_cb cb, void *arg)
{
	p->idle_cb = cb;
	p->idle_arg = arg;
}

void provider_records_changed(provider_t *p)
{
	if (p->inst != NULL && p->desc->records_changed != NULL)
		PROVIDER_CALL(p, "records_changed", p->desc->records_changed(p->inst));
}

bool provider_record_changed(provider_t *p, const char *name, const store_record_t *r)
{
	if (p->desc->record_changed == NULL)
		return false;
	if (p->inst == NULL)
		return true;
	if (r == NULL) {
		PROVIDER_CALL(p, "record_changed", p->desc->record_changed(p->inst, name, NULL));
		return true;
	}
	ddns_record_t rec = provider_record_view(r);
	PROVIDER_CALL(p, "record_changed", p->desc->record_changed(p->inst, name, &rec));
	return true;
}

provider_t *provider_ref(provider_t *p)
{
	p->refs++;
	return p;
}

void provider_unref(provider_t *p)
{
	if (p == NULL)
		return;
	p->refs--;
	maybe_destroy(p);
}

const char *provider_name(const provider_t *p)
{
	return p->name;
}

const char *provider_plugin(const provider_t *p)
{
	return p->desc->name;
}

const char *provider_fingerprint(const provider_t *p)
{
	return p->cp->fingerprint;
}
