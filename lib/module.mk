# lib/: what every program shares (logging, buffers, encodings, files,
# processes, UDP with TTL 255, loading nftables text) and lib/proto/, the
# wire formats that two programs speak (docs/architecture.md, "Layers").
# Everything here goes into libsekisho.a; a program links what it uses.
LIB_SRCS += lib/log.c lib/encode.c lib/util.c lib/buf.c lib/proc.c lib/udp.c lib/ifname.c lib/cli.c lib/secfile.c \
	lib/nftload.c lib/nfnl.c lib/sandbox.c lib/sandbox_dump.c lib/notify.c
LIB_SRCS += lib/proto/beacon_wire.c lib/proto/beacon_sign.c lib/proto/dist_wire.c \
	lib/proto/control_wire.c lib/proto/dns_wire.c lib/proto/probe_wire.c \
	lib/proto/bverify_wire.c lib/proto/signon_wire.c lib/proto/signon_crypto.c \
	lib/proto/gwsess_wire.c lib/proto/pverify_wire.c

UNITS += test_lib
test_lib_SRCS := tests/unit/test_lib.c

# The bundle distribution codec (docs/distribution.md).
FUZZERS += fuzz_dist_wire
fuzz_dist_wire_SRCS := tests/fuzz/fuzz_dist_wire.c

# lib/encode's decoders.
FUZZERS += fuzz_encode
fuzz_encode_SRCS := tests/fuzz/fuzz_encode.c

# sekishod's control protocol (docs/control.md).
FUZZERS += fuzz_control
fuzz_control_SRCS := tests/fuzz/fuzz_control.c

# The sandbox of helpers and agency daemons (lib/sandbox.h) needs
# libseccomp: each program that enters it adds SANDBOX_LIBS to its link.
# The fuzz harnesses build every lib/ source, so they link it too.
DEBS += libseccomp-dev
SANDBOX_LIBS := -lseccomp
$(B)/fuzz/%: PKG_LIBS += $(SANDBOX_LIBS)

# Sign-on's messages (docs/sign-on.md).
FUZZERS += fuzz_signon_wire
fuzz_signon_wire_SRCS := tests/fuzz/fuzz_signon_wire.c
UNITS += test_signon
test_signon_SRCS := tests/unit/test_signon.c tests/signon/testcard.c

# sekishod <-> sekisho-policy verify-serve (lib/proto/pverify_wire.h).
FUZZERS += fuzz_pverify_wire
fuzz_pverify_wire_SRCS := tests/fuzz/fuzz_pverify_wire.c
