/**
 * @file addr_prefix.h
 * @brief IPv6 prefix arithmetic for records that follow a router's prefix.
 *
 * A router reports one address of its delegated prefix; a host behind it
 * keeps its interface identifier (the "suffix").  The host's address is
 * (router & mask) | (suffix & ~mask), mask being the first @c len bits.
 * Pure functions on caller-owned buffers: any thread.
 */
#ifndef DDNS_ADDR_PREFIX_H
#define DDNS_ADDR_PREFIX_H

#include <stdbool.h>
#include <stdint.h>
#include "addr.h"

/** Prefix lengths a follower may use: at least one bit of prefix and one
 *  bit of host (a /128 leaves no room for a suffix). */
#define ADDR_PREFIX_LEN_MIN 1
#define ADDR_PREFIX_LEN_MAX 127
/** The usual prefix of a LAN (SLAAC needs /64). */
#define ADDR_PREFIX_LEN_DEFAULT 64

/**
 * Parse @p text as an IPv6 suffix (written as an address, "::1c2:3ff:fe45:6789").
 * IPv4-mapped forms are kept as IPv6 bytes (unlike addr_parse()).
 * @return 0, or -EINVAL when @p text is not IPv6 address text.
 */
int addr_prefix_suffix_parse(const char *text, uint8_t out[16]);
/** True when @p suffix has no bit set in its first @p len bits (it fits in
 *  the host part of a /@p len) and at least one bit set after them.
 *  @p len must be within [ADDR_PREFIX_LEN_MIN, ADDR_PREFIX_LEN_MAX]. */
bool addr_prefix_suffix_fits(const uint8_t suffix[16], unsigned len);
/** @p out = the first @p len bits of @p prefix, then the rest of @p suffix. */
void addr_prefix_join(const uint8_t prefix[16], const uint8_t suffix[16], unsigned len,
                      uint8_t out[16]);
/**
 * addr_prefix_join() on text: the canonical text of @p router's /@p len
 * joined with @p suffix, into @p out (ADDR_TEXT_MAX bytes).
 * @return 0, or -EINVAL when @p router is not an IPv6 address.
 */
int addr_prefix_join_text(const char *router, const uint8_t suffix[16], unsigned len,
                          char *out);

#endif
