/* A growable list of names (see store.h): what a reconcile touched, what
 * other writers changed. */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int store_names_add(store_names_t *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **nn = realloc(s->names, cap * sizeof(*nn));
		if (nn == NULL)
			return -ENOMEM;
		s->names = nn;
		s->cap = cap;
	}
	if ((s->names[s->n] = strdup(name)) == NULL)
		return -ENOMEM;
	s->n++;
	return 0;
}

void store_names_clear(store_names_t *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	*s = (store_names_t){ 0 };
}
