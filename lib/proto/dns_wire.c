#include "lib/proto/dns_wire.h"

#include <string.h>

#define DNS_FLAG_QR	0x8000
#define DNS_FLAG_RD	0x0100
#define DNS_OPCODE_MASK	0x7800
#define DNS_RCODE_MASK	0x000f

static const uint8_t question[DNS_QUERY_LEN - DNS_HDR_LEN] = {
	0,		/* the root */
	0, 2,		/* NS */
	0, 1,		/* IN */
};

void
dns_query_encode(uint8_t out[DNS_QUERY_LEN], uint16_t id)
{
	memset(out, 0, DNS_HDR_LEN);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = DNS_FLAG_RD >> 8;
	out[5] = 1;	/* QDCOUNT */
	memcpy(out + DNS_HDR_LEN, question, sizeof(question));
}

enum dns_verdict
dns_answer_check(const uint8_t *buf, size_t len, uint16_t id)
{
	unsigned int flags;

	if (len < DNS_QUERY_LEN)
		return DNS_NOT_OURS;
	if ((unsigned int)(buf[0] << 8 | buf[1]) != id)
		return DNS_NOT_OURS;
	flags = (unsigned int)(buf[2] << 8 | buf[3]);
	if (!(flags & DNS_FLAG_QR) || (flags & DNS_OPCODE_MASK) != 0)
		return DNS_NOT_OURS;
	if (buf[4] != 0 || buf[5] != 1 ||
	    memcmp(buf + DNS_HDR_LEN, question, sizeof(question)) != 0)
		return DNS_NOT_OURS;
	return (flags & DNS_RCODE_MASK) == DNS_RCODE_SERVFAIL ? DNS_FAILING : DNS_ALIVE;
}
