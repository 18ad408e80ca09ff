/* lock.h on Windows: LockWorkStation, LockFileEx. The outbox lies in the
 * user's own profile directory, whose ACL is the user's: file_private has
 * nothing more to check there. */
#include "guestagent/sekisho-agent/lock.h"

#include <errno.h>
#include <stdio.h>

int
session_lock(const char *cmd, char *detail, size_t detail_size)
{
	(void)cmd;
	if (!LockWorkStation()) {
		snprintf(detail, detail_size, "LockWorkStation failed (error %lu)",
		    (unsigned long)GetLastError());
		return -1;
	}
	return 0;
}

int
file_lock(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov = { 0 };

	if (h == INVALID_HANDLE_VALUE)
		return -1;
	return LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &ov) ? 0 : -1;
}

void
file_unlock(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov = { 0 };

	if (h != INVALID_HANDLE_VALUE)
		(void)UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &ov);
}

int
file_private(int fd)
{
	(void)fd;
	return 1;
}

void
pause_ms(unsigned ms)
{
	Sleep(ms);
}

int
file_replace(const char *tmp, const char *path, const char *dir)
{
	(void)tmp;
	(void)path;
	(void)dir;
	errno = ENOSYS;
	return -1;
}
