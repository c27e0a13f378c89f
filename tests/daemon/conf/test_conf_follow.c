/* conf: records that follow a router's IPv6 prefix (`ipv6_from`,
 * `ipv6_suffix`, `ipv6_prefix_len`): a good file resolved to indexes and
 * defaults, and each refusal with its exact "file:line: setting: problem". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"

#define HASH "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* Lines 1-4; records start on line 5. */
#define HEAD "http = { listen = [ \"127.0.0.1:8080\" ]; };\n" \
	"database = \"ddns.sqlite\";\n" \
	"providers = { a = { plugin = \"dummy\"; }; b = { plugin = \"dummy\"; }; };\n" \
	"records = (\n"
#define REC(name, prov) "{ domain = \"" name "\"; provider = \"" prov "\"; key_hash = \"" HASH "\";"
#define ROUTER REC("router.example.com", "a") " },\n"

static char dir[PATH_MAX];
static char path[PATH_MAX + 16];

static int setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/ddns-test-follow.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	snprintf(path, sizeof(path), "%s/ddns.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	(void)unlink(path);
	assert_int_equal(rmdir(dir), 0);
	return 0;
}

static conf_t *load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	conf_t *c = NULL;
	err[0] = '\0';
	if (conf_load(path, "/plugins", &c, err, errlen) != 0)
		return NULL;
	return c;
}

static void expect_error(const char *text, int line, const char *rest)
{
	char err[512], want[PATH_MAX + 1024];
	conf_t *c = load(text, err, sizeof(err));
	if (c != NULL)
		print_error("accepted: %s\n", text);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, rest);
	assert_string_equal(err, want);
}

static void test_good(void **state)
{
	(void)state;
	char err[512];
	/* followers before and after their router, on another provider, a /48
	 * and a suffix written in upper case; the router named with a dot */
	conf_t *c = load(HEAD
		REC("nas.example.com", "b") " ipv6_from = \"Router.example.com.\";\n"
		"  ipv6_suffix = \"::1C2:3ff:fe45:6789\"; },\n"
		ROUTER
		REC("cam.example.com", "a") " ipv6_from = \"router.example.com\";\n"
		"  ipv6_suffix = \"0:0:0:7::1\"; ipv6_prefix_len = 48; }\n"
		");\n", err, sizeof(err));
	if (c == NULL)
		print_error("%s\n", err);
	assert_non_null(c);
	assert_int_equal(c->n_records, 3);
	static const uint8_t nas[16] = { [8] = 0x01, 0xc2, 0x03, 0xff, 0xfe, 0x45, 0x67, 0x89 };
	static const uint8_t cam[16] = { [6] = 0, 7, [15] = 1 };
	assert_int_equal(c->records[0].ipv6_from, 1);
	assert_int_equal(c->records[0].ipv6_prefix_len, 64);
	assert_memory_equal(c->records[0].ipv6_suffix, nas, 16);
	assert_int_equal(c->records[1].ipv6_from, -1);
	assert_int_equal(c->records[2].ipv6_from, 1);
	assert_int_equal(c->records[2].ipv6_prefix_len, 48);
	assert_memory_equal(c->records[2].ipv6_suffix, cam, 16);
	conf_free(c);

	/* no follower at all: every record -1 */
	c = load(HEAD ROUTER REC("b.example.com", "b") " }\n);\n", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->records[0].ipv6_from, -1);
	assert_int_equal(c->records[1].ipv6_from, -1);
	conf_free(c);

	/* the widest and narrowest prefixes */
	c = load(HEAD ROUTER
		REC("x.example.com", "a") " ipv6_from = \"router.example.com\";"
		" ipv6_suffix = \"::1\"; ipv6_prefix_len = 127; },\n"
		REC("y.example.com", "a") " ipv6_from = \"router.example.com\";"
		" ipv6_suffix = \"7fff::\"; ipv6_prefix_len = 1; }\n);\n", err, sizeof(err));
	if (c == NULL)
		print_error("%s\n", err);
	assert_non_null(c);
	conf_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(HEAD ROUTER REC("n.example.com", "a") "\n"
	             "  ipv6_from = \"nope.example.com\"; ipv6_suffix = \"::1\"; }\n);\n", 7,
	             "records.[1].ipv6_from: no record \"nope.example.com\" in `records`");
	expect_error(HEAD ROUTER REC("n.example.com", "a") "\n"
	             "  ipv6_from = \"N.example.com\"; ipv6_suffix = \"::1\"; }\n);\n", 7,
	             "records.[1].ipv6_from: a record cannot follow its own prefix");
	expect_error(HEAD ROUTER
	             REC("n.example.com", "a") " ipv6_from = \"router.example.com\";"
	             " ipv6_suffix = \"::1\"; },\n"
	             REC("m.example.com", "a") "\n"
	             "  ipv6_from = \"n.example.com\"; ipv6_suffix = \"::2\"; }\n);\n", 8,
	             "records.[2].ipv6_from: \"n.example.com\" follows the prefix of "
	             "\"router.example.com\" itself (line 6): name the router, chains "
	             "are not allowed");
	/* a cycle is a chain too */
	expect_error(HEAD
	             REC("n.example.com", "a") " ipv6_from = \"m.example.com\";"
	             " ipv6_suffix = \"::1\"; },\n"
	             REC("m.example.com", "a") " ipv6_from = \"n.example.com\";"
	             " ipv6_suffix = \"::2\"; }\n);\n", 5,
	             "records.[0].ipv6_from: \"m.example.com\" follows the prefix of "
	             "\"n.example.com\" itself (line 6): name the router, chains "
	             "are not allowed");
	expect_error(HEAD ROUTER REC("n.example.com", "a") "\n"
	             "  ipv6_from = \"router..example.com\"; ipv6_suffix = \"::1\"; }\n);\n", 7,
	             "records.[1].ipv6_from: \"router..example.com\" is not a valid domain name");
	expect_error(HEAD ROUTER REC("n.example.com", "a") "\n"
	             "  ipv6_from = 5; ipv6_suffix = \"::1\"; }\n);\n", 7,
	             "records.[1].ipv6_from: must be a string");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\"; }\n);\n", 6,
	             "records.[1].ipv6_suffix: missing (the host's interface identifier, "
	             "e.g. \"::1c2:3ff:fe45:6789\")");
	expect_error(HEAD ROUTER REC("n.example.com", "a") "\n"
	             "  ipv6_suffix = \"::1\"; }\n);\n", 7,
	             "records.[1].ipv6_suffix: needs ipv6_from (the record whose IPv6 "
	             "prefix this one follows)");
	expect_error(HEAD ROUTER REC("n.example.com", "a") "\n"
	             "  ipv6_prefix_len = 56; }\n);\n", 7,
	             "records.[1].ipv6_prefix_len: needs ipv6_from (the record whose IPv6 "
	             "prefix this one follows)");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\";\n"
	             "  ipv6_suffix = \"10.0.0.1\"; }\n);\n", 7,
	             "records.[1].ipv6_suffix: \"10.0.0.1\" is not an IPv6 interface "
	             "identifier (written like \"::1c2:3ff:fe45:6789\")");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\";\n"
	             "  ipv6_suffix = \"::1:0:0:0:1\"; }\n);\n", 7,
	             "records.[1].ipv6_suffix: \"::1:0:0:0:1\" does not fit in the host "
	             "bits of a /64 prefix (only the last 64 bits are the host's)");
	/* a whole address is refused too: its prefix bits are set */
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\"; ipv6_prefix_len = 56;\n"
	             "  ipv6_suffix = \"2001:db8::1\"; }\n);\n", 7,
	             "records.[1].ipv6_suffix: \"2001:db8::1\" does not fit in the host "
	             "bits of a /56 prefix (only the last 72 bits are the host's)");
	/* one bit too far: /60 leaves 68 bits, 0:0:0:10:: is bit 59 */
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\"; ipv6_prefix_len = 60;\n"
	             "  ipv6_suffix = \"0:0:0:10::\"; }\n);\n", 7,
	             "records.[1].ipv6_suffix: \"0:0:0:10::\" does not fit in the host "
	             "bits of a /60 prefix (only the last 68 bits are the host's)");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\";\n"
	             "  ipv6_suffix = \"::\"; }\n);\n", 7,
	             "records.[1].ipv6_suffix: \"::\" sets no host bit (the all-zero "
	             "identifier is the subnet's anycast address)");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\"; ipv6_suffix = \"::1\";\n"
	             "  ipv6_prefix_len = 128; }\n);\n", 7,
	             "records.[1].ipv6_prefix_len: must be between 1 and 127");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\"; ipv6_suffix = \"::1\";\n"
	             "  ipv6_prefix_len = 0; }\n);\n", 7,
	             "records.[1].ipv6_prefix_len: must be between 1 and 127");
	expect_error(HEAD ROUTER REC("n.example.com", "a")
	             " ipv6_from = \"router.example.com\"; ipv6_suffix = \"::1\";\n"
	             "  ipv6_prefix_len = \"64\"; }\n);\n", 7,
	             "records.[1].ipv6_prefix_len: must be an integer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
