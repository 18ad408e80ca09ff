/* libFuzzer: what a resolver sends sekisho-dnscheck (lib/proto/dns_wire.h).
 * Whatever the bytes and the id: a verdict, never a read beyond len; an
 * answer is only ever one that echoes the id and the question. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/proto/dns_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t q[DNS_QUERY_LEN];
	uint16_t id;
	enum dns_verdict v;

	if (size < 2)
		return 0;
	id = (uint16_t)(data[0] << 8 | data[1]);
	v = dns_answer_check(data, size, id);
	if (v != DNS_NOT_OURS && v != DNS_ALIVE && v != DNS_FAILING)
		__builtin_trap();
	if (v != DNS_NOT_OURS) {
		/* The id and the question are the query's. */
		dns_query_encode(q, id);
		if (size < DNS_QUERY_LEN || memcmp(data, q, 2) != 0 ||
		    memcmp(data + DNS_HDR_LEN, q + DNS_HDR_LEN, DNS_QUERY_LEN - DNS_HDR_LEN) != 0 ||
		    !(data[2] & 0x80))
			__builtin_trap();
	}
	/* Another id never matches. */
	if (dns_answer_check(data, size, (uint16_t)(id ^ 1)) != DNS_NOT_OURS)
		__builtin_trap();
	return 0;
}
