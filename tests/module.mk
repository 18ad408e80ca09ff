# tests/: the lab's process reaper (make check, demo and bench run under it).
PROGS += subreaper
subreaper_SRCS := tests/lab/subreaper.c

# The sandboxed programs' system users (lib/sandbox.h), with the packages.
.PHONY: sandbox-users
deps: sandbox-users
sandbox-users:
	@tests/sandbox-users.sh
