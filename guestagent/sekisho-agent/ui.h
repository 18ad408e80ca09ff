/*
 * The agent's status where the user sees it without a console: on
 * Windows an icon in the notification area (Shell_NotifyIconW) whose
 * tooltip is the status line, and a small status window (ui_win.c). The
 * window shows the status line and a square whose colour says the state
 * (UI_RGB_*), so a screenshot can be checked by what it must show, and
 * under it the netvm's line: the tunnel's last handshake and the policy's
 * presence check, from the netvm's status (netvm.h). Linux
 * has no such thing (ui_none.c): the console's `status` is the view.
 */
#ifndef SK_AGENT_UI_H
#define SK_AGENT_UI_H

#include "guestagent/sekisho-agent/agent.h"

#define UI_WINDOW_CLASS	"SekishoAgentStatus"
#define UI_WINDOW_TITLE	"Sekisho"
/* The state square: at (UI_SQ_X, UI_SQ_Y) in the window's client area,
 * UI_SQ_SIZE pixels wide and high. */
#define UI_SQ_X		12
#define UI_SQ_Y		12
#define UI_SQ_SIZE	32
#define UI_RGB_SIGNED_ON	0x1e9e3c	/* green */
#define UI_RGB_SIGNED_OFF	0x9a9a9a	/* grey */
#define UI_REFRESH_MS	2000	/* the state file is read again */
/* The netvm's status (the tunnel's handshake age, the policy's presence
 * check: netvm_status_text) is asked by a thread of its own every
 * UI_NETVM_MS, as `watch` asks it, and waited for UI_NETVM_WAIT_MS at
 * most: a silent netvm never holds up the window, whose line then says
 * so. */
#define UI_NETVM_MS	10000
#define UI_NETVM_WAIT_MS	1500

/* Shows the icon and the window until the window is closed: 0, or -1
 * with one line on stderr. */
int ui_tray_run(const struct agent *a);
/* Finds the running status window and prints its status line, then its
 * netvm line: 0, or -1 when there is none (the tests' read-back, no
 * OCR). */
int ui_tray_read(void);
/* The icon's uplink menu as it would pop up now (the netvm asked), one
 * line per item ("[x] " checked, " (greyed)"): 0, or -1 when the netvm's
 * status could not be read (tests, support). */
int ui_tray_menu(const struct agent *a);

#endif
