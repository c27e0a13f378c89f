/* dyndns2 request parsing: see dyndns2_parse.h.  Base64 is GnuTLS's, the
 * addresses and names are addr.c's: this file only knows the protocol's
 * conventions (where the colon goes, what a comma means). */
#include "dyndns2_parse.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest base64 text taken: far above any real name and 50-char key. */
#define AUTH_B64_MAX 2048

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int dyndns2_parse_auth(const char *header, dyndns2_auth_t *out)
{
	memset(out, 0, sizeof(*out));
	if (header == NULL)
		return -ENOENT;
	while (is_space(*header))
		header++;
	if (strncasecmp(header, "Basic", 5) != 0 || !is_space(header[5]))
		return -ENOENT;
	const char *b64 = header + 6;
	while (is_space(*b64))
		b64++;
	size_t len = strlen(b64);
	while (len > 0 && is_space(b64[len - 1]))
		len--;
	if (len == 0 || len > AUTH_B64_MAX)
		return -EINVAL;

	gnutls_datum_t in = { .data = (unsigned char *)b64, .size = (unsigned)len };
	gnutls_datum_t plain = { NULL, 0 };
	if (gnutls_base64_decode2(&in, &plain) < 0)
		return -EINVAL;
	int err = -EINVAL;
	char *colon = memchr(plain.data, ':', plain.size);
	if (colon == NULL)
		goto done;
	size_t ulen = (size_t)(colon - (char *)plain.data);
	if (memchr(plain.data, '\0', ulen) != NULL)
		goto done; /* a NUL in the user name would cut it short silently */
	size_t plen = plain.size - ulen - 1;
	err = -ENOMEM;
	out->user = malloc(ulen + 1);
	out->pass = malloc(plen + 1);
	if (out->user == NULL || out->pass == NULL) {
		dyndns2_auth_clear(out);
		goto done;
	}
	memcpy(out->user, plain.data, ulen);
	out->user[ulen] = '\0';
	memcpy(out->pass, colon + 1, plen);
	out->pass[plen] = '\0';
	out->pass_len = plen;
	err = 0;
done:
	gnutls_memset(plain.data, 0, plain.size);
	gnutls_free(plain.data);
	return err;
}

int dyndns2_auth_from_params(const char *user, const char *pass, dyndns2_auth_t *out)
{
	memset(out, 0, sizeof(*out));
	if (pass == NULL)
		return -ENOENT;
	size_t plen = strlen(pass);
	if (plen > AUTH_B64_MAX)
		return -EINVAL;
	out->user = user != NULL ? strdup(user) : NULL;
	out->pass = malloc(plen + 1);
	if ((user != NULL && out->user == NULL) || out->pass == NULL) {
		dyndns2_auth_clear(out);
		return -ENOMEM;
	}
	memcpy(out->pass, pass, plen + 1);
	out->pass_len = plen;
	return 0;
}

void dyndns2_auth_clear(dyndns2_auth_t *a)
{
	if (a->pass != NULL)
		gnutls_memset(a->pass, 0, a->pass_len);
	free(a->user);
	free(a->pass);
	memset(a, 0, sizeof(*a));
}

/* Next comma-separated item of *pp, trimmed; false at the end. */
static bool next_item(const char **pp, const char **item, size_t *len)
{
	const char *p = *pp;
	if (p == NULL)
		return false;
	const char *comma = strchr(p, ',');
	const char *end = comma != NULL ? comma : p + strlen(p);
	*pp = comma != NULL ? comma + 1 : NULL;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	*item = p;
	*len = (size_t)(end - p);
	return true;
}

int dyndns2_parse_hosts(const char *list, dyndns2_host_t *hosts, size_t *n)
{
	const char *p = list, *item;
	size_t len, count = 0;
	*n = 0;
	while (next_item(&p, &item, &len)) {
		if (len == 0)
			continue;
		if (count == DYNDNS2_MAX_HOSTS)
			return -E2BIG;
		dyndns2_host_t *h = &hosts[count++];
		char raw[NAME_TEXT_MAX + 1];
		h->fqdn = false;
		snprintf(h->name, sizeof(h->name), "%.*s", (int)len, item);
		if (len >= sizeof(raw))
			continue;
		memcpy(raw, item, len);
		raw[len] = '\0';
		if (addr_name_normalize(raw, h->name) == 0 && addr_name_is_fqdn(h->name))
			h->fqdn = true;
	}
	*n = count;
	return 0;
}

/* Put @p text (which came from @p what) in its family's slot. */
static int addrs_put(dyndns2_addrs_t *out, const char *what, const char *text,
                     size_t len, int want_family, char *err, size_t errlen)
{
	char raw[64], canon[ADDR_TEXT_MAX];
	int family = 0, rc = -EINVAL;
	if (len < sizeof(raw)) {
		memcpy(raw, text, len);
		raw[len] = '\0';
		rc = addr_canonical(raw, canon, &family);
	}
	if (rc != 0) {
		/* Quoted back in a text/plain reply: no line breaks, no controls. */
		char shown[48];
		size_t n = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;
		for (size_t i = 0; i < n; i++)
			shown[i] = text[i] > 0x20 && text[i] < 0x7f ? text[i] : '?';
		shown[n] = '\0';
		snprintf(err, errlen, "%s: \"%s\" is not an IP%s address", what, shown,
		         want_family == AF_INET6 ? "v6" : "v4 or IPv6");
		return -EINVAL;
	}
	if (want_family != 0 && family != want_family) {
		snprintf(err, errlen, "%s: \"%s\" is not an IPv6 address", what, canon);
		return -EINVAL;
	}
	char *slot = family == AF_INET ? out->ipv4 : out->ipv6;
	if (slot[0] != '\0' && strcmp(slot, canon) != 0) {
		snprintf(err, errlen, "%s: more than one IPv%c address (%s, %s)", what,
		         family == AF_INET ? '4' : '6', slot, canon);
		return -EINVAL;
	}
	memcpy(slot, canon, sizeof(canon));
	return 0;
}

int dyndns2_parse_addrs(const char *myip, const char *myipv6, const addr_t *client,
                        dyndns2_addrs_t *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *p = myip, *item;
	size_t len;
	while (next_item(&p, &item, &len)) {
		if (len == 0)
			continue; /* "v4," from a router without IPv6 */
		int rc = addrs_put(out, "myip", item, len, 0, err, errlen);
		if (rc)
			return rc;
	}
	bool from_myip = out->ipv4[0] != '\0' || out->ipv6[0] != '\0';
	if (myipv6 != NULL) {
		p = myipv6;
		if (next_item(&p, &item, &len) && len > 0) {
			if (p != NULL) {
				snprintf(err, errlen, "myipv6: one IPv6 address expected");
				return -EINVAL;
			}
			int rc = addrs_put(out, from_myip ? "myip and myipv6" : "myipv6",
			                   item, len, AF_INET6, err, errlen);
			if (rc)
				return rc;
		}
	}
	/* The source address stands in only when neither parameter named an
	 * address: myipv6 alone from an IPv4 source (DS-Lite, a router
	 * reporting its v6 prefix host) must leave A alone, for the source is
	 * then the carrier's AFTR, not the client's own IPv4. */
	if (!from_myip && out->ipv6[0] == '\0' && client != NULL)
		addr_format(client, client->family == AF_INET ? out->ipv4 : out->ipv6);
	if (out->ipv4[0] == '\0' && out->ipv6[0] == '\0') {
		snprintf(err, errlen, "no address given and the client's is unknown");
		return -EINVAL;
	}
	return 0;
}
