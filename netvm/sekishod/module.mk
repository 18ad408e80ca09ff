# sekishod: the netvm daemon (docs/architecture.md).
SEKISHOD_SRCS := $(filter-out netvm/sekishod/sekishod.c,$(wildcard netvm/sekishod/*.c))
PROGS += sekishod
sekishod_SRCS := netvm/sekishod/sekishod.c $(SEKISHOD_SRCS)
UNITS += test_engine test_netvm test_office
test_engine_SRCS := tests/unit/test_engine.c netvm/sekishod/engine.c
test_office_SRCS := tests/unit/test_office.c netvm/sekishod/office.c netvm/sekishod/route.c \
	netvm/sekishod/live.c netvm/sekishod/timers.c
test_netvm_SRCS := tests/unit/test_netvm.c netvm/sekishod/control.c \
	netvm/sekishod/live.c netvm/sekishod/trust.c netvm/sekishod/bundle_verify.c \
	netvm/sekishod/status.c netvm/sekishod/engine.c netvm/sekishod/rtnl.c netvm/sekishod/timers.c
FUZZERS += fuzz_control
fuzz_control_SRCS := tests/fuzz/fuzz_control.c netvm/sekishod/control.c netvm/sekishod/status.c \
	netvm/sekishod/engine.c netvm/sekishod/rtnl.c
