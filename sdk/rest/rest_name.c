#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ddns/rest/name.h>

const char *rest_zone_candidate(const char *name, unsigned i)
{
	const char *p = name;

	for (unsigned k = 0; k < i; k++) {
		p = strchr(p, '.');
		if (p == NULL)
			return NULL;
		p++;
	}
	/* A single label ("com") is never a zone a customer owns. */
	if (*p == '\0' || strchr(p, '.') == NULL)
		return NULL;
	return p;
}

bool rest_name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return strcasecmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' && strcasecmp(name + n - z, zone) == 0;
}

int rest_name_relative(const char *name, const char *zone, char *out, size_t len)
{
	size_t n = strlen(name), z = strlen(zone);

	if (!rest_name_in_zone(name, zone))
		return -EINVAL;
	if (n == z)
		return snprintf(out, len, "@") < (int)len ? 0 : -EINVAL;
	if (n - z - 1 >= len)
		return -EINVAL;
	memcpy(out, name, n - z - 1);
	out[n - z - 1] = '\0';
	return 0;
}

int rest_name_absolute(const char *rel, const char *zone, char *out, size_t len)
{
	size_t r = strlen(rel);
	int n;

	if (strcmp(rel, "@") == 0 || r == 0)
		n = snprintf(out, len, "%s", zone);
	else if (rel[r - 1] == '.')
		n = snprintf(out, len, "%.*s", (int)(r - 1), rel);
	else if (rest_name_in_zone(rel, zone))
		/* Some APIs (Cloudflare, Rackspace) answer full names already. */
		n = snprintf(out, len, "%s", rel);
	else
		n = snprintf(out, len, "%s.%s", rel, zone);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

int rest_url_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		             (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;
		if (o + (plain ? 1 : 3) >= len)
			return -ENAMETOOLONG;
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o >= len)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}
