/*
 * digitalocean.so against mock_digitalocean.py, through the mock host (the
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
	return pf_group_setup("mock_digitalocean.py", "data");
}

static int setup(void **state)
{
	fixture_t *f = pf_new("digitalocean");

	mock_host_set(f->mh, "token", "do-good-token");
	mock_host_set(f->mh, "api_url", pf_api.url);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	pf_free(*state, "do-good-token");
	return 0;
}

static void test_update_existing(void **state)
{
	fixture_t *f = *state;
	json_t *reqs, *last;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_string_equal(f->msg, "digitalocean: A a.example.com -> 203.0.113.7 (record 28448438)");
	pf_assert_data("example.com", "a", "A", "203.0.113.7");
	/* Zone found by walking: a.example.com is no domain, example.com is. */
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v2/domains/a.example.com"), 1);
	reqs = mock_api_get(&pf_api, "/_requests");
	last = json_array_get(reqs, json_array_size(reqs) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "method")), "PATCH");
	assert_string_equal(json_string_value(json_object_get(last, "path")),
	                    "/v2/domains/example.com/records/28448438");
	assert_string_equal(json_string_value(json_object_get(json_object_get(last, "headers"),
	                                                      "authorization")),
	                    "Bearer do-good-token");
	assert_string_equal(json_string_value(json_object_get(last, "body")),
	                    "{\"type\":\"A\",\"data\":\"203.0.113.7\"}");
	json_decref(reqs);
	/* The second update of the name asks no zone question again. */
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 10000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/v2/domains/a.example.com"), 1);
}

static void test_apex_and_unchanged(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "zone", "example.com");
	pf_create(f);
	/* The apex is "@" in DigitalOcean's replies. */
	assert_int_equal(pf_update(f, "example.com", "198.51.100.1", NULL, 10000), DDNS_OK);
	pf_assert_data("example.com", "@", "A", "198.51.100.1");
	assert_int_equal(pf_update(f, "www.example.com", "192.0.2.2", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "already 192.0.2.2"));
	assert_int_equal(mock_api_count(&pf_api, "PATCH", NULL), 1);
}

static void test_record_on_page_2(void **state)
{
	fixture_t *f = *state;

	/* Two per page, filters ignored: "a" is on page 4 of the zone. */
	pf_create_with(f, "{\"page_size\":2,\"ignore_filters\":true}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.9", NULL, 10000), DDNS_OK);
	pf_assert_data("example.com", "a", "A", "203.0.113.9");
	assert_true(mock_api_count(&pf_api, "GET", "/records") >= 2);
}

/* A pagination link that only looks like api_url as text (user-info, a
 * look-alike host) is refused before the token goes anywhere. */
static void test_next_link_elsewhere(void **state)
{
	fixture_t *f = *state;
	char ctl[512];
	const char *evil[] = { "@127.0.0.2:1", ".evil.example", ":1" };

	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		char base[256];
		snprintf(base, sizeof(base), "%s%s", pf_api.url, evil[i]);
		snprintf(ctl, sizeof(ctl), "{\"reset\":true,\"clear_requests\":true,\"page_size\":2,\"ignore_filters\":true,"
		         "\"next_base\":\"%s\"}", base);
		assert_int_equal(mock_api_control(&pf_api, ctl), 200);
		if (i == 0)
			pf_create_with(f, "{}", "example.com");
		assert_int_equal(pf_update(f, "a.example.com", "203.0.113.9", NULL, 10000),
		                 DDNS_EBADREPLY);
		assert_non_null(strstr(f->msg, "links.pages.next under the configured api_url"));
		assert_int_equal(mock_api_count(&pf_api, NULL, NULL), 1);
		pf_assert_data("example.com", "a", "A", "192.0.2.10");
	}
}

static void test_create_allowed(void **state)
{
	fixture_t *f = *state;

	mock_host_set_bool(f->mh, "create", true);
	mock_host_set_int(f->mh, "ttl", 60);
	pf_create(f);
	assert_int_equal(pf_update(f, "new.example.com", "203.0.113.20", "2001:db8::20", 10000),
	                 DDNS_OK);
	assert_non_null(strstr(f->msg, "A new.example.com -> 203.0.113.20 (created record"));
	assert_non_null(strstr(f->msg, "AAAA new.example.com -> 2001:db8::20 (created record"));
	pf_assert_data("example.com", "new", "A", "203.0.113.20");
	pf_assert_data("example.com", "new", "AAAA", "2001:db8::20");
	assert_int_equal(mock_api_count(&pf_api, "POST", "/records"), 2);
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
	assert_int_equal(pf_count_records("example.com", "new", "A"), 1);
}

static void test_missing_not_created(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "nope.example.com", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no A record nope.example.com in zone example.com"));
	assert_non_null(strstr(f->msg, "create = true"));
	pf_assert_data("example.com", "nope", "A", NULL);
	assert_int_equal(mock_api_count(&pf_api, "POST", NULL), 0);
}

/* www has an A record and no AAAA: A is changed and said so per type
 * (ddnsd stores it), then AAAA fails the update. */
static void test_a_changed_aaaa_missing(void **state)
{
	fixture_t *f = *state;
	int rr = 1;

	pf_create(f);
	assert_int_equal(pf_update(f, "www.example.com", "203.0.113.40", "2001:db8::40", 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "A www.example.com -> 203.0.113.40"));
	assert_non_null(strstr(f->msg, "no AAAA record www.example.com"));
	assert_true(mock_host_rr(f->mh, DDNS_RR_A, &rr));
	assert_int_equal(rr, DDNS_OK);
	assert_false(mock_host_rr(f->mh, DDNS_RR_AAAA, &rr)); /* update_done's result */
	pf_assert_data("example.com", "www", "A", "203.0.113.40");
	pf_assert_data("example.com", "www", "AAAA", NULL);
	/* A alone: said confirmed as well, the whole a success */
	assert_int_equal(pf_update(f, "www.example.com", "203.0.113.41", NULL, 10000), DDNS_OK);
	assert_true(mock_host_rr(f->mh, DDNS_RR_A, &rr));
	assert_int_equal(rr, DDNS_OK);
}

static void test_no_zone(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.org", "203.0.113.20", NULL, 10000), DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no domain in this DigitalOcean account holds a.example.org"));
}

static void test_bad_credentials(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "token", "do-wrong-token");
	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "Unable to authenticate you"));
	assert_null(strstr(mock_host_logs(f->mh), "do-wrong-token"));
	pf_assert_data("example.com", "a", "A", "192.0.2.10");
}

static void test_rate_limit_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":1,"
	                  "\"match\":\"PATCH\"}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "PATCH", NULL), 2);
	pf_assert_data("example.com", "a", "A", "203.0.113.7");
}

static void test_rate_limit_past_deadline(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":1,\"retry_after\":60}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 5000), DDNS_ERATELIMIT);
	assert_non_null(strstr(f->msg, "rate-limited"));
	assert_non_null(strstr(f->msg, "API Rate limit exceeded"));
	assert_non_null(strstr(f->msg, "past the update's deadline"));
	assert_int_equal(mock_api_count(&pf_api, NULL, NULL), 1);
}

static void test_500_then_success(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"error500\":2}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/records"), 3);
	pf_assert_data("example.com", "a", "A", "203.0.113.7");
}

static void test_500_forever(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"error500\":100}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_EPROVIDER);
	assert_non_null(strstr(f->msg, "Unexpected server-side error"));
	assert_non_null(strstr(f->msg, "gave up after 4 attempts"));
	assert_int_equal(mock_api_count(&pf_api, NULL, NULL), 4);
}

static void test_timeout(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"delay_ms\":4000,\"delay_count\":1}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 1500), DDNS_ETIMEOUT);
	assert_non_null(strstr(f->msg, "digitalocean: "));
}

static void test_malformed_json(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"malformed\":1}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EBADREPLY);
	assert_non_null(strstr(f->msg, "expected {\"domain_records\": [...]}"));
	assert_non_null(strstr(f->msg, "malformed JSON"));
	pf_assert_data("example.com", "a", "A", "192.0.2.10");
}

static void test_ipv6_and_both(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", NULL, "2001:db8::7", 10000), DDNS_OK);
	assert_string_equal(f->msg, "digitalocean: AAAA a.example.com -> 2001:db8::7 (record 28448439)");
	pf_assert_data("example.com", "a", "AAAA", "2001:db8::7");
	pf_assert_data("example.com", "a", "A", "192.0.2.10");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.70", "2001:db8::70", 10000), DDNS_OK);
	assert_string_equal(f->msg, "digitalocean: A a.example.com -> 203.0.113.70 (record 28448438); "
	                    "AAAA a.example.com -> 2001:db8::70 (record 28448439)");
}

static void test_concurrent_updates(void **state)
{
	fixture_t *f = *state;
	char names[20][32], addrs[20][32], add[4096] = "{\"add\":[";
	mock_update_t ups[20];
	json_t *st;

	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d.example.com", i);
		snprintf(addrs[i], sizeof(addrs[i]), "198.51.100.%d", i + 1);
		snprintf(add + strlen(add), sizeof(add) - strlen(add),
		         "%s{\"zone\":\"example.com\",\"name\":\"%s\",\"type\":\"A\",\"data\":\"192.0.2.99\"}",
		         i ? "," : "", names[i]);
		ups[i] = (mock_update_t){ .name = names[i], .ipv4 = addrs[i] };
	}
	strcat(add, "]}");
	assert_int_equal(mock_api_control(&pf_api, add), 200);
	/* Every API call takes 300 ms: one at a time, 20 updates would take 12 s. */
	pf_create_with(f, "{\"delay_ms\":300}", "example.com");
	mock_host_update_many(f->mh, f->inst, ups, 20, 8000);
	st = mock_api_get(&pf_api, "/_state");
	for (int i = 0; i < 20; i++) {
		char rel[16];
		assert_int_equal(ups[i].result, DDNS_OK);
		snprintf(rel, sizeof(rel), "c%d", i);
		assert_string_equal(pf_mock_data(st, "example.com", rel, "A"), addrs[i]);
	}
	json_decref(st);
	assert_int_equal(mock_api_control(&pf_api, "{\"delay_ms\":0}"), 200);
}

static void test_v1_keys_refused(void **state)
{
	fixture_t *f = *state;
	const ddns_option_t *o;
	void *inst = NULL;

	mock_host_set(f->mh, "client_id", "abc");
	mock_host_set(f->mh, "api_key", "def");
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_null(inst);
	assert_non_null(strstr(mock_host_error(f->mh),
	                       "https://cloud.digitalocean.com/account/api/tokens"));
	for (o = f->plugin->options; o->name && strcmp(o->name, "client_id"); o++)
		;
	assert_non_null(o->name);
	assert_true(o->flags & DDNS_OPT_REJECTED);
	/* A host that let the v1 keys through still gets them refused. */
	assert_int_equal(mock_host_create_unchecked(f->mh, &inst), DDNS_ECONFIG);
	assert_null(inst);
	assert_non_null(strstr(mock_host_error(f->mh), "v2 token"));
}

static void test_bad_token_refused(void **state)
{
	fixture_t *f = *state;
	void *inst = NULL;

	mock_host_set(f->mh, "token", "do good token");
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_null(inst);
	assert_string_equal(mock_host_error(f->mh), "token: must not contain spaces or line breaks");
	mock_host_set(f->mh, "token", "");
	assert_int_equal(mock_host_create(f->mh, &inst), DDNS_ECONFIG);
	assert_non_null(strstr(mock_host_error(f->mh),
	                       "token: a DigitalOcean v2 token is required"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apex_and_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_on_page_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_reply_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_not_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_changed_aaaa_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_past_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_forever, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_and_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_token_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_link_elsewhere, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, pf_group_teardown);
}
