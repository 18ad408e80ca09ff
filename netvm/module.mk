NETVM_SRCS := netvm/engine.c netvm/office.c netvm/firewall.c netvm/fw_rules.c netvm/fw_svc.c netvm/rtnl.c netvm/route.c netvm/route6.c \
	netvm/tunnel.c netvm/workside.c netvm/control.c netvm/status.c netvm/timers.c \
	netvm/live.c netvm/trust.c netvm/verifier.c netvm/accept.c netvm/fetch.c
PROGS += sekishod sekishoctl
sekishod_SRCS := netvm/sekishod.c $(NETVM_SRCS)
sekishoctl_SRCS := netvm/sekishoctl.c netvm/control.c netvm/status.c netvm/engine.c
UNITS += test_engine test_netvm
test_engine_SRCS := tests/unit/test_engine.c netvm/engine.c
test_netvm_SRCS := tests/unit/test_netvm.c netvm/firewall.c netvm/fw_rules.c netvm/fw_svc.c netvm/control.c \
	netvm/live.c netvm/trust.c netvm/verifier.c \
	netvm/status.c netvm/engine.c netvm/rtnl.c netvm/timers.c
FUZZERS += fuzz_control
fuzz_control_SRCS := tests/fuzz/fuzz_control.c netvm/control.c netvm/status.c \
	netvm/engine.c netvm/rtnl.c
PROGS += sekisho-probe
sekisho-probe_SRCS := netvm/sekisho-probe.c agency/beacon_udp.c
# Bundle fetches (docs/distribution.md): the helper that talks to the server.
PROGS += sekisho-fetch
sekisho-fetch_SRCS := netvm/sekisho-fetch.c
