# sekisho-dnscheck: sekishod's helper that asks the mode's resolvers
# whether they answer (docs/policy.md, "DNS failover").
PROGS += sekisho-dnscheck
sekisho-dnscheck_SRCS := netvm/sekisho-dnscheck/sekisho-dnscheck.c
$(B)/sekisho-dnscheck: LDFLAGS += $(SANDBOX_LIBS)
# The answers it reads (lib/proto/dns_wire.c).
FUZZERS += fuzz_dns_wire
fuzz_dns_wire_SRCS := tests/fuzz/fuzz_dns_wire.c
# tests/integration/27-dns-failover.sh: dig from work, dnsmasq as the
# resolvers.
DEBS += bind9-dnsutils dnsmasq-base
