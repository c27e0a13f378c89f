/*
 * rackspace.so against mock_rackspace.py (identity + Cloud DNS with async
 * jobs), through the mock host (the daemon's real HTTP client on libuv).
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
	return pf_group_setup("mock_rackspace.py", "data");
}

static int setup(void **state)
{
	fixture_t *f = pf_new("rackspace");
	char url[128];

	mock_host_set(f->mh, "username", "rsuser");
	mock_host_set(f->mh, "api_key", "rs-good-key");
	snprintf(url, sizeof(url), "%s/v2.0", pf_api.url);
	mock_host_set(f->mh, "identity_url", url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	pf_free(*state, "rs-good-key");
	return 0;
}

/* Requests answered with this status. */
static size_t count_status(long status)
{
	json_t *reqs = mock_api_get(&pf_api, "/_requests"), *r;
	size_t i, n = 0;

	json_array_foreach(reqs, i, r)
		n += json_integer_value(json_object_get(r, "status")) == status;
	json_decref(reqs);
	return n;
}

static void test_update_existing(void **state)
{
	fixture_t *f = *state;
	json_t *reqs, *r;
	size_t i;
	int puts = 0;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_non_null(strstr(f->msg, "rackspace: A a.example.com -> 203.0.113.7 (record A-68177"));
	assert_non_null(strstr(f->msg, "COMPLETED)"));
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 1);
	/* One RUNNING poll (202), then COMPLETED. */
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v1.0/110011/status/"), 2);
	reqs = mock_api_get(&pf_api, "/_requests");
	json_array_foreach(reqs, i, r) {
		json_t *h = json_object_get(r, "headers");
		if (strcmp(json_string_value(json_object_get(r, "path")), "/v2.0/tokens") == 0)
			continue;
		assert_non_null(json_object_get(h, "x-auth-token"));
		assert_string_equal(json_string_value(json_object_get(h, "accept")), "application/json");
		if (strcmp(json_string_value(json_object_get(r, "method")), "PUT") == 0) {
			puts++;
			assert_string_equal(json_string_value(json_object_get(r, "body")),
			                    "{\"name\":\"a.example.com\",\"data\":\"203.0.113.7\"}");
		}
	}
	json_decref(reqs);
	assert_int_equal(puts, 1);
	/* The token and the domain id are cached. */
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 1);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v1.0/110011/domains"), 4);
}

static void test_record_on_page_2(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"page_size\":2,\"ignore_filters\":true}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.9", NULL, 15000), DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.9");
	assert_true(mock_api_count(&pf_api, "GET", "/records") >= 2);
}

static void test_create_allowed(void **state)
{
	fixture_t *f = *state;

	mock_host_set_bool(f->mh, "create", true);
	mock_host_set_int(f->mh, "ttl", 300);
	pf_create(f);
	assert_int_equal(pf_update(f, "new.example.com", NULL, "2001:db8::20", 15000), DDNS_OK);
	assert_non_null(strstr(f->msg, "AAAA new.example.com -> 2001:db8::20 (created record AAAA-"));
	pf_assert_data("example.com", "new.example.com", "AAAA", "2001:db8::20");
	assert_int_equal(mock_api_count(&pf_api, "POST", "/records"), 1);
}

static void test_missing_not_created(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "nope.example.com", "203.0.113.20", NULL, 15000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no A record nope.example.com in domain example.com"));
	assert_int_equal(mock_api_count(&pf_api, "POST", "/records"), 0);
}

static void test_bad_credentials(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "api_key", "rs-wrong-key");
	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "Username or api key is invalid."));
	assert_null(strstr(mock_host_logs(f->mh), "rs-wrong-key"));
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 1);
}

static void test_rate_limit_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":1,"
	                  "\"match\":\"PUT\"}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(count_status(413), 1);
	assert_int_equal(mock_api_count(&pf_api, "PUT", NULL), 2);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
}

static void test_rate_limit_past_deadline(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":60,"
	                  "\"match\":\"PUT\"}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 5000), DDNS_ERATELIMIT);
	assert_non_null(strstr(f->msg, "OverLimit Retry..."));
	assert_non_null(strstr(f->msg, "past the update's deadline"));
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
}

static void test_500_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"error500\":1,\"match\":\"/status/\"}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(count_status(500), 1);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
}

static void test_timeout(void **state)
{
	fixture_t *f = *state;

	/* The job stays RUNNING: polling ends at the deadline. */
	pf_create_with(f, "{\"job_polls\":1000}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 3000), DDNS_ETIMEOUT);
	assert_true(mock_api_count(&pf_api, "GET", "/status/") >= 2);
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
}

static void test_malformed_json(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"malformed\":1,\"match\":\"/records\"}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_EBADREPLY);
	assert_non_null(strstr(f->msg, "expected {\"records\": [...]}"));
}

static void test_job_error(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"job_error\":\"Record with the same name "
	                  "and data already exists.\"}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_EPROVIDER);
	assert_non_null(strstr(f->msg, "ended in ERROR: Record with the same name and data "
	                              "already exists."));
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
}

static void test_token_expiry_between_updates(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	/* Every token issued so far is revoked: the next call gets 401. */
	assert_int_equal(mock_api_control(&pf_api, "{\"expire_tokens\":true}"), 200);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 15000), DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.8");
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 2);
	assert_int_equal(count_status(401), 1);
}

static void test_token_renewed_before_expires(void **state)
{
	fixture_t *f = *state;

	/* Tokens that expire within the renewal margin are not reused. */
	pf_create_with(f, "{\"token_ttl\":120}", NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 2);
	assert_int_equal(count_status(401), 0);
}

/* A token revoked during each family of a dual-stack update: each call may
 * renew it once, so both families go through (it used to be once per update). */
static void test_token_revoked_in_each_family(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"revoke_on\":[\"type=A&\",\"type=AAAA&\"]}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.71", "2001:db8::71", 20000),
	                 DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.71");
	pf_assert_data("example.com", "a.example.com", "AAAA", "2001:db8::71");
	assert_int_equal(count_status(401), 2);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 3);
}

/* A token that expires while the update's job is polled is renewed before
 * the next call, not sent and refused. */
static void test_token_renewed_mid_update(void **state)
{
	fixture_t *f = *state;

	/* a 4 s token; polls at 0.5, 1.5 ... 5.5 s */
	pf_create_with(f, "{\"token_ttl\":4,\"job_polls\":6}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.72", NULL, 20000), DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.72");
	assert_int_equal(count_status(401), 0);
	assert_true(mock_api_count(&pf_api, "POST", "/v2.0/tokens") >= 2);
}

/* The domain search includes subdomains, 100 to a page: with 150 of them
 * the zone itself is on page 2, reached through rel "next". */
static void test_domain_on_page_2(void **state)
{
	fixture_t *f = *state;
	char ctl[8192] = "{\"domains\":[";

	for (int i = 0; i < 150; i++)
		snprintf(ctl + strlen(ctl), sizeof(ctl) - strlen(ctl), "%s\"s%03d.example.com\"",
		         i ? "," : "", i);
	strcat(ctl, "]}");
	pf_create_with(f, ctl, NULL);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.73", NULL, 15000), DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.73");
	assert_int_equal(mock_api_count(&pf_api, "GET", "/domains"), 4);
}

static void test_ipv6_and_both(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.70", "2001:db8::70", 20000), DDNS_OK);
	assert_non_null(strstr(f->msg, "rackspace: A a.example.com -> 203.0.113.70"));
	assert_non_null(strstr(f->msg, "; AAAA a.example.com -> 2001:db8::70 (record AAAA-"));
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.70");
	pf_assert_data("example.com", "a.example.com", "AAAA", "2001:db8::70");
}

static void test_concurrent_share_one_token(void **state)
{
	fixture_t *f = *state;
	mock_update_t ups[] = {
		{ .name = "a.example.com", .ipv4 = "203.0.113.1" },
		{ .name = "www.example.com", .ipv4 = "203.0.113.2" },
		{ .name = "example.com", .ipv4 = "203.0.113.3" },
		{ .name = "a.example.com.", .ipv6 = "2001:db8::3" },
		{ .name = "nope.example.com", .ipv4 = "203.0.113.4" },
	};

	ups[3].name = "a.example.com"; /* same record, other family: still one token */
	pf_create(f);
	mock_host_update_many(f->mh, f->inst, ups, 5, 20000);
	assert_int_equal(ups[0].result, DDNS_OK);
	assert_int_equal(ups[1].result, DDNS_OK);
	assert_int_equal(ups[2].result, DDNS_OK);
	assert_int_equal(ups[3].result, DDNS_OK);
	assert_int_equal(ups[4].result, DDNS_ENOTFOUND);
	/* Five updates that all needed a token: the identity service was asked once. */
	assert_int_equal(mock_api_count(&pf_api, "POST", "/v2.0/tokens"), 1);
	pf_assert_data("example.com", "www.example.com", "A", "203.0.113.2");
	pf_assert_data("example.com", "example.com", "A", "203.0.113.3");
	pf_assert_data("example.com", "a.example.com", "AAAA", "2001:db8::3");
}

static void test_concurrent_bad_credentials(void **state)
{
	fixture_t *f = *state;
	mock_update_t ups[3] = {
		{ .name = "a.example.com", .ipv4 = "203.0.113.1" },
		{ .name = "www.example.com", .ipv4 = "203.0.113.2" },
		{ .name = "example.com", .ipv4 = "203.0.113.3" },
	};

	mock_host_set(f->mh, "api_key", "rs-wrong-key");
	pf_create(f);
	mock_host_update_many(f->mh, f->inst, ups, 3, 20000);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ups[i].result, DDNS_EAUTH);
		assert_non_null(strstr(ups[i].msg, "Username or api key is invalid."));
	}
}

static void test_ttl_minimum(void **state)
{
	fixture_t *f = *state;
	void *inst = NULL;

	mock_host_set_int(f->mh, "ttl", 60);
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_non_null(strstr(mock_host_error(f->mh), "ttl: 60 is out of range"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_on_page_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_not_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_past_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_expiry_between_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_renewed_before_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_and_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_revoked_in_each_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_renewed_mid_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domain_on_page_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_share_one_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_bad_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_minimum, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, pf_group_teardown);
}
