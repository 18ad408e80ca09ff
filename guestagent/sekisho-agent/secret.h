/*
 * PINs and codes: read from the terminal without echo, or for scripts and
 * tests from a descriptor the caller opened (--pin-fd N, --code-fd N),
 * never from argv or the environment. The caller wipes the buffer
 * (secret_wipe) as soon as it has used it. secret_posix.c on Linux; the
 * Windows build brings its own secure entry (issue 15).
 */
#ifndef SK_AGENT_SECRET_H
#define SK_AGENT_SECRET_H

#include <stddef.h>

#define SECRET_MAX	64	/* SIGNON_PIN_MAX, SIGNON_CODE_MAX */

/*
 * fd >= 0: the first line of fd (without its newline). fd < 0: asks on
 * /dev/tty with prompt, echo off. The length (>= 1), 0 when nothing was
 * given, -1 when there is no terminal to ask on, -2 for a line longer
 * than size - 1.
 */
int secret_read(int fd, const char *prompt, char *buf, size_t size);
void secret_wipe(void *buf, size_t size);

#endif
