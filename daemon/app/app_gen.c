/* Generations of the configuration: provider instances and records, and
 * the 1 s store watch that re-reads records another process changed.
 *
 * A reload creates what changed before touching anything, so a refusal
 * leaves the running set intact.  Instances dropped by a reload are retired:
 * we keep our reference (and their conf) until their updates are over,
 * because the plugin may still read its settings while it finishes.  They
 * go as soon as they are idle: at the end of the reload, or right after
 * their last update (a plugin such as builtin_dns holds the port until
 * then, and hands its queries over only when destroyed). */
#include "app_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "log.h"

app_gen_t *app_gen_new(conf_t *conf)
{
	app_gen_t *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->conf = conf;
	g->refs = 1;
	return g;
}

/* The app's own lifetime: its handles and the writes it waits for hold it
 * (n_handles); the last to let go frees it.  Here, below app.c, since the
 * generations, the store looks and reloads let go too. */
void app_release(app_t *a)
{
	if (--a->n_handles > 0)
		return;
	*a->exit_status = a->stopping ? 0 : 1;
	free(a->conf_path);
	free(a->plugin_dir);
	free(a);
}

void app_gen_unref(app_gen_t *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	conf_free(g->conf);
	free(g);
}

provider_t *app_provider_lookup(const char *name, void *arg)
{
	app_t *a = arg;
	for (size_t i = 0; i < a->n_provs; i++)
		if (strcmp(provider_name(a->provs[i].p), name) == 0)
			return a->provs[i].p;
	return NULL;
}

/* A retired instance's last update is over: sweep it from the loop, after
 * the update's caller is done with it (the conf must outlive destroy()). */
static void retired_idle(provider_t *p, void *arg)
{
	app_t *a = arg;
	(void)p;
	if (!a->stopping)
		uv_timer_start(&a->watch, app_watch_cb, 0, uv_timer_get_repeat(&a->watch));
}

static int retire(app_t *a, app_prov_t *ap)
{
	app_prov_t *r = realloc(a->retired, (a->n_retired + 1) * sizeof(*r));
	if (r == NULL) {
		/* Cannot wait for it: drop now (the instance still lives until
		 * its updates end, only its conf might go early). */
		provider_unref(ap->p);
		app_gen_unref(ap->gen);
		return -ENOMEM;
	}
	a->retired = r;
	r[a->n_retired++] = *ap;
	provider_on_idle(ap->p, retired_idle, a);
	return 0;
}

void app_retired_sweep(app_t *a, bool force)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n_retired; i++) {
		app_prov_t *ap = &a->retired[i];
		if (force || provider_inflight(ap->p) == 0) {
			provider_on_idle(ap->p, NULL, NULL);
			provider_unref(ap->p);
			app_gen_unref(ap->gen);
		} else {
			a->retired[k++] = *ap;
		}
	}
	a->n_retired = k;
	if (k == 0) {
		free(a->retired);
		a->retired = NULL;
	}
}

static const app_prov_t *find_same(const app_t *a, const conf_provider_t *cp,
                                   const bool *taken, size_t *idx)
{
	for (size_t i = 0; i < a->n_provs; i++) {
		const provider_t *p = a->provs[i].p;
		if (!taken[i] && strcmp(provider_name(p), cp->name) == 0 &&
		    strcmp(provider_fingerprint(p), cp->fingerprint) == 0) {
			*idx = i;
			return &a->provs[i];
		}
	}
	return NULL;
}

int app_providers_apply(app_t *a, app_gen_t *g, size_t *created, char *err, size_t errlen)
{
	const conf_t *conf = g->conf;
	size_t n = conf->n_providers;
	app_prov_t *np = calloc(n ? n : 1, sizeof(*np));
	bool *taken = calloc(a->n_provs ? a->n_provs : 1, sizeof(*taken));
	size_t *from = calloc(n ? n : 1, sizeof(*from));
	provider_env_t env = { .loop = a->loop, .http = a->http, .store = a->store,
	                       .metrics = a->metrics, .txt_update = app_txt_update,
	                       .txt_update_arg = a };
	int rc = -ENOMEM;
	size_t made = 0;

	if (np == NULL || taken == NULL || from == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (; made < n; made++) {
		const conf_provider_t *cp = &conf->providers[made];
		size_t idx;
		const app_prov_t *same = find_same(a, cp, taken, &idx);
		if (same != NULL) {
			np[made] = *same;
			np[made].digest = same->digest;
			taken[idx] = true;
			from[made] = idx + 1;
			continue;
		}
		rc = provider_create(&env, conf, cp, &np[made].p, err, errlen);
		if (rc != 0)
			goto fail;
		np[made].gen = g;
		g->refs++;
		from[made] = 0;
		if (created != NULL)
			(*created)++;
	}
	/* Success: what was not carried over is retired. */
	for (size_t i = 0; i < a->n_provs; i++) {
		if (taken[i])
			continue;
		log_info(provider_name(a->provs[i].p), "removed from the configuration");
		retire(a, &a->provs[i]);
	}
	free(a->provs);
	a->provs = np;
	a->n_provs = n;
	free(taken);
	free(from);
	return 0;
fail:
	for (size_t i = 0; i < made; i++) {
		if (from[i] == 0) { /* created here: undo */
			provider_unref(np[i].p);
			app_gen_unref(np[i].gen);
		}
	}
	free(np);
	free(taken);
	free(from);
	return rc;
}

int app_records_from_conf(const conf_t *conf, store_conf_record_t **out, size_t *n_out)
{
	size_t n = conf->n_records;
	store_conf_record_t *recs = calloc(n ? n : 1, sizeof(*recs));
	*out = recs;
	*n_out = n;
	if (recs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const conf_record_t *cr = &conf->records[i];
		recs[i] = (store_conf_record_t){ .name = cr->name, .provider = cr->provider,
		                                 .key_hash = cr->key_hash,
		                                 .lan_ipv4 = cr->lan_ipv4,
		                                 .lan_ipv6 = cr->lan_ipv6 };
	}
	return 0;
}

int app_records_reconcile(app_t *a, const conf_t *conf, char *err, size_t errlen)
{
	store_conf_record_t *recs;
	size_t n;
	int rc = app_records_from_conf(conf, &recs, &n);
	if (rc == 0)
		rc = store_reconcile_config(a->store, recs, n, NULL);
	free(recs);
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot store the records: %s",
		         conf->database, ddns_strerror(rc));
	return rc;
}

/* ---- record digests ---- */

typedef struct digest_ctx {
	app_t *a;
	uint64_t *d;
} digest_ctx_t;

static uint64_t fnv(uint64_t h, const char *s)
{
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL; /* field separator */
}

/* What a provider serves of @p rec.  A provider's digest is the sum over
 * its records: order-independent, and one record's change is a subtraction
 * and an addition. */
static uint64_t record_digest(const store_record_t *rec)
{
	uint64_t h = 1469598103934665603ULL;
	h = fnv(h, rec->name);
	h = fnv(h, rec->ipv4);
	h = fnv(h, rec->ipv6);
	h = fnv(h, rec->lan_ipv4);
	return fnv(h, rec->lan_ipv6);
}

static ssize_t prov_index(const app_t *a, const char *provider)
{
	for (size_t i = 0; i < a->n_provs; i++)
		if (strcmp(provider_name(a->provs[i].p), provider) == 0)
			return (ssize_t)i;
	return -1;
}

static int digest_cb(const store_record_t *rec, void *arg)
{
	digest_ctx_t *c = arg;
	ssize_t i = prov_index(c->a, rec->provider);
	if (i >= 0)
		c->d[i] += record_digest(rec);
	return 0;
}

void app_records_sync(app_t *a, bool notify_all)
{
	uint64_t *d = calloc(a->n_provs ? a->n_provs : 1, sizeof(*d));
	if (d == NULL)
		return;
	digest_ctx_t c = { .a = a, .d = d };
	int rc = store_record_foreach(a->store, NULL, digest_cb, &c);
	if (rc != 0) {
		log_err("store", "cannot read the records: %s", ddns_strerror(rc));
		free(d);
		return;
	}
	for (size_t i = 0; i < a->n_provs; i++) {
		if (notify_all || d[i] != a->provs[i].digest)
			provider_records_changed(a->provs[i].p);
		a->provs[i].digest = d[i];
	}
	free(d);
}

/* Past this share of the records, one full read is cheaper than a read
 * per name. */
#define TOUCHED_FULL_SHARE 8

void app_records_touched(app_t *a, const store_names_t *t)
{
	if (t->n == 0)
		return;
	bool *dirty = NULL;
	if ((t->n > 1000 && t->n > pipeline_record_count(a->pipeline) / TOUCHED_FULL_SHARE) ||
	    (dirty = calloc(a->n_provs ? a->n_provs : 1, sizeof(*dirty))) == NULL) {
		pipeline_records_changed(a->pipeline);
		app_records_sync(a, false);
		return;
	}
	for (size_t k = 0; k < t->n; k++) {
		const char *name = t->names[k];
		store_record_t old, cur;
		ssize_t from = -1, to = -1;
		uint64_t h_old = 0, h_cur = 0;
		if (pipeline_record_get(a->pipeline, name, &old) == 0 &&
		    (from = prov_index(a, old.provider)) >= 0) {
			h_old = record_digest(&old);
			a->provs[from].digest -= h_old;
		}
		int rc = store_record_get(a->store, name, &cur);
		if (rc != 0 && rc != -ENOENT) {
			log_err(name, "store: cannot read the record: %s", ddns_strerror(rc));
			if (from >= 0)
				a->provs[from].digest += h_old;
			continue; /* the next full read (a restart) mends it */
		}
		if (rc == 0 && (to = prov_index(a, cur.provider)) >= 0) {
			h_cur = record_digest(&cur);
			a->provs[to].digest += h_cur;
		}
		rc = pipeline_record_refresh(a->pipeline, name, rc == 0 ? &cur : NULL);
		if (rc != 0)
			log_err(name, "cannot serve the record: %s", ddns_strerror(rc));
		/* A new key changes nothing a provider serves: no news for it. */
		if (from >= 0 && from != to &&
		    !provider_record_changed(a->provs[from].p, name, NULL))
			dirty[from] = true;
		if (to >= 0 && (from != to || h_old != h_cur) &&
		    !provider_record_changed(a->provs[to].p, name, &cur))
			dirty[to] = true;
	}
	for (size_t i = 0; i < a->n_provs; i++)
		if (dirty[i])
			provider_records_changed(a->provs[i].p);
	free(dirty);
}

void app_providers_release(app_t *a)
{
	for (size_t i = 0; i < a->n_provs; i++)
		provider_cancel_all(a->provs[i].p);
	for (size_t i = 0; i < a->n_retired; i++)
		provider_cancel_all(a->retired[i].p);
	app_retired_sweep(a, true);
	for (size_t i = 0; i < a->n_provs; i++) {
		provider_unref(a->provs[i].p);
		app_gen_unref(a->provs[i].gen);
	}
	free(a->provs);
	a->provs = NULL;
	a->n_provs = 0;
}

/* ---- the store's other writers (ddnsctl, the sqlite3 shell) ---- */

typedef struct store_look {
	app_t *a;
	store_notice_t *nt;
	void (*done)(void *arg); /* app_store_look_then() */
	void *done_arg;
	store_names_t changed; /* filled by the store writer */
} store_look_t;

static void store_look_done(int n_changed, void *arg)
{
	store_look_t *l = arg;
	app_t *a = l->a;
	if (l->nt == NULL && l->done == NULL)
		a->look_pending = false;
	if (n_changed > 0 && !a->stopping && a->pipeline != NULL) {
		log_debug("store", "%d record(s) changed by another process", n_changed);
		app_records_touched(a, &l->changed);
	}
	if (l->nt != NULL)
		store_notify_answer(l->nt);
	if (l->done != NULL)
		l->done(l->done_arg);
	store_names_clear(&l->changed);
	free(l);
	app_release(a);
}

void app_store_look(app_t *a, store_notice_t *nt)
{
	store_look_t *l = calloc(1, sizeof(*l));
	int rc = -ENOMEM;
	if (l != NULL) {
		*l = (store_look_t){ .a = a, .nt = nt };
		/* the writer answers even when stopping: hold @a until then */
		a->n_handles++;
		rc = store_writer_probe(a->writer, &l->changed, store_look_done, l);
		if (rc != 0)
			a->n_handles--;
	}
	if (rc != 0) {
		log_err("store", "cannot look for changes by another process: %s",
		        ddns_strerror(rc));
		free(l);
		if (nt != NULL)
			store_notify_answer(nt); /* ddnsctl must not hang for it */
		return;
	}
	if (nt == NULL)
		a->look_pending = true;
}

void app_store_look_then(app_t *a, void (*done)(void *arg), void *arg)
{
	store_look_t *l = calloc(1, sizeof(*l));
	int rc = -ENOMEM;
	if (l != NULL && a->writer != NULL) {
		*l = (store_look_t){ .a = a, .done = done, .done_arg = arg };
		a->n_handles++;
		rc = store_writer_probe(a->writer, &l->changed, store_look_done, l);
		if (rc != 0)
			a->n_handles--;
	}
	if (rc != 0) {
		log_err("store", "cannot look for the web admin's change: %s",
		        ddns_strerror(rc));
		free(l);
		done(arg); /* the watch sees it within a second */
	}
}

void app_store_notice(void *arg, store_notice_t *nt)
{
	app_store_look(arg, nt);
}

void app_watch_cb(uv_timer_t *t)
{
	app_t *a = t->data;
	if (a->stopping)
		return;
	if (!a->look_pending)
		app_store_look(a, NULL);
	if (a->n_retired > 0)
		app_retired_sweep(a, false);
}
