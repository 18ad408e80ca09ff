# sekisho-dhcpd: the work link's DHCP, RA and DHCPv6 server, sandboxed
# (lib/sandbox.h); its packets are dhcp_codec.c's, pure and fuzzed.
PROGS += sekisho-dhcpd
sekisho-dhcpd_SRCS := netvm/sekisho-dhcpd/sekisho-dhcpd.c netvm/sekisho-dhcpd/dhcp_codec.c
$(B)/sekisho-dhcpd: LDFLAGS += $(SANDBOX_LIBS)
FUZZERS += fuzz_dhcp
fuzz_dhcp_SRCS := tests/fuzz/fuzz_dhcp.c netvm/sekisho-dhcpd/dhcp_codec.c
