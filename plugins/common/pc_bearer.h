/**
 * @file pc_bearer.h
 * @brief The instance of a provider that authenticates with a bearer token
 * (DigitalOcean, Cloudflare): the shared options, the token's header, and
 * the zone cache.
 */
#ifndef PC_BEARER_H
#define PC_BEARER_H

#include <stdint.h>

#include "ddns/plugin.h"
#include "pc_conf.h"
#include "pc_zones.h"

/** One `providers.<name>` entry of a bearer-token provider. */
typedef struct pc_bearer {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	pc_conf_t conf;
	char *auth_header;  /**< "Authorization: Bearer <token>" (secret) */
	pc_zones_t zones;   /**< name -> zone (and zone id), learnt by walking */
} pc_bearer_t;

/**
 * Read the required option "token" (refused when empty, with @p token_help
 * saying where to get one, or when it holds spaces or line breaks) and the
 * shared options (pc_conf_read with @p default_url, @p ttl_min, @p ttl_max).
 * @return 0 with *out set (pc_bearer_destroy frees it), DDNS_ECONFIG (said
 * with host->conf_error) or -ENOMEM.
 */
int pc_bearer_create(ddns_ctx_t *ctx, const ddns_host_t *host, const char *token_help,
                     const char *default_url, int64_t ttl_min, int64_t ttl_max,
                     pc_bearer_t **out);

/** ddns_plugin_t.destroy: free the instance, wiping the token (NULL is fine). */
void pc_bearer_destroy(void *instance);

#endif
