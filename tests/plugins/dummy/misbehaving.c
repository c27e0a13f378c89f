/* A plugin that misbehaves as a careless third-party one might, for the
 * damage-limit tests: update() blocks the event loop for block_ms before it
 * answers (the watchdog's test); an update of crash_name crashes the whole
 * daemon with SIGSEGV (the restart test); with answer_after_ms it answers
 * that much later, past any deadline, and has no cancel: the host must not
 * destroy it before (destroy() aborts if an update is still its own). */
#include <ddns/plugin.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct misbehaving {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	int64_t block_ms, answer_after_ms;
	const char *crash_name;
	unsigned holding; /* updates not answered yet */
} misbehaving_t;

typedef struct late {
	misbehaving_t *b;
	ddns_update_t *u;
} late_t;

static const ddns_option_t misbehaving_options[] = {
	{ .name = "block_ms", .type = DDNS_OPT_INT, .help = "how long update() blocks the loop (default 0)" },
	{ .name = "crash_name", .type = DDNS_OPT_STRING, .help = "an update of this name crashes ddnsd" },
	{ .name = "answer_after_ms", .type = DDNS_OPT_INT, .help = "answer this late (a timer), with no cancel" },
	{ .name = NULL },
};

static int misbehaving_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	misbehaving_t *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->ctx = ctx;
	b->host = host;
	if (host->conf_int(ctx, "block_ms", &b->block_ms) != 0)
		b->block_ms = 0;
	if (host->conf_int(ctx, "answer_after_ms", &b->answer_after_ms) != 0)
		b->answer_after_ms = 0;
	if (host->conf_string(ctx, "crash_name", &b->crash_name) != 0)
		b->crash_name = NULL;
	*instance = b;
	return 0;
}

static void misbehaving_destroy(void *instance)
{
	misbehaving_t *b = instance;
	if (b->holding > 0)
		abort(); /* the host broke its promise: an update is still ours */
	free(b);
}

static void answer_late(void *arg)
{
	late_t *l = arg;
	l->b->holding--;
	l->b->host->update_done(l->u, DDNS_OK, "misbehaving: applied, late");
	free(l);
}

static int misbehaving_update(void *instance, ddns_update_t *u)
{
	misbehaving_t *b = instance;
	if (b->crash_name != NULL && strcmp(u->name, b->crash_name) == 0)
		raise(SIGSEGV); /* as a stray pointer would */
	if (b->answer_after_ms > 0) {
		late_t *l = malloc(sizeof(*l));
		ddns_timer_t *t;
		if (l == NULL)
			return -ENOMEM;
		*l = (late_t){ b, u };
		if (b->host->timer_start(b->ctx, (uint64_t)b->answer_after_ms, answer_late, l,
		                         &t) != 0) {
			free(l);
			return DDNS_EPROVIDER;
		}
		b->holding++;
		return 0;
	}
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
	DDNS_PLUGIN_OPTIONS(misbehaving_options),
	.create = misbehaving_create,
	.destroy = misbehaving_destroy,
	.update = misbehaving_update,
};
