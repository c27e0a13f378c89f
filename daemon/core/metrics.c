/* Metrics registry and Prometheus text rendering: see metrics.h.  Series
 * are few (providers x results), so a family keeps them in an array and
 * finds one by comparing label values; no hashing needed. */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "metrics_priv.h"


static bool valid_name(const char *s, bool colon)
{
	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s != '\0'; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		          (*s >= '0' && *s <= '9') || *s == '_' || (colon && *s == ':');
		if (!ok)
			return false;
	}
	return true;
}

static void family_free(metrics_family_t *f)
{
	for (size_t i = 0; i < f->n_series; i++) {
		for (size_t k = 0; k < f->n_labels; k++)
			free(f->series[i].values[k]);
		free(f->series[i].buckets);
	}
	for (size_t k = 0; k < f->n_labels; k++)
		free(f->labels[k]);
	free(f->series);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

static bool bad_family(const char *name, const char *const *labels, metrics_type_t type,
                       const double *buckets, size_t n_buckets)
{
	if (!valid_name(name, true))
		return true;
	for (size_t k = 0; labels != NULL && labels[k] != NULL; k++) {
		if (k >= METRICS_MAX_LABELS || !valid_name(labels[k], false) ||
		    strncmp(labels[k], "__", 2) == 0 ||
		    (type == METRICS_HISTOGRAM && strcmp(labels[k], "le") == 0))
			return true;
	}
	for (size_t i = 0; i < n_buckets; i++) {
		if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
			return true;
	}
	return type == METRICS_HISTOGRAM ? n_buckets == 0 : n_buckets != 0;
}

metrics_family_t *metrics_register(metrics_t *m, metrics_type_t type, const char *name,
                                   const char *help, const char *const *labels,
                                   const double *buckets, size_t n_buckets)
{
	if (bad_family(name, labels, type, buckets, n_buckets))
		return NULL;
	metrics_family_t *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help != NULL ? help : "");
	bool ok = f->name != NULL && f->help != NULL;
	for (; ok && labels != NULL && labels[f->n_labels] != NULL; f->n_labels++)
		ok = (f->labels[f->n_labels] = strdup(labels[f->n_labels])) != NULL;
	if (ok && n_buckets > 0) {
		ok = (f->bounds = malloc(n_buckets * sizeof(double))) != NULL;
		if (ok)
			memcpy(f->bounds, buckets, n_buckets * sizeof(double));
		f->n_bounds = n_buckets;
	}
	metrics_family_t **grown = ok ? realloc(m->families, (m->n_families + 1) * sizeof(*grown))
	                              : NULL;
	if (grown == NULL) {
		family_free(f);
		return NULL;
	}
	m->families = grown;
	m->families[m->n_families++] = f;
	return f;
}

/* The series for @p values, created on first use; NULL past the cap or
 * on ENOMEM (*rc says which). */
static series_t *series_get(metrics_family_t *f, const char *const *values, int *rc)
{
	for (size_t i = 0; i < f->n_series; i++) {
		size_t k = 0;
		while (k < f->n_labels && strcmp(f->series[i].values[k], values[k]) == 0)
			k++;
		if (k == f->n_labels)
			return &f->series[i];
	}
	if (f->n_series >= METRICS_MAX_SERIES) {
		if (!f->overflow_logged)
			log_warn("metrics", "%s: more than %d series, new ones dropped",
			         f->name, METRICS_MAX_SERIES);
		f->overflow_logged = true;
		*rc = -ENOSPC;
		return NULL;
	}
	*rc = -ENOMEM;
	if (f->n_series == f->cap_series) {
		size_t cap = f->cap_series == 0 ? 8 : f->cap_series * 2;
		series_t *grown = realloc(f->series, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		f->series = grown;
		f->cap_series = cap;
	}
	series_t *s = &f->series[f->n_series];
	memset(s, 0, sizeof(*s));
	bool ok = f->n_bounds == 0 || (s->buckets = calloc(f->n_bounds, sizeof(uint64_t))) != NULL;
	size_t k = 0;
	for (; ok && k < f->n_labels; k++)
		ok = (s->values[k] = strdup(values[k] != NULL ? values[k] : "")) != NULL;
	if (!ok) {
		while (k-- > 0)
			free(s->values[k]);
		free(s->buckets);
		return NULL;
	}
	f->n_series++;
	*rc = 0;
	return s;
}

static int update(metrics_family_t *f, metrics_type_t want, const char *const *values,
                  double v, bool set)
{
	if (f == NULL || f->type != want || isnan(v) ||
	    (want == METRICS_COUNTER && v < 0) || (f->n_labels > 0 && values == NULL))
		return -EINVAL;
	int rc;
	series_t *s = series_get(f, values, &rc);
	if (s == NULL)
		return rc;
	if (want == METRICS_HISTOGRAM) {
		size_t i = 0;
		while (i < f->n_bounds && v > f->bounds[i])
			i++;
		if (i < f->n_bounds)
			s->buckets[i]++;
		s->count++;
		s->sum += v;
	} else {
		s->value = set ? v : s->value + v;
	}
	return 0;
}

int metrics_add(metrics_family_t *f, const char *const *values, double v)
{
	if (f != NULL && f->type == METRICS_GAUGE)
		return update(f, METRICS_GAUGE, values, v, false);
	return update(f, METRICS_COUNTER, values, v, false);
}

int metrics_set(metrics_family_t *f, const char *const *values, double v)
{
	return update(f, METRICS_GAUGE, values, v, true);
}

int metrics_observe(metrics_family_t *f, const char *const *values, double v)
{
	return update(f, METRICS_HISTOGRAM, values, v, false);
}

/* Provider API calls take from milliseconds (dummy, a LAN server) to tens of
 * seconds (Rackspace's asynchronous jobs). */
static const double latency_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

int metrics_new(metrics_t **out)
{
	metrics_t *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < DNS_RCODE_SLOTS; i++)
		atomic_init(&m->dns[i], 0);
	m->updates = metrics_register(m, METRICS_COUNTER, "ddns_updates_total",
		"Update requests completed, by provider instance and result.",
		(const char *const[]){ "provider", "result", NULL }, NULL, 0);
	m->auth_failures = metrics_register(m, METRICS_COUNTER, "ddns_auth_failures_total",
		"Update requests refused for a wrong key or an unknown name.",
		NULL, NULL, 0);
	m->latency = metrics_register(m, METRICS_HISTOGRAM, "ddns_provider_latency_seconds",
		"Time a provider instance took to confirm or fail an update.",
		(const char *const[]){ "provider", NULL }, latency_buckets,
		sizeof(latency_buckets) / sizeof(latency_buckets[0]));
	m->records = metrics_register(m, METRICS_GAUGE, "ddns_records",
		"Records in the store.", NULL, NULL, 0);
	m->reloads = metrics_register(m, METRICS_COUNTER, "ddns_reloads_total",
		"Configuration reloads (SIGHUP), by result.",
		(const char *const[]){ "result", NULL }, NULL, 0);
	m->store_up = metrics_register(m, METRICS_GAUGE, "ddns_store_up",
		"1 while the store's last transaction committed, 0 while it fails "
		"(disk full, I/O error) or stays locked by another process.", NULL, NULL, 0);
	m->store_txns = metrics_register(m, METRICS_COUNTER, "ddns_store_transactions_total",
		"Store write transactions (each commits every write then queued), by result.",
		(const char *const[]){ "result", NULL }, NULL, 0);
	m->store_pending = metrics_register(m, METRICS_GAUGE, "ddns_store_writes_pending",
		"Store writes queued or running.", NULL, NULL, 0);
	m->loop_stalls = metrics_register(m, METRICS_COUNTER, "ddns_loop_stalls_total",
		"Times the event loop ran nothing for over a second (a blocking plugin): "
		"the log names it.", NULL, NULL, 0);
	if (m->loop_stalls == NULL || m->updates == NULL || m->auth_failures == NULL || m->latency == NULL ||
	    m->records == NULL || m->reloads == NULL || m->store_up == NULL ||
	    m->store_txns == NULL || m->store_pending == NULL) {
		metrics_free(m);
		return -ENOMEM;
	}
	metrics_set(m->records, NULL, 0);
	metrics_add(m->auth_failures, NULL, 0); /* a series from the start */
	*out = m;
	return 0;
}

void metrics_free(metrics_t *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_families; i++)
		family_free(m->families[i]);
	free(m->families);
	while (m->ext != NULL)
		metrics_ext_free(m->ext);
	free(m);
}

/* The daemon's helpers: a failure to count is not worth a caller's error
 * path (the registry already logged a full family once). */

void metrics_ddns_update(metrics_t *m, const char *provider, const char *result)
{
	if (m != NULL)
		(void)metrics_add(m->updates, (const char *const[]){ provider, result }, 1);
}

void metrics_ddns_auth_failure(metrics_t *m)
{
	if (m != NULL)
		(void)metrics_add(m->auth_failures, NULL, 1);
}

void metrics_ddns_provider_latency(metrics_t *m, const char *provider, double seconds)
{
	if (m != NULL)
		(void)metrics_observe(m->latency, (const char *const[]){ provider },
		                      seconds < 0 ? 0 : seconds);
}

void metrics_ddns_set_records(metrics_t *m, int64_t n)
{
	if (m != NULL)
		(void)metrics_set(m->records, NULL, (double)n);
}

void metrics_ddns_loop(metrics_t *m, uint64_t stalls)
{
	if (m == NULL)
		return;
	(void)metrics_add(m->loop_stalls, NULL, (double)(stalls - m->loop_stalls_seen));
	m->loop_stalls_seen = stalls;
}

void metrics_ddns_store(metrics_t *m, int health, uint64_t commits, uint64_t failures,
                        unsigned pending)
{
	if (m == NULL)
		return;
	(void)metrics_set(m->store_up, NULL, health == 0 ? 1 : 0);
	(void)metrics_add(m->store_txns, (const char *const[]){ "committed" },
	                  (double)(commits - m->store_commits));
	(void)metrics_add(m->store_txns, (const char *const[]){ "failed" },
	                  (double)(failures - m->store_failures));
	(void)metrics_set(m->store_pending, NULL, pending);
	m->store_commits = commits;
	m->store_failures = failures;
}

void metrics_ddns_reload(metrics_t *m, const char *result)
{
	if (m != NULL)
		(void)metrics_add(m->reloads, (const char *const[]){ result }, 1);
}

void metrics_dns_query(metrics_t *m, unsigned rcode, uint64_t n)
{
	if (m == NULL || n == 0)
		return;
	size_t slot = rcode < DNS_RCODE_SLOTS - 1 ? rcode : DNS_RCODE_SLOTS - 1;
	atomic_fetch_add_explicit(&m->dns[slot], n, memory_order_relaxed);
}
