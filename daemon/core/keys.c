/* Update keys: see keys.h. */
#include "keys.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

static const char key_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define KEY_ALPHABET_LEN 62
/* The largest multiple of 62 that fits in a byte: bytes at or above it are
 * thrown away, so every character is exactly equally likely. */
#define KEY_BYTE_LIMIT (256 / KEY_ALPHABET_LEN * KEY_ALPHABET_LEN)

#define KEY_HASH_PREFIX "sha256:"
#define KEY_HASH_PREFIX_LEN 7
#define KEY_HASH_LEN (KEY_HASH_PREFIX_LEN + 64)

static int key_random(unsigned char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			log_err("getrandom", "%s", strerror(errno));
			return err;
		}
		got += (size_t)n;
	}
	return 0;
}

int key_generate(char *out)
{
	unsigned char pool[64];
	size_t have = 0;
	size_t used = sizeof(pool);
	int err = 0;
	while (have < KEY_LEN) {
		if (used == sizeof(pool)) {
			err = key_random(pool, sizeof(pool));
			if (err)
				goto cleanup;
			used = 0;
		}
		unsigned char b = pool[used++];
		if (b >= KEY_BYTE_LIMIT)
			continue;
		out[have++] = key_alphabet[b % KEY_ALPHABET_LEN];
	}
	out[KEY_LEN] = '\0';
cleanup:
	/* the pool held the key's entropy */
	gnutls_memset(pool, 0, sizeof(pool));
	if (err)
		out[0] = '\0';
	return err;
}

int key_hash(const char *key, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[32];
	int rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, key, len, digest);
	if (rc < 0) {
		log_err("sha256", "%s", gnutls_strerror(rc));
		out[0] = '\0';
		return -EIO;
	}
	memcpy(out, KEY_HASH_PREFIX, KEY_HASH_PREFIX_LEN);
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[KEY_HASH_PREFIX_LEN + 2 * i] = hex[digest[i] >> 4];
		out[KEY_HASH_PREFIX_LEN + 2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[KEY_HASH_LEN] = '\0';
	return 0;
}

bool key_hash_valid(const char *text)
{
	if (text == NULL || strncmp(text, KEY_HASH_PREFIX, KEY_HASH_PREFIX_LEN) != 0 ||
	    strlen(text) != KEY_HASH_LEN)
		return false;
	for (const char *p = text + KEY_HASH_PREFIX_LEN; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	}
	return true;
}

bool key_check(const char *key, size_t len, const char *hash)
{
	char mine[KEY_HASH_MAX];
	/* The stored hash's shape is no secret; only its content is. */
	if (key == NULL || hash == NULL || strlen(hash) != KEY_HASH_LEN)
		return false;
	if (key_hash(key, len, mine) != 0)
		return false;
	/* gnutls_memcmp looks at every byte whatever it finds. */
	return gnutls_memcmp(mine, hash, KEY_HASH_LEN) == 0;
}

bool key_acceptable(const char *key)
{
	if (key == NULL)
		return false;
	size_t len = strlen(key);
	if (len < KEY_MIN_LEN || len > KEY_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' || c == '-'))
			return false;
	}
	return true;
}
