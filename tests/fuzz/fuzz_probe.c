/* libFuzzer: what sekisho-probe reads that is not a beacon's answer.
 * Its target lines (netvm/sekisho-probe/targets.c): one error line, or a
 * target that prints back to the line's very fields. The TTL of a
 * received datagram (lib/udp.c: beacon_cmsg_read), with the input as the
 * control buffer of a struct msghdr: -1, or the int of a well-formed
 * IP_TTL / IPV6_HOPLIMIT message inside the buffer; the receive time
 * (SCM_TIMESTAMPNS) -1 or a time of a message; ASan sees that no byte
 * outside it is read; the same buffer as an error-queue message
 * (beacon_tx_stamp_parse: a transmit time or nothing). And the "nonce HEX"
 * and "dgram INDEX HEX" lines sekishod sends it. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/encode.h"
#include "lib/proto/probe_wire.h"
#include "lib/udp.h"
#include "netvm/sekisho-probe/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const uint8_t *data, size_t size)
{
	struct probe_target t;
	struct sk_error err;
	char line[600], norm[600], back[600], a[INET_ADDRSTRLEN], k[2][KEY_B64_LEN];
	const char *blanks = " \t\n\v\f\r";
	size_t n = 0;

	if (size >= sizeof(line))
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	if (probe_target_parse(line, &t, &err) != 0) {
		n = strlen(err.msg);
		if (n == 0 || n >= sizeof(err.msg) - 1 || strchr(err.msg, '\n') != NULL)
			__builtin_trap();
		return;
	}
	/* The line's fields, one space between them. */
	norm[0] = '\0';
	for (char *f = strtok(line, blanks); f != NULL; f = strtok(NULL, blanks)) {
		if (norm[0] != '\0')
			strcat(norm, " ");
		strcat(norm, f);
	}
	if (t.keys.n < 1 || t.keys.n > 2 || t.addr.sin_family != AF_INET ||
	    strlen(t.id) < 1 || strlen(t.id) > BEACON_ID_LEN ||
	    strspn(t.id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(t.id))
		__builtin_trap();
	for (size_t i = 0; i < t.keys.n; i++)
		key_to_b64(k[i], t.keys.key[i]);
	snprintf(back, sizeof(back), "%s %s:%u %s%s%s", t.id,
	    inet_ntop(AF_INET, &t.addr.sin_addr, a, sizeof(a)), ntohs(t.addr.sin_port),
	    k[0], t.keys.n > 1 ? " " : "", t.keys.n > 1 ? k[1] : "");
	if (strcmp(back, norm) != 0)
		__builtin_trap();
}

/* Is there, at an aligned offset of buf, a whole cmsg for the TTL whose
 * int is ttl? */
static int
ttl_there(const uint8_t *buf, size_t len, int ttl)
{
	for (size_t off = 0; off + CMSG_LEN(sizeof(int)) <= len; off += sizeof(size_t)) {
		struct cmsghdr c;
		int v;

		memcpy(&c, buf + off, sizeof(c));
		memcpy(&v, buf + off + CMSG_LEN(0), sizeof(v));
		if (c.cmsg_len == CMSG_LEN(sizeof(int)) && v == ttl &&
		    ((c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_TTL) ||
		    (c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_HOPLIMIT)))
			return 1;
	}
	return 0;
}

static void
check_cmsg(const uint8_t *data, size_t size)
{
	struct beacon_tx_stamp t;
	struct beacon_dgram d;
	struct msghdr m;
	uint8_t *ctl;
	int rc;

	if (size < 1)
		return;
	/* An exact heap copy, so ASan catches a read one byte past it. */
	if ((ctl = malloc(size - 1)) == NULL && size > 1)
		return;
	memcpy(ctl, data + 1, size - 1);
	memset(&m, 0, sizeof(m));
	m.msg_control = ctl;
	m.msg_controllen = size - 1;
	m.msg_flags = data[0] & 1 ? MSG_CTRUNC : 0;
	memset(&d, 0xa5, sizeof(d));
	beacon_cmsg_read(&m, &d);
	if (d.ttl != -1 && (m.msg_flags & MSG_CTRUNC || !ttl_there(ctl, size - 1, d.ttl)))
		__builtin_trap();
	if (d.has_pktinfo != 0 && d.has_pktinfo != 1)
		__builtin_trap();
	/* The receive time: none, or a non-negative time from a message. */
	if (d.rx_ns != -1 && (d.rx_ns < 0 || m.msg_flags & MSG_CTRUNC))
		__builtin_trap();
	/* The same buffer as an error-queue message: a transmit time only
	 * with both of its messages there, never from a truncated buffer. */
	memset(&t, 0xa5, sizeof(t));
	rc = beacon_tx_stamp_parse(&m, &t);
	if ((rc != 0 && rc != 1) || (rc == 1 && (t.ns < 0 || m.msg_flags & MSG_CTRUNC ||
	    (t.sched != 0 && t.sched != 1))))
		__builtin_trap();
	free(ctl);
}

/* sekishod's "nonce HEX" line (lib/proto/probe_wire.c): a nonce that
 * prints back to the very same line, or refused. */
static void
check_nonce(const uint8_t *data, size_t size)
{
	uint8_t nonce[BEACON_NONCE_LEN];
	char line[200], back[200];
	int n;

	if (size >= sizeof(line))
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	if (probe_nonce_parse(line, nonce) != 0)
		return;
	n = probe_nonce_format(back, sizeof(back), nonce);
	if (n <= 0 || back[n - 1] != '\n')
		__builtin_trap();
	back[n - 1] = '\0';
	if (strcmp(back, line) != 0)
		__builtin_trap();
}

/* sekishod's "dgram INDEX HEX" line: for one of 3 beacons, printing back
 * to the very same line, or refused. */
static void
check_dgram(const uint8_t *data, size_t size)
{
	uint8_t pkt[BEACON_ANSWER_LEN];
	char line[PROBE_LINE_MAX + 1], back[PROBE_LINE_MAX + 1];
	unsigned int i;
	int n;

	if (size >= sizeof(line))
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	if (probe_dgram_parse(line, 3, &i, pkt) != 0)
		return;
	n = probe_dgram_format(back, sizeof(back), i, pkt);
	if (i >= 3 || n <= 0 || back[n - 1] != '\n')
		__builtin_trap();
	back[n - 1] = '\0';
	if (strcmp(back, line) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_line(data, size);
	check_nonce(data, size);
	check_dgram(data, size);
	check_cmsg(data, size);
	return 0;
}
