/* A module built for a plugin ABI this ddnsd does not speak: the loader
 * must refuse it, naming the file and both ABI numbers, before calling it. */
#include <ddns/plugin.h>

static int never_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	(void)ctx;
	(void)host;
	(void)instance;
	__builtin_trap(); /* the host must not call a module it refused */
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
	.abi = 999,
	.size = sizeof(ddns_plugin_t),
	.name = "broken_abi",
	.version = "0",
	.create = never_create,
	.destroy = never_destroy,
	.update = never_update,
};
