/**
 * @file ddns/rest.h
 * @brief The toolkit for provider plugins that talk to a REST API
 * (libddnsrest, `pkg-config ddns-rest`, ddns-rest(3)).
 *
 * One update is one rest_job_t: its HTTP calls through the host, retries of
 * transient failures and rate limits (Retry-After honoured, every wait a
 * host timer bounded by the update's deadline), its message, and its
 * completion exactly once.  Around it: JSON reading (rest_json_*), the zone
 * of a name and its cache (rest_zones_*), names relative to a zone and URL
 * escaping (rest_name_*), whether a URL from a reply may get the credentials
 * (rest_url_under), the options every REST provider shares (api_url,
   * zone, ttl, create: rest_conf_*), bearer-token providers (rest_bearer_*),
 * and the API conventions (JSON headers, HTTP errors mapped to results:
 * rest_api_*).
 *
 * The in-tree providers (digitalocean, cloudflare, rackspace) are built on
 * exactly this; sdk/example is the shortest complete one.
 */
#ifndef DDNS_REST_H
#define DDNS_REST_H

#include <ddns/plugin.h>
#include <ddns/rest/retry.h>
#include <ddns/rest/job.h>
#include <ddns/rest/json.h>
#include <ddns/rest/name.h>
#include <ddns/rest/url.h>
#include <ddns/rest/zones.h>
#include <ddns/rest/conf.h>
#include <ddns/rest/bearer.h>
#include <ddns/rest/api.h>

#endif
