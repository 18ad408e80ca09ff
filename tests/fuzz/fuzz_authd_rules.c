/* libFuzzer: the verifier's rules file (agency/sekisho-authd/rules.h).
 * Whatever the bytes: one error line, or a table whose printed form
 * parses back to the same table. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "agency/sekisho-authd/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules a, b;
	static char text[RULES_MAX * (RULES_ROLE_MAX + 64)];
	struct sk_error err;

	if (rules_parse("f", (const char *)data, size, &a, &err) < 0) {
		size_t n = strlen(err.msg);

		if (n == 0 || strchr(err.msg, '\n') != NULL)
			__builtin_trap();
		return 0;
	}
	rules_print(&a, text, sizeof(text));
	if (rules_parse("p", text, strlen(text), &b, &err) < 0 || a.n != b.n ||
	    memcmp(a.r, b.r, a.n * sizeof(a.r[0])) != 0)
		__builtin_trap();
	for (size_t i = 0; i < a.n; i++)
		if (!rules_allow(&a, a.r[i].role, 1) != !((a.r[i].factors >> 1) & 1))
			__builtin_trap();
	return 0;
}
