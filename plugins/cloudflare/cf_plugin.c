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
	{ "token", DDNS_OPT_STRING, DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  "Cloudflare API token with the Zone.DNS Edit permission for the zone" },
	{ "zone", DDNS_OPT_STRING, 0,
	  "the zone the records are in (default: asked from the API)" },
	{ "ttl", DDNS_OPT_INT, 0,
	  "TTL of updated/created records: 1 (automatic) or 60..86400 (default: kept; 1 on create)" },
	{ "create", DDNS_OPT_BOOL, 0, "create a missing record (default: false, a missing record is an error)" },
	{ "api_url", DDNS_OPT_STRING, 0, "API base URL (default " CF_DEFAULT_API ")" },
	{ NULL, 0, 0, NULL },
};

static int cf_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	cf_instance_t *inst;
	int rc = rest_bearer_create(ctx, host, "a Cloudflare API token is required (My Profile > "
	                              "API Tokens > Create Token, permission Zone.DNS Edit)",
	                              CF_DEFAULT_API, 1, 86400, &inst);

	if (rc < 0)
		return rc;
	/* Cloudflare's one TTL below 60: 1, "automatic". */
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
	.options = cf_options,
	.create = cf_create,
	.destroy = rest_bearer_destroy,
	.update = cf_update_start,
	.cancel = rest_job_cancel_update,
};
