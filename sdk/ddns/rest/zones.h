/**
 * @file ddns/rest/zones.h
 * @brief Per-instance cache: which zone (and provider zone id) a name is in,
 * so the walk up the labels is asked once per name.
 */
#ifndef DDNS_REST_ZONES_H
#define DDNS_REST_ZONES_H

typedef struct rest_zone_entry {
	char *name;  /**< the record's FQDN */
	char *zone;  /**< its zone */
	char *id;    /**< the provider's zone id ("" if it has none) */
	struct rest_zone_entry *next;
} rest_zone_entry_t;

typedef struct rest_zones {
	rest_zone_entry_t *head;
	unsigned count;
} rest_zones_t;

/** The entry for @p name, or NULL. Borrowed until the next put/clear. */
const rest_zone_entry_t *rest_zones_find(const rest_zones_t *zones, const char *name);
/** Remember @p name's zone and id (copied).  @return 0 or -ENOMEM. */
int rest_zones_put(rest_zones_t *zones, const char *name, const char *zone, const char *id);
/** Forget @p name (its zone vanished, say). */
void rest_zones_forget(rest_zones_t *zones, const char *name);
/** Forget everything. */
void rest_zones_clear(rest_zones_t *zones);

#endif
