#include "lib/proto/probe_wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/encode.h"

#define HEX_ANSWER_LEN	(2 * BEACON_ANSWER_LEN)
#define HEX_NONCE_LEN	(2 * BEACON_NONCE_LEN)

/* n characters of lowercase hex into n/2 bytes. */
static int
lower_hex(uint8_t *dst, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -EINVAL;
	return hex_decode(dst, n / 2, s, n);
}

/* A decimal number of exactly n characters, no sign, no leading zero. */
static int
number(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	char buf[24];

	if (n == 0 || n >= sizeof(buf) || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return parse_u64(buf, 0, max, v);
}

static int
reason(const char *r, struct probe_msg *m, enum probe_msg_type type,
    struct sk_error *err)
{
	if (*r == '\0')
		return sk_errorf(err, EINVAL, "no reason given");
	for (const char *c = r; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e)
			return sk_errorf(err, EINVAL, "unprintable reason");
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->reason = r;
	return 0;
}

int
probe_msg_parse(const char *line, size_t n_beacons, struct probe_msg *m,
    struct sk_error *err)
{
	const char *f[4], *end;
	size_t len[4];
	uint64_t index, ttl, rtt;

	if (strlen(line) >= PROBE_LINE_MAX)
		return sk_errorf(err, EINVAL, "line longer than %d bytes", PROBE_LINE_MAX - 1);
	if (strcmp(line, "ready") == 0) {
		memset(m, 0, sizeof(*m));
		m->type = PROBE_MSG_READY;
		return 0;
	}
	if (strncmp(line, "none ", 5) == 0)
		return reason(line + 5, m, PROBE_MSG_NONE, err);
	if (strncmp(line, "fail ", 5) == 0)
		return reason(line + 5, m, PROBE_MSG_FAIL, err);
	if (strncmp(line, "answer ", 7) != 0)
		return sk_errorf(err, EINVAL, "neither \"ready\", \"answer\", \"none\" nor \"fail\"");
	/* Four fields, each ended by one space or (the last) the end. */
	end = line + 7;
	for (size_t i = 0; i < 4; i++) {
		f[i] = end;
		len[i] = strcspn(f[i], " ");
		end = f[i] + len[i];
		if (len[i] == 0 || (i < 3 ? *end != ' ' : *end != '\0'))
			return sk_errorf(err, EINVAL, "not \"answer INDEX TTL RTT-US HEX\"");
		end++;
	}
	if (n_beacons == 0 || number(f[0], len[0], n_beacons - 1, &index) != 0)
		return sk_errorf(err, EINVAL, "answer for a beacon it was not asked about");
	if (number(f[1], len[1], 255, &ttl) != 0)
		return sk_errorf(err, EINVAL, "bad TTL");
	if (number(f[2], len[2], PROBE_RTT_US_MAX, &rtt) != 0)
		return sk_errorf(err, EINVAL, "bad round-trip time");
	memset(m, 0, sizeof(*m));
	if (len[3] != HEX_ANSWER_LEN || lower_hex(m->answer, f[3], len[3]) != 0)
		return sk_errorf(err, EINVAL, "answer not %d lowercase hex digits",
		    HEX_ANSWER_LEN);
	m->type = PROBE_MSG_ANSWER;
	m->index = (unsigned int)index;
	m->ttl = (int)ttl;
	m->rtt_us = (uint32_t)rtt;
	return 0;
}

int
probe_answer_format(char *buf, size_t size, unsigned int index, int ttl,
    uint32_t rtt_us, const uint8_t answer[BEACON_ANSWER_LEN])
{
	char hex[HEX_ANSWER_LEN + 1];
	int n;

	if (hex_encode(hex, sizeof(hex), answer, BEACON_ANSWER_LEN) < 0)
		return -ENOSPC;
	n = snprintf(buf, size, "answer %u %d %u %s\n", index, ttl, (unsigned int)rtt_us, hex);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int
probe_nonce_format(char *buf, size_t size, const uint8_t nonce[BEACON_NONCE_LEN])
{
	char hex[HEX_NONCE_LEN + 1];
	int n;

	if (hex_encode(hex, sizeof(hex), nonce, BEACON_NONCE_LEN) < 0)
		return -ENOSPC;
	n = snprintf(buf, size, "nonce %s\n", hex);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int
probe_nonce_parse(const char *line, uint8_t nonce[BEACON_NONCE_LEN])
{
	if (strncmp(line, "nonce ", 6) != 0 || strlen(line + 6) != HEX_NONCE_LEN)
		return -EINVAL;
	return lower_hex(nonce, line + 6, HEX_NONCE_LEN);
}
