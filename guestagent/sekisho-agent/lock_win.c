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

/* A path as the C runtime's open() took it (the ANSI or OEM code page,
 * as the file APIs are set), in UTF-16. */
static int
wide(const char *s, wchar_t *w, int n)
{
	UINT cp = AreFileApisANSI() ? CP_ACP : CP_OEMCP;

	return MultiByteToWideChar(cp, MB_ERR_INVALID_CHARS, s, -1, w, n) > 0 ? 0 : -1;
}

/*
 * MoveFileExW replaces the outbox whole: the caller closed it, and nobody
 * else holds it open (its lock is a file of its own, taken before the
 * outbox is opened). Write-through: the move is on disk when it returns,
 * what fsync of the directory is on Linux.
 */
int
file_replace(const char *tmp, const char *path, const char *dir)
{
	wchar_t wtmp[MAX_PATH], wpath[MAX_PATH];

	(void)dir;
	if (wide(tmp, wtmp, MAX_PATH) != 0 || wide(path, wpath, MAX_PATH) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		errno = GetLastError() == ERROR_SHARING_VIOLATION ||
		    GetLastError() == ERROR_ACCESS_DENIED ? EBUSY : EIO;
		return -1;
	}
	return 0;
}
