#include "agency/sekisho-authd/nonce.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/encode.h"
#include "lib/util.h"

const char *
nonce_strerror(int v)
{
	switch (v) {
	case NONCE_OK: return "ok";
	case NONCE_E_MAC: return "nonce not issued by this verifier for this laptop";
	case NONCE_E_EXPIRED: return "nonce expired";
	case NONCE_E_FUTURE: return "nonce from the future";
	case NONCE_E_USED: return "nonce used before (a replay)";
	case NONCE_E_FULL: return "too many live nonces";
	}
	return "?";
}

int
nonce_init(struct nonce_state *st, const uint8_t key[NONCE_KEY_LEN], uint32_t ttl,
    size_t capacity)
{
	memset(st, 0, sizeof(*st));
	if (capacity < NONCE_PROBE || (capacity & (capacity - 1)) != 0 || ttl == 0)
		return -EINVAL;
	if ((st->slots = calloc(capacity, sizeof(*st->slots))) == NULL)
		return -ENOMEM;
	memcpy(st->key, key, NONCE_KEY_LEN);
	st->ttl = ttl;
	st->mask = capacity - 1;
	return 0;
}

void
nonce_free(struct nonce_state *st)
{
	free(st->slots);
	wipe(st, sizeof(*st));
}

static void
mac(const struct nonce_state *st, const uint8_t head[16], const char *device,
    uint8_t out[16])
{
	uint8_t msg[5 + 16 + SIGNON_DEVICE_LEN], md[32];
	unsigned int mdlen = sizeof(md);
	size_t n = strnlen(device, SIGNON_DEVICE_LEN);

	memcpy(msg, "nonce", 5);
	memcpy(msg + 5, head, 16);
	memset(msg + 21, 0, SIGNON_DEVICE_LEN);
	memcpy(msg + 21, device, n);
	if (HMAC(EVP_sha256(), st->key, NONCE_KEY_LEN, msg, sizeof(msg), md, &mdlen) == NULL)
		memset(md, 0, sizeof(md));	/* and the compare below fails: */
	memcpy(out, md, 16);			/* minted nonces are never all zero */
}

/* now, never earlier than the latest seen (nonce.h) */
static int64_t
onward(struct nonce_state *st, int64_t now)
{
	if (now < st->latest)
		return st->latest;
	st->latest = now;
	return now;
}

void
nonce_mint(struct nonce_state *st, const char *device, int64_t now,
    uint8_t out[SIGNON_NONCE_LEN])
{
	now = onward(st, now);
	be64_put(out, (uint64_t)now);
	be64_put(out + 8, ++st->counter);
	mac(st, out, device, out + 16);
}

static size_t
slot_of(const struct nonce_state *st, uint64_t c)
{
	c ^= c >> 33;
	c *= 0xff51afd7ed558ccdULL;
	c ^= c >> 33;
	return (size_t)c & st->mask;
}

int
nonce_use(struct nonce_state *st, const uint8_t n[SIGNON_NONCE_LEN],
    const char *device, int64_t now)
{
	uint8_t m[16];
	uint64_t t = be64_get(n), c = be64_get(n + 8);
	size_t i, s, free_slot = SIZE_MAX;

	now = onward(st, now);
	mac(st, n, device, m);
	if (!ct_equal(m, n + 16, 16) || c == 0 || c > st->counter)
		return NONCE_E_MAC;
	if (t > (uint64_t)now)
		return NONCE_E_FUTURE;
	if ((uint64_t)now - t >= st->ttl)
		return NONCE_E_EXPIRED;
	/* the whole window first: a used counter may sit past a freed slot */
	for (i = 0; i < NONCE_PROBE; i++) {
		s = (slot_of(st, c) + i) & st->mask;
		if (st->slots[s].counter == c && st->slots[s].expires > now)
			return NONCE_E_USED;
		if (free_slot == SIZE_MAX && (st->slots[s].counter == 0 ||
		    st->slots[s].expires <= now))
			free_slot = s;
	}
	if (free_slot == SIZE_MAX)
		return NONCE_E_FULL;
	st->slots[free_slot].counter = c;
	st->slots[free_slot].expires = (int64_t)t + st->ttl;
	return NONCE_OK;
}
