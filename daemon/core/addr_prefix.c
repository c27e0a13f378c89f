/* IPv6 prefix arithmetic (see addr_prefix.h): a follower's address from
 * its router's address, a prefix length and its own interface identifier. */
#include "addr_prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

int addr_prefix_suffix_parse(const char *text, uint8_t out[16])
{
	/* inet_pton, not addr_parse: "::ffff:0:1" is a valid suffix and must
	 * not turn into an IPv4 address. */
	struct in6_addr a;
	if (text == NULL || inet_pton(AF_INET6, text, &a) != 1)
		return -EINVAL;
	memcpy(out, a.s6_addr, 16);
	return 0;
}

/* The mask byte of byte @p i for a /@p len: 0xff inside the prefix, 0
 * after it, the high bits of the byte that straddles it. */
static uint8_t mask_byte(unsigned i, unsigned len)
{
	if (len >= (i + 1) * 8)
		return 0xff;
	if (len <= i * 8)
		return 0;
	return (uint8_t)(0xff << (8 - (len - i * 8)));
}

bool addr_prefix_suffix_fits(const uint8_t suffix[16], unsigned len)
{
	bool host = false;
	for (unsigned i = 0; i < 16; i++) {
		uint8_t m = mask_byte(i, len);
		if ((suffix[i] & m) != 0)
			return false;
		if ((suffix[i] & (uint8_t)~m) != 0)
			host = true;
	}
	return host;
}

void addr_prefix_join(const uint8_t prefix[16], const uint8_t suffix[16], unsigned len,
                      uint8_t out[16])
{
	for (unsigned i = 0; i < 16; i++) {
		uint8_t m = mask_byte(i, len);
		out[i] = (uint8_t)((prefix[i] & m) | (suffix[i] & (uint8_t)~m));
	}
}

int addr_prefix_join_text(const char *router, const uint8_t suffix[16], unsigned len,
                          char *out)
{
	addr_t r, host = { .family = AF_INET6 };
	/* addr_parse() turns a v4-mapped address into IPv4: refused here, a
	 * router's AAAA in that form carries no delegated prefix. */
	if (addr_parse(router, &r) != 0 || r.family != AF_INET6)
		return -EINVAL;
	addr_prefix_join(r.bytes, suffix, len, host.bytes);
	addr_format(&host, out);
	return 0;
}
