/* No notification area on Linux (ui.h): `status` is the view there. */
#include "guestagent/sekisho-agent/ui.h"

#include <stdio.h>

int
ui_tray_run(const struct agent *a)
{
	(void)a;
	fprintf(stderr, "sekisho-agent: tray: only on Windows; use status\n");
	return -1;
}

int
ui_tray_read(void)
{
	fprintf(stderr, "sekisho-agent: tray: only on Windows\n");
	return -1;
}

int
ui_tray_menu(const struct agent *a)
{
	(void)a;
	fprintf(stderr, "sekisho-agent: tray: only on Windows; use uplinks\n");
	return -1;
}
