# sekisho-provision: IT's tool over the registry (issue 12).
# The input/output parts (CSV, encodings, import mapping, LDAP sync,
# tables) are declared in io.mk; the program's own lines go below.
include provisioning/sekisho-provision/io.mk
