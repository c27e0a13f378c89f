/* A test module that uses every host service a provider needs: records
 * (records_foreach), an fd watch on a pipe, HTTP through the host, timers,
 * and, with `leak = true`, leaves a timer and a request running at destroy
 * so the host has to reclaim them. */
#include <ddns/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct hc {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	int pipe_fd[2];
	ddns_fd_watch_t *watch;
	ddns_update_t *current; /* one update at a time is enough here */
	char summary[256];
} hc_t;

static const ddns_option_t hc_options[] = {
	{ .name = "url", .type = DDNS_OPT_STRING, .help = "URL fetched for each update" },
	{ .name = "leak", .type = DDNS_OPT_BOOL, .help = "leave a timer and a request running" },
	/* declared defaults, served by the host when the option is absent */
	{ .name = "label", .type = DDNS_OPT_STRING, .help = "a word", .def = "plain" },
	{ .name = "tries", .type = DDNS_OPT_INT, .help = "a number", .min = 1, .max = 9,
	  .def = "3" },
	{ .name = "loud", .type = DDNS_OPT_BOOL, .help = "a switch", .def = "true" },
	{ .name = NULL },
};

static void ignore_timer(void *arg)
{
	(void)arg;
}

static void ignore_http(const ddns_http_response_t *res, void *arg)
{
	(void)res;
	(void)arg;
}

static int hc_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	hc_t *hc = calloc(1, sizeof(*hc));
	if (hc == NULL)
		return -ENOMEM;
	hc->ctx = ctx;
	hc->host = host;
	if (pipe2(hc->pipe_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(hc);
		return -errno;
	}
	int leak = 0;
	const char *url;
	if (host->conf_bool(ctx, "leak", &leak) == 0 && leak) {
		host->timer_start(ctx, 3600 * 1000, ignore_timer, NULL, NULL);
		if (host->conf_string(ctx, "url", &url) == 0) {
			ddns_http_request_t req = { .method = "GET", .url = url };
			host->http_request(ctx, &req, ignore_http, NULL, NULL);
		}
	}
	*instance = hc;
	return 0;
}

static void http_done(const ddns_http_response_t *res, void *arg)
{
	hc_t *hc = arg;
	char msg[512];
	snprintf(msg, sizeof(msg), "%s; http %ld %s", hc->summary, res->status,
	         res->error != 0 ? res->error_text : res->body);
	ddns_update_t *u = hc->current;
	hc->current = NULL;
	hc->host->update_done(u, res->error != 0 ? DDNS_EPROVIDER : DDNS_OK, msg);
}

/* The pipe became readable: the update's second step. */
static void piped(int fd, unsigned events, void *arg)
{
	hc_t *hc = arg;
	char byte;
	if (!(events & DDNS_FD_READ) || read(fd, &byte, 1) != 1)
		return;
	hc->host->fd_unwatch(hc->watch);
	hc->watch = NULL;
	const char *url;
	if (hc->host->conf_string(hc->ctx, "url", &url) != 0) {
		ddns_update_t *u = hc->current;
		hc->current = NULL;
		hc->host->update_done(u, DDNS_OK, hc->summary);
		return;
	}
	const char *headers[] = { "X-Test: hostcheck", NULL };
	ddns_http_request_t req = { .method = "GET", .url = url, .headers = headers };
	if (hc->host->http_request(hc->ctx, &req, http_done, hc, NULL) != 0) {
		ddns_update_t *u = hc->current;
		hc->current = NULL;
		hc->host->update_done(u, DDNS_EPROVIDER, "http_request refused");
	}
}

static int count_record(const ddns_record_t *rec, void *arg)
{
	hc_t *hc = arg;
	size_t n = strlen(hc->summary);
	snprintf(hc->summary + n, sizeof(hc->summary) - n, " %s/%s/%s", rec->name,
	         rec->lan_ipv4 != NULL ? rec->lan_ipv4 : "(null)",
	         rec->ipv6 != NULL ? rec->ipv6 : "(null)");
	return 0;
}

static int hc_update(void *instance, ddns_update_t *u)
{
	hc_t *hc = instance;
	if (hc->current != NULL)
		return -EBUSY;
	snprintf(hc->summary, sizeof(hc->summary), "%s records:",
	         hc->host->instance_name(hc->ctx));
	int rc = hc->host->records_foreach(hc->ctx, count_record, hc);
	if (rc < 0)
		return rc;
	if (DDNS_HOST_HAS(hc->host, strerror)) { /* a result code in words */
		size_t n = strlen(hc->summary);
		snprintf(hc->summary + n, sizeof(hc->summary) - n, " [%s]",
		         hc->host->strerror(DDNS_ETIMEOUT));
	}
	const char *label = "?";
	int64_t tries = -1;
	int loud = -1;
	hc->host->conf_string(hc->ctx, "label", &label);
	hc->host->conf_int(hc->ctx, "tries", &tries);
	hc->host->conf_bool(hc->ctx, "loud", &loud);
	size_t n = strlen(hc->summary);
	snprintf(hc->summary + n, sizeof(hc->summary) - n, " {%s %lld %d}", label,
	         (long long)tries, loud);
	rc = hc->host->fd_watch(hc->ctx, hc->pipe_fd[0], DDNS_FD_READ, piped, hc, &hc->watch);
	if (rc != 0)
		return rc;
	hc->current = u;
	if (write(hc->pipe_fd[1], "x", 1) != 1) {
		hc->host->fd_unwatch(hc->watch);
		hc->current = NULL;
		return -EIO;
	}
	return 0;
}

static void hc_destroy(void *instance)
{
	hc_t *hc = instance;
	if (hc->watch != NULL)
		hc->host->fd_unwatch(hc->watch);
	close(hc->pipe_fd[0]);
	close(hc->pipe_fd[1]);
	free(hc);
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "hostcheck",
	.version = "0.1",
	.description = "exercises the host services (tests)",
	DDNS_PLUGIN_OPTIONS(hc_options),
	.create = hc_create,
	.destroy = hc_destroy,
	.update = hc_update,
};
