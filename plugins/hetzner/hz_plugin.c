/*
 * hetzner.so: keeps A/AAAA records current through the Hetzner Cloud API's
 * DNS (zones and RRsets at api.hetzner.cloud/v1).  The old DNS Console API
 * (dns.hetzner.com, Auth-API-Token) was retired in 2026; its tokens do not
 * work here: a Cloud project token with read/write access is needed.
 */
#include <errno.h>

#include "hz.h"

#define HZ_OLD_API "the old Hetzner DNS Console API (dns.hetzner.com) is retired: " \
	"migrate the zone to Hetzner Console and create a Cloud API token (Security > " \
	"API tokens, read & write) for token = \"...\""

static const ddns_option_t hz_options[] = {
	{ .name = "token", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  .help = "Hetzner Cloud API token (read & write) of the project holding the zone" },
	{ .name = "zone", .type = DDNS_OPT_STRING,
	  .help = "the zone the records are in (default: asked from the API)" },
	{ .name = "ttl", .type = DDNS_OPT_INT,
	  .help = "TTL of the records, 60..2147483647 (default: kept; the zone's on create)",
	  .min = 60, .max = 2147483647 },
	{ .name = "create", .type = DDNS_OPT_BOOL,
	  .help = "create a missing record (default: false, a missing record is an error)" },
	{ .name = "api_url", .type = DDNS_OPT_STRING,
	  .help = "API base URL (default " HZ_DEFAULT_API ")" },
	{ .name = "api_token", .type = DDNS_OPT_STRING,
	  .flags = DDNS_OPT_REJECTED | DDNS_OPT_SECRET, .help = HZ_OLD_API },
	{ .name = NULL },
};

static int hz_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	hz_instance_t *inst;
	const char *old;
	/* A host that does not refuse DDNS_OPT_REJECTED itself still gets it. */
	if (host->conf_string(ctx, "api_token", &old) != -ENOENT) {
		host->conf_error(ctx, "api_token", "%s", HZ_OLD_API);
		return DDNS_ECONFIG;
	}
	int rc = rest_bearer_create(ctx, host, "a Hetzner Cloud API token is required (Hetzner "
	                            "Console > Security > API tokens, read & write)",
	                            HZ_DEFAULT_API, &inst);
	if (rc < 0)
		return rc;
	*instance = inst;
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "hetzner",
	.version = "1.0",
	.description = "Hetzner DNS (Cloud API): A and AAAA records",
	DDNS_PLUGIN_OPTIONS(hz_options),
	.create = hz_create,
	.destroy = rest_bearer_destroy,
	.update = hz_update_start,
	.cancel = rest_job_cancel_update,
};
