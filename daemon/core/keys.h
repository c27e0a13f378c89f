/**
 * @file keys.h
 * @brief Update keys: generation from the kernel CSPRNG, hashing, checking.
 *
 * Keys are stored only as "sha256:<64 lower-case hex>" hashes.  A key is 50
 * characters of [A-Za-z0-9] (about 297 bits), so a fast hash is enough: no
 * one can brute-force it, and checks stay cheap on the hot path.
 */
#ifndef DDNS_KEYS_H
#define DDNS_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEY_LEN 50
/** "sha256:" + 64 hex + NUL */
#define KEY_HASH_MAX 72
/** Shortest key a user may choose. */
#define KEY_MIN_LEN 16
/** Longest key a user may choose. */
#define KEY_MAX_LEN 128

/** Fill @p out (KEY_LEN + 1 bytes) with a fresh key from getrandom(2). */
int key_generate(char *out);
/** Hash @p key into @p out (KEY_HASH_MAX bytes). */
int key_hash(const char *key, size_t len, char *out);
/** True if @p text is a well-formed hash line ("sha256:" + 64 hex). */
bool key_hash_valid(const char *text);
/** Check @p key against @p hash in constant time (for equal-length hashes). */
bool key_check(const char *key, size_t len, const char *hash);
/** True if @p key is acceptable as a user-chosen key: KEY_MIN_LEN to
 *  KEY_MAX_LEN characters of [A-Za-z0-9._~-] (URL-unreserved, so a key
 *  survives form encoding, query strings and Basic auth unchanged). */
bool key_acceptable(const char *key);

#endif
