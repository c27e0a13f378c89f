/*
 * rfc2136.so: options, instances and the update() glue.  One UPDATE per
 * ddns update: for each family it carries, delete the RRset (class ANY) and
 * add the new address (class IN), so the server applies both or neither.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "xfer.h"

typedef struct r2_inst {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	r2_target_t target;
	char *zone;
	uint32_t ttl;
	knot_tsig_key_t key;
} r2_inst_t;

typedef struct r2_job {
	r2_inst_t *inst;
	ddns_update_t *upd;
	r2_xfer_t *xfer;
	r2_msg_t msg;
} r2_job_t;

static const ddns_option_t r2_options[] = {
	{ .name = "server", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED,
	  .help = "the primary server taking the UPDATEs: IP address with optional :port "
	          "(IPv6 in brackets: \"[::1]:53\")" },
	{ .name = "zone", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED,
	  .help = "the zone the records are in, e.g. \"example.com\"" },
	{ .name = "tsig_key_name", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED,
	  .help = "name of the TSIG key the server knows (BIND: key \"...\"; Knot: key id)" },
	{ .name = "tsig_secret", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED | DDNS_OPT_SECRET,
	  .help = "the TSIG secret, base64 (tsig-keygen / keymgr -t print it)" },
	{ .name = "tsig_algorithm", .type = DDNS_OPT_STRING, .def = "hmac-sha256",
	  .help = "hmac-sha256 (default), hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .min = 1, .max = 86400, .def = "60",
	  .help = "TTL of the records written, 1..86400 (default 60)" },
	{ .name = NULL },
};

static void r2_destroy(void *instance)
{
	r2_inst_t *inst = instance;

	if (inst == NULL)
		return;
	knot_tsig_key_deinit(&inst->key);
	free(inst->zone);
	free(inst);
}

static int r2_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	const char *server, *zone, *kname, *secret, *alg;
	int64_t ttl;
	r2_inst_t *inst;
	size_t zl;

	if (host->conf_string(ctx, "server", &server) < 0 || host->conf_string(ctx, "zone", &zone) < 0 ||
	    host->conf_string(ctx, "tsig_key_name", &kname) < 0 ||
	    host->conf_string(ctx, "tsig_secret", &secret) < 0 ||
	    host->conf_string(ctx, "tsig_algorithm", &alg) < 0 || host->conf_int(ctx, "ttl", &ttl) < 0) {
		host->conf_error(ctx, NULL, "server, zone, tsig_key_name and tsig_secret are required");
		return DDNS_ECONFIG;
	}
	inst = calloc(1, sizeof(*inst));
	if (inst == NULL)
		return -ENOMEM;
	inst->ctx = ctx;
	inst->host = host;
	inst->ttl = (uint32_t)ttl;
	if (r2_target_parse(server, &inst->target) < 0) {
		host->conf_error(ctx, "server", "\"%s\" is not an IP address with an optional port "
		                 "(\"192.0.2.1:53\", \"[2001:db8::1]:53\"); host names are not resolved", server);
		goto bad;
	}
	if (dnssec_tsig_algorithm_from_name(alg) == DNSSEC_TSIG_UNKNOWN) {
		host->conf_error(ctx, "tsig_algorithm", "unknown TSIG algorithm \"%s\" (hmac-sha256, "
		                 "hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5)", alg);
		goto bad;
	}
	if (knot_tsig_key_init(&inst->key, alg, kname, secret) != KNOT_EOK) {
		host->conf_error(ctx, "tsig_secret", "the TSIG key %s is invalid: tsig_secret must be "
		                 "base64 and tsig_key_name a domain name", kname);
		goto bad;
	}
	inst->zone = strdup(zone);
	if (inst->zone == NULL) {
		r2_destroy(inst);
		return -ENOMEM;
	}
	zl = strlen(inst->zone);
	if (zl > 1 && inst->zone[zl - 1] == '.')
		inst->zone[zl - 1] = '\0';
	*instance = inst;
	return 0;
bad:
	r2_destroy(inst);
	return DDNS_ECONFIG;
}

static void r2_done(int result, const char *message, void *arg)
{
	r2_job_t *job = arg;
	r2_inst_t *inst = job->inst;

	if (result == 0)
		inst->host->log(inst->ctx, DDNS_LOG_INFO, "%s: UPDATE applied (%s)", job->upd->name, message);
	else
		inst->host->log(inst->ctx, DDNS_LOG_WARNING, "%s: UPDATE failed: %s", job->upd->name, message);
	job->upd->module_data = NULL;
	inst->host->update_done(job->upd, result, message);
	free(job);
}

static int r2_update(void *instance, ddns_update_t *upd)
{
	r2_inst_t *inst = instance;
	r2_job_t *job;
	char err[256];
	uint16_t id;
	int rc;

	if (upd->ipv4 == NULL && upd->ipv6 == NULL)
		return -EINVAL;
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	job->upd = upd;
	/* An unpredictable ID makes a spoofed answer harder (the TSIG check is
	 * what really guards it). */
	gnutls_rnd(GNUTLS_RND_NONCE, &id, sizeof(id));
	rc = r2_msg_build(&job->msg, id, inst->zone, upd->name, upd->ipv4, upd->ipv6, inst->ttl,
	                  &inst->key, err, sizeof(err));
	if (rc < 0) {
		inst->host->log(inst->ctx, DDNS_LOG_WARNING, "%s: %s", upd->name, err);
		free(job);
		return rc;
	}
	rc = r2_xfer_start(inst->ctx, inst->host, &inst->target, &job->msg, &inst->key,
	                   upd->deadline_ms, r2_done, job, &job->xfer);
	if (rc < 0) {
		inst->host->log(inst->ctx, DDNS_LOG_WARNING, "%s: cannot send the UPDATE to %s: %s",
		                upd->name, inst->target.text, inst->host->strerror(rc));
		free(job);
		return rc;
	}
	upd->module_data = job;
	return 0;
}

static void r2_cancel(void *instance, ddns_update_t *upd)
{
	r2_job_t *job = upd->module_data;

	(void)instance;
	if (job == NULL)
		return;
	r2_xfer_cancel(job->xfer);
	upd->module_data = NULL;
	job->inst->host->update_done(upd, DDNS_ECANCELED, "cancelled");
	free(job);
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "rfc2136",
	.version = "1.0",
	.description = "DNS UPDATE (RFC 2136) with TSIG to any primary server (BIND, Knot, PowerDNS): A and AAAA",
	DDNS_PLUGIN_OPTIONS(r2_options),
	.create = r2_create,
	.destroy = r2_destroy,
	.update = r2_update,
	.cancel = r2_cancel,
};
