/*
 * cloudflare.so against mock_cloudflare.py, through the mock host (the
 * daemon's real HTTP client on a libuv loop).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"

static int group_setup(void **state)
{
	return pf_group_setup("mock_cloudflare.py", "content");
}

static int setup(void **state)
{
	fixture_t *f = pf_new("cloudflare");
	char url[128];

	mock_host_set(f->mh, "token", "cf-good-token");
	snprintf(url, sizeof(url), "%s/client/v4", pf_api.url);
	mock_host_set(f->mh, "api_url", url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	pf_free(*state, "cf-good-token");
	return 0;
}

static void test_update_existing(void **state)
{
	fixture_t *f = *state;
	json_t *reqs, *last;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "cloudflare: A a.example.com -> 203.0.113.7 (record "));
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
	/* The zone was found by walking up: a.example.com, then example.com. */
	assert_int_equal(mock_api_count(&pf_api, "GET", "/client/v4/zones"), 3);
	reqs = mock_api_get(&pf_api, "/_requests");
	last = json_array_get(reqs, json_array_size(reqs) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "method")), "PATCH");
	assert_string_equal(json_string_value(json_object_get(json_object_get(last, "headers"),
	                                                      "authorization")),
	                    "Bearer cf-good-token");
	assert_string_equal(json_string_value(json_object_get(json_object_get(last, "headers"),
	                                                      "content-type")),
	                    "application/json");
	assert_string_equal(json_string_value(json_object_get(last, "body")),
	                    "{\"content\":\"203.0.113.7\"}");
	json_decref(reqs);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 10000), DDNS_OK);
	/* Cached: no more zone questions. */
	assert_int_equal(mock_api_count(&pf_api, "GET", "/client/v4/zones"), 4);
}

static void test_record_on_page_2(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"page_size\":2,\"ignore_filters\":true}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.9", NULL, 10000), DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.9");
	assert_true(mock_api_count(&pf_api, "GET", "/dns_records") >= 2);
}

static void test_create_allowed(void **state)
{
	fixture_t *f = *state;
	json_t *reqs, *last;

	mock_host_set_bool(f->mh, "create", true);
	mock_host_set(f->mh, "zone", "example.com");
	pf_create(f);
	assert_int_equal(pf_update(f, "new.example.com", "203.0.113.20", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "A new.example.com -> 203.0.113.20 (created record "));
	pf_assert_data("example.com", "new.example.com", "A", "203.0.113.20");
	reqs = mock_api_get(&pf_api, "/_requests");
	last = json_array_get(reqs, json_array_size(reqs) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "body")),
	                    "{\"type\":\"A\",\"name\":\"new.example.com\",\"content\":"
	                    "\"203.0.113.20\",\"ttl\":1,\"proxied\":false}");
	json_decref(reqs);
}

/* A create whose reply is lost (carried out, answered 502): the plugin
 * lists again instead of creating twice, and finds the record there. */
static void test_create_reply_lost(void **state)
{
	fixture_t *f = *state;

	mock_host_set_bool(f->mh, "create", true);
	pf_create_with(f, "{\"lose_reply\":1,\"match\":\"POST\"}", "example.com");
	assert_int_equal(pf_update(f, "new.example.com", "203.0.113.20", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "already 203.0.113.20"));
	assert_int_equal(mock_api_count(&pf_api, "POST", NULL), 1);
	assert_int_equal(pf_count_records("example.com", "new.example.com", "A"), 1);
}

static void test_missing_not_created(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "zone", "example.com");
	pf_create(f);
	assert_int_equal(pf_update(f, "nope.example.com", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no A record nope.example.com in zone example.com"));
	assert_int_equal(mock_api_count(&pf_api, "POST", NULL), 0);
}

static void test_deeper_zone(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"add\":[{\"zone\":\"home.example.co.uk\","
	                  "\"name\":\"a.home.example.co.uk\",\"type\":\"A\",\"data\":\"192.0.2.5\"}]}",
	               NULL);
	assert_int_equal(pf_update(f, "a.home.example.co.uk", "203.0.113.5", NULL, 10000), DDNS_OK);
	pf_assert_data("home.example.co.uk", "a.home.example.co.uk", "A", "203.0.113.5");
}

static void test_bad_credentials(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "token", "cf-wrong-token");
	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "Authentication error (code 10000)"));
	assert_null(strstr(mock_host_logs(f->mh), "cf-wrong-token"));
}

static void test_rate_limit_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":1,"
	                  "\"match\":\"PATCH\"}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "PATCH", NULL), 2);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
}

static void test_rate_limit_past_deadline(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":60}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 5000), DDNS_ERATELIMIT);
	assert_non_null(strstr(f->msg, "consider throttling"));
	assert_non_null(strstr(f->msg, "past the update's deadline"));
}

static void test_500_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"error500\":1,\"match\":\"PATCH\"}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "PATCH", NULL), 2);
}

static void test_timeout(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"delay_ms\":4000,\"delay_count\":1}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 1500), DDNS_ETIMEOUT);
}

static void test_malformed_json(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"malformed\":1,\"match\":\"dns_records\"}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EBADREPLY);
	assert_non_null(strstr(f->msg, "expected {\"success\": true, \"result\": ...}"));
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
}

static void test_ipv6_and_both(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", NULL, "2001:db8::7", 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "cloudflare: AAAA a.example.com -> 2001:db8::7"));
	pf_assert_data("example.com", "a.example.com", "AAAA", "2001:db8::7");
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.70", "2001:db8::70", 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "A a.example.com -> 203.0.113.70"));
	assert_non_null(strstr(f->msg, "; AAAA a.example.com -> 2001:db8::70"));
}

static void test_bad_ttl_refused(void **state)
{
	fixture_t *f = *state;
	void *inst = NULL;

	mock_host_set_int(f->mh, "ttl", 30);
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_non_null(strstr(mock_host_error(f->mh), "ttl: "));
}

static void test_bad_token_refused(void **state)
{
	fixture_t *f = *state;
	void *inst = NULL;

	/* An empty token is refused with where to get one. */
	mock_host_set(f->mh, "token", "");
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_null(inst);
	assert_non_null(strstr(mock_host_error(f->mh), "token: a Cloudflare API token is required"));
	/* One that would split the Authorization header line is refused too. */
	mock_host_set(f->mh, "token", "cf-good-token\r\nX-Injected: 1");
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_null(inst);
	assert_string_equal(mock_host_error(f->mh), "token: must not contain spaces or line breaks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_on_page_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_reply_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_not_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deeper_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_past_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_and_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ttl_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_token_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, pf_group_teardown);
}
