/**
 * @file cf.h
 * @brief Cloudflare API v4 provider: what the plugin's files share.
 */
#ifndef CF_H
#define CF_H

#include "ddns/plugin.h"
#include <ddns/rest/bearer.h>
#include <ddns/rest/job.h>
#include <ddns/rest/zones.h>

#define CF_DEFAULT_API "https://api.cloudflare.com/client/v4"

/** One `providers.<name>` entry using cloudflare: token, options, zone cache. */
typedef rest_bearer_t cf_instance_t;

/** One update in progress. */
typedef struct cf_job {
	rest_job_t base;      /**< first: a cf_job_t is a rest_job_t */
	cf_instance_t *inst;
	char zone[256];     /**< zone name, once known */
	char zone_id[64];   /**< its id */
	unsigned zone_try;  /**< candidate being asked (zone walk) */
	unsigned page;      /**< page of dns_records being read */
} cf_job_t;

/** ddns_plugin_t.update: start @p update on the instance @p instance.  @return 0 or -errno. */
int cf_update_start(void *instance, ddns_update_t *update);

#endif
