/**
 * @file fnv.h
 * @brief builtin_dns: FNV-1a, 64 bits, for content digests (state.c) and
 * signature cache keys (sign.c).  Not for anything an attacker must not
 * steer: both uses compare more than the hash or only lose a cache slot.
 */
#ifndef DDNS_BUILTIN_DNS_FNV_H
#define DDNS_BUILTIN_DNS_FNV_H

#include <stddef.h>
#include <stdint.h>

#define DNS_FNV_BASIS 0xcbf29ce484222325ULL

/** Fold @p len bytes of @p data into @p h (start from DNS_FNV_BASIS). */
static inline uint64_t dns_fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
