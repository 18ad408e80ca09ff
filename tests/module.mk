# tests/: the lab's process reaper (make check, demo and bench run under it).
PROGS += subreaper
subreaper_SRCS := tests/lab/subreaper.c

# test_dist (agency/sekisho-bundle-server/module.mk) checks what `sekishoctl
# status` prints about fetches, through the wire as test_netvm does.
test_dist_SRCS += tests/unit/status_wire.c netvm/sekishoctl/show.c
$(B)/unit/test_dist: PKG_LIBS += -ljson-c
