/*
 * The notification-area status on Windows (ui.h), plain Win32: an icon
 * (Shell_NotifyIconW) whose tooltip is the status line, and a small window
 * with the line and a square coloured by the state. The state file is read
 * again every UI_REFRESH_MS. The icon's menu (right click) lists the
 * netvm's uplinks from its status (netvm.h) and "Automatic": choosing one
 * is `prefer` (docs/agent.md, "Uplink preference"), and the netvm's answer
 * is shown under the status line. A thread of its own asks the netvm's
 * status every UI_NETVM_MS for the window's netvm line (the tunnel's last
 * handshake, the policy's presence check), so the window never waits on
 * the network for it; the menu asks once when it opens, UI_NETVM_WAIT_MS
 * at most.
 */
#include "guestagent/sekisho-agent/ui.h"

#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <string.h>

#include "guestagent/sekisho-agent/netvm.h"
#include "lib/cli.h"
#include "lib/util.h"

#define ID_TEXT		100
#define ID_ANSWER	101
#define ID_NETVM	102
#define ID_MENU_AUTO	200	/* the menu: automatic, then one per uplink */
#define ID_MENU_UPLINK	201
#define ID_TIMER	1
#define WM_TRAY		(WM_APP + 1)
#define WM_NETVM	(WM_APP + 2)	/* the status thread read the netvm */
#define TEXT_MAX	256

/* What the status thread last read, under lock: the status (have), or
 * why not (err); when (at_ms, 0: not yet). */
struct netvm_seen {
	CRITICAL_SECTION	 lock;
	struct ctl_status	 st;
	int			 have;
	uint64_t		 at_ms;
	char			 err[256];
};

struct ui {
	const struct agent	*a;
	HWND			 win, text, answer, netvm;
	struct netvm_answer	 st;		/* the status the menu was built from */
	NOTIFYICONDATAW		 nid;
	int			 icon;		/* 1: the icon was added */
	int			 on;		/* signed on */
	wchar_t			 line[TEXT_MAX];
};

static struct ui ui;
static struct netvm_seen seen;

/* The netvm's line from what the status thread last read. */
static void
netvm_refresh(void)
{
	static struct ctl_status st;
	char line[TEXT_MAX], err[256];
	wchar_t w[TEXT_MAX];
	uint64_t at;
	int have;

	EnterCriticalSection(&seen.lock);
	have = seen.have;
	at = seen.at_ms;
	if (have)
		st = seen.st;
	memcpy(err, seen.err, sizeof(err));
	LeaveCriticalSection(&seen.lock);
	if (at == 0)
		snprintf(line, sizeof(line), "Netvm: asking for its status.");
	else if (!have)
		snprintf(line, sizeof(line), "Netvm: %s.", err);
	else
		netvm_status_text(&st, (now_ms() - at) / 1000, line, sizeof(line));
	if (MultiByteToWideChar(CP_UTF8, 0, line, -1, w, TEXT_MAX) == 0)
		wcscpy(w, L"?");
	SetWindowTextW(ui.netvm, w);
}

/* The status thread: asks the netvm every UI_NETVM_MS, waiting
 * UI_NETVM_WAIT_MS at most, and tells the window. The window's thread
 * never waits on the network for it. */
static DWORD WINAPI
netvm_thread(LPVOID arg)
{
	static struct netvm_answer ans;
	const struct agent *a = ui.a;
	char err[256];
	int ok;

	(void)arg;
	for (;;) {
		ok = netvm_ask(a->netvm, a->ctl_port, "status\n", UI_NETVM_WAIT_MS, &ans, err,
		    sizeof(err)) == 0;
		if (ok && ans.type != CTL_T_STATUS) {
			snprintf(err, sizeof(err), "the netvm answered: %s", ans.line);
			ok = 0;
		}
		EnterCriticalSection(&seen.lock);
		seen.have = ok;
		if (ok)
			seen.st = ans.status;
		memcpy(seen.err, err, sizeof(seen.err));
		seen.at_ms = now_ms();
		LeaveCriticalSection(&seen.lock);
		PostMessageW(ui.win, WM_NETVM, 0, 0);
		Sleep(UI_NETVM_MS);
	}
	return 0;
}

static void
refresh(void)
{
	char line[TEXT_MAX];

	ui.on = state_line(ui.a->state_dir, line, sizeof(line));
	if (MultiByteToWideChar(CP_UTF8, 0, line, -1, ui.line, TEXT_MAX) == 0)
		wcscpy(ui.line, L"?");
	SetWindowTextW(ui.text, ui.line);
	InvalidateRect(ui.win, NULL, TRUE);
	if (ui.icon) {
		wcsncpy(ui.nid.szTip, ui.line, sizeof(ui.nid.szTip) / sizeof(wchar_t) - 1);
		ui.nid.uFlags = NIF_TIP;
		(void)Shell_NotifyIconW(NIM_MODIFY, &ui.nid);
	}
}

static void
paint(HWND w)
{
	COLORREF rgb = ui.on ? UI_RGB_SIGNED_ON : UI_RGB_SIGNED_OFF;
	RECT r = { UI_SQ_X, UI_SQ_Y, UI_SQ_X + UI_SQ_SIZE, UI_SQ_Y + UI_SQ_SIZE };
	PAINTSTRUCT ps;
	HBRUSH b;
	HDC dc;

	dc = BeginPaint(w, &ps);
	/* COLORREF is 0x00bbggrr; UI_RGB_* are 0xrrggbb. */
	b = CreateSolidBrush(RGB((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff));
	FillRect(dc, &r, b);
	DeleteObject(b);
	EndPaint(w, &ps);
}

/* The uplink menu from the netvm's status, as ui.st holds it after. */
static HMENU
uplink_menu(const struct agent *a)
{
	HMENU m = CreatePopupMenu();
	wchar_t w[TEXT_MAX];
	char line[TEXT_MAX], item[TEXT_MAX + 16], err[256];
	const struct ctl_status *s = &ui.st.status;

	if (m == NULL)
		return NULL;
	if (netvm_ask(a->netvm, a->ctl_port, "status\n", UI_NETVM_WAIT_MS, &ui.st, err,
	    sizeof(err)) != 0 || ui.st.type != CTL_T_STATUS) {
		snprintf(item, sizeof(item), "Uplinks unknown: %s",
		    ui.st.type == CTL_T_STATUS ? err : ui.st.line[0] ? ui.st.line : err);
		MultiByteToWideChar(CP_UTF8, 0, item, -1, w, TEXT_MAX);
		AppendMenuW(m, MF_STRING | MF_GRAYED, 0, w);
		memset(&ui.st, 0, sizeof(ui.st));
		return m;
	}
	AppendMenuW(m, MF_STRING | (s->flags & CTL_S_PREFER ? 0 : MF_CHECKED), ID_MENU_AUTO,
	    L"Uplink: automatic (the policy's order)");
	AppendMenuW(m, MF_SEPARATOR, 0, NULL);
	for (size_t i = 0; i < s->n_uplinks; i++) {
		int pref = (s->flags & CTL_S_PREFER) && strcmp(s->prefer, s->uplinks[i].name) == 0;

		netvm_uplink_line(s, i, line, sizeof(line));
		snprintf(item, sizeof(item), "Prefer %s", line);
		MultiByteToWideChar(CP_UTF8, 0, item, -1, w, TEXT_MAX);
		AppendMenuW(m, MF_STRING | (pref ? MF_CHECKED : 0) |
		    (s->uplinks[i].flags & CTL_U_CARRIER ? 0 : MF_GRAYED),
		    ID_MENU_UPLINK + (UINT)i, w);
	}
	return m;
}

/* A menu choice: the preference asked, the netvm's line shown. */
static void
choose(UINT id)
{
	static struct netvm_answer ans;
	char req[CTL_MAX_LINE + 1], err[256];
	const char *name = "";
	wchar_t w[TEXT_MAX];

	if (id >= ID_MENU_UPLINK && id < ID_MENU_UPLINK + (UINT)ui.st.status.n_uplinks)
		name = ui.st.status.uplinks[id - ID_MENU_UPLINK].name;
	else if (id != ID_MENU_AUTO)
		return;
	if (ctl_prefer_request(req, name) < 0)
		return;
	if (netvm_ask(ui.a->netvm, ui.a->ctl_port, req, UI_NETVM_WAIT_MS, &ans, err,
	    sizeof(err)) != 0)
		snprintf(ans.line, sizeof(ans.line), "Not preferred: %s.", err);
	MultiByteToWideChar(CP_UTF8, 0, ans.line, -1, w, TEXT_MAX);
	SetWindowTextW(ui.answer, w);
}

static void
popup(HWND w)
{
	HMENU m = uplink_menu(ui.a);
	POINT p;

	if (m == NULL)
		return;
	GetCursorPos(&p);
	SetForegroundWindow(w);	/* so the menu closes when clicked away */
	TrackPopupMenu(m, TPM_RIGHTBUTTON, p.x, p.y, 0, w, NULL);
	DestroyMenu(m);
}

static LRESULT CALLBACK
wndproc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	switch (msg) {
	case WM_PAINT:
		paint(w);
		return 0;
	case WM_TIMER:
		refresh();
		netvm_refresh();
		return 0;
	case WM_NETVM:
		netvm_refresh();
		return 0;
	case WM_TRAY:
		if (LOWORD(lp) == WM_LBUTTONUP) {
			ShowWindow(w, SW_SHOWNORMAL);
			SetForegroundWindow(w);
		} else if (LOWORD(lp) == WM_RBUTTONUP || LOWORD(lp) == WM_CONTEXTMENU)
			popup(w);
		return 0;
	case WM_CONTEXTMENU:	/* the window's own, too */
		popup(w);
		return 0;
	case WM_COMMAND:
		choose(LOWORD(wp));
		return 0;
	case WM_DESTROY:
		KillTimer(w, ID_TIMER);
		if (ui.icon)
			(void)Shell_NotifyIconW(NIM_DELETE, &ui.nid);
		PostQuitMessage(0);
		return 0;
	default:
		return DefWindowProcW(w, msg, wp, lp);
	}
}

int
ui_tray_run(const struct agent *a)
{
	HINSTANCE inst = GetModuleHandleW(NULL);
	WNDCLASSW wc;
	MSG m;

	memset(&ui, 0, sizeof(ui));
	ui.a = a;
	memset(&wc, 0, sizeof(wc));
	wc.lpfnWndProc = wndproc;
	wc.hInstance = inst;
	wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
	wc.hbrBackground = (HBRUSH)(COLOR_WINDOW + 1);
	wc.lpszClassName = L"" UI_WINDOW_CLASS;
	if (RegisterClassW(&wc) == 0) {
		fprintf(stderr, "sekisho-agent: tray: RegisterClass: error %lu\n", GetLastError());
		return -1;
	}
	ui.win = CreateWindowExW(0, L"" UI_WINDOW_CLASS, L"" UI_WINDOW_TITLE,
	    WS_OVERLAPPED | WS_CAPTION | WS_SYSMENU | WS_MINIMIZEBOX,
	    CW_USEDEFAULT, CW_USEDEFAULT, 480, 190, NULL, NULL, inst, NULL);
	if (ui.win == NULL) {
		fprintf(stderr, "sekisho-agent: tray: CreateWindow: error %lu\n", GetLastError());
		return -1;
	}
	ui.text = CreateWindowExW(0, L"STATIC", L"", WS_CHILD | WS_VISIBLE | SS_LEFT,
	    UI_SQ_X + UI_SQ_SIZE + 12, UI_SQ_Y, 400, 40, ui.win,
	    (HMENU)(INT_PTR)ID_TEXT, inst, NULL);
	ui.netvm = CreateWindowExW(0, L"STATIC", L"", WS_CHILD | WS_VISIBLE | SS_LEFT,
	    UI_SQ_X + UI_SQ_SIZE + 12, UI_SQ_Y + 44, 400, 40, ui.win,
	    (HMENU)(INT_PTR)ID_NETVM, inst, NULL);
	ui.answer = CreateWindowExW(0, L"STATIC", L"", WS_CHILD | WS_VISIBLE | SS_LEFT,
	    UI_SQ_X + UI_SQ_SIZE + 12, UI_SQ_Y + 88, 400, 40, ui.win,
	    (HMENU)(INT_PTR)ID_ANSWER, inst, NULL);
	/* The icon: a missing notification area (no shell) leaves the window. */
	ui.nid.cbSize = sizeof(ui.nid);
	ui.nid.hWnd = ui.win;
	ui.nid.uID = 1;
	ui.nid.uFlags = NIF_ICON | NIF_TIP | NIF_MESSAGE;
	ui.nid.uCallbackMessage = WM_TRAY;
	ui.nid.hIcon = LoadIconW(NULL, (LPCWSTR)IDI_INFORMATION);
	wcscpy(ui.nid.szTip, L"Sekisho");
	ui.icon = Shell_NotifyIconW(NIM_ADD, &ui.nid) ? 1 : 0;
	if (!ui.icon)
		fprintf(stderr, "sekisho-agent: tray: no notification area; the window only\n");
	refresh();
	InitializeCriticalSection(&seen.lock);
	netvm_refresh();
	if (CreateThread(NULL, 0, netvm_thread, NULL, 0, NULL) == NULL)
		fprintf(stderr, "sekisho-agent: tray: CreateThread: error %lu; the netvm's"
		    " line stays empty\n", GetLastError());
	ShowWindow(ui.win, SW_SHOWNORMAL);
	UpdateWindow(ui.win);
	SetTimer(ui.win, ID_TIMER, UI_REFRESH_MS, NULL);
	while (GetMessageW(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	return 0;
}

int
ui_tray_read(void)
{
	static const int ids[] = { ID_TEXT, ID_NETVM };
	wchar_t w[TEXT_MAX];
	char out[TEXT_MAX * 3];
	HWND win = NULL, text;
	int i;

	/* The window may still be coming up: wait for it, 30 s at most. */
	for (i = 0; i < 300 && (win = FindWindowW(L"" UI_WINDOW_CLASS, NULL)) == NULL; i++)
		Sleep(100);
	if (win == NULL) {
		fprintf(stderr, "sekisho-agent: tray --read: no status window\n");
		return -1;
	}
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		if ((text = GetDlgItem(win, ids[k])) == NULL) {
			fprintf(stderr, "sekisho-agent: tray --read: no status window\n");
			return -1;
		}
		w[0] = 0;
		/* bounded: a hung window does not hold the read-back */
		if (SendMessageTimeoutW(text, WM_GETTEXT, TEXT_MAX, (LPARAM)w, SMTO_ABORTIFHUNG,
		    5000, NULL) == 0) {
			fprintf(stderr, "sekisho-agent: tray --read: the window does not answer\n");
			return -1;
		}
		if (WideCharToMultiByte(CP_UTF8, 0, w, -1, out, sizeof(out), NULL, NULL) == 0)
			return -1;
		printf("%s\n", out);
	}
	return 0;
}

int
ui_tray_menu(const struct agent *a)
{
	wchar_t w[TEXT_MAX];
	char out[TEXT_MAX * 3];
	HMENU m;
	int n;

	memset(&ui, 0, sizeof(ui));
	ui.a = a;
	if ((m = uplink_menu(a)) == NULL)
		return -1;
	n = GetMenuItemCount(m);
	for (int i = 0; i < n; i++) {
		UINT st = GetMenuState(m, (UINT)i, MF_BYPOSITION);

		if (st & MF_SEPARATOR) {
			printf("--\n");
			continue;
		}
		w[0] = 0;
		GetMenuStringW(m, (UINT)i, w, TEXT_MAX, MF_BYPOSITION);
		if (WideCharToMultiByte(CP_UTF8, 0, w, -1, out, sizeof(out), NULL, NULL) == 0)
			out[0] = '\0';
		printf("%s%s%s\n", st & MF_CHECKED ? "[x] " : "[ ] ", out,
		    st & MF_GRAYED ? " (greyed)" : "");
	}
	DestroyMenu(m);
	return ui.st.type == CTL_T_STATUS ? 0 : -1;
}
