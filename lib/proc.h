/* Processes: the daemons' signal descriptor, and children started with a
 * clean signal state (a daemon's blocked or ignored signals must never
 * reach a child: dnsmasq once inherited them and ignored SIGTERM). */
#ifndef SK_PROC_H
#define SK_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Blocks sigs and returns a non-blocking signalfd for them, or -1; SIGPIPE
 * is ignored (a child may stop reading). */
int signals_fd(const int *sigs, size_t n);

/* Starts path (searched in PATH when it has no '/') with argv: signal mask
 * empty, the usual signals at their defaults, descriptors above 2 closed.
 * Standard input from in (or /dev/null when -1); standard output and error
 * to out and err (or inherited when -1). 0 or -errno. */
int spawn_child(pid_t *pid, const char *path, char *const argv[], int in,
    int out, int err);

#endif
