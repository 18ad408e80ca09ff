# policy/: the device policy (docs/policy.md): parser, printer, CLI; signed
# bundles, the anti-rollback serial store and the compiler (docs/bundle.md).
# The bundle codec, checks and serial store are for sekishod as much as for
# the CLI: shared through LIB_SRCS. bundle_crypto.c is the only one that
# needs libcrypto; a program that does not call into it does not link it.
LIB_SRCS += policy/parse.c policy/parse_rules.c policy/prefix.c policy/print.c policy/fileio.c policy/serial.c \
	policy/bundle.c policy/bundle_check.c policy/bundle_crypto.c
# The compiler renders the netvm's ruleset with netvm/firewall.c itself.
POLICY_COMPILE_SRCS := policy/compile.c netvm/firewall.c netvm/fw_rules.c netvm/fw_svc.c

PROGS += sekisho-policy
sekisho-policy_SRCS := policy/sekisho-policy.c policy/cmd_keygen.c \
	policy/cmd_sign.c policy/cmd_verify.c policy/cmd_compile.c \
	$(POLICY_COMPILE_SRCS)

UNITS += test_policy test_bundle
test_policy_SRCS := tests/unit/test_policy.c
test_bundle_SRCS := tests/unit/test_bundle.c $(POLICY_COMPILE_SRCS)

FUZZERS += fuzz_policy fuzz_bundle
fuzz_policy_SRCS := tests/fuzz/fuzz_policy.c policy/parse.c policy/print.c
fuzz_bundle_SRCS := tests/fuzz/fuzz_bundle.c

# make bench: tests/bench/policy.sh measures with this, in process.
PROGS += bench-policy
bench-policy_SRCS := tests/bench/bench_policy.c $(POLICY_COMPILE_SRCS)

# tests/policy/bundles/mkbundle.py signs with the openssl tool.
DEBS += openssl
