# The Windows build of sekisho-agent (issue 15, docs/agent.md "Windows"):
# the same sources with mingw-w64, the platform files swapped:
#   sc.h      sc_pcsc.c        unchanged: winscard has pcsc-lite's API
#   bio.h     bio_winbio.c     the Windows Biometric Framework
#   link.h    link_win.c       Winsock
#   ctlink.h  ctlink_win.c     Winsock (TCP: sekishod's control socket)
#   secret.h  secret_win.c     the console, echo off
#   ui.h      ui_win.c         the notification-area status (ui_none.c on Linux)
# and wincompat/compat.h force-included for the few POSIX names the shared
# sources use. `make win` builds build/win/sekisho-agent.exe; `make all`
# does too when the cross compiler is installed.
WIN_CROSS  ?= x86_64-w64-mingw32-
WIN_CC     := $(WIN_CROSS)gcc
HAVE_WIN_CC := $(shell command -v $(WIN_CC) 2>/dev/null)
WIN_OSSL   := $(B)/win/openssl
WIN_CFLAGS := -std=c17 -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0A00 -O2 -g \
	$(WARN) -I. -isystem $(WIN_OSSL)/include \
	-include guestagent/sekisho-agent/wincompat/compat.h \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2
WIN_LDFLAGS := -static -Wl,--dynamicbase -Wl,--nxcompat -Wl,--high-entropy-va
WIN_LIBS   := $(WIN_OSSL)/libcrypto.a -lwinscard -lws2_32 -lcrypt32 -lbcrypt \
	-ladvapi32 -luser32 -lgdi32 -lshell32 -lssp -lpthread

SA := guestagent/sekisho-agent
WIN_AGENT_SRCS := $(SA)/main.c $(SA)/login.c $(SA)/handover.c $(SA)/card.c $(SA)/apdu.c \
	$(SA)/card_name.c $(SA)/client.c $(SA)/outcome.c $(SA)/state.c \
	$(SA)/sc_pcsc.c $(SA)/bio_winbio.c $(SA)/link_win.c $(SA)/secret_win.c \
	$(SA)/ui_win.c $(SA)/outbox.c $(SA)/flush.c $(SA)/watch.c $(SA)/lock_win.c \
	$(SA)/uplink.c $(SA)/netvm.c $(SA)/ctlink_win.c \
	$(SA)/wincompat/pcsc_error.c $(SA)/wincompat/secfile_win.c \
	lib/cli.c lib/util.c lib/encode.c lib/ifname.c lib/proto/signon_wire.c \
	lib/proto/signon_crypto.c lib/proto/control_wire.c
WIN_AGENT_OBJS := $(WIN_AGENT_SRCS:%.c=$(B)/win/obj/%.o)

# The outbox's Windows smoke test (tests/win/outbox_smoke.c), run under
# Wine by 91-win-agent: outbox.c over lock_win.c, as in the agent.
WIN_SMOKE_SRCS := tests/win/outbox_smoke.c $(SA)/outbox.c $(SA)/lock_win.c lib/util.c lib/encode.c \
	lib/proto/signon_wire.c $(SA)/wincompat/secfile_win.c
WIN_SMOKE_OBJS := $(WIN_SMOKE_SRCS:%.c=$(B)/win/obj/%.o)

.PHONY: win
win: $(B)/win/sekisho-agent.exe $(B)/win/outbox-smoke.exe
ifneq ($(HAVE_WIN_CC),)
all: win
endif
DEBS += gcc-mingw-w64-x86-64 wine wine64 xvfb x11-apps

$(WIN_OSSL)/libcrypto.a:
	JOBS=2 $(SA)/win-openssl.sh $(WIN_OSSL)

$(B)/win/obj/%.o: %.c | $(WIN_OSSL)/libcrypto.a
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/win/sekisho-agent.exe: $(WIN_AGENT_OBJS) $(WIN_OSSL)/libcrypto.a
	$(WIN_CC) $(WIN_CFLAGS) $(WIN_LDFLAGS) -o $@ $(WIN_AGENT_OBJS) $(WIN_LIBS)

$(B)/win/outbox-smoke.exe: $(WIN_SMOKE_OBJS) $(WIN_OSSL)/libcrypto.a
	$(WIN_CC) $(WIN_CFLAGS) $(WIN_LDFLAGS) -o $@ $(WIN_SMOKE_OBJS) $(WIN_LIBS)

-include $(WIN_AGENT_OBJS:.o=.d) $(WIN_SMOKE_OBJS:.o=.d)
