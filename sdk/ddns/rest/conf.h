/**
 * @file ddns/rest/conf.h
 * @brief The options every provider plugin shares: api_url, zone, ttl, create.
 */
#ifndef DDNS_REST_CONF_H
#define DDNS_REST_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include <ddns/plugin.h>

/** Shared options, read once in create(). */
typedef struct rest_conf {
	char *api_url;    /**< without trailing '/', owned; NULL if absent
	                       and there is no default */
	const char *zone; /**< configured zone or NULL (borrowed from the host) */
	int64_t ttl;      /**< 0 when not configured */
	bool create;      /**< create a missing record */
} rest_conf_t;

/**
 * Read api_url (default @p default_url, which may be NULL), zone, ttl and
 * create.  The ttl's range is the module's option declaration (.min,
 * .max), checked by the host before create().  Bad values are reported
 * with host->conf_error.  @return 0, DDNS_ECONFIG or -ENOMEM.
 */
int rest_conf_read(ddns_ctx_t *ctx, const ddns_host_t *host, const char *default_url,
                   rest_conf_t *out);

/**
 * Copy URL option @p name (or @p default_url when absent; NULL when both
 * are) into *out without a trailing '/'; refuse anything but http:// and
 * https://.  @return 0, DDNS_ECONFIG or -ENOMEM.
 */
int rest_conf_url(ddns_ctx_t *ctx, const ddns_host_t *host, const char *name,
                    const char *default_url, char **out);

/** Wipe and free a secret string (NULL is fine). */
void rest_secret_free(char *secret);

/** Free what rest_conf_read() allocated. */
void rest_conf_free(rest_conf_t *conf);

#endif
