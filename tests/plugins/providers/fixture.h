/**
 * @file fixture.h
 * @brief What test_digitalocean, test_cloudflare and test_rackspace share:
 * one python mock per test program, one mock host and plugin per test.
 *
 * The three provider tests differ in their options and assertions, not in
 * how they start a mock, load a plugin, run an update or read the mock's
 * records back; that part lives here once.
 */
#ifndef PROVIDER_FIXTURE_H
#define PROVIDER_FIXTURE_H

#include <stdint.h>

#include "mock_api.h"
#include "mock_host.h"

/** One test's host, plugin and instance (pf_new/pf_free). */
typedef struct fixture {
	mock_host_t *mh;
	const ddns_plugin_t *plugin; /**< owned by mh */
	void *inst;                  /**< set by pf_create, destroyed by pf_free */
	char msg[2048];              /**< the last pf_update's completion message */
} fixture_t;

/** The mock of this test program (pf_group_setup starts it). */
extern mock_api_t pf_api;

/**
 * Start the mock @p script for the whole group; @p data_field names the
 * member of a record in its /_state that holds the address ("data" for
 * DigitalOcean and Rackspace, "content" for Cloudflare).
 * @return 0 or -errno (cmocka group setup result).
 */
int pf_group_setup(const char *script, const char *data_field);
/** cmocka group teardown: stop the mock.  @return 0. */
int pf_group_teardown(void **state);

/**
 * Reset the mock (records and request log) and load plugin @p name into a
 * new host.  Fails the test on error.  @return the fixture (pf_free frees).
 */
fixture_t *pf_new(const char *name);
/**
 * Destroy the instance, check that @p secret never reached the log (no
 * secret is ever logged), close the host (its loop must close cleanly).
 */
void pf_free(fixture_t *f, const char *secret);

/** Create the instance from the options set so far; fails the test on error. */
void pf_create(fixture_t *f);
/**
 * Arrange a test: POST @p control (faults, records; see mock_common.py) to
 * the mock, set option zone to @p zone unless it is NULL, then pf_create().
 */
void pf_create_with(fixture_t *f, const char *control, const char *zone);
/** Run one update (see mock_host_update); f->msg gets the message.  @return its result. */
int pf_update(fixture_t *f, const char *name, const char *v4, const char *v6,
              uint32_t timeout_ms);

/**
 * The address of the record @p name / @p type of @p zone in the mock state
 * @p st (from GET /_state), or NULL.  Borrowed from @p st.
 */
const char *pf_mock_data(json_t *st, const char *zone, const char *name, const char *type);
/** How many records @p name / @p type the mock's zone @p zone holds now. */
size_t pf_count_records(const char *zone, const char *name, const char *type);
/** Assert that record's address is @p want (NULL: no such record). */
void pf_assert_data(const char *zone, const char *name, const char *type, const char *want);

#endif
