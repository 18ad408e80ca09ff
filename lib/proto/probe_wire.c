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

/* "INDEX HEX" (HEX of BEACON_ANSWER_LEN bytes), INDEX below n: 0, else -1
 * with *why. */
static int
index_hex(const char *s, size_t n, unsigned int *index, uint8_t pkt[BEACON_ANSWER_LEN],
    const char **why)
{
	size_t len = strcspn(s, " ");
	uint64_t v;

	if (len == 0 || s[len] != ' ') {
		*why = "not INDEX HEX";
		return -1;
	}
	if (n == 0 || number(s, len, n - 1, &v) != 0) {
		*why = "for a beacon it was not asked about";
		return -1;
	}
	s += len + 1;
	if (strlen(s) != HEX_ANSWER_LEN || lower_hex(pkt, s, HEX_ANSWER_LEN) != 0) {
		*why = "not 288 lowercase hex digits";
		return -1;
	}
	*index = (unsigned int)v;
	return 0;
}

_Static_assert(HEX_ANSWER_LEN == 288, "the sentence above names the length");

int
probe_msg_parse(const char *line, size_t n_beacons, struct probe_msg *m,
    struct sk_error *err)
{
	const char *why;

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
	memset(m, 0, sizeof(*m));
	if (index_hex(line + 7, n_beacons, &m->index, m->answer, &why) != 0)
		return sk_errorf(err, EINVAL, "answer %s", why);
	m->type = PROBE_MSG_ANSWER;
	return 0;
}

static int
index_hex_format(char *buf, size_t size, const char *word, unsigned int index,
    const uint8_t pkt[BEACON_ANSWER_LEN])
{
	char hex[HEX_ANSWER_LEN + 1];
	int n;

	if (hex_encode(hex, sizeof(hex), pkt, BEACON_ANSWER_LEN) < 0)
		return -ENOSPC;
	n = snprintf(buf, size, "%s %u %s\n", word, index, hex);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int
probe_answer_format(char *buf, size_t size, unsigned int index,
    const uint8_t answer[BEACON_ANSWER_LEN])
{
	return index_hex_format(buf, size, "answer", index, answer);
}

int
probe_dgram_format(char *buf, size_t size, unsigned int index,
    const uint8_t pkt[BEACON_ANSWER_LEN])
{
	return index_hex_format(buf, size, "dgram", index, pkt);
}

int
probe_dgram_parse(const char *line, size_t n_beacons, unsigned int *index,
    uint8_t pkt[BEACON_ANSWER_LEN])
{
	const char *why;

	if (strlen(line) >= PROBE_LINE_MAX || strncmp(line, "dgram ", 6) != 0)
		return -EINVAL;
	return index_hex(line + 6, n_beacons, index, pkt, &why) == 0 ? 0 : -EINVAL;
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
