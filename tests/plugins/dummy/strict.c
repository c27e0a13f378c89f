/* A well-formed module with a required secret option and a rejected one,
 * so option checking (missing, rejected, wrong type) and secret handling in
 * logs can be tested.  create() also reports a bad value via conf_error. */
#include <ddns/plugin.h>

#include <stdlib.h>
#include <string.h>

static const ddns_option_t strict_options[] = {
	{ .name = "token", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET, .help = "API token" },
	{ .name = "zone", .type = DDNS_OPT_STRING, .help = "zone name" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "record TTL" },
	{ .name = "client_id", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REJECTED,
	  .help = "the v1 API is gone: create a v2 token and set `token`" },
	{ .name = NULL },
};

static int strict_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	int64_t ttl = 60;
	if (host->conf_int(ctx, "ttl", &ttl) == 0 && ttl < 1) {
		host->conf_error(ctx, "ttl", "must be at least 1 (got %lld)", (long long)ttl);
		return DDNS_ECONFIG;
	}
	*instance = malloc(1);
	return *instance != NULL ? 0 : -12;
}

static void strict_destroy(void *instance)
{
	free(instance);
}

static int strict_update(void *instance, ddns_update_t *update)
{
	(void)instance;
	(void)update;
	return DDNS_ENOTFOUND; /* a synchronous refusal, returned to the caller */
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "strict",
	.version = "0.1",
	.description = "option checking test module",
	DDNS_PLUGIN_OPTIONS(strict_options),
	.create = strict_create,
	.destroy = strict_destroy,
	.update = strict_update,
};
