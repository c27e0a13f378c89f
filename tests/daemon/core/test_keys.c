/* Unit tests for daemon/core/keys.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "keys.h"

static bool key_charset_ok(const char *k)
{
	for (; *k != '\0'; k++) {
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
		      (*k >= '0' && *k <= '9')))
			return false;
	}
	return true;
}

static void test_generate(void **state)
{
	(void)state;
	char a[KEY_LEN + 1], b[KEY_LEN + 1];
	assert_int_equal(key_generate(a), 0);
	assert_int_equal(key_generate(b), 0);
	assert_int_equal(strlen(a), KEY_LEN);
	assert_int_equal(strlen(b), KEY_LEN);
	assert_true(key_charset_ok(a));
	assert_true(key_charset_ok(b));
	assert_string_not_equal(a, b);
	/* a generated key is always acceptable as a user key */
	assert_true(key_acceptable(a));
}

/* Over many keys every one of the 62 characters shows up, and none is far
 * from its expected share: a modulo-biased generator (256 % 62 = 8, so the
 * first 8 characters would get 5/256 instead of 4/256, +25%) fails this. */
static void test_generate_distribution(void **state)
{
	(void)state;
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned long count[256] = { 0 };
	enum { ROUNDS = 4000 };
	for (int r = 0; r < ROUNDS; r++) {
		char k[KEY_LEN + 1];
		assert_int_equal(key_generate(k), 0);
		for (int i = 0; i < KEY_LEN; i++)
			count[(unsigned char)k[i]]++;
	}
	double expect = (double)ROUNDS * KEY_LEN / 62.0; /* ~3226 */
	double first8 = 0, rest = 0;
	for (int i = 0; i < 62; i++) {
		double c = (double)count[(unsigned char)alphabet[i]];
		assert_true(c > expect * 0.85 && c < expect * 1.15);
		if (i < 8)
			first8 += c;
		else
			rest += c;
	}
	/* The 8 characters a modulo bias would favour are not favoured: the
	 * biased generator would give a ratio of 1.25; fair is 1.0 +- ~1%. */
	double ratio = (first8 / 8.0) / (rest / 54.0);
	assert_true(ratio > 0.95 && ratio < 1.05);
}

static void test_hash_known(void **state)
{
	(void)state;
	char h[KEY_HASH_MAX];
	/* sha256("abc"), FIPS 180-2 test vector */
	assert_int_equal(key_hash("abc", 3, h), 0);
	assert_string_equal(h, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(key_hash("", 0, h), 0);
	assert_string_equal(h, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_true(key_hash_valid(h));
	/* len is honoured, not the NUL */
	assert_int_equal(key_hash("abcdef", 3, h), 0);
	assert_string_equal(h, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_hash_valid(void **state)
{
	(void)state;
	const char *good = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	assert_true(key_hash_valid(good));
	assert_false(key_hash_valid(NULL));
	assert_false(key_hash_valid(""));
	assert_false(key_hash_valid("sha256:"));
	assert_false(key_hash_valid("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(key_hash_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	assert_false(key_hash_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"));
	assert_false(key_hash_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add"));
	assert_false(key_hash_valid("sha256:ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(key_hash_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(key_hash_valid("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a "));
}

static void test_check(void **state)
{
	(void)state;
	char key[KEY_LEN + 1], h[KEY_HASH_MAX];
	assert_int_equal(key_generate(key), 0);
	assert_int_equal(key_hash(key, strlen(key), h), 0);
	assert_true(key_check(key, strlen(key), h));

	char other[KEY_LEN + 1];
	memcpy(other, key, sizeof(other));
	other[KEY_LEN - 1] = other[KEY_LEN - 1] == 'a' ? 'b' : 'a';
	assert_false(key_check(other, strlen(other), h));
	assert_false(key_check(key, strlen(key) - 1, h));
	assert_false(key_check("", 0, h));
	assert_false(key_check(key, strlen(key), ""));
	assert_false(key_check(key, strlen(key), "sha256:"));
	assert_false(key_check(NULL, 0, h));
	assert_false(key_check(key, strlen(key), NULL));
	/* the hash of the key is not the key */
	assert_false(key_check(h, strlen(h), h));
	/* an empty key matches only the empty key's hash */
	assert_true(key_check("", 0,
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

static void test_acceptable(void **state)
{
	(void)state;
	char buf[KEY_MAX_LEN + 2];
	memset(buf, 'x', sizeof(buf));
	buf[KEY_MIN_LEN] = '\0';
	assert_true(key_acceptable(buf));
	buf[KEY_MIN_LEN - 1] = '\0';
	assert_false(key_acceptable(buf));
	memset(buf, 'x', sizeof(buf));
	buf[KEY_MAX_LEN] = '\0';
	assert_true(key_acceptable(buf));
	buf[KEY_MAX_LEN] = 'x';
	buf[KEY_MAX_LEN + 1] = '\0';
	assert_false(key_acceptable(buf));

	assert_true(key_acceptable("Abc-def_ghi.jkl~0123"));
	assert_false(key_acceptable("abcdefghijklmnop qrst"));
	assert_false(key_acceptable("abcdefghijklmnop&key=x"));
	assert_false(key_acceptable("abcdefghijklmnop+"));
	assert_false(key_acceptable("abcdefghijklmnop:"));
	assert_false(key_acceptable("abcdefghijklmnop\xc3\xa9"));
	assert_false(key_acceptable(""));
	assert_false(key_acceptable(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_distribution),
		cmocka_unit_test(test_hash_known),
		cmocka_unit_test(test_hash_valid),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_acceptable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
