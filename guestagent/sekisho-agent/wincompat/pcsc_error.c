/* pcsc-lite's pcsc_stringify_error for winscard (wincompat/compat.h):
 * the code in the hex form Microsoft's documentation lists. */
#include <stdio.h>

const char *
pcsc_stringify_error(long rv)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "SCard error 0x%08lX", (unsigned long)rv);
	return buf;
}
