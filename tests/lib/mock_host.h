/**
 * @file mock_host.h
 * @brief A stand-in for ddnsd around one provider plugin, for unit tests.
 *
 * mock_host_t is a real ::ddns_host_t on a libuv loop with the daemon's own
 * HTTP client (daemon/plugin/http_client.c): the plugin under test (dlopen()ed from
 * DDNS_TEST_PLUGIN_DIR, as ddnsd would) talks to a real HTTP server.  Options
 * are set by the test; updates run the loop until the plugin completes them
 * (or the host's deadline passes, when it cancels them as ddnsd does).
 *
 * See mock_api.h for the python mock provider APIs these tests talk to.
 */
#ifndef MOCK_HOST_H
#define MOCK_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ddns/plugin.h"

typedef struct mock_host mock_host_t;

/** Make a host with its own loop and HTTP client.  @return 0 or -errno. */
int mock_host_new(mock_host_t **out);
/**
 * Close the HTTP client and the loop and free the host.
 * @return uv_loop_close()'s result: 0 when nothing was left open.
 */
int mock_host_free(mock_host_t *mh);

/**
 * dlopen <DDNS_TEST_PLUGIN_DIR>/<name>.so and check its descriptor.
 * @return the descriptor (valid until mock_host_free), or NULL.
 */
const ddns_plugin_t *mock_host_load(mock_host_t *mh, const char *name);

/** Set a string option of the next instance (both strings copied). */
void mock_host_set(mock_host_t *mh, const char *name, const char *value);
/** Set an integer option. */
void mock_host_set_int(mock_host_t *mh, const char *name, int64_t value);
/** Set a boolean option. */
void mock_host_set_bool(mock_host_t *mh, const char *name, bool value);

/**
 * Check the options against the descriptor as ddnsd does (unknown,
 * missing, wrong type, DDNS_OPT_REJECTED with its help) and call create().
 * @return 0 with *instance set, or the error; mock_host_error() says why.
 */
int mock_host_create(mock_host_t *mh, void **instance);
/** create() without the option checks (a plugin's own defences). */
int mock_host_create_unchecked(mock_host_t *mh, void **instance);
/** Destroy the instance made by mock_host_create(). */
void mock_host_destroy(mock_host_t *mh, void *instance);
/** The last configuration error ("option: message"), or "". */
const char *mock_host_error(const mock_host_t *mh);
/** Every line the plugin logged so far, newline-separated. */
const char *mock_host_logs(const mock_host_t *mh);

/**
 * Run one update and the loop until it completes.  After @p timeout_ms the
 * host gives up as ddnsd does: it calls the plugin's cancel() and the result
 * is DDNS_ETIMEOUT whatever the plugin then says.
 * @return the result; @p msg gets the completion message.  Fails the test
 * (cmocka) if update_done is not called exactly once.
 */
int mock_host_update(mock_host_t *mh, void *instance, const char *name,
                     const char *ipv4, const char *ipv6, uint32_t timeout_ms,
                     char *msg, size_t msglen);

/**
 * What the last completed update reported for record type @p type through
 * host->update_result(): true with *result set, or false when it reported
 * nothing for that type (update_done's result then counts for it).
 */
bool mock_host_rr(const mock_host_t *mh, ddns_rrtype_t type, int *result);

/** One of several concurrent updates (mock_host_update_many). */
typedef struct mock_update {
	const char *name, *ipv4, *ipv6; /**< in */
	const char *txt_name;           /**< in: a TXT update instead (DDNS_CAP_TXT) */
	const char *const *txt_values;  /**< in: its values ... */
	size_t n_txt_values;            /**< ... how many (0: delete the set) */
	int result;                     /**< out */
	char msg[1024];                 /**< out: the completion message */
} mock_update_t;

/**
 * Start all @p n updates at once, then run the loop until every one has
 * completed (each has its own deadline of @p timeout_ms, as in
 * mock_host_update).  Fails the test if any update_done count is not one.
 */
void mock_host_update_many(mock_host_t *mh, void *instance, mock_update_t *list, size_t n,
                           uint32_t timeout_ms);

#endif
