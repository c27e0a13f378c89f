/* Modules built against other <ddns/plugin.h> versions, for the loader
 * tests: compiled with -DSIZED_GROWN, a descriptor with a member this host
 * does not know (a newer header of this ABI); with -DSIZED_OLDEST, an ABI 1
 * module as the first ABI 1 header built it: a descriptor that ends before
 * record_changed and an option table in ABI 1's layout (no range, no
 * default), which the host still loads.  Each exports exactly its own layout, so a host that read
 * past the module's size would read past the object (ASan would say so). */
#include <ddns/plugin.h>

static int sized_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	(void)ctx;
	(void)host;
	static int one;
	*instance = &one;
	return 0;
}

static void sized_destroy(void *instance)
{
	(void)instance;
}

static int sized_update(void *instance, ddns_update_t *update)
{
	(void)instance;
	(void)update;
	return DDNS_EPROVIDER;
}

#if defined(SIZED_GROWN)
struct grown {
	ddns_plugin_t known;
	void (*from_the_future)(void *instance);
};
DDNS_PLUGIN_VISIBLE extern const struct grown ddns_plugin;
const struct grown ddns_plugin = {
	.known = { .abi = DDNS_PLUGIN_ABI, .size = sizeof(struct grown), .name = "grown",
	           .version = "2", .create = sized_create, .destroy = sized_destroy,
	           .update = sized_update },
	.from_the_future = sized_destroy,
};
#elif defined(SIZED_OLDEST)
struct option_v1 { /* ddns_option_t of ABI 1 */
	const char *name;
	ddns_opt_type_t type;
	unsigned flags;
	const char *help;
};
_Static_assert(sizeof(struct option_v1) == DDNS_OPTION_SIZE_V1, "ABI 1's option");
static const struct option_v1 oldest_options[] = {
	{ "zone", DDNS_OPT_STRING, 0, "a zone" },
	{ "ttl", DDNS_OPT_INT, 0, "a TTL" },
	{ "create", DDNS_OPT_BOOL, 0, "create missing records" },
	{ NULL, 0, 0, NULL },
};
struct oldest { /* ddns_plugin_t as ABI 1 first shipped it */
	uint32_t abi, size;
	const char *name, *version, *description;
	const struct option_v1 *options;
	int (*create)(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance);
	void (*destroy)(void *instance);
	int (*update)(void *instance, ddns_update_t *update);
	void (*cancel)(void *instance, ddns_update_t *update);
	void (*records_changed)(void *instance);
};
_Static_assert(sizeof(struct oldest) == DDNS_PLUGIN_SIZE_MIN_V1, "ABI 1's first descriptor");
DDNS_PLUGIN_VISIBLE extern const struct oldest ddns_plugin;
const struct oldest ddns_plugin = {
	.abi = 1, .size = sizeof(struct oldest), .name = "oldest",
	.version = "1", .options = oldest_options,
	.create = sized_create, .destroy = sized_destroy,
	.update = sized_update,
};
#else
#error "build with -DSIZED_GROWN or -DSIZED_OLDEST"
#endif
