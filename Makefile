# Sekisho — one Makefile for the whole tree.
#
#   make deps     install every Debian package the project needs (apt)
#   make all      build daemons, tools and tests (warnings are errors)
#   make check    deps + all + every unit, integration and fuzz-smoke test
#   make demo     deps + all + the laptop's day in the lab, end to end
#   make bench    benchmarks, printed as "bench: NAME = VALUE UNIT"
#   make fuzz     the libFuzzer harnesses, longer than check's smoke run
#   make lab-up   leave a lab topology running to explore; lab-down removes it

CC      ?= cc
CLANG   ?= clang
B       := build
PKGS    := libnftables libmnl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# OpenBSD daemons' warning set, on top of -Wall -Wextra.
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	-Wsign-compare -Wformat=2 -Wno-format-nonliteral -Wvla
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -O2 -g $(WARN) -I. $(PKG_CFLAGS)
# Hardened build of every program (tests/hardening.sh checks each binary):
# stack canaries, fortified libc calls, stack clash and CET protection,
# position-independent executables, full RELRO (bound at start, GOT read
# only), no executable stack. The sanitizer builds of the unit tests keep
# their own instrumentation instead.
HARDEN    := -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 \
	-fstack-clash-protection -fcf-protection -fPIE
LDHARDEN  := -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Each folder lists its sources in module.mk (a folder's own compiler flags
# go in MOD_CFLAGS, target by target: CFLAGS is the caller's, and `make
# check` hands it down on the command line, where it overrides any CFLAGS
# a module.mk would add):
#   LIB_SRCS += ...        objects shared by everything (lib/, parsers, codecs)
#   PROGS    += name       one program; name_SRCS lists its own sources
#   UNITS    += name       one cmocka unit test; name_SRCS lists its sources
#   FUZZERS  += name       one libFuzzer harness; name_SRCS lists its sources
# Debian packages: modules may add their own with DEBS += ...
# libclang-rt-14-dev holds clang's fuzzer and sanitizer runtimes, which
# --no-install-recommends would leave out; tcpdump is make bench's;
# netbase gives nft the protocol names (tcp, udp) the tests read back.
DEBS := build-essential clang libclang-rt-14-dev pkg-config libnftables-dev libmnl-dev \
	libssl-dev libcmocka-dev nftables iproute2 wireguard-go wireguard-tools \
	dnsmasq-base busybox curl bind9-dnsutils iperf3 iputils-ping procps \
	psmisc kmod python3 tcpdump netcat-openbsd netbase systemd
LIB_SRCS :=
PROGS    :=
UNITS    :=
FUZZERS  :=
# The layers first (lib/, vpn/, policy/, registry/), then one folder per program,
# named after its binary (docs/architecture.md).
include lib/module.mk vpn/module.mk policy/module.mk registry/module.mk
include $(sort $(wildcard */*/module.mk))
include tests/module.mk

LIB_OBJS      := $(LIB_SRCS:%.c=$(B)/obj/%.o)
LIB_SAN_OBJS  := $(LIB_SRCS:%.c=$(B)/san/%.o)

.PHONY: all deps check demo bench fuzz lab-up lab-down clean units fuzzers tools
all: tools units fuzzers
tools: $(PROGS:%=$(B)/%)
units: $(UNITS:%=$(B)/unit/%)
fuzzers: $(FUZZERS:%=$(B)/fuzz/%)

# A stamp named after the flags: changing them rebuilds every object.
FLAGS_STAMP := $(B)/flags.$(shell echo '$(CC) $(CFLAGS_BASE) $(HARDEN) $(SAN) $(CFLAGS) $(LDHARDEN)' | md5sum | cut -c1-12)
$(FLAGS_STAMP):
	@mkdir -p $(B) && rm -f $(B)/flags.* && touch $@

$(B)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(HARDEN) $(MOD_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<
$(B)/san/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) $(MOD_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The shared objects go into archives, so each program links only what it
# uses (sekisho-policy has no business carrying the tunnel code).
$(B)/libsekisho.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^
$(B)/libsekisho-san.a: $(LIB_SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

define prog_rule
$(B)/$(1): $$(sort $$($(1)_SRCS:%.c=$(B)/obj/%.o)) $(B)/libsekisho.a
	$$(CC) $$(CFLAGS_BASE) $$(HARDEN) $$(CFLAGS) $$(LDHARDEN) -o $$@ $$^ -Wl,--as-needed $$(PKG_LIBS) $$(LDFLAGS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Test hooks (a clock set by $SEKISHO_NOW, ...) are in test builds only.
# A program with some lists the sources that read them in NAME_TEST_SRCS:
# those are compiled a second time with -DSEKISHO_TEST_HOOKS, and linked
# with the program's other objects into $(B)/test/NAME, which the tests run
# for the hooks. $(B)/NAME, the program that is installed, has none: the
# environment cannot change its clock (docs/provisioning.md).
$(B)/objtest/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(HARDEN) $(MOD_CFLAGS) $(CFLAGS) -DSEKISHO_TEST_HOOKS -MMD -MP -c -o $@ $<
define testprog_rule
$(B)/test/$(1): $$(sort $$(filter-out $$($(1)_TEST_SRCS:%.c=$(B)/obj/%.o),$$($(1)_SRCS:%.c=$(B)/obj/%.o)) $$($(1)_TEST_SRCS:%.c=$(B)/objtest/%.o)) $(B)/libsekisho.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_BASE) $$(HARDEN) $$(CFLAGS) $$(LDHARDEN) -o $$@ $$^ -Wl,--as-needed $$(PKG_LIBS) $$(LDFLAGS)
endef
TEST_PROGS := $(foreach p,$(PROGS),$(if $($(p)_TEST_SRCS),$(p)))
$(foreach p,$(TEST_PROGS),$(eval $(call testprog_rule,$(p))))
tools: $(TEST_PROGS:%=$(B)/test/%)

define unit_rule
$(B)/unit/$(1): $$(sort $$($(1)_SRCS:%.c=$(B)/san/%.o)) $(B)/libsekisho-san.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_BASE) $$(SAN) -o $$@ $$^ $$(PKG_LIBS) -lcmocka
endef
$(foreach u,$(UNITS),$(eval $(call unit_rule,$(u))))

# libFuzzer harnesses: clang. Every object is instrumented for coverage
# (-fsanitize=fuzzer-no-link) and compiled once, then shared by every
# harness through libsekisho-fuzz.a: the whole parser is instrumented, as
# before, but 40-odd harnesses no longer compile the library 40-odd times
# (that was most of a clean build's time on two cores).
# The modules' include paths (the registry's libpq, the agent's pcsc-lite)
# for every object: one set of flags, so an object is the same whichever
# harness asked for it first.
FUZZ_CFLAGS = -std=c17 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) \
	$(REGISTRY_CFLAGS) $(AGENT_CFLAGS) \
	-fsanitize=address,undefined -fno-sanitize-recover=all
$(B)/fz/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(B)/libsekisho-fuzz.a: $(LIB_SRCS:%.c=$(B)/fz/%.o)
	rm -f $@ && ar rcs $@ $^
define fuzz_rule
$(B)/fuzz/$(1): $$(sort $$($(1)_SRCS:%.c=$(B)/fz/%.o)) $(B)/libsekisho-fuzz.a
	@mkdir -p $$(dir $$@)
	$$(CLANG) $$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))

-include $(shell find $(B)/obj $(B)/objtest $(B)/san $(B)/fz -name '*.d' -type f 2>/dev/null)

deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: must run as root (apt-get)"; exit 1; fi
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

check: deps
	$(MAKE) all CFLAGS="$(CFLAGS)"
	$(B)/subreaper tests/run.sh

demo: deps
	$(MAKE) tools
	$(B)/subreaper tests/demo.sh

bench: deps
	$(MAKE) tools
	$(B)/subreaper tests/bench/run.sh

fuzz: fuzzers
	FUZZ_SECONDS=$${FUZZ_SECONDS:-120} tests/fuzz/run.sh

lab-up: tools
	tests/lab/up.sh

lab-down:
	tests/lab/down.sh

clean:
	rm -rf $(B)

# tests/layers/check.sh asks which sources make a program.
.PHONY: print-srcs
print-srcs:
	@echo $($(PROG)_SRCS)

# tests/integration/07-bench-hygiene.sh asks which packages make deps installs.
.PHONY: print-debs
print-debs:
	@echo $(sort $(DEBS))

# tests/integration/03-hardening.sh asks which programs there are.
.PHONY: print-progs
print-progs:
	@echo $(PROGS)
