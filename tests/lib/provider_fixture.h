/**
 * @file provider_fixture.h
 * @brief What the daemon's provider tests (tests/daemon/plugin/test_provider*.c)
 * share: a config written to a scratch folder, instances made from it, and
 * a bounded wait for an update's completion.
 */
#ifndef PROVIDER_FIXTURE_H
#define PROVIDER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "provider.h"

/**
 * Make a scratch folder from @p tmpl ("/tmp/name.XXXXXX", rewritten in
 * place), write the printf-formatted config @p fmt to <folder>/ddns.conf
 * (its path into @p path, @p pathlen bytes) and load it.
 * @return the config (caller conf_free()s); fails the test on any error.
 */
conf_t *pfx_conf_load(char *tmpl, char *path, size_t pathlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * provider_create() the instance of provider @p name of @p conf.
 * @return it (caller provider_unref()s); fails the test, printing the
 * error, if it cannot be made.
 */
provider_t *pfx_make(const provider_env_t *env, const conf_t *conf, const char *name);

/**
 * Run @p loop until *@p calls is non-zero, at most @p limit_ms (a stuck
 * update fails the test instead of hanging it); then assert it is 1.
 */
void pfx_wait(uv_loop_t *loop, const int *calls, uint64_t limit_ms);

/** stderr (where the daemon logs) redirected to a file, for assertions. */
typedef struct pfx_capture {
	int fd;          /**< the file, open for reading back */
	int saved;       /**< the real stderr while captured, else -1 */
	char path[320];  /**< <dir>/stderr.log */
} pfx_capture_t;

/** Send stderr to <@p dir>/stderr.log (truncated); fails the test on error. */
void pfx_capture_start(pfx_capture_t *c, const char *dir);
/** Give stderr back (capture stops; the file stays readable). */
void pfx_capture_stop(pfx_capture_t *c);
/**
 * Read what was captured into @p buf (NUL-terminated, at most @p len - 1
 * bytes), then close and remove the file.  Fails the test if nothing was.
 */
void pfx_capture_read(pfx_capture_t *c, char *buf, size_t len);

#endif
