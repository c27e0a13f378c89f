/*
 * The shared part of the provider plugin tests (see fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fixture.h"

mock_api_t pf_api;
static const char *data_field;

int pf_group_setup(const char *script, const char *field)
{
	data_field = field;
	return mock_api_start(&pf_api, script);
}

int pf_group_teardown(void **state)
{
	(void)state;
	mock_api_stop(&pf_api);
	return 0;
}

fixture_t *pf_new(const char *name)
{
	fixture_t *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	/* Each test starts from the mock's seed records and an empty request log. */
	assert_int_equal(mock_api_control(&pf_api, "{\"reset\":true,\"clear_requests\":true}"),
	                 200);
	assert_int_equal(mock_host_new(&f->mh), 0);
	f->plugin = mock_host_load(f->mh, name);
	assert_non_null(f->plugin);
	return f;
}

void pf_free(fixture_t *f, const char *secret)
{
	if (f->inst)
		mock_host_destroy(f->mh, f->inst);
	/* No secret ever reaches the log. */
	assert_null(strstr(mock_host_logs(f->mh), secret));
	assert_int_equal(mock_host_free(f->mh), 0);
	free(f);
}

void pf_create(fixture_t *f)
{
	assert_int_equal(mock_host_create(f->mh, &f->inst), 0);
}

void pf_create_with(fixture_t *f, const char *control, const char *zone)
{
	assert_int_equal(mock_api_control(&pf_api, control), 200);
	if (zone != NULL)
		mock_host_set(f->mh, "zone", zone);
	pf_create(f);
}

int pf_update(fixture_t *f, const char *name, const char *v4, const char *v6,
              uint32_t timeout_ms)
{
	return mock_host_update(f->mh, f->inst, name, v4, v6, timeout_ms, f->msg, sizeof(f->msg));
}

const char *pf_mock_data(json_t *st, const char *zone, const char *name, const char *type)
{
	json_t *recs = json_object_get(json_object_get(st, "zones"), zone), *r;
	size_t i;

	json_array_foreach(recs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0 &&
		    strcmp(json_string_value(json_object_get(r, "type")), type) == 0)
			return json_string_value(json_object_get(r, data_field));
	}
	return NULL;
}

void pf_assert_data(const char *zone, const char *name, const char *type, const char *want)
{
	json_t *st = mock_api_get(&pf_api, "/_state");
	const char *got = pf_mock_data(st, zone, name, type);

	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got ? got : "(none)", want);
	json_decref(st);
}

size_t pf_count_records(const char *zone, const char *name, const char *type)
{
	json_t *st = mock_api_get(&pf_api, "/_state"), *r;
	size_t i, n = 0;

	json_array_foreach(json_object_get(json_object_get(st, "zones"), zone), i, r)
		n += strcmp(json_string_value(json_object_get(r, "name")), name) == 0 &&
		     strcmp(json_string_value(json_object_get(r, "type")), type) == 0;
	json_decref(st);
	return n;
}
