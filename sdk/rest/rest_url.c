#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include <ddns/rest/url.h>

/* The parts of a URL that say where it goes; NULL members when absent. */
typedef struct url_parts {
	CURLU *u;
	char *scheme, *host, *port, *path, *user, *password;
} url_parts_t;

static bool url_parse(const char *text, url_parts_t *p)
{
	memset(p, 0, sizeof(*p));
	if ((p->u = curl_url()) == NULL ||
	    curl_url_set(p->u, CURLUPART_URL, text, 0) != CURLUE_OK)
		return false;
	/* Missing parts stay NULL; a failed look-up of a present one is no URL. */
	curl_url_get(p->u, CURLUPART_USER, &p->user, 0);
	curl_url_get(p->u, CURLUPART_PASSWORD, &p->password, 0);
	return curl_url_get(p->u, CURLUPART_SCHEME, &p->scheme, 0) == CURLUE_OK &&
	       curl_url_get(p->u, CURLUPART_HOST, &p->host, 0) == CURLUE_OK &&
	       curl_url_get(p->u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	       curl_url_get(p->u, CURLUPART_PATH, &p->path, 0) == CURLUE_OK;
}

static void url_free(url_parts_t *p)
{
	curl_free(p->scheme);
	curl_free(p->host);
	curl_free(p->port);
	curl_free(p->path);
	curl_free(p->user);
	curl_free(p->password);
	curl_url_cleanup(p->u);
}

/* @p path is @p base or below it: "/v2" covers "/v2" and "/v2/x", not "/v2x". */
static bool path_under(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	return strncmp(path, base, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool rest_url_under(const char *base, const char *url)
{
	if (base == NULL || url == NULL)
		return false;
	url_parts_t b, u;
	bool parsed = url_parse(base, &b);
	parsed = url_parse(url, &u) && parsed;
	bool ok = parsed && u.user == NULL && u.password == NULL &&
	          strcasecmp(b.scheme, u.scheme) == 0 && strcasecmp(b.host, u.host) == 0 &&
	          strcmp(b.port, u.port) == 0 && path_under(b.path, u.path);
	url_free(&b);
	url_free(&u);
	return ok;
}
