#include "lib/proto/pverify_wire.h"

#include <string.h>

#include "lib/encode.h"

void
pverify_head_encode(uint8_t out[PVERIFY_HEAD_LEN], const struct pverify_head *h)
{
	memcpy(out, PVERIFY_MAGIC, PVERIFY_MAGIC_LEN);
	be64_put(out + 4, h->min_serial);
	be32_put(out + 12, h->len);
	be16_put(out + 16, h->name_len);
}

int
pverify_head_decode(const uint8_t *in, size_t n, uint32_t max_len, struct pverify_head *h)
{
	struct pverify_head x;

	if (n != PVERIFY_HEAD_LEN || memcmp(in, PVERIFY_MAGIC, PVERIFY_MAGIC_LEN) != 0)
		return -1;
	x.min_serial = be64_get(in + 4);
	x.len = be32_get(in + 12);
	x.name_len = be16_get(in + 16);
	if (x.len == 0 || x.len > max_len || x.name_len == 0 || x.name_len > PVERIFY_NAME_MAX)
		return -1;
	*h = x;
	return 0;
}

int
pverify_name_check(const uint8_t *name, size_t n)
{
	if (n == 0 || n > PVERIFY_NAME_MAX)
		return -1;
	return memchr(name, '\0', n) == NULL && memchr(name, '\n', n) == NULL ? 0 : -1;
}
