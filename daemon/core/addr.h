/**
 * @file addr.h
 * @brief IP address and host-name text: parsing, canonical form, CIDR match.
 */
#ifndef DDNS_ADDR_H
#define DDNS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/** Room for any canonical address text plus NUL. */
#define ADDR_TEXT_MAX 46
/** Room for a host name (253 characters) plus NUL. */
#define NAME_TEXT_MAX 256

/** A parsed address. */
typedef struct addr {
	int family;   /**< AF_INET or AF_INET6 */
	uint8_t bytes[16]; /**< 4 or 16 bytes, network order */
} addr_t;

/** A CIDR prefix. */
typedef struct addr_cidr {
	addr_t base;
	unsigned prefix; /**< bits */
} addr_cidr_t;

/**
 * Parse @p text as an IPv4 or IPv6 address (no zone id, no brackets).
 * An IPv4-mapped IPv6 address is returned as IPv4.
 * @return 0, or -EINVAL.
 */
int addr_parse(const char *text, addr_t *out);
/** Canonical text of @p a into @p buf (ADDR_TEXT_MAX bytes). */
void addr_format(const addr_t *a, char *buf);
/** Parse and canonicalise in one step; -EINVAL if not an address. */
int addr_canonical(const char *text, char *buf, int *family);
/** Parse "a.b.c.d/n", "x::/n" or a bare address (full length). */
int addr_cidr_parse(const char *text, addr_cidr_t *out);
/** True when @p a lies in @p c. */
bool addr_cidr_match(const addr_cidr_t *c, const addr_t *a);
/** Address of a sockaddr (v4-mapped v6 becomes v4); -EAFNOSUPPORT otherwise. */
int addr_from_sockaddr(const struct sockaddr *sa, addr_t *out);

/**
 * Normalise a host name: lower-case it and drop one trailing dot.
 * Accepts LDH labels (letters, digits, hyphen, underscore for service
 * labels), 1-63 octets each, 253 in all, at least one label.
 * @return 0, or -EINVAL if it is not a valid name.
 */
int addr_name_normalize(const char *in, char *out /* NAME_TEXT_MAX */);
/** True if @p name (normalised) has at least two labels. */
bool addr_name_is_fqdn(const char *name);

/**
 * Parse "host:port", "[v6]:port" or "*:port" into a sockaddr for binding.
 * host is an address literal or "localhost" (127.0.0.1; no name lookup);
 * "*" is every IPv4 address ("[::]:port" for IPv6).  Port is 0-65535.
 * @return 0, or -EINVAL.
 */
int addr_parse_listen(const char *text, struct sockaddr_storage *out, size_t *len);

#endif
