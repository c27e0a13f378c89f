/* Prometheus text exposition format 0.0.4 for the registry in metrics.c.
 * https://prometheus.io/docs/instrumenting/exposition_formats/ : HELP text
 * escapes backslash and newline; label values also escape double quotes;
 * values are Go floats ("+Inf", "NaN"). */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "metrics_priv.h"

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};
#define N_RCODE_NAMES (sizeof(rcode_names) / sizeof(rcode_names[0]))


/* Shortest text that reads back as the same double. */
static void put_number(FILE *f, double v)
{
	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	char buf[40];
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		fprintf(f, "%.0f", v);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

static void put_header(FILE *f, const char *name, const char *help, const char *type)
{
	fprintf(f, "# HELP %s ", name);
	metrics_put_escaped(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* `{a="x",b="y"` without the closing brace, so `le` can follow; nothing
 * at all when there are no labels and no @p more. */
static void put_labels(FILE *f, const metrics_family_t *fam, const series_t *s, bool more)
{
	if (fam->n_labels == 0 && !more)
		return;
	fputc('{', f);
	for (size_t k = 0; k < fam->n_labels; k++) {
		fprintf(f, "%s%s=\"", k > 0 ? "," : "", fam->labels[k]);
		metrics_put_escaped(f, s->values[k], true);
		fputc('"', f);
	}
	if (fam->n_labels > 0 && more)
		fputc(',', f);
}

static void put_histogram(FILE *f, const metrics_family_t *fam, const series_t *s)
{
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= fam->n_bounds; i++) {
		cumulative += i < fam->n_bounds ? s->buckets[i] : 0;
		fprintf(f, "%s_bucket", fam->name);
		put_labels(f, fam, s, true);
		fputs("le=\"", f);
		put_number(f, i < fam->n_bounds ? fam->bounds[i] : INFINITY);
		fprintf(f, "\"} %llu\n", (unsigned long long)(i < fam->n_bounds ? cumulative
		                                                                : s->count));
	}
	fprintf(f, "%s_sum", fam->name);
	put_labels(f, fam, s, false);
	fputs(fam->n_labels > 0 ? "} " : " ", f);
	put_number(f, s->sum);
	fprintf(f, "\n%s_count", fam->name);
	put_labels(f, fam, s, false);
	fprintf(f, "%s%llu\n", fam->n_labels > 0 ? "} " : " ", (unsigned long long)s->count);
}

static void put_family(FILE *f, const metrics_family_t *fam)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	put_header(f, fam->name, fam->help, types[fam->type]);
	for (size_t i = 0; i < fam->n_series; i++) {
		const series_t *s = &fam->series[i];
		if (fam->type == METRICS_HISTOGRAM) {
			put_histogram(f, fam, s);
			continue;
		}
		fputs(fam->name, f);
		put_labels(f, fam, s, false);
		fputs(fam->n_labels > 0 ? "} " : " ", f);
		put_number(f, s->value);
		fputc('\n', f);
	}
}

/* The common codes always appear (a rate needs a zero to start from);
 * rarer ones once seen. */
static void put_dns(FILE *f, const metrics_t *m)
{
	put_header(f, "ddns_dns_queries_total",
	           "DNS responses sent by the built-in server, by response code.", "counter");
	for (size_t i = 0; i < DNS_RCODE_SLOTS; i++) {
		uint64_t n = atomic_load_explicit(&m->dns[i], memory_order_relaxed);
		if (i >= N_RCODE_NAMES && n == 0)
			continue;
		if (i < N_RCODE_NAMES)
			fprintf(f, "ddns_dns_queries_total{rcode=\"%s\"} %llu\n", rcode_names[i],
			        (unsigned long long)n);
		else if (i == DNS_RCODE_SLOTS - 1)
			fprintf(f, "ddns_dns_queries_total{rcode=\"other\"} %llu\n",
			        (unsigned long long)n);
		else
			fprintf(f, "ddns_dns_queries_total{rcode=\"%zu\"} %llu\n", i,
			        (unsigned long long)n);
	}
}

int metrics_render(const metrics_t *m, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_families; i++)
		put_family(f, m->families[i]);
	put_dns(f, m);
	metrics_ext_render(f, m);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = n;
	return 0;
}
