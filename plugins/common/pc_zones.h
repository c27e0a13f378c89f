/**
 * @file pc_zones.h
 * @brief Per-instance cache: which zone (and provider zone id) a name is in,
 * so the walk up the labels is asked once per name.
 */
#ifndef PC_ZONES_H
#define PC_ZONES_H

typedef struct pc_zone_entry {
	char *name;  /**< the record's FQDN */
	char *zone;  /**< its zone */
	char *id;    /**< the provider's zone id ("" if it has none) */
	struct pc_zone_entry *next;
} pc_zone_entry_t;

typedef struct pc_zones {
	pc_zone_entry_t *head;
	unsigned count;
} pc_zones_t;

/** The entry for @p name, or NULL. Borrowed until the next put/clear. */
const pc_zone_entry_t *pc_zones_find(const pc_zones_t *zones, const char *name);
/** Remember @p name's zone and id (copied).  @return 0 or -ENOMEM. */
int pc_zones_put(pc_zones_t *zones, const char *name, const char *zone, const char *id);
/** Forget @p name (its zone vanished, say). */
void pc_zones_forget(pc_zones_t *zones, const char *name);
/** Forget everything. */
void pc_zones_clear(pc_zones_t *zones);

#endif
