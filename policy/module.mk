# policy/: the device policy (docs/policy.md): parser, printer, CLI.
LIB_SRCS += policy/parse.c policy/print.c
PROGS += sekisho-policy
sekisho-policy_SRCS := policy/sekisho-policy.c
UNITS += test_policy
test_policy_SRCS := tests/unit/test_policy.c
FUZZERS += fuzz_policy
fuzz_policy_SRCS := tests/fuzz/fuzz_policy.c policy/parse.c policy/print.c
