/* libFuzzer harness for ddns.conf reading (daemon/conf).
 *
 * Built by `make fuzz` (tests/fuzz/Makefile.inc), run by tests/fuzz/run.sh.
 * corpus: tests/fuzz/corpus/conf/
 *
 * conf_load() takes a path, so each input is written to one memfd and read
 * back through /proc/self/fd/N: the real entry point, no copy of its logic.
 * Inputs with `@include` are skipped: an include of /dev/zero or a FIFO would
 * hang the fuzzer, and includes are libconfig's code, not ours.
 *
 * Beyond "no crash, no leak" it checks conf_load's contract: a failure
 * leaves a message; a success yields a checked configuration. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

/* libconfig 1.5 (Debian 12) leaks a string token dropped during error
 * recovery, e.g. for the input `""` (hyperrealm/libconfig#142, fixed in
 * 1.7.3).  Only that path is ignored: a conf_t we forgot to free would
 * still show as leaked setting nodes. */
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static int conf_fd = -1;
static char conf_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(DDNS_LOG_ERR, LOG_TARGET_STDERR);
	conf_fd = memfd_create("ddns.conf", 0);
	if (conf_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d", conf_fd);
	return 0;
}

static void check_loaded(const conf_t *c)
{
	if (c->n_http_listen == 0 || c->database == NULL || c->database[0] != '/' ||
	    (c->tls_certificate == NULL) != (c->tls_key == NULL))
		__builtin_trap();
	for (size_t i = 0; i < c->n_providers; i++) {
		if (conf_find_provider(c, c->providers[i].name) != &c->providers[i] ||
		    c->providers[i].fingerprint == NULL)
			__builtin_trap();
	}
	for (size_t i = 0; i < c->n_records; i++) {
		if (conf_find_provider(c, c->records[i].provider) == NULL ||
		    c->records[i].name[0] == '\0')
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024 || memmem(data, size, "@include", 8) != NULL)
		return -1; /* not added to the corpus */
	if (ftruncate(conf_fd, 0) != 0 || pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	conf_t *c = NULL;
	char err[512];
	err[0] = '\0';
	int rc = conf_load(conf_path, "/nonexistent/plugins", &c, err, sizeof(err));
	if (rc == 0) {
		if (c == NULL)
			__builtin_trap();
		check_loaded(c);
		conf_free(c);
	} else if (rc > 0 || err[0] == '\0') {
		__builtin_trap(); /* every refusal must say why */
	}
	return 0;
}
