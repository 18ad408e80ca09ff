# sekisho-policy: check, print, keygen, sign, verify, compile (docs/policy.md,
# docs/bundle.md).
PROGS += sekisho-policy
sekisho-policy_SRCS := $(wildcard policy/sekisho-policy/*.c)
