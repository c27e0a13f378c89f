/**
 * @file test_rrl.c
 * @brief Unit tests of builtin_dns's response rate limiting: the token
 * bucket per prefix, the slip, exemptions, and rrl_exempt parsing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rrl.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &s->sin6_addr), 1);
	return ss;
}

#define CHECK(r, ss, t) dns_rrl_check((r), (const struct sockaddr *)&(ss), (t))

static void test_off(void **state)
{
	(void)state;
	dns_rrl_conf_t conf = { .rate = 0 };
	dns_rrl_t *r = (dns_rrl_t *)&conf; /* must be replaced by NULL */
	assert_int_equal(dns_rrl_new(&conf, &r), 0);
	assert_null(r);
	struct sockaddr_storage a = v4("192.0.2.1");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(CHECK(r, a, 0), DNS_RRL_PASS);
}

static void test_bucket_and_slip(void **state)
{
	(void)state;
	dns_rrl_conf_t conf = { .rate = 5, .slip = 2 };
	dns_rrl_t *r;
	assert_int_equal(dns_rrl_new(&conf, &r), 0);
	struct sockaddr_storage a = v4("192.0.2.1"), same24 = v4("192.0.2.200"),
	                        other = v4("192.0.3.1");
	/* A second's worth, then limited: every 2nd slips, the rest drop. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(CHECK(r, a, 1000), DNS_RRL_PASS);
	assert_int_equal(CHECK(r, same24, 1000), DNS_RRL_DROP); /* same /24 */
	assert_int_equal(CHECK(r, a, 1000), DNS_RRL_SLIP);
	assert_int_equal(CHECK(r, a, 1000), DNS_RRL_DROP);
	assert_int_equal(CHECK(r, a, 1000), DNS_RRL_SLIP);
	assert_int_equal(CHECK(r, other, 1000), DNS_RRL_PASS);  /* another /24 */
	/* 200 ms refill one response at 5/s. */
	assert_int_equal(CHECK(r, a, 1200), DNS_RRL_PASS);
	assert_int_equal(CHECK(r, a, 1200), DNS_RRL_DROP);
	uint64_t drop, slip;
	dns_rrl_counts(r, &drop, &slip);
	assert_int_equal(drop, 3);
	assert_int_equal(slip, 2);
	dns_rrl_free(r);
}

static void test_v6_and_exempt(void **state)
{
	(void)state;
	dns_cidr_t ex[2];
	assert_int_equal(dns_cidr_parse("198.51.100.0/25", &ex[0]), 0);
	assert_int_equal(dns_cidr_parse("2001:db8:1::/48", &ex[1]), 0);
	dns_rrl_conf_t conf = { .rate = 1, .slip = 0, .exempt = ex, .n_exempt = 2 };
	dns_rrl_t *r;
	assert_int_equal(dns_rrl_new(&conf, &r), 0);
	struct sockaddr_storage in = v4("198.51.100.127"), out = v4("198.51.100.128"),
	                        e6 = v6("2001:db8:1:ffff::1"), a6 = v6("2001:db8:2:ff::1"),
	                        b6 = v6("2001:db8:2:1::2"); /* another /64, same /56 */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(CHECK(r, in, 0), DNS_RRL_PASS);
		assert_int_equal(CHECK(r, e6, 0), DNS_RRL_PASS);
	}
	assert_int_equal(CHECK(r, out, 0), DNS_RRL_PASS);
	assert_int_equal(CHECK(r, out, 0), DNS_RRL_DROP); /* slip 0: all dropped */
	assert_int_equal(CHECK(r, a6, 0), DNS_RRL_PASS);
	assert_int_equal(CHECK(r, b6, 0), DNS_RRL_DROP);
	dns_rrl_free(r);
}

static void test_cidr_parse(void **state)
{
	(void)state;
	dns_cidr_t c;
	assert_int_equal(dns_cidr_parse("192.0.2.1", &c), 0);
	assert_int_equal(c.bits, 32);
	assert_int_equal(dns_cidr_parse("::1", &c), 0);
	assert_int_equal(c.bits, 128);
	assert_int_equal(dns_cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.bits, 8);
	assert_int_equal(dns_cidr_parse("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(dns_cidr_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(dns_cidr_parse("10.0.0.0/-1", &c), -EINVAL);
	assert_int_equal(dns_cidr_parse("10.0.0.0/8x", &c), -EINVAL);
	assert_int_equal(dns_cidr_parse("example.com", &c), -EINVAL);
	assert_int_equal(dns_cidr_parse("2001:db8::/129", &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_bucket_and_slip),
		cmocka_unit_test(test_v6_and_exempt),
		cmocka_unit_test(test_cidr_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
