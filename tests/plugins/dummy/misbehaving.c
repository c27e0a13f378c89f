/* A plugin that misbehaves as a careless third-party one might, for the
 * damage-limit tests: update() blocks the event loop for block_ms before it
 * answers (the watchdog's test), and an update of crash_name crashes the
 * whole daemon with SIGSEGV (the restart test). */
#include <ddns/plugin.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

typedef struct misbehaving {
	const ddns_host_t *host;
	int64_t block_ms;
	const char *crash_name;
} misbehaving_t;

static misbehaving_t the_instance;

static const ddns_option_t misbehaving_options[] = {
	{ "block_ms", DDNS_OPT_INT, 0, "how long update() blocks the loop (default 0)" },
	{ "crash_name", DDNS_OPT_STRING, 0, "an update of this name crashes ddnsd" },
	{ NULL, 0, 0, NULL },
};

static int misbehaving_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	the_instance.host = host;
	if (host->conf_int(ctx, "block_ms", &the_instance.block_ms) != 0)
		the_instance.block_ms = 0;
	if (host->conf_string(ctx, "crash_name", &the_instance.crash_name) != 0)
		the_instance.crash_name = NULL;
	*instance = &the_instance;
	return 0;
}

static void misbehaving_destroy(void *instance)
{
	(void)instance;
}

static int misbehaving_update(void *instance, ddns_update_t *u)
{
	misbehaving_t *b = instance;
	if (b->crash_name != NULL && strcmp(u->name, b->crash_name) == 0)
		raise(SIGSEGV); /* as a stray pointer would */
	struct timespec ts = { b->block_ms / 1000, (b->block_ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	b->host->update_done(u, DDNS_OK, "misbehaving: applied");
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "misbehaving",
	.version = "1",
	.description = "blocks the event loop, or crashes ddnsd (a test plugin)",
	.options = misbehaving_options,
	.create = misbehaving_create,
	.destroy = misbehaving_destroy,
	.update = misbehaving_update,
};
