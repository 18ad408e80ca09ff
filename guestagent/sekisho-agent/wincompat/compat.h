/*
 * The few POSIX pieces the agent's sources (and the lib/ files it links)
 * use, on Windows (mingw-w64). Force-included into every object of the
 * Windows build (-include), the way wireguard-tools keeps its wincompat/:
 * the shared sources carry no #ifdef _WIN32 for these. Anything that
 * cannot be mapped honestly is left undeclared, so a new use fails to
 * compile instead of silently meaning something else.
 */
#ifndef SK_WINCOMPAT_H
#define SK_WINCOMPAT_H

#ifndef _WIN32
#error "wincompat/compat.h is for the Windows build only"
#endif

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <time.h>

/* Wiped in a way the compiler may not drop. */
#define explicit_bzero(p, n)	SecureZeroMemory((p), (n))
/* Handles are not inherited by child processes; and every file is opened
 * in binary mode (the shared sources open every file with O_CLOEXEC): the
 * C runtime's default text mode would write "\r\n" for "\n" and read
 * fewer bytes than the file's size, which the audit outbox's reader and
 * its cut-line check count on. */
#ifndef O_CLOEXEC
#define O_CLOEXEC		(_O_NOINHERIT | _O_BINARY)
#endif
/* Windows' CRT opens no symbolic links through a reparse point it follows
 * silently for files it creates with O_EXCL; for reads there is no such
 * flag: the agent's state directory is the user's own (%LOCALAPPDATA%). */
#ifndef O_NOFOLLOW
#define O_NOFOLLOW		0
#endif
#define mkdir(path, mode)	_mkdir(path)
#define fsync(fd)		_commit(fd)

static inline struct tm *
sk_gmtime_r(const time_t *t, struct tm *tm)
{
	return gmtime_s(tm, t) == 0 ? tm : NULL;
}
#define gmtime_r(t, tm)		sk_gmtime_r((t), (tm))

/* pcsc-lite's names that winscard spells otherwise. */
#ifndef MAX_ATR_SIZE
#define MAX_ATR_SIZE		33	/* ISO 7816-3: at most 33 bytes */
#endif
const char *pcsc_stringify_error(long rv);

#endif
