/* Unit tests for daemon/api/dyndns2_parse.c: Basic credentials, hostname
 * lists and myip/myipv6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dyndns2_parse.h"

static void auth_ok(const char *header, const char *user, const char *pass, size_t pass_len)
{
	dyndns2_auth_t a;
	assert_int_equal(dyndns2_parse_auth(header, &a), 0);
	assert_string_equal(a.user, user);
	assert_int_equal(a.pass_len, pass_len);
	assert_memory_equal(a.pass, pass, pass_len);
	dyndns2_auth_clear(&a);
	assert_null(a.user);
	assert_null(a.pass);
}

static void test_auth(void **state)
{
	(void)state;
	/* "a.example.com:secretKey123" */
	auth_ok("Basic YS5leGFtcGxlLmNvbTpzZWNyZXRLZXkxMjM=", "a.example.com", "secretKey123", 12);
	auth_ok("basic   YS5leGFtcGxlLmNvbTpzZWNyZXRLZXkxMjM=  ", "a.example.com", "secretKey123", 12);
	/* the password keeps any further colon: "u:p:q" */
	auth_ok("Basic dTpwOnE=", "u", "p:q", 3);
	/* empty user and empty password: ":" */
	auth_ok("Basic Og==", "", "", 0);
	/* a NUL inside the password is kept, not a terminator: "u:a\0b" */
	auth_ok("Basic dTphAGI=", "u", "a\0b", 3);

	dyndns2_auth_t a;
	assert_int_equal(dyndns2_parse_auth(NULL, &a), -ENOENT);
	assert_int_equal(dyndns2_parse_auth("Bearer abc", &a), -ENOENT);
	assert_int_equal(dyndns2_parse_auth("Basicabc", &a), -ENOENT);
	assert_int_equal(dyndns2_parse_auth("Basic ", &a), -EINVAL);
	assert_int_equal(dyndns2_parse_auth("Basic !!!notbase64", &a), -EINVAL);
	/* "nocolon" */
	assert_int_equal(dyndns2_parse_auth("Basic bm9jb2xvbg==", &a), -EINVAL);
	/* a NUL in the user name: "a\0b:c" */
	assert_int_equal(dyndns2_parse_auth("Basic YQBiOmM=", &a), -EINVAL);
	char big[4000];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "Basic ", 6);
	assert_int_equal(dyndns2_parse_auth(big, &a), -EINVAL);
	assert_null(a.user);
}

static void test_auth_params(void **state)
{
	(void)state;
	dyndns2_auth_t a;
	assert_int_equal(dyndns2_auth_from_params("a.example.com", "secretKey123", &a), 0);
	assert_string_equal(a.user, "a.example.com");
	assert_int_equal(a.pass_len, 12);
	assert_string_equal(a.pass, "secretKey123");
	dyndns2_auth_clear(&a);
	assert_null(a.pass);
	/* a password without a user name: the key alone proves the names */
	assert_int_equal(dyndns2_auth_from_params(NULL, "k", &a), 0);
	assert_null(a.user);
	assert_int_equal(a.pass_len, 1);
	dyndns2_auth_clear(&a);
	/* no password: not query credentials at all */
	assert_int_equal(dyndns2_auth_from_params("a.example.com", NULL, &a), -ENOENT);
	assert_null(a.user);
	char big[3000];
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(dyndns2_auth_from_params("u", big, &a), -EINVAL);
	assert_null(a.pass);
}

static void test_hosts(void **state)
{
	(void)state;
	dyndns2_host_t h[DYNDNS2_MAX_HOSTS];
	size_t n = 99;
	assert_int_equal(dyndns2_parse_hosts(NULL, h, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dyndns2_parse_hosts("", h, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dyndns2_parse_hosts(" , ,", h, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(dyndns2_parse_hosts("A.Example.COM., b.example.com ,single,bad..name,",
	                                     h, &n), 0);
	assert_int_equal(n, 4);
	assert_true(h[0].fqdn);
	assert_string_equal(h[0].name, "a.example.com");
	assert_true(h[1].fqdn);
	assert_string_equal(h[1].name, "b.example.com");
	assert_false(h[2].fqdn); /* one label */
	assert_false(h[3].fqdn);

	char list[2048] = "";
	for (int i = 0; i < DYNDNS2_MAX_HOSTS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%sh%d.example.com",
		         i ? "," : "", i);
	assert_int_equal(dyndns2_parse_hosts(list, h, &n), 0);
	assert_int_equal(n, DYNDNS2_MAX_HOSTS);
	assert_string_equal(h[19].name, "h19.example.com");
	strcat(list, ",h20.example.com");
	assert_int_equal(dyndns2_parse_hosts(list, h, &n), -E2BIG);

	/* a name longer than 253 characters is not a FQDN, and does not overflow */
	char longname[600];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[10] = '.';
	assert_int_equal(dyndns2_parse_hosts(longname, h, &n), 0);
	assert_int_equal(n, 1);
	assert_false(h[0].fqdn);
}

static addr_t addr(const char *text)
{
	addr_t a;
	assert_int_equal(addr_parse(text, &a), 0);
	return a;
}

static void addrs_ok(const char *myip, const char *myipv6, const char *client,
                     const char *want4, const char *want6)
{
	dyndns2_addrs_t out;
	char err[160] = "";
	addr_t c = addr(client);
	assert_int_equal(dyndns2_parse_addrs(myip, myipv6, &c, &out, err, sizeof(err)), 0);
	assert_string_equal(out.ipv4, want4);
	assert_string_equal(out.ipv6, want6);
}

static void addrs_bad(const char *myip, const char *myipv6, const char *want_err)
{
	dyndns2_addrs_t out;
	char err[160] = "";
	addr_t c = addr("192.0.2.1");
	assert_int_equal(dyndns2_parse_addrs(myip, myipv6, &c, &out, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want_err);
}

static void test_addrs(void **state)
{
	(void)state;
	addrs_ok("203.0.113.7", NULL, "192.0.2.1", "203.0.113.7", "");
	addrs_ok("2001:DB8::7", NULL, "192.0.2.1", "", "2001:db8::7");
	addrs_ok("203.0.113.7,2001:db8::7", NULL, "192.0.2.1", "203.0.113.7", "2001:db8::7");
	addrs_ok(" 2001:db8::7 , 203.0.113.7 ", NULL, "192.0.2.1", "203.0.113.7", "2001:db8::7");
	/* a router without IPv6 leaves the second item empty */
	addrs_ok("203.0.113.7,", NULL, "192.0.2.1", "203.0.113.7", "");
	addrs_ok("203.0.113.7", "2001:db8::7", "192.0.2.1", "203.0.113.7", "2001:db8::7");
	addrs_ok("203.0.113.7,2001:db8::7", "2001:db8:0::7", "192.0.2.1", "203.0.113.7", "2001:db8::7");
	/* absent or empty myip: the source address, in its own family */
	addrs_ok(NULL, NULL, "192.0.2.1", "192.0.2.1", "");
	addrs_ok("", NULL, "2001:db8::99", "", "2001:db8::99");
	addrs_ok(",", "", "192.0.2.1", "192.0.2.1", "");
	/* myipv6 alone leaves IPv4 alone (behind DS-Lite the v4 source is the
	 * carrier's); a v6 source does not override it either */
	addrs_ok(NULL, "2001:db8::7", "192.0.2.1", "", "2001:db8::7");
	addrs_ok("", "2001:db8::7", "192.0.2.1", "", "2001:db8::7");
	addrs_ok("", "2001:db8::7", "2001:db8::99", "", "2001:db8::7");

	addrs_bad("1.2.3", NULL, "myip: \"1.2.3\" is not an IPv4 or IPv6 address");
	addrs_bad("1.2.3.4\ngood 5.6.7.8", NULL,
	          "myip: \"1.2.3.4?good?5.6.7.8\" is not an IPv4 or IPv6 address");
	addrs_bad("1.2.3.4,5.6.7.8", NULL, "myip: more than one IPv4 address (1.2.3.4, 5.6.7.8)");
	addrs_bad("1.2.3.4,2001:db8::1,2001:db8::2", NULL,
	          "myip: more than one IPv6 address (2001:db8::1, 2001:db8::2)");
	addrs_bad(NULL, "1.2.3.4", "myipv6: \"1.2.3.4\" is not an IPv6 address");
	addrs_bad(NULL, "2001:db8::1,2001:db8::2", "myipv6: one IPv6 address expected");
	addrs_bad("2001:db8::1", "2001:db8::2",
	          "myip and myipv6: more than one IPv6 address (2001:db8::1, 2001:db8::2)");
	addrs_bad("fe80::1%eth0", NULL, "myip: \"fe80::1%eth0\" is not an IPv4 or IPv6 address");

	dyndns2_addrs_t out;
	char err[160];
	assert_int_equal(dyndns2_parse_addrs(NULL, NULL, NULL, &out, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_auth_params),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_addrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
