/* A module whose descriptor claims another size (as if built against an
 * older or newer <ddns/plugin.h> that changed the struct without the ABI). */
#include <ddns/plugin.h>

static int never_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	(void)ctx;
	(void)host;
	(void)instance;
	__builtin_trap();
}

static void never_destroy(void *instance)
{
	(void)instance;
}

static int never_update(void *instance, ddns_update_t *update)
{
	(void)instance;
	(void)update;
	return DDNS_EPROVIDER;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t) / 2,
	.name = "broken_size",
	.version = "0",
	.create = never_create,
	.destroy = never_destroy,
	.update = never_update,
};
