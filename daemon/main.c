/* ddnsd: command line, then the app on one libuv loop (see app.h). */
#include <config.h>

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "app.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ddnsd [-c FILE] [-t] [--version] [--help]\n"
	        "  -c, --config FILE  configuration file (default %s)\n"
	        "  -t, --test         check the configuration and the plugins' options, then exit\n"
	        "      --version      print the version\n"
	        "  -h, --help         this text\n"
	        "Signals: SIGHUP reloads the configuration, SIGINT/SIGTERM stop gracefully.\n",
	        DDNS_CONF_FILE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = DDNS_CONF_FILE;
	const char *plugin_dir = DDNS_PLUGIN_DIR;
	bool test_only = false;
	char err[1024] = "";
	int c, status = 1;

	while ((c = getopt_long(argc, argv, "c:th", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'V':
			printf("ddnsd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ddnsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (test_only) {
		if (app_check_config(conf_path, plugin_dir, err, sizeof(err)) != 0) {
			log_err(NULL, "%s", err);
			return 1;
		}
		printf("%s: configuration OK\n", conf_path);
		return 0;
	}

	/* A client vanishing mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	uv_loop_t loop;
	if (uv_loop_init(&loop) != 0) {
		log_err("ddnsd", "cannot create the event loop");
		return 1;
	}
	app_t *app = NULL;
	app_opts_t opts = { .conf_path = conf_path, .plugin_dir = plugin_dir,
	                    .exit_status = &status };
	if (app_start(&loop, &opts, &app, err, sizeof(err)) != 0)
		log_err(NULL, "%s", err);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0) {
		log_err("ddnsd", "handles left open at exit");
		status = 1;
	}
	return app == NULL ? 1 : status;
}
