/*
 * route53.so: keeps A/AAAA records current in Amazon Route 53 public hosted
 * zones (API 2013-04-01), signed with AWS Signature Version 4.
 *
 * Credentials come from the options or, when both are absent, from the
 * standard environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN (read once, at create).  The IAM policy needs
 * route53:ListHostedZonesByName (unless zone_id is set),
 * route53:ChangeResourceRecordSets and route53:GetChange.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "r53.h"

static const ddns_option_t r53_options[] = {
	{ .name = "access_key_id", .type = DDNS_OPT_STRING,
	  .help = "AWS access key id (default: $AWS_ACCESS_KEY_ID)" },
	{ .name = "secret_access_key", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_SECRET,
	  .help = "AWS secret access key (default: $AWS_SECRET_ACCESS_KEY)" },
	{ .name = "session_token", .type = DDNS_OPT_STRING, .flags = DDNS_OPT_SECRET,
	  .help = "AWS session token of temporary credentials (default: $AWS_SESSION_TOKEN)" },
	{ .name = "zone", .type = DDNS_OPT_STRING,
	  .help = "the hosted zone's name (default: the longest public zone holding the name)" },
	{ .name = "zone_id", .type = DDNS_OPT_STRING,
	  .help = "the hosted zone's id, Z... (no zone lookup at all)" },
	{ .name = "ttl", .type = DDNS_OPT_INT, .help = "TTL of the records, seconds",
	  .min = 0, .max = 2147483647, .def = "60" },
	{ .name = "wait_insync", .type = DDNS_OPT_BOOL,
	  .help = "confirm an update only once GetChange says INSYNC", .def = "true" },
	{ .name = "api_url", .type = DDNS_OPT_STRING,
	  .help = "API base URL (default " R53_DEFAULT_API ")" },
	{ .name = NULL },
};

static void r53_destroy(void *instance)
{
	r53_instance_t *inst = instance;
	if (inst == NULL)
		return;
	rest_zones_clear(&inst->zones);
	free(inst->api_url);
	free(inst->access_key);
	rest_secret_free(inst->secret_key);
	rest_secret_free(inst->token_header);
	free(inst);
}

/* The option, or the environment variable when the option is absent. */
static const char *option_or_env(ddns_ctx_t *ctx, const ddns_host_t *host, const char *name,
                                 const char *env, bool *from_env)
{
	const char *v = NULL;
	*from_env = false;
	if (host->conf_string(ctx, name, &v) == 0)
		return v;
	v = getenv(env);
	*from_env = v != NULL;
	return v;
}

static bool printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int read_credentials(r53_instance_t *inst)
{
	ddns_ctx_t *ctx = inst->ctx;
	const ddns_host_t *host = inst->host;
	bool env_id, env_secret, env_token;
	const char *id = option_or_env(ctx, host, "access_key_id", "AWS_ACCESS_KEY_ID", &env_id);
	const char *secret = option_or_env(ctx, host, "secret_access_key", "AWS_SECRET_ACCESS_KEY",
	                                   &env_secret);
	const char *token = option_or_env(ctx, host, "session_token", "AWS_SESSION_TOKEN",
	                                  &env_token);

	if (id == NULL || id[0] == '\0' || secret == NULL || secret[0] == '\0') {
		host->conf_error(ctx, id == NULL || id[0] == '\0' ? "access_key_id"
		                                                  : "secret_access_key",
		                 "AWS credentials are required: access_key_id and "
		                 "secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
		                 "in ddnsd's environment");
		return DDNS_ECONFIG;
	}
	/* A ':' would split curl's "id:secret"; spaces and line breaks are
	 * copy-paste accidents that would only show as SignatureDoesNotMatch. */
	if (!printable(id) || strchr(id, ':') != NULL) {
		host->conf_error(ctx, "access_key_id", "%s holds a space, ':' or a control "
		                 "character", env_id ? "AWS_ACCESS_KEY_ID" : "access_key_id");
		return DDNS_ECONFIG;
	}
	if (!printable(secret) || (token != NULL && !printable(token))) {
		host->conf_error(ctx, !printable(secret) ? "secret_access_key" : "session_token",
		                 "%s holds a space or a control character",
		                 !printable(secret) ? (env_secret ? "AWS_SECRET_ACCESS_KEY"
		                                                  : "secret_access_key")
		                                    : (env_token ? "AWS_SESSION_TOKEN"
		                                                 : "session_token"));
		return DDNS_ECONFIG;
	}
	inst->access_key = strdup(id);
	inst->secret_key = strdup(secret);
	if (inst->access_key == NULL || inst->secret_key == NULL)
		return -ENOMEM;
	if (token != NULL && token[0] != '\0') {
		size_t n = strlen(token) + sizeof("X-Amz-Security-Token: ");
		if ((inst->token_header = malloc(n)) == NULL)
			return -ENOMEM;
		snprintf(inst->token_header, n, "X-Amz-Security-Token: %s", token);
	}
	inst->sig = (ddns_http_sigv4_t){ .provider = R53_SIGV4, .access_key = inst->access_key,
	                                 .secret_key = inst->secret_key };
	if (env_id || env_secret)
		host->log(ctx, DDNS_LOG_INFO, "AWS credentials from the environment (key id %s)", id);
	return 0;
}

static int r53_create(ddns_ctx_t *ctx, const ddns_host_t *host, void **instance)
{
	r53_instance_t *inst;
	int rc;

	if (!DDNS_HOST_HAS(host, http_request_sigv4)) {
		host->conf_error(ctx, NULL, "this ddnsd cannot sign AWS requests (a host without "
		                 "http_request_sigv4): upgrade ddnsd");
		return DDNS_ECONFIG;
	}
	if ((inst = calloc(1, sizeof(*inst))) == NULL)
		return -ENOMEM;
	inst->ctx = ctx;
	inst->host = host;
	inst->wait_insync = true;
	int wait = 1;
	if (host->conf_bool(ctx, "wait_insync", &wait) == 0)
		inst->wait_insync = wait != 0;
	if (host->conf_string(ctx, "zone", &inst->zone) != 0)
		inst->zone = NULL;
	if (host->conf_string(ctx, "zone_id", &inst->zone_id) != 0)
		inst->zone_id = NULL;
	if (host->conf_int(ctx, "ttl", &inst->ttl) != 0)
		inst->ttl = 60;
	if (inst->zone_id != NULL) {
		const char *z = strncmp(inst->zone_id, "/hostedzone/", 12) == 0 ? inst->zone_id + 12
		                                                                : inst->zone_id;
		if (z[0] == '\0' || strlen(z) >= 64 ||
		    strspn(z, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(z)) {
			host->conf_error(ctx, "zone_id", "\"%s\" is not a hosted zone id (Z followed "
			                 "by capital letters and digits)", inst->zone_id);
			r53_destroy(inst);
			return DDNS_ECONFIG;
		}
		inst->zone_id = z;
	}
	if ((rc = rest_conf_url(ctx, host, "api_url", R53_DEFAULT_API, &inst->api_url)) < 0 ||
	    (rc = read_credentials(inst)) < 0) {
		r53_destroy(inst);
		return rc;
	}
	xmlInitParser();
	*instance = inst;
	return 0;
}

DDNS_PLUGIN_EXPORT = {
	.abi = DDNS_PLUGIN_ABI,
	.size = sizeof(ddns_plugin_t),
	.name = "route53",
	.version = "1.0",
	.description = "Amazon Route 53: A, AAAA and TXT records (SigV4, ChangeResourceRecordSets)",
	.caps = DDNS_CAP_TXT,
	DDNS_PLUGIN_OPTIONS(r53_options),
	.create = r53_create,
	.destroy = r53_destroy,
	.update = r53_update_start,
	.cancel = rest_job_cancel_update,
};
