/*
 * cloudflare.so: keeps A/AAAA records at Cloudflare current through the v4
 * API with an API token (Zone.DNS Edit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"

static const ddns_option_t cf_options[] = {
	{ .name = "token", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  .help = "Cloudflare API token with the Zone.DNS Edit permission for the zone" },
	{ .name = "zone", .type = DDNS_OPT_STRING,
	  .help = "the zone the records are in (default: asked from the API)" },
	{ .name = "ttl", .type = DDNS_OPT_INT,
	  .help = "TTL of updated/created records: 1 (automatic) or 60..86400 (default: kept; 1 on create)",
	  .min = 1, .max = 86400 },
	{ .name = "create", .type = DDNS_OPT_BOOL, .help = "create a missing record (default: false, a missing record is an error)" },
	{ .name = "api_url", .type = DDNS_OPT_STRING, .help = "API base URL (default " CF_DEFAULT_API ")" },
	{ .name = NULL },
};

static int cf_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	cf_instance_t *inst;
	int rc = rest_bearer_create(ctx, host, "a Cloudflare API token is required (My Profile > "
	                              "API Tokens > Create Token, permission Zone.DNS Edit)",
	                              CF_DEFAULT_API, &inst);

	if (rc < 0)
		return rc;
	/* Cloudflare's one TTL below 60: 1, "automatic" (the host checked
	 * 1..86400). */
	if (inst->conf.ttl > 1 && inst->conf.ttl < 60) {
		host->conf_error(ctx, "ttl", "must be 1 (automatic) or 60..86400");
		rest_bearer_destroy(inst);
		return DDNS_ECONFIG;
	}
	*instance = inst;
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "cloudflare",
	.version = "1.0",
	.description = "Cloudflare DNS (API v4, API token): A and AAAA records",
	DDNS_PLUGIN_OPTIONS(cf_options),
	.create = cf_create,
	.destroy = rest_bearer_destroy,
	.update = cf_update_start,
	.cancel = rest_job_cancel_update,
};
