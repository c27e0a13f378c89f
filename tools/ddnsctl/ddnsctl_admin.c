/* `ddnsctl admin add|del|list`: the web admin's accounts.  A password is
 * read from the terminal (twice, without echo) or as one line of standard
 * input, and only its Argon2id hash (libargon2, encoded with its salt and
 * costs) reaches the store; ddnsd checks it with argon2id_verify(). */
#include "ddnsctl.h"
#include "store_admin.h"

#include <argon2.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/crypto.h>

#include "error.h"

/* RFC 9106's second recommended option scaled to a small server, and
 * OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.  The costs are
 * written into each hash, so raising them later keeps old hashes valid. */
#define ADMIN_T_COST 2
#define ADMIN_M_COST_KIB 19456
#define ADMIN_PARALLEL 1
#define ADMIN_SALT_LEN 16
#define ADMIN_HASH_LEN 32
#define ADMIN_PW_MIN 8
#define ADMIN_PW_MAX 256

/* One line from @p f into @p out, newline removed; -1 at end of input. */
static int read_line(FILE *f, char *out, size_t size)
{
	if (fgets(out, (int)size, f) == NULL)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* Prompt on the terminal with echo off. */
static int read_tty(const char *prompt, char *out, size_t size)
{
	struct termios old, quiet;
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fputs(prompt, stderr);
	fflush(stderr);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	int rc = read_line(stdin, out, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

static int read_password(char *pw, size_t size)
{
	if (isatty(STDIN_FILENO)) {
		char again[ADMIN_PW_MAX + 2];
		if (read_tty("password: ", pw, size) != 0 ||
		    read_tty("again: ", again, sizeof(again)) != 0) {
			ctl_error("no password given");
			return -EINVAL;
		}
		int same = strcmp(pw, again) == 0;
		memset(again, 0, sizeof(again));
		if (!same) {
			ctl_error("the two passwords differ");
			return -EINVAL;
		}
	} else if (read_line(stdin, pw, size) != 0) {
		ctl_error("no password on standard input");
		return -EINVAL;
	}
	size_t n = strlen(pw);
	if (n < ADMIN_PW_MIN || n > ADMIN_PW_MAX) {
		ctl_error("a password must be %d to %d characters", ADMIN_PW_MIN, ADMIN_PW_MAX);
		return -EINVAL;
	}
	return 0;
}

static int admin_add(ctl_t *c, const char *user)
{
	char pw[ADMIN_PW_MAX + 2], hash[STORE_ADMIN_HASH_MAX];
	unsigned char salt[ADMIN_SALT_LEN];
	if (read_password(pw, sizeof(pw)) != 0)
		return CTL_FAIL;
	int rc = gnutls_rnd(GNUTLS_RND_KEY, salt, sizeof(salt));
	if (rc == 0)
		rc = argon2id_hash_encoded(ADMIN_T_COST, ADMIN_M_COST_KIB, ADMIN_PARALLEL,
		                           pw, strlen(pw), salt, sizeof(salt), ADMIN_HASH_LEN,
		                           hash, sizeof(hash));
	else
		rc = ARGON2_MISSING_ARGS;
	memset(pw, 0, sizeof(pw));
	if (rc != ARGON2_OK) {
		ctl_error("cannot hash the password: %s", argon2_error_message(rc));
		return CTL_FAIL;
	}
	rc = store_admin_user_set(c->st, user, hash, (int64_t)time(NULL));
	if (rc < 0) {
		ctl_error("%s: cannot store the account: %s", user, ddns_strerror(rc));
		return CTL_FAIL;
	}
	printf("%s %s\n", rc == 1 ? "password changed for" : "added", user);
	return CTL_OK;
}

static int admin_list_row(const char *name, int64_t created, void *arg)
{
	(void)arg;
	char when[32];
	ctl_time(created, when);
	printf("%-32s  %s\n", name, when);
	return 0;
}

int ctl_cmd_admin(ctl_t *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_admin_user_foreach(c->st, admin_list_row, NULL) == 0
		       ? CTL_OK : CTL_FAIL;
	if (argc != 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "del") != 0))
		return ctl_usage();
	const char *user = argv[2];
	if (!store_admin_name_valid(user)) {
		ctl_error("\"%s\": an account name is 1 to %d of A-Z a-z 0-9 . _ @ -", user,
		          STORE_ADMIN_NAME_MAX - 1);
		return CTL_FAIL;
	}
	if (strcmp(argv[1], "add") == 0)
		return admin_add(c, user);
	int rc = store_admin_user_delete(c->st, user);
	if (rc == -ENOENT) {
		ctl_error("%s: no such account", user);
		return CTL_FAIL;
	}
	if (rc != 0)
		return CTL_FAIL; /* the store said why */
	printf("deleted %s (its sessions end at their next request)\n", user);
	return CTL_OK;
}
