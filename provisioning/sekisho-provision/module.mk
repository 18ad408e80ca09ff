# sekisho-provision: IT's tool over the registry (issue 12).
# The input/output parts (CSV, encodings, import mapping, LDAP sync,
# tables) are declared in io.mk; the program's own lines go below.
include provisioning/sekisho-provision/io.mk

# The program: its subcommands (cmd_*.c), the bundle and key helpers, the
# I/O parts above and the registry layer (registry/module.mk).
PROGS += sekisho-provision
PROV_SRCS := $(filter-out $(PROV_IO_SRCS),$(wildcard provisioning/sekisho-provision/*.c))
sekisho-provision_SRCS := $(PROV_SRCS) $(PROV_IO_SRCS) $(REGISTRY_SRCS)
$(B)/sekisho-provision: LDFLAGS += $(REGISTRY_LIBS) $(PROV_IO_LIBS)
# The test build, build/test/sekisho-provision (Makefile, TEST_SRCS): main.c
# with its test hook, the clock of $SEKISHO_NOW for codes' expiry.
sekisho-provision_TEST_SRCS := provisioning/sekisho-provision/main.c
$(B)/test/sekisho-provision: LDFLAGS += $(REGISTRY_LIBS) $(PROV_IO_LIBS)
