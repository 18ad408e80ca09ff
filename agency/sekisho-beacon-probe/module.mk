# sekisho-beacon-probe: one verified challenge, or the beacon's load
# generator for make bench (docs/beacon.md).
PROGS += sekisho-beacon-probe
sekisho-beacon-probe_SRCS := $(wildcard agency/sekisho-beacon-probe/*.c)
