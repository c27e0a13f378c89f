/*
 * rfc2136.so: options, instances and the update() glue.  One UPDATE per
 * ddns update: for each family it carries, delete the RRset (class ANY) and
 * add the new address (class IN), so the server applies both or neither.
 * Without a configured zone, the zone of a name is asked first (an SOA
 * query to the same server, TSIG-signed) and remembered for that name.
 * A TXT update (DDNS_CAP_TXT: ACME's _acme-challenge names) replaces the
 * TXT RRset of its own name the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "xfer.h"

/* A zone learnt by an SOA query, for one record name. */
/* The name an update changes: its TXT set's, or the record's. */
static const char *target(const ddns_update_t *u)
{
	return u->txt_name != NULL ? u->txt_name : u->name;
}

typedef struct r2_known {
	char *name, *zone;
	struct r2_known *next;
} r2_known_t;

typedef struct r2_inst {
	ddns_ctx_t *ctx;
	const ddns_host_t *host;
	r2_target_t target;
	char *zone;          /* configured, or NULL: asked per name */
	r2_known_t *known;   /* name -> zone, learnt (owned) */
	uint32_t ttl;
	knot_tsig_key_t key;
} r2_inst_t;

typedef struct r2_job {
	r2_inst_t *inst;
	ddns_update_t *upd;
	r2_xfer_t *xfer;
	r2_msg_t msg;
	char zone[256];      /* the zone the UPDATE goes to */
} r2_job_t;

static const ddns_option_t r2_options[] = {
	{ .name = "server", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_REQUIRED,
	  .help = "the primary server taking the UPDATEs: IP address with optional :port "
	          "(IPv6 in brackets: \"[::1]:53\")" },
	{ .name = "zone", .type = DDNS_OPT_STRING,
	  .help = "the zone the records are in, e.g. \"example.com\" (default: asked from the "
	          "server with an SOA query, once per name)" },
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
	while (inst->known != NULL) {
		r2_known_t *k = inst->known;
		inst->known = k->next;
		free(k->name);
		free(k->zone);
		free(k);
	}
	free(inst);
}

static r2_known_t **known_find(r2_inst_t *inst, const char *name)
{
	r2_known_t **k = &inst->known;
	while (*k != NULL && strcmp((*k)->name, name) != 0)
		k = &(*k)->next;
	return k;
}

static void known_forget(r2_inst_t *inst, const char *name)
{
	r2_known_t **k = known_find(inst, name), *gone = *k;
	if (gone == NULL)
		return;
	*k = gone->next;
	free(gone->name);
	free(gone->zone);
	free(gone);
}

/* Remember @p zone for @p name; out of memory only costs a lookup later. */
static void known_put(r2_inst_t *inst, const char *name, const char *zone)
{
	r2_known_t *k;
	known_forget(inst, name);
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->name = strdup(name)) == NULL ||
	    (k->zone = strdup(zone)) == NULL) {
		if (k != NULL)
			free(k->name);
		free(k);
		return;
	}
	k->next = inst->known;
	inst->known = k;
}

static int r2_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	const char *server, *zone, *kname, *secret, *alg;
	int64_t ttl;
	r2_inst_t *inst;
	size_t zl;

	if (host->conf_string(ctx, "zone", &zone) < 0)
		zone = NULL;
	if (host->conf_string(ctx, "server", &server) < 0 ||
	    host->conf_string(ctx, "tsig_key_name", &kname) < 0 ||
	    host->conf_string(ctx, "tsig_secret", &secret) < 0 ||
	    host->conf_string(ctx, "tsig_algorithm", &alg) < 0 || host->conf_int(ctx, "ttl", &ttl) < 0) {
		host->conf_error(ctx, NULL, "server, tsig_key_name and tsig_secret are required");
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
	if (zone != NULL) {
		inst->zone = strdup(zone);
		if (inst->zone == NULL) {
			r2_destroy(inst);
			return -ENOMEM;
		}
		zl = strlen(inst->zone);
		if (zl > 1 && inst->zone[zl - 1] == '.')
			inst->zone[zl - 1] = '\0';
	}
	*instance = inst;
	return 0;
bad:
	r2_destroy(inst);
	return DDNS_ECONFIG;
}

static void r2_finish(r2_job_t *job, int result, const char *message)
{
	r2_inst_t *inst = job->inst;

	if (result == 0)
		inst->host->log(inst->ctx, DDNS_LOG_INFO, "%s: UPDATE applied (%s)", job->upd->name, message);
	else
		inst->host->log(inst->ctx, DDNS_LOG_WARNING, "%s: UPDATE failed: %s", job->upd->name, message);
	job->upd->module_data = NULL;
	inst->host->update_done(job->upd, result, message);
	free(job);
}

static void r2_done(int result, const char *message, void *arg)
{
	r2_job_t *job = arg;

	job->xfer = NULL;
	/* A learnt zone the server no longer holds the name in: ask again
	 * next time (the zone may have been split or moved). */
	if (result == DDNS_ENOTFOUND && job->inst->zone == NULL)
		known_forget(job->inst, target(job->upd));
	r2_finish(job, result, message);
}

/* Build and send the UPDATE to job->zone.  Returns 0 or a negative code
 * (the job is then not running; @p err says why). */
static int send_update(r2_job_t *job, char *err, size_t errlen)
{
	r2_inst_t *inst = job->inst;
	ddns_update_t *upd = job->upd;
	uint16_t id;
	int rc;

	/* An unpredictable ID makes a spoofed answer harder (the TSIG check is
	 * what really guards it). */
	gnutls_rnd(GNUTLS_RND_NONCE, &id, sizeof(id));
	if (upd->txt_name != NULL)
		rc = r2_msg_build_txt(&job->msg, id, job->zone, upd->txt_name, upd->txt_values,
		                      upd->n_txt_values, upd->txt_ttl ? upd->txt_ttl : inst->ttl,
		                      &inst->key, err, errlen);
	else
		rc = r2_msg_build(&job->msg, id, job->zone, upd->name, upd->ipv4, upd->ipv6,
		                  inst->ttl, &inst->key, err, errlen);
	if (rc < 0)
		return rc;
	rc = r2_xfer_start(inst->ctx, inst->host, &inst->target, &job->msg, &inst->key,
	                   upd->deadline_ms, r2_done, job, &job->xfer);
	if (rc < 0)
		snprintf(err, errlen, "cannot send the UPDATE to %s: %s", inst->target.text,
		         inst->host->strerror(rc));
	return rc;
}

/* The SOA query's outcome: the zone, then the UPDATE. */
static void zone_found(int result, const char *message, void *arg)
{
	r2_job_t *job = arg;
	char err[512];
	int rc;

	job->xfer = NULL;
	const char *name = target(job->upd);
	if (result != 0) {
		snprintf(err, sizeof(err), "finding the zone of %s: %s", name, message);
		r2_finish(job, result, err);
		return;
	}
	if (!r2_name_in_zone(name, job->msg.zone)) {
		snprintf(err, sizeof(err), "the server named zone %s for %s, which does not hold it",
		         job->msg.zone, name);
		r2_finish(job, DDNS_EBADREPLY, err);
		return;
	}
	snprintf(job->zone, sizeof(job->zone), "%s", job->msg.zone);
	job->inst->host->log(job->inst->ctx, DDNS_LOG_INFO, "%s: in zone %s (asked %s)",
	                     name, job->zone, job->inst->target.text);
	known_put(job->inst, name, job->zone);
	if ((rc = send_update(job, err, sizeof(err))) < 0)
		r2_finish(job, rc, err);
}

static int r2_update(void *instance, ddns_update_t *upd)
{
	r2_inst_t *inst = instance;
	r2_known_t *known;
	r2_job_t *job;
	char err[256];
	uint16_t id;
	int rc;

	if (upd->txt_name == NULL && upd->ipv4 == NULL && upd->ipv6 == NULL)
		return -EINVAL;
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return -ENOMEM;
	job->inst = inst;
	job->upd = upd;
	known = inst->zone == NULL ? *known_find(inst, target(upd)) : NULL;
	if (inst->zone != NULL || known != NULL) {
		snprintf(job->zone, sizeof(job->zone), "%s", known ? known->zone : inst->zone);
		rc = send_update(job, err, sizeof(err));
	} else {
		gnutls_rnd(GNUTLS_RND_NONCE, &id, sizeof(id));
		rc = r2_msg_build_soa(&job->msg, id, target(upd), &inst->key, err, sizeof(err));
		if (rc == 0 && (rc = r2_xfer_start(inst->ctx, inst->host, &inst->target, &job->msg,
		                                   &inst->key, upd->deadline_ms, zone_found, job,
		                                   &job->xfer)) < 0)
			snprintf(err, sizeof(err), "cannot send the SOA query to %s: %s",
			         inst->target.text, inst->host->strerror(rc));
	}
	if (rc < 0) {
		inst->host->log(inst->ctx, DDNS_LOG_WARNING, "%s: %s", upd->name, err);
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
	.description = "DNS UPDATE (RFC 2136) with TSIG to any primary server (BIND, Knot, PowerDNS): A, AAAA and TXT",
	.caps = DDNS_CAP_TXT,
	DDNS_PLUGIN_OPTIONS(r2_options),
	.create = r2_create,
	.destroy = r2_destroy,
	.update = r2_update,
	.cancel = r2_cancel,
};
