/* Logging: see log.h.  One formatted buffer, one write, so lines from the
 * loop thread and helper threads never interleave. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static ddns_log_level_t log_threshold = DDNS_LOG_INFO;
static log_target_t log_target = LOG_TARGET_STDERR;

static const char *const log_names[] = {
	[DDNS_LOG_ERR] = "error",   [DDNS_LOG_WARNING] = "warning",
	[DDNS_LOG_NOTICE] = "notice", [DDNS_LOG_INFO] = "info",
	[DDNS_LOG_DEBUG] = "debug",
};

void log_setup(ddns_log_level_t threshold, log_target_t target)
{
	log_threshold = threshold;
	if (target == LOG_TARGET_SYSLOG && log_target != LOG_TARGET_SYSLOG)
		openlog("ddnsd", LOG_PID, LOG_DAEMON);
	log_target = target;
}

int log_level_parse(const char *text, ddns_log_level_t *out)
{
	for (int l = DDNS_LOG_ERR; l <= DDNS_LOG_DEBUG; l++) {
		if (strcmp(text, log_names[l]) == 0) {
			*out = (ddns_log_level_t)l;
			return 0;
		}
	}
	return -EINVAL;
}

void log_vmsg(ddns_log_level_t level, const char *subject, const char *fmt, va_list ap)
{
	if (level > log_threshold)
		return;
	char line[2048];
	int n = 0;
	if (log_target == LOG_TARGET_STDERR)
		n = snprintf(line, sizeof(line), "%s: ", log_names[level]);
	if (subject != NULL)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: ", subject);
	if (n < (int)sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	if (log_target == LOG_TARGET_SYSLOG) {
		line[n] = '\0';
		syslog((int)level, "%s", line);
		return;
	}
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w; /* nowhere to report a failed log write */
}

void log_msg(ddns_log_level_t level, const char *subject, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, subject, fmt, ap);
	va_end(ap);
}
