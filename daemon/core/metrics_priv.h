/**
 * @file metrics_priv.h
 * @brief What the registry (metrics.c) and the renderer and daemon
 *        families (metrics_render.c) share.
 */
#ifndef DDNS_METRICS_PRIV_H
#define DDNS_METRICS_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include "metrics.h"

/* Response codes 0-22 get a slot each; the last slot counts all others. */
#define DNS_RCODE_SLOTS 24

typedef struct series {
	char *values[METRICS_MAX_LABELS];
	double value;        /* counter or gauge */
	uint64_t *buckets;   /* histogram: per-bucket counts, not cumulative */
	uint64_t count;
	double sum;
} series_t;

struct metrics_family {
	metrics_type_t type;
	char *name;
	char *help;
	char *labels[METRICS_MAX_LABELS];
	size_t n_labels;
	double *bounds;
	size_t n_bounds;
	series_t *series;
	size_t n_series, cap_series;
	bool overflow_logged;
};

struct metrics {
	metrics_family_t **families;
	size_t n_families;
	metrics_family_t *updates, *auth_failures, *latency, *records, *reloads;
	metrics_family_t *store_up, *store_txns, *store_pending;
	uint64_t store_commits, store_failures; /* last seen, for the deltas */
	metrics_family_t *loop_stalls;
	uint64_t loop_stalls_seen;
	_Atomic uint_least64_t dns[DNS_RCODE_SLOTS];
	metrics_ext_t *ext;  /* counters of plugins, newest first */
};

struct metrics_ext {
	metrics_t *m;
	char *name, *help, *provider;
	metrics_read_cb read;
	void *arg;
	metrics_ext_t *prev, *next;
};

/** Render the plugins' counters (metrics_ext.c). */
void metrics_ext_render(FILE *f, const metrics_t *m);
/** Write @p text escaped for HELP (@p quoted false) or a label value
 *  (metrics_ext.c, which the renderer calls). */
void metrics_put_escaped(FILE *f, const char *text, bool quoted);


#endif
