/*
 * hetzner.so against mock_hetzner.py (the Hetzner Cloud API's zones, RRsets
 * and actions), through the mock host (the daemon's real HTTP client on a
 * libuv loop).
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
	(void)state;
	return pf_group_setup("mock_hetzner.py", "value");
}

static int setup(void **state)
{
	fixture_t *f = pf_new("hetzner");

	mock_host_set(f->mh, "token", "hz-good-token");
	mock_host_set(f->mh, "api_url", pf_api.url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	pf_free(*state, "hz-good-token");
	return 0;
}

/* The zone found by walking, the RRset read, its records set and the action
 * polled until it succeeded: only then is the update confirmed. */
static void test_update_existing(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_string_equal(f->msg, "hetzner: A a.example.com -> 203.0.113.7 (action 9000)");
	pf_assert_data("example.com", "a", "A", "203.0.113.7");
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v1/zones"), 3); /* 2 walk + rrset */
	assert_int_equal(mock_api_count(&pf_api, "POST", "/rrsets/a/A/actions/set_records"), 1);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v1/actions/9000"), 1);
	json_t *reqs = mock_api_get(&pf_api, "/_requests");
	json_t *set = json_array_get(reqs, 3);
	assert_string_equal(json_string_value(json_object_get(set, "body")),
	                    "{\"records\":[{\"value\":\"203.0.113.7\"}]}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(set, "headers"),
	                                                      "authorization")),
	                    "Bearer hz-good-token");
	json_decref(reqs);
	/* The zone is remembered: the second update asks no zone question. */
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 10000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v1/zones"), 4);
}

static void test_unchanged_and_apex(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "zone", "example.com");
	pf_create(f);
	assert_int_equal(pf_update(f, "www.example.com", "192.0.2.2", NULL, 10000), DDNS_OK);
	assert_string_equal(f->msg, "hetzner: A www.example.com already 192.0.2.2");
	assert_int_equal(mock_api_count(&pf_api, "POST", NULL), 0);
	/* The apex is "@". */
	assert_int_equal(pf_update(f, "example.com", "198.51.100.1", NULL, 10000), DDNS_OK);
	pf_assert_data("example.com", "@", "A", "198.51.100.1");
}

static void test_create_dual_stack_with_ttl(void **state)
{
	fixture_t *f = *state;

	mock_host_set_bool(f->mh, "create", true);
	mock_host_set_int(f->mh, "ttl", 300);
	pf_create(f);
	assert_int_equal(pf_update(f, "new.example.com", "203.0.113.20", "2001:db8::20", 10000),
	                 DDNS_OK);
	assert_non_null(strstr(f->msg, "A new.example.com -> 203.0.113.20 (created, action"));
	assert_non_null(strstr(f->msg, "AAAA new.example.com -> 2001:db8::20 (created, action"));
	pf_assert_data("example.com", "new", "A", "203.0.113.20");
	pf_assert_data("example.com", "new", "AAAA", "2001:db8::20");
	json_t *reqs = mock_api_get(&pf_api, "/_requests");
	bool saw = false;
	json_t *r;
	size_t i;
	json_array_foreach(reqs, i, r) {
		const char *body = json_string_value(json_object_get(r, "body"));
		if (strstr(body, "\"name\":\"new\",\"type\":\"A\"") != NULL) {
			assert_non_null(strstr(body, "\"ttl\":300"));
			saw = true;
		}
	}
	assert_true(saw);
	json_decref(reqs);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v1/zones/example.com/rrsets"), 2);
}

static void test_missing_not_created(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "nope.example.com", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no A record nope.example.com in zone example.com"));
	assert_int_equal(mock_api_count(&pf_api, "POST", NULL), 0);
}

static void test_ttl_only(void **state)
{
	fixture_t *f = *state;

	mock_host_set_int(f->mh, "ttl", 600);
	pf_create_with(f, "{}", "example.com");
	assert_int_equal(pf_update(f, "www.example.com", "192.0.2.2", NULL, 10000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/actions/set_records"), 0);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/actions/change_ttl"), 1);
	assert_non_null(strstr(f->msg, "TTL 600"));
}

/* An action that ends in "error": nothing is claimed, the API's words are. */
static void test_action_fails(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"action_fail\":1}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EPROVIDER);
	assert_non_null(strstr(f->msg, "action 9000 failed: the DNS backend refused it "
	                       "(action_failed)"));
	pf_assert_data("example.com", "a", "A", "192.0.2.10");
}

/* An action still running at the deadline: the update times out, polls
 * growing apart, and the record is not claimed. */
static void test_action_past_deadline(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"action_polls\":100}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 2000), DDNS_ETIMEOUT);
	assert_non_null(strstr(f->msg, "Hetzner action"));
	/* 500 + 1000 ms fit in 2 s, the 2 s wait after them does not */
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v1/actions/"), 2);
	pf_assert_data("example.com", "a", "A", "192.0.2.10");
}

static void test_bad_token(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "token", "hz-wrong-token");
	pf_create_with(f, "{}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "unable to authenticate"));
	assert_null(strstr(mock_host_logs(f->mh), "hz-wrong-token"));
}

static void test_rate_limit_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":1,\"match\":\"set_records\"}",
	               "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/actions/set_records"), 2);
	pf_assert_data("example.com", "a", "A", "203.0.113.7");
}

static void test_secondary_zone(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"secondary\":[\"example.com\"]}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EPROVIDER);
	assert_non_null(strstr(f->msg, "zone is not in primary mode"));
}

static void test_no_zone(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.org", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no zone of this Hetzner project holds a.example.org"));
}

static void test_old_api_token_refused(void **state)
{
	fixture_t *f = *state;
	void *inst = NULL;

	mock_host_set(f->mh, "api_token", "old-dns-console-token");
	assert_int_equal(mock_host_create_unchecked(f->mh, &inst), DDNS_ECONFIG);
	assert_null(inst);
	assert_non_null(strstr(mock_host_error(f->mh), "retired"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_and_apex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_dual_stack_with_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_not_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_past_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secondary_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_api_token_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, pf_group_teardown);
}
