/* The pipeline's record cache (see pipeline_cache.h): chained hash table. */
#include "pipeline_cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RCACHE_BUCKETS 4096

struct rcache_entry {
	rcache_entry_t *next;
	size_t hash;
	store_record_t rec;
};

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

const store_record_t *rcache_get(const rcache_t *c, const char *name)
{
	if (c->n == 0)
		return NULL;
	size_t h = name_hash(name);
	for (const rcache_entry_t *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->rec.name, name) == 0)
			return &e->rec;
	return NULL;
}

int rcache_put(rcache_t *c, const store_record_t *rec)
{
	rcache_drop(c, rec->name);
	if (c->max == 0)
		return 0;
	if (c->n >= c->max)
		rcache_clear(c); /* simple bound: start over */
	if (c->buckets == NULL) {
		c->buckets = calloc(RCACHE_BUCKETS, sizeof(*c->buckets));
		if (c->buckets == NULL)
			return -ENOMEM;
		c->n_buckets = RCACHE_BUCKETS;
	}
	rcache_entry_t *e = malloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->hash = name_hash(rec->name);
	e->rec = *rec;
	rcache_entry_t **b = &c->buckets[e->hash & (c->n_buckets - 1)];
	e->next = *b;
	*b = e;
	c->n++;
	return 0;
}

void rcache_drop(rcache_t *c, const char *name)
{
	if (c->n == 0)
		return;
	size_t h = name_hash(name);
	for (rcache_entry_t **pp = &c->buckets[h & (c->n_buckets - 1)]; *pp; pp = &(*pp)->next) {
		rcache_entry_t *e = *pp;
		if (e->hash == h && strcmp(e->rec.name, name) == 0) {
			*pp = e->next;
			free(e);
			c->n--;
			return;
		}
	}
}

void rcache_clear(rcache_t *c)
{
	for (size_t i = 0; i < c->n_buckets; i++) {
		rcache_entry_t *e = c->buckets[i];
		while (e != NULL) {
			rcache_entry_t *next = e->next;
			free(e);
			e = next;
		}
	}
	free(c->buckets);
	c->buckets = NULL;
	c->n_buckets = 0;
	c->n = 0;
}
