/*
 * PINs and codes on Windows (secret.h): from the console with echo off
 * (SetConsoleMode without ENABLE_ECHO_INPUT, read with ReadConsoleA so
 * nothing passes through the C runtime's buffers), or from a descriptor
 * the caller gave (--pin-fd / --code-fd: 0 is standard input, which a
 * parent fills through a pipe). Wiped with SecureZeroMemory.
 */
#include "guestagent/sekisho-agent/secret.h"

#include <windows.h>
#include <io.h>
#include <string.h>

void
secret_wipe(void *buf, size_t size)
{
	SecureZeroMemory(buf, size);
}

/* One line, byte by byte so nothing after it is consumed. */
static int
read_line_fd(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	for (;;) {
		int r = _read(fd, &c, 1);
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			SecureZeroMemory(buf, size);
			c = 0;
			return -2;
		}
		buf[n++] = c;
	}
	c = 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (int)n;
}

static int
read_line_console(HANDLE in, char *buf, size_t size)
{
	size_t n = 0;
	DWORD got;
	char c;

	for (;;) {
		if (!ReadConsoleA(in, &c, 1, &got, NULL) || got == 0 ||
		    c == '\r' || c == '\n')
			break;
		if (n + 1 >= size) {
			SecureZeroMemory(buf, size);
			c = 0;
			return -2;
		}
		buf[n++] = c;
	}
	c = 0;
	buf[n] = '\0';
	return (int)n;
}

int
secret_read(int fd, const char *prompt, char *buf, size_t size)
{
	HANDLE in, out;
	DWORD old, wrote;
	int n;

	if (fd >= 0)
		return read_line_fd(fd, buf, size);
	in = CreateFileA("CONIN$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ,
	    NULL, OPEN_EXISTING, 0, NULL);
	if (in == INVALID_HANDLE_VALUE)
		return -1;
	out = CreateFileA("CONOUT$", GENERIC_WRITE, FILE_SHARE_WRITE, NULL,
	    OPEN_EXISTING, 0, NULL);
	if (out == INVALID_HANDLE_VALUE || !GetConsoleMode(in, &old) ||
	    !SetConsoleMode(in, (old | ENABLE_LINE_INPUT) & ~(DWORD)ENABLE_ECHO_INPUT) ||
	    !WriteConsoleA(out, prompt, (DWORD)strlen(prompt), &wrote, NULL)) {
		if (out != INVALID_HANDLE_VALUE)
			CloseHandle(out);
		CloseHandle(in);
		return -1;
	}
	n = read_line_console(in, buf, size);
	(void)SetConsoleMode(in, old);
	(void)WriteConsoleA(out, "\r\n", 2, &wrote, NULL);
	CloseHandle(out);
	CloseHandle(in);
	return n;
}
