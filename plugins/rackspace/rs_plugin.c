/*
 * rackspace.so: keeps A/AAAA records at Rackspace Cloud DNS current (API
 * v1.0, username + API key through the Identity v2.0 service).  django-dynamic-dns
 * shipped a Rackspace provider whose success check was inverted; this one
 * follows each change's async job to COMPLETED or ERROR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs.h"

static const ddns_option_t rs_options[] = {
	{ .name = "username", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED, .help = "Rackspace account user name" },
	{ .name = "api_key", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  .help = "the user's API key (Account Settings > API Key)" },
	{ .name = "zone", .type = DDNS_OPT_STRING, .help = "the domain the records are in (default: asked from the API)" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "TTL of updated/created records, 300..86400 (default: kept; 3600 on create)",
	  .min = 300, .max = 86400 },
	{ .name = "create", .type = DDNS_OPT_BOOL, .help = "create a missing record (default: false, a missing record is an error)" },
	{ .name = "identity_url", .type = DDNS_OPT_STRING, .help = "Identity v2.0 URL (default " RS_DEFAULT_IDENTITY ")" },
	{ .name = "api_url", .type = DDNS_OPT_STRING,
	  .help = "Cloud DNS endpoint with the tenant, e.g. https://dns.api.rackspacecloud.com/v1.0/<tenant> "
	  "(default: the cloudDNS endpoint of the service catalog)" },
	{ .name = NULL },
};

static void rs_destroy(void *instance)
{
	rs_instance_t *inst = instance;

	if (inst == NULL)
		return;
	rs_auth_clear(inst);
	rest_zones_clear(&inst->zones);
	rest_conf_free(&inst->conf);
	free(inst->identity_url);
	free(inst->endpoint);
	free(inst);
}

static int rs_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	rs_instance_t *inst;
	int rc;

	inst = calloc(1, sizeof(*inst));
	if (inst == NULL)
		return -ENOMEM;
	inst->ctx = ctx;
	inst->host = host;
	if (host->conf_string(ctx, "username", &inst->username) < 0 || !inst->username[0]) {
		host->conf_error(ctx, "username", "the Rackspace user name is required");
		rc = DDNS_ECONFIG;
		goto fail;
	}
	if (host->conf_string(ctx, "api_key", &inst->api_key) < 0 || !inst->api_key[0]) {
		host->conf_error(ctx, "api_key", "the API key is required (Account Settings > API Key)");
		rc = DDNS_ECONFIG;
		goto fail;
	}
	/* api_url has no default here: the service catalog names the endpoint. */
	rc = rest_conf_read(ctx, host, NULL, &inst->conf);
	if (rc < 0)
		goto fail;
	if (inst->conf.api_url && (inst->endpoint = strdup(inst->conf.api_url)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = rest_conf_url(ctx, host, "identity_url", RS_DEFAULT_IDENTITY, &inst->identity_url);
	if (rc < 0)
		goto fail;
	*instance = inst;
	return 0;
fail:
	rs_destroy(inst);
	return rc;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "rackspace",
	.version = "1.0",
	.description = "Rackspace Cloud DNS (API v1.0, async jobs): A and AAAA records",
	DDNS_PLUGIN_OPTIONS(rs_options),
	.create = rs_create,
	.destroy = rs_destroy,
	.update = rs_update_start,
	.cancel = rest_job_cancel_update,
};
