# sekisho-provision's input and output (docs/provisioning.md): CSV, text
# encodings, import header mapping and validation, directory sync, tables.
# module.mk includes this file; the program's own lines live there. The
# program takes PROV_IO_SRCS into its sources and PROV_IO_LIBS into its
# link: $(B)/sekisho-provision: LDFLAGS += $(PROV_IO_LIBS)
PROV_DIR := provisioning/sekisho-provision
PROV_IO_PURE := $(PROV_DIR)/csv.c $(PROV_DIR)/textenc.c $(PROV_DIR)/importmap.c \
	$(PROV_DIR)/reclist.c
PROV_IO_SRCS := $(PROV_IO_PURE) $(PROV_DIR)/table.c $(PROV_DIR)/ldapsync.c \
	$(PROV_DIR)/ldapsync_conf.c $(PROV_DIR)/ldapsync_plan.c
# libldap for ldapsync.c, json-c for table.c.
PROV_IO_LIBS := -lldap -llber -ljson-c
DEBS += libldap-dev slapd ldap-utils libjson-c-dev

# CSV reader and writer, the encodings.
UNITS += test_csv
test_csv_SRCS := tests/unit/test_csv.c $(PROV_DIR)/csv.c $(PROV_DIR)/textenc.c
# Header mapping and row validation: every error class, exact messages.
UNITS += test_importmap
test_importmap_SRCS := tests/unit/test_importmap.c $(PROV_IO_PURE)
# Table widths, JSON, CSV in CP932.
UNITS += test_table
test_table_SRCS := tests/unit/test_table.c $(PROV_IO_PURE) $(PROV_DIR)/table.c
$(B)/unit/test_table: PKG_LIBS += -ljson-c
# The sync's configuration parser and its plan (pure; no server).
UNITS += test_ldapsync
test_ldapsync_SRCS := tests/unit/test_ldapsync.c $(PROV_IO_PURE) \
	$(PROV_DIR)/ldapsync_conf.c $(PROV_DIR)/ldapsync_plan.c

# The CSV reader on fuzzed bytes, and write-then-read giving the same fields.
FUZZERS += fuzz_csv
fuzz_csv_SRCS := tests/fuzz/fuzz_csv.c $(PROV_DIR)/csv.c
# The whole import (encoding detection, framing, header, rows).
FUZZERS += fuzz_importmap
fuzz_importmap_SRCS := tests/fuzz/fuzz_importmap.c $(PROV_IO_PURE)
# The sync's configuration file.
FUZZERS += fuzz_ldapconf
fuzz_ldapconf_SRCS := tests/fuzz/fuzz_ldapconf.c $(PROV_IO_PURE) $(PROV_DIR)/ldapsync_conf.c
