/* A module whose descriptor lacks create(): refused, not called. */
#include <ddns/plugin.h>

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
	.size = sizeof(ddns_plugin_t),
	.name = "broken_nocreate",
	.version = "0",
	.destroy = never_destroy,
	.update = never_update,
};
