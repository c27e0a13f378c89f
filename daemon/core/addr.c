/* Address and host-name text: see addr.h.  Parsing is left to inet_pton(3)
 * so that what we accept is exactly what the C library accepts: no octal,
 * no shortened IPv4 forms, no zone ids. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t addr_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* An IPv4-mapped IPv6 address is the same host as its IPv4 form: fold it, so
 * one client never shows up under two spellings. */
static void addr_unmap(addr_t *a)
{
	if (a->family != AF_INET6 ||
	    memcmp(a->bytes, addr_v4mapped_prefix, sizeof(addr_v4mapped_prefix)) != 0)
		return;
	uint8_t v4[4];
	memcpy(v4, a->bytes + 12, 4);
	memset(a->bytes, 0, sizeof(a->bytes));
	memcpy(a->bytes, v4, 4);
	a->family = AF_INET;
}

int addr_parse(const char *text, addr_t *out)
{
	if (text == NULL || out == NULL)
		return -EINVAL;
	addr_t a;
	memset(&a, 0, sizeof(a));
	if (strchr(text, ':') != NULL) {
		if (inet_pton(AF_INET6, text, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET6;
		addr_unmap(&a);
	} else {
		if (inet_pton(AF_INET, text, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	*out = a;
	return 0;
}

void addr_format(const addr_t *a, char *buf)
{
	if (inet_ntop(a->family, a->bytes, buf, ADDR_TEXT_MAX) == NULL)
		buf[0] = '\0'; /* only for a family we never produce */
}

int addr_canonical(const char *text, char *buf, int *family)
{
	addr_t a;
	int err = addr_parse(text, &a);
	if (err)
		return err;
	addr_format(&a, buf);
	if (family != NULL)
		*family = a.family;
	return 0;
}

/* Strict decimal in [0, max]: no sign, no spaces, no leading zeros beyond
 * "0" itself, so "/08" or "/+8" are refused instead of guessed at. */
static int addr_parse_uint(const char *s, unsigned max, unsigned *out)
{
	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	unsigned long v = 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static unsigned addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

int addr_cidr_parse(const char *text, addr_cidr_t *out)
{
	if (text == NULL || out == NULL)
		return -EINVAL;
	char buf[ADDR_TEXT_MAX + 5];
	size_t len = strlen(text);
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len + 1);

	char *slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	addr_cidr_t c;
	memset(&c, 0, sizeof(c));
	/* Parse without folding first: "::ffff:0:0/96" must keep its length
	 * relative to 128 bits before it is turned into 0.0.0.0/0. */
	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, c.base.bytes) != 1)
			return -EINVAL;
		c.base.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, buf, c.base.bytes) != 1)
			return -EINVAL;
		c.base.family = AF_INET;
	}
	c.prefix = addr_bits(c.base.family);
	if (slash != NULL && addr_parse_uint(slash + 1, c.prefix, &c.prefix) != 0)
		return -EINVAL;

	int fam = c.base.family;
	addr_unmap(&c.base);
	if (fam == AF_INET6 && c.base.family == AF_INET) {
		if (c.prefix < 96)
			return -EINVAL; /* would mix mapped and real IPv6 space */
		c.prefix -= 96;
	}
	/* Clear host bits so that matching only looks at the prefix. */
	unsigned nbytes = addr_bits(c.base.family) / 8;
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned bit = i * 8;
		if (bit >= c.prefix)
			c.base.bytes[i] = 0;
		else if (c.prefix - bit < 8)
			c.base.bytes[i] &= (uint8_t)(0xff << (8 - (c.prefix - bit)));
	}
	*out = c;
	return 0;
}

bool addr_cidr_match(const addr_cidr_t *c, const addr_t *a)
{
	if (c->base.family != a->family)
		return false;
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->base.bytes, a->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (c->base.bytes[full] & mask) == (a->bytes[full] & mask);
}

int addr_from_sockaddr(const struct sockaddr *sa, addr_t *out)
{
	if (sa == NULL)
		return -EAFNOSUPPORT;
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		out->family = AF_INET;
		memcpy(out->bytes, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		out->family = AF_INET6;
		memcpy(out->bytes, &in6->sin6_addr, 16);
		addr_unmap(out);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static bool addr_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

int addr_name_normalize(const char *in, char *out)
{
	if (in == NULL)
		return -EINVAL;
	size_t len = strlen(in);
	if (len > 0 && in[len - 1] == '.')
		len--; /* the root label, tolerated once */
	if (len == 0 || len > 253)
		return -EINVAL;

	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '.') {
			/* empty label, or one ending in a hyphen */
			if (label == 0 || out[i - 1] == '-')
				return -EINVAL;
			label = 0;
		} else {
			if (!addr_name_char(ch) || (label == 0 && ch == '-') || ++label > 63)
				return -EINVAL;
		}
		out[i] = ch;
	}
	if (label == 0 || out[len - 1] == '-')
		return -EINVAL; /* "a.b.." leaves an empty last label */
	out[len] = '\0';
	return 0;
}

bool addr_name_is_fqdn(const char *name)
{
	return name != NULL && strchr(name, '.') != NULL;
}

int addr_parse_listen(const char *text, struct sockaddr_storage *out, size_t *len)
{
	if (text == NULL || out == NULL || len == NULL)
		return -EINVAL;
	char host[ADDR_TEXT_MAX];
	const char *port;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		port = end + 2;
		if (strchr(host, ':') == NULL)
			return -EINVAL; /* brackets are for IPv6 only */
	} else {
		const char *colon = strrchr(text, ':');
		if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port = colon + 1;
		if (strchr(host, ':') != NULL)
			return -EINVAL; /* a bare IPv6 address needs brackets */
	}
	unsigned p;
	if (addr_parse_uint(port, 65535, &p) != 0)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	if (strcmp(host, "*") == 0 || strcmp(host, "localhost") == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)out;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		in->sin_addr.s_addr = htonl(host[0] == '*' ? INADDR_ANY : INADDR_LOOPBACK);
		*len = sizeof(*in);
		return 0;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)(void *)out;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		*len = sizeof(*in);
		return 0;
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)out;
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}
