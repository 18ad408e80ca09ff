/*
 * The one DNS exchange the netvm makes itself: sekisho-dnscheck asks each
 * of the mode's resolvers whether it answers (docs/policy.md, "DNS
 * failover"). The question is fixed: the root's NS records, recursion
 * desired, which every resolver can answer from its root hints.
 *
 *   query (17 bytes)                    answer (12 bytes or more)
 *     0  2  id, random                    0  2  the query's id
 *     2  2  flags 0x0100 (RD)             2  2  QR set, opcode 0, TC any,
 *     4  2  QDCOUNT 1                           RCODE in the low 4 bits
 *     6  6  AN, NS, AR counts 0           4  2  QDCOUNT 1
 *    12  1  name: the root, 0             6  6  counts: anything
 *    13  2  QTYPE NS (2)                 12  5  the question, byte for byte
 *    15  2  QCLASS IN (1)                17  ...records: not read
 *
 * Integers are big-endian. Only the header and the echoed question are
 * read: the records that follow are never parsed. Pure: no sockets.
 */
#ifndef SK_DNS_WIRE_H
#define SK_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_PORT		53
#define DNS_QUERY_LEN		17
#define DNS_HDR_LEN		12
#define DNS_RCODE_SERVFAIL	2

enum dns_verdict {
	DNS_ALIVE = 0,		/* an answer to this query: the resolver works */
	DNS_FAILING = 1,	/* an answer, SERVFAIL: it cannot resolve */
	DNS_NOT_OURS = -1,	/* not an answer to this query: ignore it */
};

/* The query with id into out (DNS_QUERY_LEN bytes). */
void dns_query_encode(uint8_t out[DNS_QUERY_LEN], uint16_t id);
/* What len bytes from a resolver say about the query with id. Any RCODE
 * but SERVFAIL counts as alive: NXDOMAIN or REFUSED for the root still
 * come from a resolver that is up and reachable. */
enum dns_verdict dns_answer_check(const uint8_t *buf, size_t len, uint16_t id);

#endif
