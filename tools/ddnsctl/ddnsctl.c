/* ddnsctl: the admin tool for the record store (the counterpart of the
 * Django admin of django-dynamic-dns).  It opens the same sqlite file as ddnsd; sqlite's
 * locking and the store's busy timeout make that safe while ddnsd runs, and
 * ddnsd learns which records changed from the store's change notes (store.h)
 * when ddnsctl knocks (store_notify.h). */
#include "ddnsctl.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "store_notify.h"

typedef struct ctl_command {
	const char *name;
	int (*run)(ctl_t *c, int argc, char **argv);
	bool writes; /* a running ddnsd must hear of it */
} ctl_command_t;

static const ctl_command_t ctl_commands[] = {
	{ "add", ctl_cmd_add, true }, { "list", ctl_cmd_list, false },
	{ "show", ctl_cmd_show, false }, { "rm", ctl_cmd_rm, true },
	{ "rotate-key", ctl_cmd_rotate, true }, { "history", ctl_cmd_history, false },
	{ "status", ctl_cmd_status, false }, { "admin", ctl_cmd_admin, false },
#ifdef DDNSCTL_DNSSEC
	{ "dnssec", ctl_cmd_dnssec, false },
#endif
};

/* How long ddnsctl waits for a running ddnsd to take its change in. */
#define CTL_NOTIFY_TIMEOUT_MS 3000

/* Tell a running ddnsd, so the change holds when this command returns
 * (a rotated key is refused from then on). */
static void ctl_notify(const char *db_path)
{
	int err = store_notify_send(db_path, CTL_NOTIFY_TIMEOUT_MS);
	if (err == 0 || err == -ENOENT || err == -ECONNREFUSED)
		return; /* taken in, or no daemon running */
	fprintf(stderr, "ddnsctl: warning: the running ddnsd did not confirm the change "
	        "(%s); it will see it within a second\n", ddns_strerror(err));
}

/* The config: needed for the database path unless -d was given, and
 * used (when given or found) to check providers and config-owned names. */
static int ctl_load_conf(const char *path, bool required, conf_t **out)
{
	char err[512] = "";
	if (!required && access(path, F_OK) != 0)
		return 0;
	int rc = conf_load(path, DDNS_PLUGIN_DIR, out, err, sizeof(err));
	if (rc) {
		ctl_error("%s", err[0] != '\0' ? err : ddns_strerror(rc));
		return rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = NULL, *db_path = NULL;
	int opt;
	/* "+": stop at the command; its own options come after it */
	while ((opt = getopt_long(argc, argv, "+c:d:h", opts, NULL)) != -1) {
		if (opt == 'c')
			conf_path = optarg;
		else if (opt == 'd')
			db_path = optarg;
		else if (opt == 'h') {
			ctl_usage();
			return CTL_OK;
		} else
			return ctl_usage();
	}
	if (optind >= argc)
		return ctl_usage();
	char **cargv = argv + optind;
	int cargc = argc - optind;
	optind = 0; /* GNU getopt: start afresh on the command's arguments */
	log_setup(DDNS_LOG_WARNING, LOG_TARGET_STDERR);

	if (strcmp(cargv[0], "genkey") == 0)
		return ctl_cmd_genkey(cargc, cargv);
	const ctl_command_t *cmd = NULL;
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
		if (strcmp(cargv[0], ctl_commands[i].name) == 0)
			cmd = &ctl_commands[i];
	}
	if (cmd == NULL) {
		ctl_error("unknown command \"%s\"", cargv[0]);
		return ctl_usage();
	}

	int rc = CTL_FAIL;
	conf_t *conf = NULL;
	ctl_t c = { .conf_path = conf_path != NULL ? conf_path : DDNS_CONF_FILE };
	if (ctl_load_conf(c.conf_path, db_path == NULL || conf_path != NULL, &conf) != 0)
		goto out;
	c.conf = conf;
	if (store_open(db_path != NULL ? db_path : conf->database, &c.st) != 0)
		goto out; /* the store said why */
	rc = cmd->run(&c, cargc, cargv);
	if (rc == CTL_OK && cmd->writes)
		ctl_notify(db_path != NULL ? db_path : conf->database);
out:
	store_close(c.st);
	conf_free(conf);
	return rc;
}
