/* ddnsctl's read-only commands: list, show, history. */
#include "ddnsctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* list walks the records twice, first to size the columns, then to
 * print: no copy of a possibly large table in memory. */
typedef struct ctl_cols {
	int name, provider, ipv4, ipv6;
} ctl_cols_t;

static int ctl_width(int w, const char *s)
{
	int len = (int)strlen(s);
	return len > w ? len : w;
}

static int ctl_measure(const store_record_t *r, void *arg)
{
	ctl_cols_t *w = arg;
	w->name = ctl_width(w->name, r->name);
	w->provider = ctl_width(w->provider, r->provider);
	w->ipv4 = ctl_width(w->ipv4, r->ipv4);
	w->ipv6 = ctl_width(w->ipv6, r->ipv6);
	return 0;
}

static const char *ctl_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

static const char *ctl_source(store_source_t s)
{
	return s == STORE_SRC_CONFIG ? "ddns.conf" : "ddnsctl";
}

static int ctl_list_row(const store_record_t *r, void *arg)
{
	const ctl_cols_t *w = arg;
	char when[32];
	ctl_time(r->last_change, when);
	printf("%-*s  %-*s  %-*s  %-*s  %-20s  %s\n", w->name, r->name, w->provider,
	       r->provider, w->ipv4, ctl_dash(r->ipv4), w->ipv6, ctl_dash(r->ipv6), when,
	       ctl_source(r->source));
	return 0;
}

int ctl_cmd_list(ctl_t *c, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage();
	ctl_cols_t w = { 4, 8, 4, 4 };
	if (store_record_foreach(c->st, NULL, ctl_measure, &w) != 0)
		return CTL_FAIL;
	printf("%-*s  %-*s  %-*s  %-*s  %-20s  %s\n", w.name, "NAME", w.provider, "PROVIDER",
	       w.ipv4, "IPV4", w.ipv6, "IPV6", "LAST CHANGE", "SOURCE");
	return store_record_foreach(c->st, NULL, ctl_list_row, &w) != 0 ? CTL_FAIL : CTL_OK;
}

int ctl_cmd_show(ctl_t *c, int argc, char **argv)
{
	if (argc != 2)
		return ctl_usage();
	char name[NAME_TEXT_MAX];
	if (ctl_name(argv[1], name) != 0)
		return CTL_FAIL;
	store_record_t r;
	int err = store_record_get(c->st, name, &r);
	if (err == -ENOENT)
		ctl_error("no record %s", name);
	if (err)
		return CTL_FAIL;
	char changed[32], seen[32];
	ctl_time(r.last_change, changed);
	ctl_time(r.last_seen, seen);
	printf("name:        %s\n"
	       "provider:    %s\n"
	       "source:      %s\n"
	       "ipv4:        %s\n"
	       "ipv6:        %s\n"
	       "lan ipv4:    %s\n"
	       "lan ipv6:    %s\n"
	       "last change: %s\n"
	       "last seen:   %s\n"
	       "key hash:    %s\n",
	       r.name, r.provider, ctl_source(r.source), ctl_dash(r.ipv4), ctl_dash(r.ipv6),
	       ctl_dash(r.lan_ipv4), ctl_dash(r.lan_ipv6), changed, seen, r.key_hash);
	return CTL_OK;
}

static int ctl_history_row(const store_history_t *h, void *arg)
{
	(void)arg;
	char when[32];
	ctl_time(h->time, when);
	printf("%-20s  %s  %s  %s -> %s  client %s  %s%s%s\n", when, h->name, h->family,
	       ctl_dash(h->old_ip), ctl_dash(h->new_ip), ctl_dash(h->client),
	       ddns_outcome_name(h->result),
	       h->message[0] != '\0' ? ": " : "", h->message);
	return 0;
}

int ctl_cmd_history(ctl_t *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "number", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	long limit = 20;
	int opt;
	while ((opt = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		char *end;
		if (opt != 'n')
			return ctl_usage();
		errno = 0;
		limit = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || end == optarg || limit < 1 || limit > 1000000) {
			ctl_error("-n wants a number of rows from 1 to 1000000, not \"%s\"", optarg);
			return CTL_FAIL;
		}
	}
	if (optind + 1 < argc)
		return ctl_usage();
	char name[NAME_TEXT_MAX];
	bool one = optind < argc;
	if (one && ctl_name(argv[optind], name) != 0)
		return CTL_FAIL;
	int err = store_history_foreach(c->st, one ? name : NULL, (int)limit,
	                                ctl_history_row, NULL);
	return err ? CTL_FAIL : CTL_OK;
}
