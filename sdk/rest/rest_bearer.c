/* Bearer-token provider instances (rest_bearer.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest/bearer.h>

/* The token goes into a header line, so a space or line break in it would
 * split the request; refuse it where the config is read. */
static int read_token(ddns_ctx_t *ctx, const ddns_host_t *host, const char *help,
                      char **header)
{
	const char *token = NULL;

	*header = NULL;
	if (host->conf_string(ctx, "token", &token) < 0 || token[0] == '\0') {
		host->conf_error(ctx, "token", "%s", help);
		return DDNS_ECONFIG;
	}
	if (strpbrk(token, "\r\n ") != NULL) {
		host->conf_error(ctx, "token", "must not contain spaces or line breaks");
		return DDNS_ECONFIG;
	}
	if (asprintf(header, "Authorization: Bearer %s", token) < 0) {
		*header = NULL;
		return -ENOMEM;
	}
	return 0;
}

int rest_bearer_create(ddns_ctx_t *ctx, const ddns_host_t *host, const char *token_help,
                       const char *default_url, rest_bearer_t **out)
{
	rest_bearer_t *inst;
	char *auth;
	int rc = read_token(ctx, host, token_help, &auth);

	if (rc < 0)
		return rc;
	inst = calloc(1, sizeof(*inst));
	if (inst == NULL) {
		rest_secret_free(auth);
		return -ENOMEM;
	}
	inst->ctx = ctx;
	inst->host = host;
	inst->auth_header = auth;
	rc = rest_conf_read(ctx, host, default_url, &inst->conf);
	if (rc < 0) {
		rest_bearer_destroy(inst);
		return rc;
	}
	*out = inst;
	return 0;
}

void rest_bearer_destroy(void *instance)
{
	rest_bearer_t *inst = instance;

	if (inst == NULL)
		return;
	rest_zones_clear(&inst->zones);
	rest_conf_free(&inst->conf);
	rest_secret_free(inst->auth_header);
	free(inst);
}
