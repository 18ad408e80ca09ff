# vpn/: WireGuard control (kernel genetlink and userspace UAPI backends).
# Linked into every program through LIB_SRCS: sekishod and sekisho-gw use it.
VPN_SRCS := vpn/wg.c vpn/wg_uapi.c vpn/wg_nl.c vpn/wg_userspace.c
LIB_SRCS += $(VPN_SRCS)

UNITS += test_vpn
test_vpn_SRCS := tests/unit/test_vpn.c $(VPN_SRCS) vpn/wg_pubkey.c
# wg_userspace.c starts wireguard-go in the sandbox (lib/sandbox.h).
$(B)/unit/test_vpn: PKG_LIBS += $(SANDBOX_LIBS)
$(B)/wg_live: LDFLAGS += $(SANDBOX_LIBS)

PROGS += wg_live
wg_live_SRCS := tests/vpn/wg_live.c vpn/wg_pubkey.c
# Its test build, build/test/wg_live (Makefile, TEST_SRCS): wg.c with its
# test hook, $SEKISHO_WG_USERSPACE in wireguard-go's place (10-vpn-uapi).
# The installed programs that link wg.c have none.
wg_live_TEST_SRCS := vpn/wg.c
$(B)/test/wg_live: LDFLAGS += $(SANDBOX_LIBS)

FUZZERS += fuzz_uapi
fuzz_uapi_SRCS := tests/fuzz/fuzz_uapi.c $(VPN_SRCS) vpn/wg_pubkey.c
