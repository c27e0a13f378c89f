/* A module whose option declarations contradict themselves: built with
 * -DDECL_DEFAULT, a default outside its own range; with -DDECL_STRIDE, an
 * option table without option_size (`.options =` alone, not
 * DDNS_PLUGIN_OPTIONS()).  Refused at load, never created. */
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

static const ddns_option_t decl_options[] = {
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "a TTL", .min = 30, .max = 86400,
	  .def = "10" },
	{ .name = NULL },
};

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "broken_decl",
	.version = "0",
#if defined(DECL_DEFAULT)
	DDNS_PLUGIN_OPTIONS(decl_options),
#elif defined(DECL_STRIDE)
	.options = decl_options,
#else
#error "build with -DDECL_DEFAULT or -DDECL_STRIDE"
#endif
	.create = never_create,
	.destroy = never_destroy,
	.update = never_update,
};
