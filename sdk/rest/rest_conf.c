#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ddns/rest/conf.h>

int rest_conf_url(ddns_ctx_t *ctx, const ddns_host_t *host, const char *name,
                    const char *default_url, char **out)
{
	const char *url = default_url;
	size_t len;
	int rc = host->conf_string(ctx, name, &url);

	if (rc == -EINVAL) {
		host->conf_error(ctx, name, "must be a string (a URL)");
		return DDNS_ECONFIG;
	}
	if (rc == -ENOENT && default_url == NULL) {
		*out = NULL;
		return 0;
	}
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		host->conf_error(ctx, name, "\"%s\" is not an http:// or https:// URL", url);
		return DDNS_ECONFIG;
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	*out = strndup(url, len);
	return *out ? 0 : -ENOMEM;
}

int rest_conf_read(ddns_ctx_t *ctx, const ddns_host_t *host, const char *default_url,
                   rest_conf_t *out)
{
	int create = 0, rc;

	memset(out, 0, sizeof(*out));
	if (host->conf_string(ctx, "zone", &out->zone) < 0)
		out->zone = NULL;
	if (out->zone && (out->zone[0] == '\0' || out->zone[strlen(out->zone) - 1] == '.')) {
		host->conf_error(ctx, "zone", "must be a domain name without a trailing dot");
		return DDNS_ECONFIG;
	}
	if (host->conf_int(ctx, "ttl", &out->ttl) != 0)
		out->ttl = 0; /* in range: the host checked it against the declaration */
	if (host->conf_bool(ctx, "create", &create) == 0)
		out->create = create != 0;
	rc = rest_conf_url(ctx, host, "api_url", default_url, &out->api_url);
	return rc;
}

void rest_conf_free(rest_conf_t *conf)
{
	free(conf->api_url);
	conf->api_url = NULL;
}

void rest_secret_free(char *secret)
{
	/* The secret leaves no copy behind in freed memory. */
	if (secret != NULL)
		memset(secret, 0, strlen(secret));
	free(secret);
}
