/**
 * @file hz.h
 * @brief Hetzner Cloud API DNS provider: what the plugin's files share.
 */
#ifndef HZ_H
#define HZ_H

#include <ddns/rest.h>

#define HZ_DEFAULT_API "https://api.hetzner.cloud"

/** One `providers.<name>` entry using hetzner: token, options, zone cache. */
typedef rest_bearer_t hz_instance_t;

/** One update in progress. */
typedef struct hz_job {
	rest_job_t base;      /**< first: an hz_job_t is a rest_job_t */
	hz_instance_t *inst;
	char zone[256];       /**< zone of the name, once known */
	char rel[256];        /**< the name relative to it ("@" for the apex) */
	unsigned zone_try;    /**< candidate being asked (zone walk) */
	int64_t rr_ttl;       /**< the RRset's TTL as read (0: the zone's) */
	char action[32];      /**< id of the action being waited for */
	uint64_t poll_ms;     /**< the next wait before asking about it */
	rest_step_cb after;   /**< what follows when the action succeeded */
} hz_job_t;

/** ddns_plugin_t.update.  @return 0 or -ENOMEM. */
int hz_update_start(void *instance, ddns_update_t *update);

#endif
