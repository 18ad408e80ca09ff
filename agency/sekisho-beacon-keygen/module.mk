# sekisho-beacon-keygen: a beacon's Ed25519 key pair (docs/beacon.md).
PROGS += sekisho-beacon-keygen
sekisho-beacon-keygen_SRCS := $(wildcard agency/sekisho-beacon-keygen/*.c)
