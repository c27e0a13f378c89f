/*
 * sdk/rest (libddnsrest): zone candidates, relative names, URL escaping, the
 * retry policy's reading of rate-limit replies, ISO 8601 times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <ddns/rest/json.h>
#include <ddns/rest/name.h>
#include <ddns/rest/retry.h>
#include <ddns/rest/url.h>

static void test_zone_candidates(void **state)
{
	const char *n = "a.home.example.co.uk";

	assert_string_equal(rest_zone_candidate(n, 0), "a.home.example.co.uk");
	assert_string_equal(rest_zone_candidate(n, 1), "home.example.co.uk");
	assert_string_equal(rest_zone_candidate(n, 2), "example.co.uk");
	assert_string_equal(rest_zone_candidate(n, 3), "co.uk");
	assert_null(rest_zone_candidate(n, 4)); /* never a bare TLD */
	assert_null(rest_zone_candidate("localhost", 0));
}

static void test_relative_names(void **state)
{
	char out[64];

	assert_true(rest_name_in_zone("a.example.com", "example.com"));
	assert_true(rest_name_in_zone("EXAMPLE.com", "example.com"));
	assert_false(rest_name_in_zone("aexample.com", "example.com"));
	assert_false(rest_name_in_zone("example.org", "example.com"));
	assert_int_equal(rest_name_relative("example.com", "example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "@");
	assert_int_equal(rest_name_relative("a.b.example.com", "example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "a.b");
	assert_int_equal(rest_name_relative("a.example.org", "example.com", out, sizeof(out)), -EINVAL);
	assert_int_equal(rest_name_absolute("@", "example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(rest_name_absolute("WWW", "example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "www.example.com");
	assert_int_equal(rest_name_absolute("a.example.com.", "example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "a.example.com");
	assert_int_equal(rest_name_absolute("a.example.com", "example.com", out, sizeof(out)), 0);
	assert_string_equal(out, "a.example.com");
	assert_int_equal(rest_name_absolute("x", "example.com", out, 5), -ENAMETOOLONG);
}

static void test_url_escape(void **state)
{
	char out[32];

	assert_int_equal(rest_url_escape("a-b_c.d~e", out, sizeof(out)), 0);
	assert_string_equal(out, "a-b_c.d~e");
	assert_int_equal(rest_url_escape("a b&c=/", out, sizeof(out)), 0);
	assert_string_equal(out, "a%20b%26c%3D%2F");
	assert_int_equal(rest_url_escape("&&&&", out, 12), -ENAMETOOLONG);
}

static ddns_http_response_t reply(long status, const char *name, const char *value,
                                  const char *body)
{
	static const char *names[1], *values[1];

	names[0] = name;
	values[0] = value;
	return (ddns_http_response_t){ .status = status, .body = body, .body_len = strlen(body),
	                               .n_headers = name ? 1 : 0, .header_names = names,
	                               .header_values = values };
}

static void test_retry_waits(void **state)
{
	const rest_policy_t p = { .max_attempts = 4, .backoff_ms = 250, .default_wait_ms = 1000,
	                        .rate_limit_413 = true };
	const rest_policy_t no413 = { .max_attempts = 4, .backoff_ms = 250, .default_wait_ms = 1000 };
	time_t now = 1416866700; /* 2014-11-24T22:05:00Z */
	ddns_http_response_t r;

	r = reply(429, "retry-after", "7", "");
	assert_int_equal(rest_retry_classify(&p, &r), REST_REPLY_RATELIMIT);
	assert_int_equal(rest_retry_wait_ms(&p, &r, now), 7000);
	r = reply(429, "Retry-After", "Mon, 24 Nov 2014 22:05:30 GMT", "");
	assert_int_equal(rest_retry_wait_ms(&p, &r, now), 30000);
	r = reply(429, "ratelimit-reset", "1416866710", "");
	assert_int_equal(rest_retry_wait_ms(&p, &r, now), 10000);
	r = reply(413, NULL, NULL, "{\"overLimit\":{\"code\":413,\"message\":\"OverLimit Retry...\","
	          "\"retryAfter\":\"2014-11-24T22:05:39.115Z\"}}");
	assert_int_equal(rest_retry_classify(&p, &r), REST_REPLY_RATELIMIT);
	assert_int_equal(rest_retry_classify(&no413, &r), REST_REPLY_FINAL);
	assert_int_equal(rest_retry_wait_ms(&p, &r, now), 39000);
	r = reply(429, NULL, NULL, "");
	assert_int_equal(rest_retry_wait_ms(&p, &r, now), 1000);
	r = reply(503, NULL, NULL, "");
	assert_int_equal(rest_retry_classify(&p, &r), REST_REPLY_TRANSIENT);
	r = reply(404, NULL, NULL, "");
	assert_int_equal(rest_retry_classify(&p, &r), REST_REPLY_FINAL);
	r = (ddns_http_response_t){ .error = -ECONNREFUSED, .body = "" };
	assert_int_equal(rest_retry_classify(&p, &r), REST_REPLY_TRANSIENT);
	assert_int_equal(rest_retry_backoff_ms(&p, 1), 250);
	assert_int_equal(rest_retry_backoff_ms(&p, 3), 1000);
}

static void test_iso8601(void **state)
{
	time_t t;

	assert_int_equal(rest_parse_iso8601("2014-11-24T22:05:39.115Z", &t), 0);
	assert_int_equal(t, 1416866739);
	assert_int_equal(rest_parse_iso8601("2014-11-24T22:05:39+00:00", &t), 0);
	assert_int_equal(t, 1416866739);
	assert_int_equal(rest_parse_iso8601("2014-11-24T16:05:39.115-06:00", &t), 0);
	assert_int_equal(t, 1416866739);
	assert_int_equal(rest_parse_iso8601("2014-11-25T00:05:39+02:00", &t), 0);
	assert_int_equal(t, 1416866739);
	assert_int_equal(rest_parse_iso8601("2014-11-24T22:05:39+2", &t), -EINVAL);
	assert_int_equal(rest_parse_iso8601("2014-11-24T22:05:39Zjunk", &t), -EINVAL);
	assert_int_equal(rest_parse_iso8601("yesterday", &t), -EINVAL);
}

/* A URL from a reply gets the token only when it really is under api_url:
 * text prefixes, user-info tricks and look-alike hosts do not pass. */
static void test_url_under(void **state)
{
	(void)state;
	const char *base = "https://api.digitalocean.com";
	assert_true(rest_url_under(base, "https://api.digitalocean.com/v2/domains?page=2"));
	assert_true(rest_url_under(base, "HTTPS://API.DigitalOcean.com:443/v2/x"));
	assert_true(rest_url_under("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/x?a=b"));
	assert_true(rest_url_under("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"));
	assert_false(rest_url_under(base, "https://api.digitalocean.com.evil.example/v2/x"));
	assert_false(rest_url_under(base, "https://api.digitalocean.com@evil.example/v2/x"));
	assert_false(rest_url_under("http://127.0.0.1:8080", "http://127.0.0.1:8080@evil:8080/v2"));
	assert_false(rest_url_under("http://127.0.0.1:8080", "http://u:p@127.0.0.1:8080/v2"));
	assert_false(rest_url_under(base, "http://api.digitalocean.com/v2/x"));
	assert_false(rest_url_under(base, "https://api.digitalocean.com:8443/v2/x"));
	assert_false(rest_url_under("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1x/y"));
	assert_false(rest_url_under("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v2"));
	assert_false(rest_url_under(base, "not a url"));
	assert_false(rest_url_under(base, "/v2/relative"));
	assert_false(rest_url_under(base, NULL));
	assert_false(rest_url_under(NULL, base));
}

static void test_api_messages(void **state)
{
	char out[128];
	ddns_http_response_t r;

	r = reply(401, NULL, NULL, "{\"id\":\"unauthorized\",\"message\":\"Unable to authenticate you\"}");
	assert_string_equal(rest_api_message(&r, out, sizeof(out)), "Unable to authenticate you");
	r = reply(403, NULL, NULL, "{\"success\":false,\"errors\":[{\"code\":10000,"
	          "\"message\":\"Authentication error\"}]}");
	assert_string_equal(rest_api_message(&r, out, sizeof(out)), "Authentication error (code 10000)");
	r = reply(401, NULL, NULL, "{\"unauthorized\":{\"code\":401,\"message\":\"Username or api "
	          "key is invalid.\"}}");
	assert_string_equal(rest_api_message(&r, out, sizeof(out)),
	                        "Username or api key is invalid. (code 401)");
	r = reply(502, NULL, NULL, "<html>Bad gateway</html>\nmore");
	assert_string_equal(rest_api_message(&r, out, sizeof(out)), "<html>Bad gateway</html>");
	r = reply(500, NULL, NULL, "");
	assert_string_equal(rest_api_message(&r, out, sizeof(out)), "HTTP 500 with no message");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_candidates),
		cmocka_unit_test(test_relative_names),
		cmocka_unit_test(test_url_escape),
		cmocka_unit_test(test_retry_waits),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_api_messages),
		cmocka_unit_test(test_url_under),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
