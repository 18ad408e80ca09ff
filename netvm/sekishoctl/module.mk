# sekishoctl: status, reload and prefer over sekishod's control socket
# (docs/control.md). The protocol is lib/proto/control_wire.c, in
# libsekisho.a; the JSON of `status --json` is json-c's.
PROGS += sekishoctl
sekishoctl_SRCS := netvm/sekishoctl/sekishoctl.c netvm/sekishoctl/status.c \
	netvm/sekishoctl/reload.c netvm/sekishoctl/prefer.c netvm/sekishoctl/show.c
$(B)/sekishoctl: LDFLAGS += -ljson-c
DEBS += libjson-c-dev
