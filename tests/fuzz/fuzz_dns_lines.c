/* libFuzzer: sekisho-dnscheck's lines as sekishod reads them
 * (dnscheck_line_parse), then the resolver choice they drive (dnspick).
 * Whatever the bytes: one-line refusal, or verdicts of 0 and 1 only; the
 * pick stays within the resolvers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netvm/sekishod/dnspick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnspick p;
	struct sk_error err;
	uint8_t alive[DNS_MAX_RESOLVERS];
	char *s, *line, *save = NULL;
	size_t n;

	if (size < 1)
		return 0;
	n = (size_t)(data[0] % (DNS_MAX_RESOLVERS + 1));
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	dnspick_init(&p, n);
	for (line = strtok_r(s, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		memset(alive, 7, sizeof(alive));
		if (dnscheck_line_parse(line, n, alive, &err) < 0) {
			if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL)
				__builtin_trap();
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (alive[i] > 1)
				__builtin_trap();
		dnspick_round(&p, alive);
		if (p.pick >= p.n || p.from >= p.n)
			__builtin_trap();
	}
	free(s);
	return 0;
}
