/**
 * @file dyndns2_parse.h
 * @brief The request side of dyndns2: Basic credentials, the hostname list
 *        and the myip/myipv6 addresses.  Pure functions, no I/O.
 */
#ifndef DDNS_DYNDNS2_PARSE_H
#define DDNS_DYNDNS2_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include "addr.h"

/** Most names in one update; more is answered `numhost`. */
#define DYNDNS2_MAX_HOSTS 20

/** Credentials of a Basic Authorization header. */
typedef struct dyndns2_auth {
	char *user;      /**< NUL-terminated, owned */
	char *pass;      /**< owned; may hold NULs, so use pass_len */
	size_t pass_len;
} dyndns2_auth_t;

/**
 * Decode `Basic <base64(user:pass)>` (RFC 7617; the scheme is
 * case-insensitive, the password is everything after the first colon).
 * @return 0 with @p out filled (free with dyndns2_auth_clear()), -ENOENT
 *         when @p header is NULL or not Basic, -EINVAL when it is Basic but
 *         malformed, -ENOMEM.
 */
int dyndns2_parse_auth(const char *header, dyndns2_auth_t *out);
/**
 * Credentials given as `username=` / `password=` parameters (Synology-style
 * update URLs, some routers): copies them into @p out like
 * dyndns2_parse_auth().  @p user may be NULL.
 * @return 0, -ENOENT when @p pass is NULL, -EINVAL when it is absurdly
 *         long, -ENOMEM.
 */
int dyndns2_auth_from_params(const char *user, const char *pass, dyndns2_auth_t *out);
/** Wipe and free the strings of @p a (zeroed struct is fine). */
void dyndns2_auth_clear(dyndns2_auth_t *a);

/** One name of the hostname list. */
typedef struct dyndns2_host {
	char name[NAME_TEXT_MAX]; /**< normalised when fqdn is true */
	bool fqdn;                /**< false: answer `notfqdn` */
} dyndns2_host_t;

/**
 * Split the comma-separated @p list (spaces around names and empty items
 * are ignored) into @p hosts (DYNDNS2_MAX_HOSTS entries).
 * @return 0 with *n set (0 for an empty or missing list), or -E2BIG when
 *         there are more than DYNDNS2_MAX_HOSTS names.
 */
int dyndns2_parse_hosts(const char *list, dyndns2_host_t *hosts, size_t *n);

/** The addresses of an update; "" for a family left alone. */
typedef struct dyndns2_addrs {
	char ipv4[ADDR_TEXT_MAX];
	char ipv6[ADDR_TEXT_MAX];
} dyndns2_addrs_t;

/**
 * Work out the addresses to set from `myip` (one address or a `v4,v6`
 * list; empty items ignored) and `myipv6`.  When neither names an address
 * the client's own address (@p client) fills its family; `myipv6` alone
 * leaves IPv4 alone, whatever the client's family.
 * @return 0, or -EINVAL with one line in @p err saying what is wrong.
 */
int dyndns2_parse_addrs(const char *myip, const char *myipv6, const addr_t *client,
                        dyndns2_addrs_t *out, char *err, size_t errlen);

#endif
