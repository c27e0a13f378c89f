/**
 * @file do.h
 * @brief DigitalOcean API v2 provider: what the plugin's files share.
 */
#ifndef DO_H
#define DO_H

#include "ddns/plugin.h"
#include <ddns/rest/bearer.h>
#include <ddns/rest/job.h>
#include <ddns/rest/zones.h>

#define DO_DEFAULT_API "https://api.digitalocean.com"

/** One `providers.<name>` entry using digitalocean: token, options, zone cache. */
typedef rest_bearer_t do_instance_t;

/** One update in progress. */
typedef struct do_job {
	rest_job_t base;      /**< first: a do_job_t is a rest_job_t */
	do_instance_t *inst;
	char zone[256];     /**< zone of the name, once known */
	unsigned zone_try;  /**< candidate being asked (zone walk) */
	unsigned pages;     /**< pages of records read */
} do_job_t;

/** ddns_plugin_t.update: start @p update on the instance @p instance.  @return 0 or -ENOMEM. */
int do_update_start(void *instance, ddns_update_t *update);

#endif
