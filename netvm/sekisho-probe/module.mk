# sekisho-probe: sekishod's helper that challenges a beacon on one uplink.
PROGS += sekisho-probe
sekisho-probe_SRCS := netvm/sekisho-probe/sekisho-probe.c
$(B)/sekisho-probe: LDFLAGS += $(SANDBOX_LIBS)
