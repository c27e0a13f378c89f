/* ddnsctl's helpers for every command: error lines, the usage text, name
 * checks, time stamps.  The commands (ddnsctl_*.c) and main (ddnsctl.c)
 * call these; they call nothing of ddnsctl. */
#include "ddnsctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void ctl_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ddnsctl: %s\n", line);
}

int ctl_usage(void)
{
	fputs("usage: ddnsctl [-c CONF] [-d DATABASE] COMMAND [ARGS]\n"
	      "  add NAME -p PROVIDER [-k KEY|-] [--lan-ip IP]...\n"
	      "                          add a record; without -k a key is generated\n"
	      "                          and shown once (-k - reads the key from stdin)\n"
	      "  list                    all records\n"
	      "  show NAME               one record\n"
	      "  rm NAME                 remove a record\n"
	      "  rotate-key NAME [-k KEY|-]  give a record a new key (shown once)\n"
	      "  history [NAME] [-n N]   the last N updates (default 20)\n"
	      "  status                  is ddnsd answering, records, the last changes,\n"
	      "                          providers whose latest attempt failed\n"
	      "  genkey                  print a key and its key_hash line for ddns.conf\n"
	      "  admin add USER          add a web admin account (or change its password;\n"
	      "                          the password is read from the terminal or stdin)\n"
	      "  admin del USER          delete a web admin account\n"
	      "  admin list              the web admin accounts\n"
	      "  dnssec ZONE             the DS (and DNSKEY) of a zone builtin_dns signs,\n"
	      "                          for the parent zone, and its rollover's step\n"
	      "  dnssec ZONE roll        start a key rollover now\n"
	      "  dnssec ZONE ds-seen     the parent has the new key's DS: the rollover ends\n"
	      "The database is -d, else `database` in the config (-c, default "
	      DDNS_CONF_FILE ").\n", stderr);
	return CTL_USAGE;
}

int ctl_name(const char *in, char *out)
{
	if (addr_name_normalize(in, out) != 0 || !addr_name_is_fqdn(out)) {
		ctl_error("\"%s\" is not a valid domain name (labels of letters, digits "
		          "and hyphens, at least two, 253 characters in all)", in);
		return -EINVAL;
	}
	return 0;
}

void ctl_time(int64_t t, char *buf)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		strcpy(buf, "-");
		return;
	}
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
