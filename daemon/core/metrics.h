/**
 * @file metrics.h
 * @brief A small registry of metrics rendered in the Prometheus text
 *        exposition format, version 0.0.4, for GET /metrics.
 *
 * A family (counter, gauge or histogram) has a name, a help line and up to
 * METRICS_MAX_LABELS label names; each distinct tuple of label values is one
 * series, created on first use.  Families and series are touched only from
 * the loop thread, so their numbers are plain integers and doubles.
 *
 * The one exception is the DNS query counter: the built-in DNS server may
 * answer on a worker thread, so metrics_dns_query() uses C11 atomics on a
 * fixed table (one slot per response code) and is safe from any thread.
 *
 * The daemon's own families are registered by metrics_new() and updated
 * through the metrics_ddns_* helpers below.
 */
#ifndef DDNS_METRICS_H
#define DDNS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/** Most labels a family may have. */
#define METRICS_MAX_LABELS 4
/** Most series a family may grow to; past it new tuples are dropped
 *  (a bug elsewhere must not turn into unbounded memory). */
#define METRICS_MAX_SERIES 4096

typedef struct metrics metrics_t;
typedef struct metrics_family metrics_family_t;

/** Kinds of family. */
typedef enum {
	METRICS_COUNTER = 0,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
} metrics_type_t;

/** Create a registry holding the daemon's families (see metrics.c).
 *  @return 0 or -ENOMEM.  Free with metrics_free(). */
int metrics_new(metrics_t **out);
/** Free the registry and every family and series (NULL is fine). */
void metrics_free(metrics_t *m);

/**
 * Register a family.  @p name must match [a-zA-Z_:][a-zA-Z0-9_:]* and label
 * names [a-zA-Z_][a-zA-Z0-9_]* (not "le" on a histogram).  @p labels is
 * NULL-terminated (or NULL for none).  @p buckets (histograms only) are the
 * upper bounds, strictly increasing, without +Inf (added by the renderer).
 * All strings are copied.
 * @return the family (owned by @p m), or NULL on a bad name or ENOMEM.
 */
metrics_family_t *metrics_register(metrics_t *m, metrics_type_t type, const char *name,
                                   const char *help, const char *const *labels,
                                   const double *buckets, size_t n_buckets);

/** Add @p v (>= 0) to a counter, or @p v (any sign) to a gauge.
 *  @p values: one per label, in order (NULL when the family has none).
 *  @return 0, -EINVAL (wrong family type or negative counter step), or
 *          -ENOSPC past METRICS_MAX_SERIES. */
int metrics_add(metrics_family_t *f, const char *const *values, double v);
/** Set a gauge.  @return as metrics_add(). */
int metrics_set(metrics_family_t *f, const char *const *values, double v);
/** Record one observation in a histogram.  @return as metrics_add(). */
int metrics_observe(metrics_family_t *f, const char *const *values, double v);

/**
 * Render every family as exposition text: `# HELP`, `# TYPE`, then one line
 * per sample (histograms: cumulative `_bucket{le=...}` ending with
 * le="+Inf", then `_sum` and `_count`).  Label values are escaped
 * (backslash, double quote, newline).
 * @return 0 and a malloc'ed NUL-terminated *out (caller frees) of *len
 *         bytes, or -ENOMEM.
 */
int metrics_render(const metrics_t *m, char **out, size_t *len);

/* The daemon's own metrics. */

/** ddns_updates_total{provider, result}: one per completed update request.
 *  @p provider may be "" (unknown name); @p result is a short word
 *  (the words of ddns_outcome_name(): "changed", "unchanged", "auth_failed",
 *  "provider_failed", ...). */
void metrics_ddns_update(metrics_t *m, const char *provider, const char *result);
/** ddns_auth_failures_total: wrong key or unknown name (both protocols). */
void metrics_ddns_auth_failure(metrics_t *m);
/** ddns_provider_latency_seconds{provider}: time a provider took to
 *  confirm or fail an update. */
void metrics_ddns_provider_latency(metrics_t *m, const char *provider, double seconds);
/** ddns_records: records in the store. */
void metrics_ddns_set_records(metrics_t *m, int64_t n);
/** ddns_store_up, ddns_store_transactions_total{result},
 *  ddns_store_writes_pending: the store writer's state (see store_writer.h);
 *  @p health 0 or its last error, @p commits and @p failures its running
 *  totals (the counters grow by the difference from the last call). */
void metrics_ddns_store(metrics_t *m, int health, uint64_t commits, uint64_t failures,
                        unsigned pending);
/** ddns_loop_stalls_total: times the event loop stalled (see watchdog.h);
 *  @p stalls the running total. */
void metrics_ddns_loop(metrics_t *m, uint64_t stalls);
/** ddns_reloads_total{result}: "ok" or "failed". */
void metrics_ddns_reload(metrics_t *m, const char *result);
/**
 * ddns_dns_queries_total{rcode}: @p n DNS responses sent with @p rcode
 * (0-4095; names such as NOERROR for the known ones).  Thread-safe and
 * lock-free, so a DNS worker thread may count a whole batch at once;
 * @p m may be NULL (then nothing is counted).
 */
void metrics_dns_query(metrics_t *m, unsigned rcode, uint64_t n);

/* Counters a plugin publishes (host->metric_counter). */

/** Reads a published counter's value; called on the loop thread while
 *  /metrics is rendered. */
typedef uint64_t (*metrics_read_cb)(void *arg);
typedef struct metrics_ext metrics_ext_t;

/**
 * Publish counter `ddns_<name>{provider="<provider>"}`, read through
 * @p read(@p arg) at each render.  @p name: [a-z][a-z0-9_]* ending in
 * "_total", not a daemon family's; the newest counter of a name gives
 * its help line.  Two counters of one name and provider (an instance and its
 * successor during a reload) are summed into one sample.  Strings are
 * copied.  Loop thread only.
 * @return 0 and *out (metrics_ext_free unpublishes it), -EINVAL (a bad
 * name) or -ENOMEM.
 */
int metrics_ext_new(metrics_t *m, const char *name, const char *help, const char *provider,
                    metrics_read_cb read, void *arg, metrics_ext_t **out);
/** Unpublish and free (NULL is fine).  Loop thread only. */
void metrics_ext_free(metrics_ext_t *e);

#endif