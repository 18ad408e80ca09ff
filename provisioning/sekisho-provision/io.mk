# sekisho-provision's input and output (docs/provisioning.md): CSV, text
# encodings, import header mapping and validation, directory sync, tables.
# module.mk includes this file; prov's program lines live there.
PROV_IO_SRCS := provisioning/sekisho-provision/csv.c provisioning/sekisho-provision/textenc.c \
	provisioning/sekisho-provision/importmap.c provisioning/sekisho-provision/reclist.c \
	provisioning/sekisho-provision/ldapsync.c provisioning/sekisho-provision/table.c
# Libraries the I/O parts need: libldap for ldapsync.c, json-c for table.c.
PROV_IO_LIBS := -lldap -llber -ljson-c
DEBS += libldap-dev slapd ldap-utils libjson-c-dev
