/* Unit tests for daemon/core/metrics.c and metrics_render.c: render, then parse
 * the exposition text back with a strict little parser (every sample after
 * its family's HELP and TYPE, escapes undone) and check the numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define MAX_SAMPLES 256

typedef struct sample {
	char name[128];
	char labels[512]; /* unescaped, "k=v;k=v;" in order */
	double value;
} sample_t;

typedef struct parsed {
	sample_t s[MAX_SAMPLES];
	size_t n;
	char help[16][256]; /* "name text" */
	char type[16][128]; /* "name type" */
	size_t n_help, n_type;
} parsed_t;

static void unescape(const char **p, char *out, size_t len, bool quoted)
{
	size_t n = 0;
	while (**p != '\0' && (quoted ? **p != '"' : **p != '\n')) {
		char c = *(*p)++;
		if (c == '\\') {
			c = *(*p)++;
			assert_true(c == '\\' || c == 'n' || (quoted && c == '"'));
			c = c == 'n' ? '\n' : c;
		}
		assert_true(n + 1 < len);
		out[n++] = c;
	}
	out[n] = '\0';
}

/* The family a sample line belongs to, for histograms its base name. */
static bool family_declared(const parsed_t *p, const char *name)
{
	char want[160];
	for (size_t i = 0; i < p->n_type; i++) {
		const char *sp = strchr(p->type[i], ' ');
		size_t l = (size_t)(sp - p->type[i]);
		snprintf(want, sizeof(want), "%.*s", (int)l, p->type[i]);
		if (strcmp(want, name) == 0)
			return true;
		if (strcmp(sp + 1, "histogram") == 0 && strncmp(name, want, l) == 0 &&
		    (strcmp(name + l, "_bucket") == 0 || strcmp(name + l, "_sum") == 0 ||
		     strcmp(name + l, "_count") == 0))
			return true;
	}
	return false;
}

static void parse(const char *text, parsed_t *p)
{
	memset(p, 0, sizeof(*p));
	const char *c = text;
	while (*c != '\0') {
		if (strncmp(c, "# HELP ", 7) == 0) {
			c += 7;
			unescape(&c, p->help[p->n_help++], sizeof(p->help[0]), false);
		} else if (strncmp(c, "# TYPE ", 7) == 0) {
			c += 7;
			const char *nl = strchr(c, '\n');
			assert_non_null(nl);
			snprintf(p->type[p->n_type++], sizeof(p->type[0]), "%.*s", (int)(nl - c), c);
			/* HELP for the same name came just before */
			assert_int_equal(p->n_help, p->n_type);
			c = nl;
		} else {
			assert_true(p->n < MAX_SAMPLES);
			sample_t *s = &p->s[p->n++];
			size_t l = strcspn(c, "{ ");
			snprintf(s->name, sizeof(s->name), "%.*s", (int)l, c);
			assert_true(family_declared(p, s->name));
			c += l;
			if (*c == '{') {
				c++;
				while (*c != '}') {
					size_t kl = strcspn(c, "=");
					char val[256];
					char *lab = s->labels + strlen(s->labels);
					snprintf(lab, sizeof(s->labels) - (size_t)(lab - s->labels),
					         "%.*s=", (int)kl, c);
					c += kl;
					assert_memory_equal(c, "=\"", 2);
					c += 2;
					unescape(&c, val, sizeof(val), true);
					assert_int_equal(*c++, '"');
					strcat(strcat(s->labels, val), ";");
					if (*c == ',')
						c++;
				}
				c++;
			}
			assert_int_equal(*c++, ' ');
			char *end;
			s->value = strtod(c, &end); /* reads "+Inf" and "NaN" too */
			assert_true(end != c && *end == '\n');
			c = end;
		}
		assert_int_equal(*c++, '\n');
	}
}

static double value_of(const parsed_t *p, const char *name, const char *labels)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->s[i].name, name) == 0 && strcmp(p->s[i].labels, labels) == 0)
			return p->s[i].value;
	}
	fail_msg("no sample %s{%s}", name, labels);
	return NAN;
}

static void render(const metrics_t *m, parsed_t *p)
{
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	parse(text, p);
	free(text);
}

static void test_daemon_families(void **state)
{
	(void)state;
	metrics_t *m = NULL;
	assert_int_equal(metrics_new(&m), 0);
	metrics_ddns_update(m, "home", "changed");
	metrics_ddns_update(m, "home", "changed");
	metrics_ddns_update(m, "do", "provider_failed");
	metrics_ddns_auth_failure(m);
	metrics_ddns_auth_failure(m);
	metrics_ddns_set_records(m, 7);
	metrics_ddns_provider_latency(m, "do", 0.003);
	metrics_ddns_provider_latency(m, "do", 0.2);
	metrics_ddns_provider_latency(m, "do", 100);
	metrics_ddns_reload(m, "ok");
	metrics_dns_query(m, 0, 1);
	metrics_dns_query(m, 3, 2);
	metrics_dns_query(m, 4000, 1);
	metrics_dns_query(m, 2, 0);

	parsed_t *p = malloc(sizeof(*p));
	assert_non_null(p);
	render(m, p);
	assert_string_equal(p->type[0], "ddns_updates_total counter");
	assert_true(strncmp(p->help[0], "ddns_updates_total ", 19) == 0);
	assert_true(value_of(p, "ddns_updates_total", "provider=home;result=changed;") == 2);
	assert_true(value_of(p, "ddns_updates_total", "provider=do;result=provider_failed;") == 1);
	assert_true(value_of(p, "ddns_auth_failures_total", "") == 2);
	assert_true(value_of(p, "ddns_records", "") == 7);
	assert_true(value_of(p, "ddns_reloads_total", "result=ok;") == 1);
	/* histogram: cumulative buckets, +Inf == _count */
	const char *h = "ddns_provider_latency_seconds_bucket";
	assert_true(value_of(p, h, "provider=do;le=0.005;") == 1);
	assert_true(value_of(p, h, "provider=do;le=0.1;") == 1);
	assert_true(value_of(p, h, "provider=do;le=0.25;") == 2);
	assert_true(value_of(p, h, "provider=do;le=60;") == 2);
	assert_true(value_of(p, h, "provider=do;le=+Inf;") == 3);
	assert_true(value_of(p, "ddns_provider_latency_seconds_count", "provider=do;") == 3);
	assert_true(fabs(value_of(p, "ddns_provider_latency_seconds_sum", "provider=do;") -
	                 100.203) < 1e-9);
	bool typed = false;
	for (size_t i = 0; i < p->n_type; i++)
		typed |= strcmp(p->type[i], "ddns_provider_latency_seconds histogram") == 0;
	assert_true(typed);
	assert_true(value_of(p, "ddns_dns_queries_total", "rcode=NOERROR;") == 1);
	assert_true(value_of(p, "ddns_dns_queries_total", "rcode=NXDOMAIN;") == 2);
	assert_true(value_of(p, "ddns_dns_queries_total", "rcode=SERVFAIL;") == 0);
	assert_true(value_of(p, "ddns_dns_queries_total", "rcode=other;") == 1);
	free(p);
	metrics_free(m);
}

static void test_escaping(void **state)
{
	(void)state;
	metrics_t *m = NULL;
	assert_int_equal(metrics_new(&m), 0);
	metrics_family_t *f = metrics_register(m, METRICS_GAUGE, "test_gauge",
		"back\\slash and\nnewline \"quotes\" stay",
		(const char *const[]){ "v", NULL }, NULL, 0);
	assert_non_null(f);
	const char *nasty = "a\"b\\c\nd}e,f=g";
	assert_int_equal(metrics_set(f, (const char *const[]){ nasty }, -2.5), 0);
	assert_int_equal(metrics_add(f, (const char *const[]){ nasty }, 1), 0);

	char *text = NULL;
	size_t len;
	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_non_null(strstr(text, "# HELP test_gauge back\\\\slash and\\nnewline "
	                             "\"quotes\" stay\n# TYPE test_gauge gauge\n"));
	assert_non_null(strstr(text, "test_gauge{v=\"a\\\"b\\\\c\\nd}e,f=g\"} -1.5\n"));
	free(text);

	parsed_t *p = malloc(sizeof(*p));
	assert_non_null(p);
	render(m, p);
	char want[64];
	snprintf(want, sizeof(want), "v=%s;", nasty);
	assert_true(value_of(p, "test_gauge", want) == -1.5);
	free(p);
	metrics_free(m);
}

static void test_refusals(void **state)
{
	(void)state;
	metrics_t *m = NULL;
	assert_int_equal(metrics_new(&m), 0);
	const double b[] = { 1, 2 }, bad_b[] = { 2, 1 };
	assert_null(metrics_register(m, METRICS_COUNTER, "9bad", "", NULL, NULL, 0));
	assert_null(metrics_register(m, METRICS_COUNTER, "bad-name", "", NULL, NULL, 0));
	assert_null(metrics_register(m, METRICS_COUNTER, "ok", "",
	                             (const char *const[]){ "bad:label", NULL }, NULL, 0));
	assert_null(metrics_register(m, METRICS_HISTOGRAM, "h", "",
	                             (const char *const[]){ "le", NULL }, b, 2));
	assert_null(metrics_register(m, METRICS_HISTOGRAM, "h", "", NULL, bad_b, 2));
	assert_null(metrics_register(m, METRICS_HISTOGRAM, "h", "", NULL, NULL, 0));
	assert_null(metrics_register(m, METRICS_COUNTER, "c", "", NULL, b, 2));

	metrics_family_t *c = metrics_register(m, METRICS_COUNTER, "c_total", "",
	                                       (const char *const[]){ "k", NULL }, NULL, 0);
	assert_non_null(c);
	assert_int_equal(metrics_add(c, (const char *const[]){ "x" }, -1), -EINVAL);
	assert_int_equal(metrics_set(c, (const char *const[]){ "x" }, 1), -EINVAL);
	assert_int_equal(metrics_observe(c, (const char *const[]){ "x" }, 1), -EINVAL);
	assert_int_equal(metrics_add(c, NULL, 1), -EINVAL);
	char v[16];
	for (int i = 0; i < METRICS_MAX_SERIES; i++) {
		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(metrics_add(c, (const char *const[]){ v }, 1), 0);
	}
	assert_int_equal(metrics_add(c, (const char *const[]){ "one-more" }, 1), -ENOSPC);
	assert_int_equal(metrics_add(c, (const char *const[]){ "0" }, 1), 0);
	metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 20000

static void *dns_worker(void *arg)
{
	metrics_t *m = arg;
	for (int i = 0; i < PER_THREAD; i++)
		metrics_dns_query(m, (unsigned)(i % 2) * 3, 1); /* NOERROR, NXDOMAIN */
	return NULL;
}

/* Worker threads count DNS answers while the loop thread renders. */
static void test_dns_atomic(void **state)
{
	(void)state;
	metrics_t *m = NULL;
	assert_int_equal(metrics_new(&m), 0);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, dns_worker, m), 0);
	char *text = NULL;
	size_t len;
	assert_int_equal(metrics_render(m, &text, &len), 0);
	free(text);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	parsed_t *p = malloc(sizeof(*p));
	assert_non_null(p);
	render(m, p);
	assert_true(value_of(p, "ddns_dns_queries_total", "rcode=NOERROR;") ==
	            THREADS * PER_THREAD / 2);
	assert_true(value_of(p, "ddns_dns_queries_total", "rcode=NXDOMAIN;") ==
	            THREADS * PER_THREAD / 2);
	free(p);
	metrics_free(m);
	metrics_dns_query(NULL, 0, 1); /* tolerated: no registry, nothing counted */
}

static uint64_t read_u64(void *arg)
{
	return *(const uint64_t *)arg;
}

/* Plugins' counters: pulled at render, one family per name, one sample per
 * provider, an instance and its successor summed; bad names refused. */
static void test_plugin_counters(void **state)
{
	(void)state;
	metrics_t *m = NULL;
	metrics_ext_t *a, *b, *b2, *c;
	uint64_t va = 5, vb = 7, vb2 = 1, vc = 0;

	assert_int_equal(metrics_new(&m), 0);
	assert_int_equal(metrics_ext_new(m, "dns_rrl_dropped_total", "Dropped.\nReally.", "home",
	                                 read_u64, &va, &a), 0);
	assert_int_equal(metrics_ext_new(m, "dns_rrl_dropped_total", "another help", "fair",
	                                 read_u64, &vb, &b), 0);
	assert_int_equal(metrics_ext_new(m, "dns_rrl_dropped_total", "", "fair", read_u64, &vb2,
	                                 &b2), 0);
	assert_int_equal(metrics_ext_new(m, "dns_tcp_refused_total", "Refused.", "q\"uote",
	                                 read_u64, &vc, &c), 0);
	metrics_ext_t *x;
	assert_int_equal(metrics_ext_new(m, "Bad_total", "", "p", read_u64, &va, &x), -EINVAL);
	assert_int_equal(metrics_ext_new(m, "dns_rrl_dropped", "", "p", read_u64, &va, &x), -EINVAL);
	assert_int_equal(metrics_ext_new(m, "a-b_total", "", "p", read_u64, &va, &x), -EINVAL);
	assert_int_equal(metrics_ext_new(m, "dns_queries_total", "", "p", read_u64, &va, &x),
	                 -EINVAL); /* ddnsd's own */
	assert_int_equal(metrics_ext_new(m, "updates_total", "", "p", read_u64, &va, &x), -EINVAL);

	parsed_t *p = malloc(sizeof(*p));
	assert_non_null(p);
	va = 6; /* read at render time, not at publication */
	render(m, p);
	assert_true(value_of(p, "ddns_dns_rrl_dropped_total", "provider=home;") == 6);
	assert_true(value_of(p, "ddns_dns_rrl_dropped_total", "provider=fair;") == 8);
	assert_true(value_of(p, "ddns_dns_tcp_refused_total", "provider=q\"uote;") == 0);
	metrics_ext_free(b2);
	render(m, p);
	assert_true(value_of(p, "ddns_dns_rrl_dropped_total", "provider=fair;") == 7);
	metrics_ext_free(a);
	render(m, p);
	char *text = NULL;
	size_t len;
	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_non_null(strstr(text, "# TYPE ddns_dns_rrl_dropped_total counter\n"));
	assert_null(strstr(text, "provider=\"home\""));
	assert_non_null(strstr(text, "# HELP ddns_dns_rrl_dropped_total another help\n"));
	free(text);
	free(p);
	metrics_free(m); /* frees b and c too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_families),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_dns_atomic),
		cmocka_unit_test(test_plugin_counters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
