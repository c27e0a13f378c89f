/* http_parse_frame.c: the framing verdicts of RFC 9112 §6 and the path of
 * an absolute-form target (RFC 9112 §3.2.2), case by case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static unsigned frame(const char *const *cl, size_t n_cl, const char *const *te,
                      size_t n_te, bool http10)
{
	const char *why = "unset";
	unsigned st = http_parse_framing(cl, n_cl, te, n_te, http10, &why);
	if (st == 0)
		assert_null(why);
	else
		assert_non_null(why);
	return st;
}

static void test_framing_accepted(void **state)
{
	(void)state;
	static const char *const cl[] = { "5" }, *const cl0[] = { "0" },
	                         *const te[] = { "chunked" },
	                         *const te_case[] = { "Chunked" },
	                         *const te_empty_elems[] = { " , chunked ," };
	assert_int_equal(frame(NULL, 0, NULL, 0, false), 0);
	assert_int_equal(frame(cl, 1, NULL, 0, false), 0);
	assert_int_equal(frame(cl0, 1, NULL, 0, true), 0);
	assert_int_equal(frame(NULL, 0, te, 1, false), 0);
	assert_int_equal(frame(NULL, 0, te_case, 1, false), 0);
	assert_int_equal(frame(NULL, 0, te_empty_elems, 1, false), 0);
}

static void test_framing_refused(void **state)
{
	(void)state;
	static const char *const two[] = { "5", "44" }, *const same[] = { "5", "5" },
	                         *const list[] = { "5, 44" }, *const neg[] = { "-1" },
	                         *const junk[] = { "5x" }, *const empty[] = { "" },
	                         *const cl[] = { "5" }, *const chunked[] = { "chunked" },
	                         *const twice[] = { "chunked", "chunked" },
	                         *const twice_list[] = { "chunked, chunked" },
	                         *const blank[] = { " " };
	assert_int_equal(frame(two, 2, NULL, 0, false), 400);
	assert_int_equal(frame(same, 2, NULL, 0, false), 400); /* even when equal */
	assert_int_equal(frame(list, 1, NULL, 0, false), 400);
	assert_int_equal(frame(neg, 1, NULL, 0, false), 400);
	assert_int_equal(frame(junk, 1, NULL, 0, false), 400);
	assert_int_equal(frame(empty, 1, NULL, 0, false), 400);
	assert_int_equal(frame(cl, 1, chunked, 1, false), 400);   /* CL with TE */
	assert_int_equal(frame(NULL, 0, chunked, 1, true), 400);  /* TE in 1.0 */
	assert_int_equal(frame(NULL, 0, twice, 2, false), 400);
	assert_int_equal(frame(NULL, 0, twice_list, 1, false), 400);
	assert_int_equal(frame(NULL, 0, blank, 1, false), 400);
}

static void test_framing_unknown_coding(void **state)
{
	(void)state;
	static const char *const x[] = { "xchunked" }, *const gz[] = { "gzip, chunked" },
	                         *const split[] = { "gzip", "chunked" },
	                         *const param[] = { "chunked;ext=1" },
	                         *const id[] = { "identity" };
	assert_int_equal(frame(NULL, 0, x, 1, false), 501);
	assert_int_equal(frame(NULL, 0, gz, 1, false), 501);
	assert_int_equal(frame(NULL, 0, split, 2, false), 501);
	assert_int_equal(frame(NULL, 0, param, 1, false), 501);
	assert_int_equal(frame(NULL, 0, id, 1, false), 501);
}

static void expect_path(const char *target, const char *want)
{
	char *p = (char *)"unset";
	assert_int_equal(http_parse_target(target, &p), 0);
	if (want == NULL) {
		assert_null(p);
		return;
	}
	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
}

static void test_target(void **state)
{
	(void)state;
	/* origin-form: used as it is */
	expect_path("/nic/update", NULL);
	expect_path("*", NULL);
	expect_path("/dynamicdns/update/a.example.com/", NULL);
	/* absolute-form: its path */
	expect_path("http://ddns.example/dynamicdns/update/a.example.com/",
	            "/dynamicdns/update/a.example.com/");
	expect_path("HTTPS://ddns.example:8443/nic/update", "/nic/update");
	expect_path("http://user:pw@[2001:db8::1]:80/nic/update", "/nic/update");
	expect_path("http://ddns.example", "/");
	expect_path("http://ddns.example/a/../nic/update", "/a/../nic/update");
	/* absolute-form that is not an http URL */
	char *p = NULL;
	assert_int_equal(http_parse_target("ftp://ddns.example/nic/update", &p), -EINVAL);
	assert_null(p);
	assert_int_equal(http_parse_target("http:", &p), -EINVAL);
	assert_int_equal(http_parse_target("mailto:x@example.com", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_accepted),
		cmocka_unit_test(test_framing_refused),
		cmocka_unit_test(test_framing_unknown_coding),
		cmocka_unit_test(test_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
