/* The pipeline's table of followers (see pipeline.h, pipeline_set_followers):
 * records whose AAAA is their router's IPv6 prefix joined with their own
 * interface identifier.  Sorted by router, so a router's committed change
 * finds its followers with one binary search.  Pure table work: dispatch
 * is pipeline_batch.c's (it calls here, never the other way). */
#include "pipeline_priv.h"

#include <errno.h>
#include <stdlib.h>
#include "addr_prefix.h"

static int follow_cmp(const void *a, const void *b)
{
	const follow_t *x = a, *y = b;
	int c = strcmp(x->router, y->router);
	return c != 0 ? c : strcmp(x->name, y->name);
}

void pipeline_follow_clear(pipeline_t *p)
{
	for (size_t i = 0; i < p->n_follow; i++) {
		free(p->follow[i].name);
		free(p->follow[i].router);
	}
	free(p->follow);
	p->follow = NULL;
	p->n_follow = 0;
}

int pipeline_follow_set(pipeline_t *p, const pipeline_follower_t *v, size_t n)
{
	follow_t *t = n > 0 ? calloc(n, sizeof(*t)) : NULL;
	if (n > 0 && t == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t[i].name = strdup(v[i].name);
		t[i].router = strdup(v[i].router);
		memcpy(t[i].suffix, v[i].suffix, sizeof(t[i].suffix));
		t[i].prefix_len = v[i].prefix_len;
		if (t[i].name == NULL || t[i].router == NULL) {
			for (size_t k = 0; k <= i; k++) {
				free(t[k].name);
				free(t[k].router);
			}
			free(t);
			return -ENOMEM;
		}
	}
	if (n > 1)
		qsort(t, n, sizeof(*t), follow_cmp);
	pipeline_follow_clear(p);
	p->follow = t;
	p->n_follow = n;
	return 0;
}

const follow_t *pipeline_follow_find(const pipeline_t *p, const char *router, size_t *count)
{
	*count = 0;
	size_t lo = 0, hi = p->n_follow;
	while (lo < hi) { /* the first entry not below @p router */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(p->follow[mid].router, router) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < p->n_follow && strcmp(p->follow[end].router, router) == 0)
		end++;
	*count = end - lo;
	return *count > 0 ? &p->follow[lo] : NULL;
}

int pipeline_follow_addr(const follow_t *f, const char *router_ipv6, char *out)
{
	return addr_prefix_join_text(router_ipv6, f->suffix, f->prefix_len, out);
}
