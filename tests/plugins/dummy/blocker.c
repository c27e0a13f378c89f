/* A plugin that blocks the event loop, as a careless third-party one might:
 * update() sleeps block_ms before it answers.  For the watchdog's test. */
#include <ddns/plugin.h>

#include <errno.h>
#include <time.h>

typedef struct blocker {
	const ddns_host_t *host;
	int64_t block_ms;
} blocker_t;

static blocker_t the_instance;

static const ddns_option_t blocker_options[] = {
	{ "block_ms", DDNS_OPT_INT, 1, "how long update() blocks the loop" },
	{ NULL, 0, 0, NULL },
};

static int blocker_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	the_instance.host = host;
	if (host->conf_int(ctx, "block_ms", &the_instance.block_ms) != 0)
		return DDNS_ECONFIG;
	*instance = &the_instance;
	return 0;
}

static void blocker_destroy(void *instance)
{
	(void)instance;
}

static int blocker_update(void *instance, ddns_update_t *u)
{
	blocker_t *b = instance;
	struct timespec ts = { b->block_ms / 1000, (b->block_ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	b->host->update_done(u, DDNS_OK, "blocker: applied, late");
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "blocker",
	.version = "1",
	.description = "blocks the event loop in update() (a test plugin)",
	.options = blocker_options,
	.create = blocker_create,
	.destroy = blocker_destroy,
	.update = blocker_update,
};
