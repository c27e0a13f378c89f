#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pc_zones.h"

/* Bounded: an instance with more names just walks again now and then. */
#define PC_ZONES_MAX 4096u

const pc_zone_entry_t *pc_zones_find(const pc_zones_t *zones, const char *name)
{
	for (const pc_zone_entry_t *e = zones->head; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void entry_free(pc_zone_entry_t *e)
{
	free(e->name);
	free(e->zone);
	free(e->id);
	free(e);
}

void pc_zones_forget(pc_zones_t *zones, const char *name)
{
	for (pc_zone_entry_t **p = &zones->head; *p; p = &(*p)->next) {
		if (strcmp((*p)->name, name) == 0) {
			pc_zone_entry_t *e = *p;
			*p = e->next;
			entry_free(e);
			zones->count--;
			return;
		}
	}
}

int pc_zones_put(pc_zones_t *zones, const char *name, const char *zone, const char *id)
{
	pc_zone_entry_t *e;

	pc_zones_forget(zones, name);
	if (zones->count >= PC_ZONES_MAX)
		pc_zones_clear(zones);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->name = strdup(name);
	e->zone = strdup(zone);
	e->id = strdup(id ? id : "");
	if (!e->name || !e->zone || !e->id) {
		entry_free(e);
		return -ENOMEM;
	}
	e->next = zones->head;
	zones->head = e;
	zones->count++;
	return 0;
}

void pc_zones_clear(pc_zones_t *zones)
{
	while (zones->head) {
		pc_zone_entry_t *e = zones->head;
		zones->head = e->next;
		entry_free(e);
	}
	zones->count = 0;
}
