/* The pipeline's last_seen batch (see pipeline_seen.h). */
#include "pipeline_seen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

static void slot_put(char **slots, size_t cap, char *name)
{
	size_t i = name_hash(name) & (cap - 1);
	while (slots[i] != NULL)
		i = (i + 1) & (cap - 1);
	slots[i] = name;
}

static int seen_grow(seen_set_t *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	char **slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i] != NULL)
			slot_put(slots, cap, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int seen_add(seen_set_t *s, const char *name)
{
	if (s->cap != 0) {
		size_t i = name_hash(name) & (s->cap - 1);
		for (; s->slots[i] != NULL; i = (i + 1) & (s->cap - 1))
			if (strcmp(s->slots[i], name) == 0)
				return 0;
	}
	if ((s->n + 1) * 2 > s->cap && seen_grow(s) != 0)
		return -ENOMEM;
	char *copy = strdup(name);
	if (copy == NULL)
		return -ENOMEM;
	slot_put(s->slots, s->cap, copy);
	s->n++;
	return 0;
}

int seen_flush(seen_set_t *s, store_writer_t *w, int64_t now)
{
	int rc = 0;
	if (s->n == 0)
		return 0;
	const char **names = malloc(s->n * sizeof(*names));
	if (names == NULL) {
		rc = -ENOMEM;
	} else {
		size_t k = 0;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i] != NULL)
				names[k++] = s->slots[i];
		rc = store_writer_touch_seen(w, names, k, now);
		free(names);
	}
	seen_clear(s);
	return rc;
}

void seen_clear(seen_set_t *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	*s = (seen_set_t){ 0 };
}
