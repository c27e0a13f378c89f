/*
 * example.so: a third-party ddnsd provider plugin, built out of tree with
 * nothing but <ddns/plugin.h> and `pkg-config --cflags ddns-plugin`.
 *
 * It "publishes" each update by appending one line to a file:
 *
 *     <unix time> <name> ipv4=<address|-> ipv6=<address|->
 *
 * Configure it in ddns.conf:
 *
 *     providers = { ex = { plugin = "example"; file = "/var/lib/ddns/updates.log"; }; };
 *
 * A real provider would start host->http_request() here and call
 * host->update_done() from its callback; the shape is the same.  Writing a
 * short line to a local file is quick enough to do directly, but the result
 * still goes through update_done() exactly once, as the contract asks.
 */
#include <ddns/plugin.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct example {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	const char *file; /* borrowed: valid for the instance's life */
	unsigned long written;
} example_t;

static const ddns_option_t example_options[] = {
	{ "file", DDNS_OPT_STRING, DDNS_OPT_REQUIRED, "file each update is appended to" },
	{ "prefix", DDNS_OPT_STRING, 0, "text put before each line (default none)" },
	{ NULL, 0, 0, NULL },
};

static int example_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	if (host->abi != DDNS_HOST_ABI || !DDNS_HOST_HAS(host, update_done))
		return DDNS_EABI;
	example_t *ex = calloc(1, sizeof(*ex));
	if (ex == NULL)
		return -ENOMEM;
	ex->ctx = ctx;
	ex->host = host;
	if (host->conf_string(ctx, "file", &ex->file) != 0 || ex->file[0] != '/') {
		host->conf_error(ctx, "file", "must be an absolute path");
		free(ex);
		return DDNS_ECONFIG;
	}
	/* Fail at start, not at the first update, if the file cannot be written. */
	FILE *f = fopen(ex->file, "a");
	if (f == NULL) {
		host->conf_error(ctx, "file", "cannot open %s: %s", ex->file, strerror(errno));
		free(ex);
		return DDNS_ECONFIG;
	}
	fclose(f);
	host->log(ctx, DDNS_LOG_INFO, "appending updates to %s", ex->file);
	*instance = ex;
	return 0;
}

static int example_update(void *instance, ddns_update_t *u)
{
	example_t *ex = instance;
	const char *prefix = NULL;
	if (ex->host->conf_string(ex->ctx, "prefix", &prefix) != 0)
		prefix = "";
	FILE *f = fopen(ex->file, "a");
	if (f == NULL) {
		char msg[256];
		snprintf(msg, sizeof(msg), "example: cannot open %s: %s", ex->file,
		         strerror(errno));
		ex->host->update_done(u, DDNS_EPROVIDER, msg);
		return 0;
	}
	fprintf(f, "%s%lld %s ipv4=%s ipv6=%s\n", prefix, (long long)time(NULL), u->name,
	        u->ipv4 != NULL ? u->ipv4 : "-", u->ipv6 != NULL ? u->ipv6 : "-");
	int failed = fclose(f) != 0;
	if (failed) {
		ex->host->update_done(u, DDNS_EPROVIDER, "example: write failed");
		return 0;
	}
	ex->written++;
	ex->host->log(ex->ctx, DDNS_LOG_DEBUG, "%s written (%lu so far)", u->name,
	              ex->written);
	ex->host->update_done(u, DDNS_OK, "example: written to file");
	return 0;
}

static void example_destroy(void *instance)
{
	free(instance);
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "example",
	.version = "1.0",
	.description = "appends each update to a file (SDK example)",
	.options = example_options,
	.create = example_create,
	.destroy = example_destroy,
	.update = example_update,
};
