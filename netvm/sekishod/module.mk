# sekishod: the netvm daemon (docs/architecture.md).
SEKISHOD_SRCS := $(filter-out netvm/sekishod/sekishod.c,$(wildcard netvm/sekishod/*.c))
PROGS += sekishod
sekishod_SRCS := netvm/sekishod/sekishod.c $(SEKISHOD_SRCS)
UNITS += test_engine test_netvm
test_engine_SRCS := tests/unit/test_engine.c netvm/sekishod/engine.c
test_netvm_SRCS := tests/unit/test_netvm.c netvm/sekishod/control.c \
	netvm/sekishod/live.c netvm/sekishod/trust.c netvm/sekishod/bundle_verify.c \
	netvm/sekishod/status.c netvm/sekishod/engine.c netvm/sekishod/rtnl.c netvm/sekishod/timers.c
FUZZERS += fuzz_control
fuzz_control_SRCS := tests/fuzz/fuzz_control.c netvm/sekishod/control.c netvm/sekishod/status.c \
	netvm/sekishod/engine.c netvm/sekishod/rtnl.c
# bundle_verify.c starts the verifying helper in the sandbox (lib/sandbox.h).
$(B)/sekishod: LDFLAGS += $(SANDBOX_LIBS)
$(B)/unit/test_netvm: PKG_LIBS += $(SANDBOX_LIBS)
