/* The shared part of the daemon's provider tests (see provider_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider_fixture.h"

conf_t *pfx_conf_load(char *tmpl, char *path, size_t pathlen, const char *fmt, ...)
{
	char err[512] = "";
	conf_t *conf = NULL;
	va_list ap;
	FILE *f;
	int rc;

	assert_non_null(mkdtemp(tmpl));
	snprintf(path, pathlen, "%s/ddns.conf", tmpl);
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
	/* provider tokens: ddnsd refuses a secret others can read */
	assert_int_equal(chmod(path, 0600), 0);
	rc = conf_load(path, NULL, &conf, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return conf;
}

provider_t *pfx_make(const provider_env_t *env, const conf_t *conf, const char *name)
{
	provider_t *p = NULL;
	char err[512] = "";
	int rc = provider_create(env, conf, conf_find_provider(conf, name), &p, err, sizeof(err));

	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return p;
}

void pfx_wait(uv_loop_t *loop, const int *calls, uint64_t limit_ms)
{
	uint64_t until = uv_now(loop) + limit_ms;

	while (*calls == 0 && uv_now(loop) < until)
		uv_run(loop, UV_RUN_ONCE);
	assert_int_equal(*calls, 1);
}

void pfx_capture_start(pfx_capture_t *c, const char *dir)
{
	snprintf(c->path, sizeof(c->path), "%s/stderr.log", dir);
	c->fd = open(c->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(c->fd >= 0);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(c->fd, STDERR_FILENO) >= 0);
}

void pfx_capture_stop(pfx_capture_t *c)
{
	if (c->saved < 0)
		return;
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	c->saved = -1;
}

void pfx_capture_read(pfx_capture_t *c, char *buf, size_t len)
{
	ssize_t n;

	pfx_capture_stop(c);
	n = pread(c->fd, buf, len - 1, 0);
	close(c->fd);
	unlink(c->path);
	assert_true(n > 0);
	buf[n] = '\0';
}
