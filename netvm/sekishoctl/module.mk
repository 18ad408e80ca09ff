# sekishoctl: status and reload over sekishod's control socket.
PROGS += sekishoctl
sekishoctl_SRCS := netvm/sekishoctl/sekishoctl.c netvm/sekishod/control.c netvm/sekishod/status.c netvm/sekishod/engine.c
