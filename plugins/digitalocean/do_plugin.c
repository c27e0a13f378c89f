/*
 * digitalocean.so: keeps A/AAAA records at DigitalOcean current through the
 * v2 API.  django-dynamic-dns used v1 (client_id + api_key in the query string),
 * which DigitalOcean switched off; those settings are refused with a hint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "do.h"

/* The answer to a config still written for django-dynamic-dns (API v1). */
#define DO_V1_GONE "DigitalOcean API v1 (client_id/api_key) was shut down: create a v2 " \
	"token with write scope at https://cloud.digitalocean.com/account/api/tokens and set " \
	"token = \"...\""

static const ddns_option_t do_options[] = {
	{ .name = "token", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  .help = "DigitalOcean v2 personal access token with write scope" },
	{ .name = "zone", .type = DDNS_OPT_STRING,
	  .help = "the domain the records are in (default: asked from the API)" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "TTL of created/updated records, 30..86400 (default: kept; 1800 on create)",
	  .min = 30, .max = 86400 },
	{ .name = "create", .type = DDNS_OPT_BOOL, .help = "create a missing record (default: false, a missing record is an error)" },
	{ .name = "api_url", .type = DDNS_OPT_STRING, .help = "API base URL (default " DO_DEFAULT_API ")" },
	{ .name = "client_id", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REJECTED,
	  .help = DO_V1_GONE },
	{ .name = "api_key", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REJECTED | DDNS_OPT_SECRET,
	  .help = DO_V1_GONE },
	{ .name = NULL },
};

static int do_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	do_instance_t *inst;
	const char *v1;
	int rc;

	/* A host that does not refuse DDNS_OPT_REJECTED itself still gets it. */
	if (host->conf_string(ctx, "client_id", &v1) != -ENOENT ||
	    host->conf_string(ctx, "api_key", &v1) != -ENOENT) {
		host->conf_error(ctx, "client_id", "%s", DO_V1_GONE);
		return DDNS_ECONFIG;
	}
	rc = rest_bearer_create(ctx, host, "a DigitalOcean v2 token is required (create one at "
	                        "https://cloud.digitalocean.com/account/api/tokens)",
	                        DO_DEFAULT_API, &inst);
	if (rc < 0)
		return rc;
	*instance = inst;
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "digitalocean",
	.version = "1.0",
	.description = "DigitalOcean DNS (API v2): A and AAAA records",
	DDNS_PLUGIN_OPTIONS(do_options),
	.create = do_create,
	.destroy = rest_bearer_destroy,
	.update = do_update_start,
	.cancel = rest_job_cancel_update,
};
