/**
 * @file log.h
 * @brief Logging: one line per event, level first, then the subject.
 *
 * Lines look like `error: ddns.conf:12: providers.do.token: ...` or
 * `warning: provider do: ...`.  They go to stderr (default) or syslog.
 * Thread-safe (one write(2)/syslog(3) per line).  Never pass secrets.
 */
#ifndef DDNS_LOG_H
#define DDNS_LOG_H

#include <stdarg.h>
#include "ddns/plugin.h"

/** Where log lines go. */
typedef enum { LOG_TARGET_STDERR = 0, LOG_TARGET_SYSLOG = 1 } log_target_t;

/** Set the threshold (lines less severe are dropped) and the target. */
void log_setup(ddns_log_level_t threshold, log_target_t target);
/** Parse "error", "warning", "notice", "info", "debug"; -EINVAL if none. */
int log_level_parse(const char *text, ddns_log_level_t *out);
/** Log one line: `<level>: <subject>: <message>`; subject may be NULL. */
void log_msg(ddns_log_level_t level, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** va_list form of log_msg(). */
void log_vmsg(ddns_log_level_t level, const char *subject, const char *fmt, va_list ap);

#define log_err(subj, ...) log_msg(DDNS_LOG_ERR, subj, __VA_ARGS__)
#define log_warn(subj, ...) log_msg(DDNS_LOG_WARNING, subj, __VA_ARGS__)
#define log_notice(subj, ...) log_msg(DDNS_LOG_NOTICE, subj, __VA_ARGS__)
#define log_info(subj, ...) log_msg(DDNS_LOG_INFO, subj, __VA_ARGS__)
#define log_debug(subj, ...) log_msg(DDNS_LOG_DEBUG, subj, __VA_ARGS__)

#endif
