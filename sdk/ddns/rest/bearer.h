/**
 * @file ddns/rest/bearer.h
 * @brief The instance of a provider that authenticates with a bearer token
 * (DigitalOcean, Cloudflare): the shared options, the token's header, and
 * the zone cache.
 */
#ifndef DDNS_REST_BEARER_H
#define DDNS_REST_BEARER_H

#include <stdint.h>

#include <ddns/plugin.h>
#include <ddns/rest/conf.h>
#include <ddns/rest/zones.h>

/** One `providers.<name>` entry of a bearer-token provider. */
typedef struct rest_bearer {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	rest_conf_t conf;
	char *auth_header;  /**< "Authorization: Bearer <token>" (secret) */
	rest_zones_t zones;   /**< name -> zone (and zone id), learnt by walking */
} rest_bearer_t;

/**
 * Read the required option "token" (refused when empty, with @p token_help
 * saying where to get one, or when it holds spaces or line breaks) and the
 * shared options (rest_conf_read with @p default_url; the ttl's range is the module's
 * option declaration, which the host checks).
 * @return 0 with *out set (rest_bearer_destroy frees it), DDNS_ECONFIG (said
     * with host->conf_error) or -ENOMEM.
 */
int rest_bearer_create(ddns_ctx_t *ctx, const ddns_host_t *host, const char *token_help,
                       const char *default_url, rest_bearer_t **out);

/** ddns_plugin_t.destroy: free the instance, wiping the token (NULL is fine). */
void rest_bearer_destroy(void *instance);

#endif
