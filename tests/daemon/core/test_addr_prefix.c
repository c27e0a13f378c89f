/* addr_prefix: a follower's IPv6 address from its router's address, a
 * prefix length and its interface identifier; which suffixes fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include "addr_prefix.h"

static void join(const char *router, const char *suffix, unsigned len, const char *want)
{
	uint8_t s[16];
	char out[ADDR_TEXT_MAX];
	assert_int_equal(addr_prefix_suffix_parse(suffix, s), 0);
	assert_int_equal(addr_prefix_join_text(router, s, len, out), 0);
	assert_string_equal(out, want);
}

static void test_join(void **state)
{
	(void)state;
	/* the usual /64: the router's own host bits are dropped */
	join("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "::1c2:3ff:fe45:6789", 64,
	     "2001:db8:1:2:1c2:3ff:fe45:6789");
	/* a /48 delegation: the host's subnet comes from its suffix */
	join("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "0:0:0:7::1", 48, "2001:db8:1:7::1");
	/* /56: the boundary inside the fourth group */
	join("2001:db8:1:2ff::1", "0:0:0:a::5", 56, "2001:db8:1:20a::5");
	/* /60, the boundary inside a byte */
	join("2001:db8:1:fff::1", "0:0:0:3::9", 60, "2001:db8:1:ff3::9");
	/* extremes */
	join("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::", 127,
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	join("8000::", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1,
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	join("::", "::1", 64, "::1");
}

static void test_join_bytes(void **state)
{
	(void)state;
	uint8_t p[16], s[16], out[16];
	memset(p, 0xff, sizeof(p));
	memset(s, 0x00, sizeof(s));
	/* every length: exactly len leading ones survive */
	for (unsigned len = 1; len <= 127; len++) {
		addr_prefix_join(p, s, len, out);
		for (unsigned bit = 0; bit < 128; bit++) {
			int set = (out[bit / 8] >> (7 - bit % 8)) & 1;
			assert_int_equal(set, bit < len);
		}
	}
}

static void test_router_refused(void **state)
{
	(void)state;
	uint8_t s[16];
	char out[ADDR_TEXT_MAX] = "x";
	assert_int_equal(addr_prefix_suffix_parse("::1", s), 0);
	assert_int_equal(addr_prefix_join_text("192.0.2.1", s, 64, out), -EINVAL);
	assert_int_equal(addr_prefix_join_text("::ffff:192.0.2.1", s, 64, out), -EINVAL);
	assert_int_equal(addr_prefix_join_text("nope", s, 64, out), -EINVAL);
	assert_string_equal(out, "x");
}

static void test_suffix(void **state)
{
	(void)state;
	uint8_t s[16];
	assert_int_equal(addr_prefix_suffix_parse("1.2.3.4", s), -EINVAL);
	assert_int_equal(addr_prefix_suffix_parse("::1%eth0", s), -EINVAL);
	assert_int_equal(addr_prefix_suffix_parse("", s), -EINVAL);
	assert_int_equal(addr_prefix_suffix_parse(NULL, s), -EINVAL);
	/* a v4-mapped suffix stays IPv6 bytes */
	assert_int_equal(addr_prefix_suffix_parse("::ffff:1.2.3.4", s), 0);
	assert_int_equal(s[10], 0xff);
	assert_int_equal(s[15], 4);
	assert_true(addr_prefix_suffix_fits(s, 64));
	assert_false(addr_prefix_suffix_fits(s, 81));

	assert_int_equal(addr_prefix_suffix_parse("::1c2:3ff:fe45:6789", s), 0);
	assert_true(addr_prefix_suffix_fits(s, 64));
	assert_true(addr_prefix_suffix_fits(s, 71));
	assert_false(addr_prefix_suffix_fits(s, 72)); /* 0x01 is bit 71 */
	assert_false(addr_prefix_suffix_fits(s, 96));

	assert_int_equal(addr_prefix_suffix_parse("0:0:0:10::", s), 0);
	assert_true(addr_prefix_suffix_fits(s, 59));
	assert_false(addr_prefix_suffix_fits(s, 60));

	/* all zero: no host bit at any length */
	assert_int_equal(addr_prefix_suffix_parse("::", s), 0);
	assert_false(addr_prefix_suffix_fits(s, 64));
	assert_false(addr_prefix_suffix_fits(s, 1));

	assert_int_equal(addr_prefix_suffix_parse("::1", s), 0);
	assert_true(addr_prefix_suffix_fits(s, 127));
	assert_true(addr_prefix_suffix_fits(s, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_join_bytes),
		cmocka_unit_test(test_router_refused),
		cmocka_unit_test(test_suffix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
