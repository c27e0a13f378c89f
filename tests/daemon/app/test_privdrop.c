/* Unit tests for daemon/app/privdrop.c.  Each drop runs in a forked child (a
 * drop cannot be undone) that reports what /proc/self/status says through a
 * pipe; the parent checks it.  Tests that need root skip cleanly without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

#define REPORT_MAX 4096

typedef void (*child_fn)(FILE *out);

/* The lines of /proc/self/status that describe privileges. */
static void put_status(FILE *out)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0 || strncmp(line, "Gid:", 4) == 0 ||
		    strncmp(line, "Groups:", 7) == 0 || strncmp(line, "CapEff:", 7) == 0 ||
		    strncmp(line, "CapPrm:", 7) == 0 || strncmp(line, "NoNewPrivs:", 11) == 0)
			fputs(line, out);
	}
	fclose(f);
}

/* Run @p fn in a child; its report (text) lands in @p report. */
static void run_child(child_fn fn, char *report)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		FILE *out = fdopen(fds[1], "w");
		if (out == NULL)
			_exit(2);
		fn(out);
		fclose(out);
		_exit(0);
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t r;
	while (n < REPORT_MAX - 1 && (r = read(fds[0], report + n, REPORT_MAX - 1 - n)) > 0)
		n += (size_t)r;
	report[n] = '\0';
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void assert_has(const char *report, const char *line)
{
	if (strstr(report, line) == NULL)
		fail_msg("missing \"%s\" in report:\n%s", line, report);
}

static void test_lookup(void **state)
{
	(void)state;
	char err[256] = "";
	privdrop_ids_t ids;
	assert_int_equal(privdrop_lookup("nobody", &ids, err, sizeof(err)), 0);
	assert_int_equal(ids.uid, 65534);
	assert_int_equal(privdrop_lookup("0", &ids, err, sizeof(err)), 0);
	assert_int_equal(ids.uid, 0);
	assert_int_equal(ids.gid, 0);
	assert_int_equal(privdrop_lookup("no-such-user-ddns", &ids, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "\"no-such-user-ddns\""));
	assert_int_equal(privdrop_lookup("99999999999", &ids, err, sizeof(err)), -ENOENT);
}

static void drop_to_nobody(FILE *out)
{
	char err[256] = "";
	int rc = privdrop_apply("nobody", err, sizeof(err));
	fprintf(out, "rc=%d err=%s\n", rc, err);
	put_status(out);
	errno = 0;
	int back = setuid(0);
	fprintf(out, "setuid0=%d errno=%d\n", back, errno);
	fprintf(out, "bindcap=%d\n", privdrop_has_bind_cap());
}

static void test_drop_to_nobody(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char report[REPORT_MAX];
	run_child(drop_to_nobody, report);
	assert_has(report, "rc=0 err=\n");
	assert_has(report, "Uid:\t65534\t65534\t65534\t65534\n");
	assert_has(report, "Gid:\t65534\t65534\t65534\t65534\n");
	assert_has(report, "Groups:\t65534 \n");
	assert_has(report, "CapEff:\t0000000000000000\n");
	assert_has(report, "CapPrm:\t0000000000000000\n");
	assert_has(report, "NoNewPrivs:\t1\n");
	char want[64];
	snprintf(want, sizeof(want), "setuid0=-1 errno=%d\n", EPERM);
	assert_has(report, want);
	assert_has(report, "bindcap=0\n");
}

/* A user that does not exist: refused, and nothing was changed. */
static void drop_unknown(FILE *out)
{
	char err[256] = "";
	int rc = privdrop_apply("no-such-user-ddns", err, sizeof(err));
	fprintf(out, "rc=%d err=%s\n", rc, err);
	put_status(out);
}

static void test_unknown_user_refused(void **state)
{
	(void)state;
	char report[REPORT_MAX];
	run_child(drop_unknown, report);
	char want[128];
	snprintf(want, sizeof(want), "rc=%d err=user \"no-such-user-ddns\": no such user", -ENOENT);
	assert_has(report, want);
	if (geteuid() == 0)
		assert_has(report, "Uid:\t0\t0\t0\t0\n");
}

/* As a plain user: the configured user must be the running one. */
static void plain_user(FILE *out)
{
	char err[256] = "";
	if (geteuid() == 0 && privdrop_apply("nobody", err, sizeof(err)) != 0) {
		fprintf(out, "first drop failed: %s\n", err);
		return;
	}
	char self[32];
	snprintf(self, sizeof(self), "%u", (unsigned)getuid());
	fprintf(out, "self=%d\n", privdrop_apply(self, err, sizeof(err)));
	fprintf(out, "none=%d\n", privdrop_apply(NULL, err, sizeof(err)));
	err[0] = '\0';
	int rc = privdrop_apply("root", err, sizeof(err));
	fprintf(out, "root=%d err=%s\n", rc, err);
	put_status(out);
}

static void test_plain_user(void **state)
{
	(void)state;
	char report[REPORT_MAX];
	run_child(plain_user, report);
	assert_has(report, "self=0\n");
	assert_has(report, "none=0\n");
	char want[128];
	snprintf(want, sizeof(want), "root=%d err=user \"root\": cannot switch to uid 0: "
	         "not started as root", -EPERM);
	assert_has(report, want);
	assert_has(report, "NoNewPrivs:\t1\n");
}

static uid_t owner(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_uid;
}

static void make_file(const char *path, uid_t uid)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chown(path, uid, 0), 0);
}

/* Files root made go to the user; someone else's files and links do not. */
static void test_give_files(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char dir[] = "/tmp/ddns-privdrop-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char mine[64], theirs[64], target[64], link[64], absent[64];
	snprintf(mine, sizeof(mine), "%s/db", dir);
	snprintf(theirs, sizeof(theirs), "%s/db-wal", dir);
	snprintf(target, sizeof(target), "%s/shadow", dir);
	snprintf(link, sizeof(link), "%s/db-shm", dir);
	snprintf(absent, sizeof(absent), "%s/none", dir);
	make_file(mine, 0);
	make_file(theirs, 1234);
	make_file(target, 0);
	assert_int_equal(symlink(target, link), 0);

	char err[256] = "";
	const char *paths[] = { mine, theirs, link, absent };
	assert_int_equal(privdrop_give_files("nobody", paths, 4, err, sizeof(err)), 0);
	assert_int_equal(owner(mine), 65534);
	assert_int_equal(owner(theirs), 1234);
	assert_int_equal(owner(target), 0);
	assert_int_equal(owner(link), 0);
	assert_int_equal(privdrop_give_files(NULL, paths, 4, err, sizeof(err)), 0);
	assert_int_equal(privdrop_give_files("no-such-user-ddns", paths, 4, err,
	                                     sizeof(err)), -ENOENT);

	unlink(mine);
	unlink(theirs);
	unlink(link);
	unlink(target);
	assert_int_equal(rmdir(dir), 0);
}

/* A tree of plugin state: root's directories and files below go to the
 * user, a link inside is not followed, someone else's file is kept. */
static void test_give_tree(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char dir[] = "/tmp/ddns-privdrop-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[64], key[64], theirs[64], outside[64], link[64], cmd[128];
	snprintf(sub, sizeof(sub), "%s/builtin", dir);
	snprintf(key, sizeof(key), "%s/builtin/key", dir);
	snprintf(theirs, sizeof(theirs), "%s/builtin/theirs", dir);
	snprintf(outside, sizeof(outside), "%s.outside", dir);
	snprintf(link, sizeof(link), "%s/builtin/link", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	make_file(key, 0);
	make_file(theirs, 1234);
	make_file(outside, 0);
	assert_int_equal(symlink(outside, link), 0);
	char err[256] = "";
	assert_int_equal(privdrop_give_tree("nobody", dir, err, sizeof(err)), 0);
	assert_int_equal(owner(dir), 65534);
	assert_int_equal(owner(sub), 65534);
	assert_int_equal(owner(key), 65534);
	assert_int_equal(owner(theirs), 1234);
	assert_int_equal(owner(outside), 0);
	assert_int_equal(privdrop_give_tree("nobody", "/nonexistent-ddns", err, sizeof(err)), 0);
	unlink(outside);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_drop_to_nobody),
		cmocka_unit_test(test_unknown_user_refused),
		cmocka_unit_test(test_plain_user),
		cmocka_unit_test(test_give_files),
		cmocka_unit_test(test_give_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
