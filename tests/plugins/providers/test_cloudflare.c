/*
 * cloudflare.so against mock_cloudflare.py, through the mock host (the
 * daemon's real HTTP client on a libuv loop).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_api.h"
#include "mock_host.h"

static mock_api_t api;

typedef struct fixture {
	mock_host_t *mh;
	const ddns_plugin_t *plugin;
	void *inst;
	char msg[2048];
} fixture_t;

static int group_setup(void **state)
{
	return mock_api_start(&api, "mock_cloudflare.py");
}

static int group_teardown(void **state)
{
	mock_api_stop(&api);
	return 0;
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	char url[128];

	assert_int_equal(mock_api_control(&api, "{\"reset\":true,\"clear_requests\":true}"), 200);
	assert_int_equal(mock_host_new(&f->mh), 0);
	f->plugin = mock_host_load(f->mh, "cloudflare");
	assert_non_null(f->plugin);
	mock_host_set(f->mh, "token", "cf-good-token");
	snprintf(url, sizeof(url), "%s/client/v4", api.url);
	mock_host_set(f->mh, "api_url", url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;

	if (f->inst)
		mock_host_destroy(f->mh, f->inst);
	assert_null(strstr(mock_host_logs(f->mh), "cf-good-token"));
	assert_int_equal(mock_host_free(f->mh), 0);
	free(f);
	return 0;
}

static void create(fixture_t *f)
{
	assert_int_equal(mock_host_create(f->mh, &f->inst), 0);
}

static int update(fixture_t *f, const char *name, const char *v4, const char *v6,
                  uint32_t timeout_ms)
{
	return mock_host_update(f->mh, f->inst, name, v4, v6, timeout_ms, f->msg, sizeof(f->msg));
}

/* The content of the record of this name and type in the mock, or NULL. */
static void assert_mock_data(const char *zone, const char *name, const char *type,
                             const char *want)
{
	json_t *st = mock_api_get(&api, "/_state"), *r;
	json_t *recs = json_object_get(json_object_get(st, "zones"), zone);
	const char *got = NULL;
	size_t i;

	json_array_foreach(recs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(r, "type")), type) == 0)
			got = json_string_value(json_object_get(r, "content"));
	}
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got ? got : "(none)", want);
	json_decref(st);
}

static void test_update_existing(void **state)
{
	fixture_t *f = *state;
	json_t *reqs, *last;

	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "cloudflare: A a.example.com -> 203.0.113.7 (record "));
	assert_mock_data("example.com", "a.example.com", "A", "203.0.113.7");
	/* The zone was found by walking up: a.example.com, then example.com. */
	assert_int_equal(mock_api_count(&api, "GET", "/client/v4/zones"), 3);
	reqs = mock_api_get(&api, "/_requests");
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
	assert_int_equal(update(f, "a.example.com", "203.0.113.8", NULL, 10000), DDNS_OK);
	/* Cached: no more zone questions. */
	assert_int_equal(mock_api_count(&api, "GET", "/client/v4/zones"), 4);
}

static void test_record_on_page_2(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"page_size\":2,\"ignore_filters\":true}"), 200);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.9", NULL, 10000), DDNS_OK);
	assert_mock_data("example.com", "a.example.com", "A", "203.0.113.9");
	assert_true(mock_api_count(&api, "GET", "/dns_records") >= 2);
}

static void test_create_allowed(void **state)
{
	fixture_t *f = *state;
	json_t *reqs, *last;

	mock_host_set_bool(f->mh, "create", true);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "new.example.com", "203.0.113.20", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "A new.example.com -> 203.0.113.20 (created record "));
	assert_mock_data("example.com", "new.example.com", "A", "203.0.113.20");
	reqs = mock_api_get(&api, "/_requests");
	last = json_array_get(reqs, json_array_size(reqs) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "body")),
	                    "{\"type\":\"A\",\"name\":\"new.example.com\",\"content\":"
	                    "\"203.0.113.20\",\"ttl\":1,\"proxied\":false}");
	json_decref(reqs);
}

static void test_missing_not_created(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "nope.example.com", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no A record nope.example.com in zone example.com"));
	assert_int_equal(mock_api_count(&api, "POST", NULL), 0);
}

static void test_deeper_zone(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"add\":[{\"zone\":\"home.example.co.uk\","
	                 "\"name\":\"a.home.example.co.uk\",\"type\":\"A\",\"data\":\"192.0.2.5\"}]}"),
	                 200);
	create(f);
	assert_int_equal(update(f, "a.home.example.co.uk", "203.0.113.5", NULL, 10000), DDNS_OK);
	assert_mock_data("home.example.co.uk", "a.home.example.co.uk", "A", "203.0.113.5");
}

static void test_bad_credentials(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "token", "cf-wrong-token");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "Authentication error (code 10000)"));
	assert_null(strstr(mock_host_logs(f->mh), "cf-wrong-token"));
}

static void test_rate_limit_then_success(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"ratelimit\":1,\"retry_after\":1,"
	                                        "\"match\":\"PATCH\"}"), 200);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&api, "PATCH", NULL), 2);
	assert_mock_data("example.com", "a.example.com", "A", "203.0.113.7");
}

static void test_rate_limit_past_deadline(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"ratelimit\":1,\"retry_after\":60}"), 200);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 5000), DDNS_ERATELIMIT);
	assert_non_null(strstr(f->msg, "consider throttling"));
	assert_non_null(strstr(f->msg, "past the update's deadline"));
}

static void test_500_then_success(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"error500\":1,\"match\":\"PATCH\"}"), 200);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&api, "PATCH", NULL), 2);
}

static void test_timeout(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"delay_ms\":4000,\"delay_count\":1}"), 200);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 1500), DDNS_ETIMEOUT);
}

static void test_malformed_json(void **state)
{
	fixture_t *f = *state;

	assert_int_equal(mock_api_control(&api, "{\"malformed\":1,\"match\":\"dns_records\"}"),
	                 200);
	mock_host_set(f->mh, "zone", "example.com");
	create(f);
	assert_int_equal(update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EBADREPLY);
	assert_non_null(strstr(f->msg, "expected {\"success\": true, \"result\": ...}"));
	assert_mock_data("example.com", "a.example.com", "A", "192.0.2.10");
}

static void test_ipv6_and_both(void **state)
{
	fixture_t *f = *state;

	create(f);
	assert_int_equal(update(f, "a.example.com", NULL, "2001:db8::7", 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "cloudflare: AAAA a.example.com -> 2001:db8::7"));
	assert_mock_data("example.com", "a.example.com", "AAAA", "2001:db8::7");
	assert_mock_data("example.com", "a.example.com", "A", "192.0.2.10");
	assert_int_equal(update(f, "a.example.com", "203.0.113.70", "2001:db8::70", 10000), DDNS_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_on_page_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_allowed, setup, teardown),
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
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
