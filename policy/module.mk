# policy/: the device policy (docs/policy.md): parser, printer; signed
# bundles and the anti-rollback serial store (docs/bundle.md); and
# policy/render/, the pure nftables rendering of the netvm's and the
# gateway's rulesets. All of it is for the programs above as much as for
# the sekisho-policy CLI (policy/sekisho-policy/): shared through LIB_SRCS.
# bundle_crypto.c is the only one that needs libcrypto; a program that does
# not call into it does not link it.
LIB_SRCS += policy/parse.c policy/parse_rules.c policy/prefix.c policy/print.c policy/fileio.c policy/serial.c \
	policy/bundle.c policy/bundle_check.c policy/bundle_crypto.c policy/bundle_fresh.c
LIB_SRCS += policy/render/mode.c policy/render/fw_render.c policy/render/fw_rules.c \
	policy/render/fw_svc.c policy/render/fw_dns.c policy/render/fw_model.c policy/render/fw_office.c policy/render/compile.c

UNITS += test_policy test_bundle
test_policy_SRCS := tests/unit/test_policy.c
test_bundle_SRCS := tests/unit/test_bundle.c

FUZZERS += fuzz_policy fuzz_bundle
fuzz_policy_SRCS := tests/fuzz/fuzz_policy.c
fuzz_bundle_SRCS := tests/fuzz/fuzz_bundle.c

# make bench: tests/bench/policy.sh measures with this, in process.
PROGS += bench-policy
# fw_switch_mode and fw_policy_diff are sekishod's own (firewall.c).
bench-policy_SRCS := tests/bench/bench_policy.c netvm/sekishod/firewall.c netvm/sekishod/nfset.c

# tests/policy/bundles/mkbundle.py signs with the openssl tool.
DEBS += openssl
