/* libFuzzer: the office proof sekishod keeps while office rules are in
 * force (netvm/sekishod/office.c, layout in office.h). Whatever the bytes:
 * one error line, or an uplink in bounds (a named interface, an office
 * proven) that encodes back to the very same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netvm/sekishod/office.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const struct sk_error *err)
{
	size_t n = strlen(err->msg);

	if (n == 0 || n >= sizeof(err->msg) - 1 || strchr(err->msg, '\n') != NULL)
		__builtin_trap();
}

static void
check(const uint8_t *p, size_t n)
{
	struct uplink u;
	struct sk_error err;
	uint8_t back[OFFICE_PROOF_LEN];

	memset(&u, 0xa5, sizeof(u));
	if (office_proof_parse(p, n, &u, &err) != 0) {
		one_line(&err);
		return;
	}
	if (n != OFFICE_PROOF_LEN || u.office != OFFICE_VERIFIED || u.ifindex <= 0 ||
	    u.plen > 32 || memchr(u.name, '\0', sizeof(u.name)) == NULL ||
	    u.name[0] == '\0' || memchr(u.beacon, '\0', sizeof(u.beacon)) == NULL)
		__builtin_trap();
	office_proof_encode(back, &u);
	if (memcmp(back, p, n) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size);
	/* With the right magic and length, so the fields are reached often. */
	if (size >= 4) {
		uint8_t buf[OFFICE_PROOF_LEN];

		memset(buf, 0, sizeof(buf));
		memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
		memcpy(buf, "SKO2", 4);
		check(buf, sizeof(buf));
	}
	return 0;
}
