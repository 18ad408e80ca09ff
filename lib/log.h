/* Logging in the OpenBSD daemons' shape: stderr when in the foreground,
 * syslog otherwise; fatal/fatalx name the process and never return. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stdarg.h>

enum { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

void log_init(const char *procname, int foreground, int verbosity);
void log_setverbose(int verbosity);
int log_getverbose(void);
/* Whether it logs to standard error (else syslog): for a child that is
 * exec'd and logs as its parent does. */
int log_getforeground(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
