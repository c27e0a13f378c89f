/* Unit tests for daemon/core/addr.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

static void canon_ok(const char *in, const char *want, int want_family)
{
	char buf[ADDR_TEXT_MAX];
	int family = 0;
	assert_int_equal(addr_canonical(in, buf, &family), 0);
	assert_string_equal(buf, want);
	assert_int_equal(family, want_family);
}

static void test_parse_canonical(void **state)
{
	(void)state;
	canon_ok("192.0.2.1", "192.0.2.1", AF_INET);
	canon_ok("0.0.0.0", "0.0.0.0", AF_INET);
	canon_ok("2001:DB8:0:0:0:0:0:1", "2001:db8::1", AF_INET6);
	canon_ok("2001:0db8::0001", "2001:db8::1", AF_INET6);
	canon_ok("::1", "::1", AF_INET6);
	/* v4-mapped folds to IPv4 */
	canon_ok("::ffff:198.51.100.7", "198.51.100.7", AF_INET);
	canon_ok("::FFFF:c633:6407", "198.51.100.7", AF_INET);

	char buf[ADDR_TEXT_MAX];
	addr_t a;
	assert_int_equal(addr_canonical(NULL, buf, NULL), -EINVAL);
	const char *bad[] = {
		"", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1",
		"01.2.3.4x", "1.2.3.-1", "fe80::1%eth0", "[::1]", "::1/128",
		"1.2.3.4/32", "gggg::1", "1:2:3:4:5:6:7:8:9", "example.com",
		"0x7f.0.0.1", ":::",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted bad address '%s'", bad[i]);
	}
	/* family may be NULL */
	assert_int_equal(addr_canonical("10.0.0.1", buf, NULL), 0);
	assert_string_equal(buf, "10.0.0.1");
}

static void test_format_bytes(void **state)
{
	(void)state;
	addr_t a;
	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.bytes[0], 10);
	assert_int_equal(a.bytes[3], 3);
	char buf[ADDR_TEXT_MAX];
	addr_format(&a, buf);
	assert_string_equal(buf, "10.1.2.3");

	/* the longest canonical IPv6 text fits */
	assert_int_equal(addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a), 0);
	addr_format(&a, buf);
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static bool cidr_has(const char *cidr, const char *ip)
{
	addr_cidr_t c;
	addr_t a;
	assert_int_equal(addr_cidr_parse(cidr, &c), 0);
	assert_int_equal(addr_parse(ip, &a), 0);
	return addr_cidr_match(&c, &a);
}

static void test_cidr(void **state)
{
	(void)state;
	assert_true(cidr_has("127.0.0.1/32", "127.0.0.1"));
	assert_false(cidr_has("127.0.0.1/32", "127.0.0.2"));
	assert_true(cidr_has("127.0.0.1", "127.0.0.1"));
	assert_false(cidr_has("127.0.0.1", "127.0.0.2"));
	assert_true(cidr_has("10.0.0.0/8", "10.255.1.2"));
	assert_false(cidr_has("10.0.0.0/8", "11.0.0.0"));
	assert_true(cidr_has("192.168.1.64/26", "192.168.1.127"));
	assert_false(cidr_has("192.168.1.64/26", "192.168.1.128"));
	assert_false(cidr_has("192.168.1.64/26", "192.168.1.63"));
	/* host bits of the base are ignored */
	assert_true(cidr_has("10.9.9.9/8", "10.0.0.1"));
	assert_true(cidr_has("0.0.0.0/0", "203.0.113.9"));
	assert_false(cidr_has("0.0.0.0/0", "2001:db8::1"));
	assert_true(cidr_has("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(cidr_has("2001:db8::/32", "2001:db9::1"));
	assert_true(cidr_has("fe80::/10", "febf::1"));
	assert_false(cidr_has("fe80::/10", "fec0::1"));
	assert_true(cidr_has("::/0", "::1"));
	assert_false(cidr_has("::/0", "1.2.3.4"));
	/* v4-mapped prefix is IPv4 space */
	assert_true(cidr_has("::ffff:10.0.0.0/104", "10.1.2.3"));
	assert_false(cidr_has("::ffff:10.0.0.0/104", "11.1.2.3"));

	addr_cidr_t c;
	assert_int_equal(addr_cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(addr_cidr_parse("::1", &c), 0);
	assert_int_equal(c.prefix, 128);
	const char *bad[] = {
		"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08",
		"10.0.0.0/8x", "::/129", "/8", "10.0.0.0/8/8", "", "::ffff:0:0/64",
		"abc/8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_cidr_parse(bad[i], &c) != -EINVAL)
			fail_msg("accepted bad CIDR '%s'", bad[i]);
	}
}

static void test_sockaddr(void **state)
{
	(void)state;
	addr_t a;
	char buf[ADDR_TEXT_MAX];
	struct sockaddr_in in = { .sin_family = AF_INET };
	inet_pton(AF_INET, "203.0.113.5", &in.sin_addr);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&in, &a), 0);
	addr_format(&a, buf);
	assert_string_equal(buf, "203.0.113.5");

	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::ffff:203.0.113.6", &in6.sin6_addr);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&in6, &a), 0);
	assert_int_equal(a.family, AF_INET);
	addr_format(&a, buf);
	assert_string_equal(buf, "203.0.113.6");

	inet_pton(AF_INET6, "2001:db8::5", &in6.sin6_addr);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&in6, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	addr_format(&a, buf);
	assert_string_equal(buf, "2001:db8::5");

	struct sockaddr un = { .sa_family = AF_UNIX };
	assert_int_equal(addr_from_sockaddr(&un, &a), -EAFNOSUPPORT);
	assert_int_equal(addr_from_sockaddr(NULL, &a), -EAFNOSUPPORT);
}

static void name_ok(const char *in, const char *want)
{
	char out[NAME_TEXT_MAX];
	if (addr_name_normalize(in, out) != 0)
		fail_msg("refused good name '%s'", in);
	assert_string_equal(out, want);
}

static void test_names(void **state)
{
	(void)state;
	name_ok("A.Dyn.Example.COM", "a.dyn.example.com");
	name_ok("a.dyn.example.com.", "a.dyn.example.com");
	name_ok("localhost", "localhost");
	name_ok("_acme-challenge.x1.example.org", "_acme-challenge.x1.example.org");
	name_ok("123.example", "123.example");

	char label63[64], name253[254], name254[255];
	memset(label63, 'a', 63);
	label63[63] = '\0';
	char buf[NAME_TEXT_MAX];
	snprintf(buf, sizeof(buf), "%s.com", label63);
	name_ok(buf, buf);
	/* 4 labels of 63 + 3 dots = 255; build exactly 253 and 254 */
	snprintf(name253, sizeof(name253), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	assert_int_equal(strlen(name253), 253);
	name_ok(name253, name253);
	snprintf(name254, sizeof(name254), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	assert_int_equal(strlen(name254), 254);

	char out[NAME_TEXT_MAX];
	const char *bad[] = {
		"", ".", "..", "a..b", ".a.b", "a.b..", "-a.b", "a-.b", "a.b-",
		"a b.c", "a/b", "a.b\n", "\xc3\xa9.com", "a*.b", "a:b", "a@b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_name_normalize(bad[i], out) != -EINVAL)
			fail_msg("accepted bad name '%s'", bad[i]);
	}
	snprintf(buf, sizeof(buf), "%sa.com", label63);
	assert_int_equal(addr_name_normalize(buf, out), -EINVAL);
	assert_int_equal(addr_name_normalize(name254, out), -EINVAL);
	assert_int_equal(addr_name_normalize(NULL, out), -EINVAL);

	assert_true(addr_name_is_fqdn("a.example.com"));
	assert_false(addr_name_is_fqdn("localhost"));
	assert_false(addr_name_is_fqdn(NULL));
}

static void test_listen(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	size_t len = 0;
	char buf[ADDR_TEXT_MAX];

	assert_int_equal(addr_parse_listen("127.0.0.1:8080", &ss, &len), 0);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	assert_int_equal(len, sizeof(*in));
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 8080);
	inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");

	assert_int_equal(addr_parse_listen("[::1]:53", &ss, &len), 0);
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	assert_int_equal(len, sizeof(*in6));
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 53);
	inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
	assert_string_equal(buf, "::1");

	assert_int_equal(addr_parse_listen("[::]:65535", &ss, &len), 0);
	assert_int_equal(ntohs(in6->sin6_port), 65535);

	assert_int_equal(addr_parse_listen("*:80", &ss, &len), 0);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(ntohs(in->sin_port), 80);

	assert_int_equal(addr_parse_listen("localhost:81", &ss, &len), 0);
	assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_LOOPBACK));

	const char *bad[] = {
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:8o", "::1:53", "[::1]53", "[::1]", "[127.0.0.1]:53",
		"example.com:80", ":80", "[::1:80", "1.2.3.4:080",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_parse_listen(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted bad listen address '%s'", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_canonical),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
