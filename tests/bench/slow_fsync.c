/* LD_PRELOAD shim for tests/bench/store.sh: every fsync() and fdatasync()
 * takes SLOW_FSYNC_MS (default 20) milliseconds more, as on an SD card or a
 * busy disk, so the benchmark shows what a slow disk does to the loop. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void slow_nap(void)
{
	const char *env = getenv("SLOW_FSYNC_MS");
	long ms = env != NULL ? atol(env) : 20;
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	slow_nap();
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	slow_nap();
	return real(fd);
}
