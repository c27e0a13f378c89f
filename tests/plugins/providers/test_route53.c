/*
 * route53.so against mock_route53.py (Route 53's REST-XML API), through the
 * mock host (the daemon's real HTTP client on a libuv loop).  The mock
 * recomputes every request's SigV4 signature with botocore, so each test
 * that gets past the first request also proves the signing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define KEY_ID "AKIDTEST7EXAMPLE"
#define SECRET "r53/test+Secret/Key0123456789abcdefghijkl"
#define PUBLIC "Z1PUBLIC00000000000001"

static int group_setup(void **state)
{
	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	return pf_group_setup("mock_route53.py", "value");
}

static int setup(void **state)
{
	fixture_t *f = pf_new("route53");

	mock_host_set(f->mh, "access_key_id", KEY_ID);
	mock_host_set(f->mh, "secret_access_key", SECRET);
	mock_host_set(f->mh, "api_url", pf_api.url);
	/* GetChange says INSYNC at the first poll unless a test wants more. */
	assert_int_equal(mock_api_control(&pf_api, "{\"change_polls\":0}"), 200);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	pf_free(*state, SECRET);
	return 0;
}

/* The i-th request the mock logged (a new reference). */
static json_t *request(size_t i)
{
	json_t *reqs = mock_api_get(&pf_api, "/_requests");
	json_t *r = json_incref(json_array_get(reqs, i));
	json_decref(reqs);
	assert_non_null(r);
	return r;
}

static const char *query_arg(json_t *r, const char *name)
{
	return json_string_value(json_array_get(json_object_get(json_object_get(r, "query"), name),
	                                        0));
}

/* The longest public zone holding the name is found by walking up the
 * labels; the change is confirmed once GetChange says INSYNC. */
static void test_longest_match_and_insync(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "x.home.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "route53: A x.home.example.com -> 203.0.113.7 (change C"));
	assert_non_null(strstr(f->msg, "INSYNC)"));
	pf_assert_data("home.example.com", "x.home.example.com", "A", "203.0.113.7");
	assert_int_equal(mock_api_count(&pf_api, "GET", "/hostedzonesbyname"), 2);
	json_t *r = request(0);
	assert_string_equal(query_arg(r, "dnsname"), "x.home.example.com");
	assert_string_equal(query_arg(r, "maxitems"), "10");
	json_decref(r);
	r = request(2);
	assert_string_equal(json_string_value(json_object_get(r, "path")),
	                    "/2013-04-01/hostedzone/Z3HOME000000000000003/rrset/");
	json_t *h = json_object_get(r, "headers");
	assert_string_equal(json_string_value(json_object_get(h, "content-type")),
	                    "application/xml");
	assert_non_null(strstr(json_string_value(json_object_get(h, "authorization")),
	                       "AWS4-HMAC-SHA256 Credential=" KEY_ID "/"));
	assert_non_null(strstr(json_string_value(json_object_get(h, "authorization")),
	                       "/us-east-1/route53/aws4_request"));
	const char *body = json_string_value(json_object_get(r, "body"));
	assert_non_null(strstr(body, "<ChangeResourceRecordSetsRequest xmlns=\"https://route53."
	                       "amazonaws.com/doc/2013-04-01/\"><ChangeBatch><Comment>ddnsd"
	                       "</Comment><Changes><Change><Action>UPSERT</Action>"
	                       "<ResourceRecordSet><Name>x.home.example.com.</Name><Type>A</Type>"
	                       "<TTL>60</TTL><ResourceRecords><ResourceRecord><Value>203.0.113.7"
	                       "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
	                       "</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"));
	json_decref(r);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/2013-04-01/change/C"), 1);
	/* The zone is remembered: no second lookup. */
	assert_int_equal(pf_update(f, "x.home.example.com", "203.0.113.8", NULL, 10000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/hostedzonesbyname"), 2);
}

/* A private zone of the same name is skipped; A and AAAA go in one batch
 * and both are reported confirmed. */
static void test_dual_stack_public_zone(void **state)
{
	fixture_t *f = *state;
	int rr;

	mock_host_set_int(f->mh, "ttl", 300);
	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.9", "2001:db8::9", 10000),
	                 DDNS_OK);
	assert_non_null(strstr(f->msg, "A a.example.com -> 203.0.113.9, AAAA a.example.com -> "
	                       "2001:db8::9"));
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.9");
	pf_assert_data("example.com", "a.example.com", "AAAA", "2001:db8::9");
	pf_assert_data("private:example.com", "a.example.com", "A", NULL);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/hostedzone/" PUBLIC "/rrset/"), 1);
	assert_true(mock_host_rr(f->mh, DDNS_RR_A, &rr));
	assert_int_equal(rr, DDNS_OK);
	assert_true(mock_host_rr(f->mh, DDNS_RR_AAAA, &rr));
	assert_int_equal(rr, DDNS_OK);
	json_t *r = request(2);
	assert_non_null(strstr(json_string_value(json_object_get(r, "body")), "<TTL>300</TTL>"));
	json_decref(r);
}

/* One zone per page: the private example.com fills the first page and the
 * public one is on the next, asked for with NextDNSName/NextHostedZoneId. */
static void test_pages(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"page_size\":1}", "example.com");
	assert_int_equal(pf_update(f, "www.example.com", "203.0.113.5", NULL, 10000), DDNS_OK);
	pf_assert_data("example.com", "www.example.com", "A", "203.0.113.5");
	json_t *r = request(1);
	assert_string_equal(query_arg(r, "dnsname"), "example.com.");
	assert_string_equal(query_arg(r, "hostedzoneid"), PUBLIC);
	json_decref(r);
}

static void test_zone_id_configured(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "zone_id", "/hostedzone/" PUBLIC);
	pf_create(f);
	assert_int_equal(pf_update(f, "example.com", "198.51.100.1", NULL, 10000), DDNS_OK);
	pf_assert_data("example.com", "example.com", "A", "198.51.100.1");
	assert_int_equal(mock_api_count(&pf_api, "GET", "/hostedzonesbyname"), 0);
}

/* Route 53's Throttling (HTTP 400) and PriorRequestNotComplete are waited
 * out; UPSERT is idempotent, so sending it again is safe. */
static void test_throttling_and_prior_request(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"ratelimit\":2,\"match\":\"/rrset/\",\"prior\":1}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 15000), DDNS_OK);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/rrset/"), 4);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
	assert_non_null(strstr(mock_host_logs(f->mh), "Throttling: Rate exceeded"));
	assert_non_null(strstr(mock_host_logs(f->mh), "PriorRequestNotComplete"));
}

static void test_server_errors(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"error500\":1}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_int_equal(mock_api_control(&pf_api, "{\"error500\":100,\"match\":\"/rrset/\"}"),
	                 200);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.8", NULL, 20000),
	                 DDNS_EPROVIDER);
	assert_non_null(strstr(f->msg, "InternalFailure"));
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.7");
}

/* A wrong secret signs wrongly: botocore's signature differs, and AWS's
 * answer is an authentication failure naming the mismatch. */
static void test_wrong_secret(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "secret_access_key", "not-the-secret-at-all-0123456789abcdefgh");
	pf_create_with(f, "{}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "SignatureDoesNotMatch"));
	assert_null(strstr(mock_host_logs(f->mh), "not-the-secret-at-all"));
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
}

static void test_unknown_key(void **state)
{
	fixture_t *f = *state;

	mock_host_set(f->mh, "access_key_id", "AKIDUNKNOWN0000000000");
	pf_create_with(f, "{}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_EAUTH);
	assert_non_null(strstr(f->msg, "InvalidClientTokenId"));
}

/* Still PENDING at the deadline: Route 53 accepted the batch (it applies an
 * accepted change everywhere), so the update succeeds and says so. */
static void test_pending_at_deadline(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"change_polls\":100}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 3000), DDNS_OK);
	assert_non_null(strstr(f->msg, "still PENDING at the update's deadline"));
	assert_int_equal(mock_api_count(&pf_api, "GET", "/change/"), 1);
}

static void test_no_wait_insync(void **state)
{
	fixture_t *f = *state;

	mock_host_set_bool(f->mh, "wait_insync", false);
	pf_create_with(f, "{\"change_polls\":100}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 10000), DDNS_OK);
	assert_non_null(strstr(f->msg, "PENDING)"));
	assert_int_equal(mock_api_count(&pf_api, "GET", "/change/"), 0);
}

static void test_timeout(void **state)
{
	fixture_t *f = *state;

	pf_create_with(f, "{\"delay_ms\":3000,\"match\":\"/rrset/\"}", "example.com");
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.7", NULL, 1500), DDNS_ETIMEOUT);
	assert_int_equal(mock_api_control(&pf_api, "{\"delay_ms\":0}"), 200);
	/* The mock still carries the abandoned change out (as AWS would): let
	 * it land here, not in the next test's fresh state. */
	for (int i = 0; i < 60 && mock_api_count(&pf_api, "POST", "/rrset/") == 0; i++)
		usleep(100000);
	assert_int_equal(mock_api_count(&pf_api, "POST", "/rrset/"), 1);
}

static void test_no_zone_and_bad_batch(void **state)
{
	fixture_t *f = *state;

	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.net", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "no public hosted zone of this AWS account holds "
	                       "a.example.net"));
	mock_host_destroy(f->mh, f->inst);
	/* The zone id of another zone: Route 53's InvalidChangeBatch, word for word. */
	mock_host_set(f->mh, "zone_id", "Z2OTHER00000000000002");
	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.20", NULL, 10000),
	                 DDNS_EPROVIDER);
	assert_non_null(strstr(f->msg, "InvalidChangeBatch: RRSet with DNS name a.example.com. "
	                       "is not permitted in zone example.org."));
	mock_host_destroy(f->mh, f->inst);
	mock_host_set(f->mh, "zone_id", "Z9GONE0000000000000009");
	pf_create(f);
	assert_int_equal(pf_update(f, "a.example.com", "203.0.113.20", NULL, 10000),
	                 DDNS_ENOTFOUND);
	assert_non_null(strstr(f->msg, "NoSuchHostedZone"));
}

/* The standard environment variables, a session token included (sent as
 * X-Amz-Security-Token and signed with the rest). */
static void test_credentials_from_environment(void **state)
{
	fixture_t *f = *state;
	mock_host_t *mh;

	assert_int_equal(mock_host_new(&mh), 0);
	assert_non_null(mock_host_load(mh, "route53"));
	mock_host_set(mh, "api_url", pf_api.url);
	mock_host_set(mh, "zone", "example.com");
	setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", "session-token-value", 1);
	void *inst = NULL;
	assert_int_equal(mock_host_create(mh, &inst), 0);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	assert_int_equal(mock_host_update(mh, inst, "a.example.com", "203.0.113.44", NULL, 10000,
	                                  f->msg, sizeof(f->msg)),
	                 DDNS_OK);
	pf_assert_data("example.com", "a.example.com", "A", "203.0.113.44");
	json_t *r = request(0);
	json_t *h = json_object_get(r, "headers");
	assert_string_equal(json_string_value(json_object_get(h, "x-amz-security-token")),
	                    "session-token-value");
	assert_non_null(strstr(json_string_value(json_object_get(h, "authorization")),
	                       "x-amz-security-token"));
	json_decref(r);
	assert_non_null(strstr(mock_host_logs(mh), "AWS credentials from the environment"));
	assert_null(strstr(mock_host_logs(mh), SECRET));
	assert_null(strstr(mock_host_logs(mh), "session-token-value"));
	mock_host_destroy(mh, inst);
	assert_int_equal(mock_host_free(mh), 0);
}

static void test_config_errors(void **state)
{
	fixture_t *f = *state;
	mock_host_t *mh;
	void *inst = NULL;

	assert_int_equal(mock_host_new(&mh), 0);
	assert_non_null(mock_host_load(mh, "route53"));
	assert_int_equal(mock_host_create_unchecked(mh, &inst), DDNS_ECONFIG);
	assert_non_null(strstr(mock_host_error(mh), "AWS credentials are required"));
	assert_int_equal(mock_host_free(mh), 0);

	mock_host_set(f->mh, "zone_id", "example.com");
	assert_int_equal(mock_host_create_unchecked(f->mh, &inst), DDNS_ECONFIG);
	assert_non_null(strstr(mock_host_error(f->mh), "is not a hosted zone id"));
	mock_host_set(f->mh, "zone_id", PUBLIC);
	mock_host_set(f->mh, "access_key_id", "AKID:x");
	assert_int_equal(mock_host_create_unchecked(f->mh, &inst), DDNS_ECONFIG);
	assert_non_null(strstr(mock_host_error(f->mh), "':'"));
}

/* TXT sets (DDNS_CAP_TXT, for ACME): two values UPSERTed at once, quoted as
 * Route 53 wants them; an empty set deleted with exactly the values Route 53
 * lists; deleting what is absent is a success. */
static void test_txt_sets(void **state)
{
	fixture_t *f = *state;
	const char *vals[] = { "tok-wildcard", "tok \"apex\"" };
	mock_update_t u = { .name = "a.example.com", .txt_name = "_acme-challenge.a.example.com",
	                    .txt_values = vals, .n_txt_values = 2 };

	assert_int_equal(f->plugin->caps & DDNS_CAP_TXT, DDNS_CAP_TXT);
	pf_create(f);
	mock_host_update_many(f->mh, f->inst, &u, 1, 10000);
	assert_int_equal(u.result, DDNS_OK);
	assert_non_null(strstr(u.msg, "TXT _acme-challenge.a.example.com = 2 values (change C"));
	assert_int_equal(pf_count_records("example.com", "_acme-challenge.a.example.com", "TXT"), 2);
	/* three zone questions (_acme-challenge.a.example.com, a.example.com,
	 * example.com), then the change */
	assert_int_equal(mock_api_count(&pf_api, "GET", "/hostedzonesbyname"), 3);
	json_t *r = request(3);
	assert_non_null(strstr(json_string_value(json_object_get(r, "body")),
	                       "<Action>UPSERT</Action><ResourceRecordSet><Name>_acme-challenge."
	                       "a.example.com.</Name><Type>TXT</Type><TTL>60</TTL>"));
	json_decref(r);
	/* What Route 53 holds: each value in quotes, inner quotes escaped. */
	json_t *st = mock_api_get(&pf_api, "/_state"), *rec;
	size_t i, seen = 0;
	json_array_foreach(json_object_get(json_object_get(st, "zones"), "example.com"), i, rec) {
		const char *v = json_string_value(json_object_get(rec, "value"));
		if (strcmp(json_string_value(json_object_get(rec, "type")), "TXT") != 0)
			continue;
		assert_true(strcmp(v, "\"tok-wildcard\"") == 0 ||
		            strcmp(v, "\"tok \\\"apex\\\"\"") == 0);
		seen++;
	}
	assert_int_equal(seen, 2);
	json_decref(st);

	mock_update_t del = { .name = "a.example.com", .txt_name = "_acme-challenge.a.example.com" };
	mock_host_update_many(f->mh, f->inst, &del, 1, 10000);
	assert_int_equal(del.result, DDNS_OK);
	assert_non_null(strstr(del.msg, "TXT _acme-challenge.a.example.com deleted (2 values)"));
	assert_int_equal(pf_count_records("example.com", "_acme-challenge.a.example.com", "TXT"), 0);
	assert_int_equal(mock_api_count(&pf_api, "GET", "/hostedzone/" PUBLIC "/rrset"), 1);

	mock_update_t again = del;
	mock_host_update_many(f->mh, f->inst, &again, 1, 10000);
	assert_int_equal(again.result, DDNS_OK);
	assert_non_null(strstr(again.msg, "already absent"));
	/* The A record next to it was never touched. */
	pf_assert_data("example.com", "a.example.com", "A", "192.0.2.10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_longest_match_and_insync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack_public_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_id_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttling_and_prior_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_at_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_wait_insync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_zone_and_bad_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credentials_from_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txt_sets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, pf_group_teardown);
}
