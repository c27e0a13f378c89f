/**
 * @file ddnsctl.h
 * @brief Internals of ddnsctl shared by its command files.
 */
#ifndef DDNS_DDNSCTL_H
#define DDNS_DDNSCTL_H

#include "conf.h"
#include "store.h"

/** Exit codes. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

/** What every command gets. */
typedef struct ctl {
	store_t *st;
	const conf_t *conf; /**< NULL when run with -d and no -c */
	const char *conf_path;
} ctl_t;

/* Helpers of every command (ddnsctl_util.c). */

/** Print one "ddnsctl: ..." line to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Print the usage to stderr and return CTL_USAGE. */
int ctl_usage(void);
/** Normalise @p in into @p out (NAME_TEXT_MAX), or say why not. */
int ctl_name(const char *in, char *out);
/** Format Unix time @p t as ISO 8601 UTC into @p buf (32 bytes); "-" for 0. */
void ctl_time(int64_t t, char *buf);

/** `list`, `show`, `history`: see ddnsctl_show.c.  Each gets argv from the
 *  command's name on and returns an exit code. */
int ctl_cmd_list(ctl_t *c, int argc, char **argv);
int ctl_cmd_show(ctl_t *c, int argc, char **argv);
int ctl_cmd_history(ctl_t *c, int argc, char **argv);

/** `status`: is ddnsd answering, records per provider, the last changes
 *  and the providers whose latest attempt failed (ddnsctl_status.c). */
int ctl_cmd_status(ctl_t *c, int argc, char **argv);

/** `add`, `rm`, `rotate-key`, `genkey`: see ddnsctl_edit.c. */
int ctl_cmd_add(ctl_t *c, int argc, char **argv);
int ctl_cmd_rm(ctl_t *c, int argc, char **argv);
int ctl_cmd_rotate(ctl_t *c, int argc, char **argv);
int ctl_cmd_genkey(int argc, char **argv);
/** `dnssec ZONE`: the DS to give the parent (ddnsctl_dnssec.c). */
int ctl_cmd_dnssec(ctl_t *c, int argc, char **argv);
/** `admin add|del|list`: the web admin's accounts (ddnsctl_admin.c). */
int ctl_cmd_admin(ctl_t *c, int argc, char **argv);

#endif
