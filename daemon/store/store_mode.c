/* The database's files are private to whoever runs ddnsd: the records hold
 * key hashes, and a hash readable by every local user is a key anyone can
 * try to brute-force offline.
 *
 * The file is created 0600 before sqlite opens it (sqlite would create it
 * 0644 less the umask, readable by all under the usual umask 022).  A umask() around the
 * open would not do: it is process-wide, and other threads (the store
 * writer, builtin_dns's) may create files meanwhile.  sqlite creates the
 * -wal and -shm files with the database's mode, so a private database
 * keeps them private; ones left looser by an older ddnsd (or another
 * program) are tightened here, with one log line each.  ddnsd and ddnsctl
 * both open the store through store_open(), so neither loosens it. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Group and others lose every bit; the owner keeps read and write. */
#define STORE_MODE 0600

/* Tighten @p name when group or others have any access.  By path, never
 * through an fd of our own: closing any fd of a file drops every POSIX
 * lock this process holds on it, and sqlite locks the database and its
 * -shm that way (another connection of this process, the store writer's,
 * may have them open).  A failure is logged, not fatal: a store we cannot
 * chmod (another owner) still serves, and the log says what to fix. */
static void tighten(const char *name)
{
	struct stat st;
	if (stat(name, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0)
		return;
	if (chmod(name, STORE_MODE) != 0) {
		log_warn(name, "store: mode %04o lets other users read key hashes, "
		         "and it cannot be changed: %s (chmod 600 %s)",
		         (unsigned)(st.st_mode & 07777), strerror(errno), name);
		return;
	}
	log_notice(name, "store: mode %04o tightened to %04o (key hashes are "
	           "for ddnsd alone)", (unsigned)(st.st_mode & 07777), STORE_MODE);
}

int store_files_private(const char *path)
{
	/* Only a file that is not there yet is opened (and so closed) here:
	 * no connection can hold a lock on it. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, STORE_MODE);
	if (fd >= 0) {
		close(fd);
	} else if (errno != EEXIST) {
		int e = errno;
		log_err(path, "store: cannot open: %s", strerror(e));
		return -e;
	}
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char name[4096];
		if (snprintf(name, sizeof(name), "%s%s", path, suffix[i]) < (int)sizeof(name))
			tighten(name); /* a -wal or -shm not there yet: sqlite makes
			                  it with the database's mode */
	}
	return 0;
}
