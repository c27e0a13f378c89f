/**
 * @file mock_api.h
 * @brief Run a python mock provider API for a test and talk to it.
 *
 * mock_api_t runs one of the mocks of tests/plugins/providers as a child
 * process on a free port, and uses its control interface (/_control,
 * /_requests, /_state; see mock_common.py).
 */
#ifndef MOCK_API_H
#define MOCK_API_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/** A mock provider API running as a child process. */
typedef struct mock_api {
	pid_t pid;
	int port;
	char url[64]; /**< "http://127.0.0.1:<port>" */
} mock_api_t;

/**
 * Start python3 $top_srcdir/tests/plugins/providers/<script> on a free port
 * and wait until it listens.  @return 0 or -errno.
 */
int mock_api_start(mock_api_t *api, const char *script);
/** Stop it (SIGTERM to its pid, then wait). */
void mock_api_stop(mock_api_t *api);
/** POST @p json to /_control.  @return the HTTP status (200 on success). */
long mock_api_control(const mock_api_t *api, const char *json);
/** GET @p path ("/_requests", "/_state") as JSON (caller decrefs), or NULL. */
json_t *mock_api_get(const mock_api_t *api, const char *path);
/**
 * Count requests in /_requests whose method is @p method (or any, if NULL)
 * and whose path contains @p path_part (or any, if NULL).
 */
size_t mock_api_count(const mock_api_t *api, const char *method, const char *path_part);

#endif
