#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest/zones.h>

/* Bounded: an instance with more names just walks again now and then. */
#define REST_ZONES_MAX 4096u

const rest_zone_entry_t *rest_zones_find(const rest_zones_t *zones, const char *name)
{
	for (const rest_zone_entry_t *e = zones->head; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void entry_free(rest_zone_entry_t *e)
{
	free(e->name);
	free(e->zone);
	free(e->id);
	free(e);
}

void rest_zones_forget(rest_zones_t *zones, const char *name)
{
	for (rest_zone_entry_t **p = &zones->head; *p; p = &(*p)->next) {
		if (strcmp((*p)->name, name) == 0) {
			rest_zone_entry_t *e = *p;
			*p = e->next;
			entry_free(e);
			zones->count--;
			return;
		}
	}
}

int rest_zones_put(rest_zones_t *zones, const char *name, const char *zone, const char *id)
{
	rest_zone_entry_t *e;

	rest_zones_forget(zones, name);
	if (zones->count >= REST_ZONES_MAX)
		rest_zones_clear(zones);
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

void rest_zones_clear(rest_zones_t *zones)
{
	while (zones->head) {
		rest_zone_entry_t *e = zones->head;
		zones->head = e->next;
		entry_free(e);
	}
	zones->count = 0;
}
