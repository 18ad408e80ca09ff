# tests/: the lab's process reaper (make check, demo and bench run under it).
PROGS += subreaper
subreaper_SRCS := tests/lab/subreaper.c

# The sandboxed programs' system users (lib/sandbox.h), with the packages.
.PHONY: sandbox-users
deps: sandbox-users
sandbox-users:
	@tests/sandbox-users.sh

# The sandbox's test harness (tests/integration/08-sandbox.sh): enters a
# sandbox and makes forbidden calls; runs sekishod's verifier_run as is.
PROGS += sandbox-harness
sandbox-harness_SRCS := tests/sandbox/sandbox-harness.c netvm/sekishod/bundle_verify.c
$(B)/sandbox-harness: LDFLAGS += $(SANDBOX_LIBS)
