/*
 * What the agent does to the session and to its own files that differs by
 * platform (docs/agent.md "Lock and presence"): locking the user's
 * session, and a file lock for the audit outbox's writers. lock_posix.c
 * on Linux (the session is locked by a command the administrator gives,
 * `loginctl lock-session` by default; flock), lock_win.c on Windows
 * (LockWorkStation; LockFileEx).
 */
#ifndef SK_AGENT_LOCK_H
#define SK_AGENT_LOCK_H

#include <stddef.h>

#define LOCK_CMD_DEFAULT	"loginctl lock-session"

/*
 * Locks the user's session: 0, or -1 with detail set. cmd is the Linux
 * lock command, split on spaces and run without a shell (NULL: the
 * default); Windows ignores it and calls LockWorkStation.
 */
int session_lock(const char *cmd, char *detail, size_t detail_size);

/* The outbox's lock (on its lock file, outbox.h), held from reading its
 * tail to the fsync of what was appended: 0 or -1. */
int file_lock(int fd);
void file_unlock(int fd);
/* 1 when only the agent's own user can read the open file (0600, ours),
 * 0 otherwise. */
int file_private(int fd);

/* Replaces path by tmp whole (both in dir, both closed), the directory
 * synced: 0, or -1 with errno. rename on Linux; MoveFileExW with
 * MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH on Windows, where a
 * file anybody holds open cannot be replaced (EBUSY: IT reading it in a
 * program that does not share it; the next acknowledgement tries again). */
int file_replace(const char *tmp, const char *path, const char *dir);

/* Sleeps ms milliseconds (a busy relay is asked again after a pause). */
void pause_ms(unsigned ms);

#endif
