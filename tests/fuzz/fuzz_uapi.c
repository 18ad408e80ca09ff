/*
 * libFuzzer harness for the two parsers of replies that vpn/ trusts least:
 * the UAPI "get=1" / "set=1" replies (wg_uapi.c) and generic netlink
 * GET_DEVICE dumps (wg_nl.c). The first byte picks the parser: even for
 * UAPI, odd for netlink (the rest is then a sequence of messages).
 *
 * Beyond "no crash, no leak": whatever the UAPI parser accepts must be a
 * configuration that wg_device_check() accepts and wg_uapi_format_set()
 * can write back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "vpn/wg.h"
#include "vpn/wg_nl.h"
#include "vpn/wg_uapi.h"

#define FUZZ_FAMILY	0x1234

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_uapi(const char *buf, size_t len)
{
	struct wg_device dev;
	char *set;
	size_t setlen;

	(void)wg_uapi_parse_errno(buf, len);
	if (wg_uapi_parse_get(buf, len, &dev) != 0)
		return;
	memcpy(dev.ifname, "fz0", 4);
	if (wg_device_check(&dev) != 0 ||
	    wg_uapi_format_set(&dev, &set, &setlen) != 0)
		abort();
	wg_uapi_free(set, setlen);
	wg_device_free(&dev);
}

static void
fuzz_nl(const uint8_t *data, size_t len)
{
	const struct nlmsghdr *nlh;
	struct wg_device dev;
	size_t off = 0;
	char *buf;

	/* An aligned copy, as a netlink receive buffer is. */
	if ((buf = malloc(len ? len : 1)) == NULL)
		return;
	memcpy(buf, data, len);
	memset(&dev, 0, sizeof(dev));
	while (len - off >= sizeof(*nlh)) {
		nlh = (const struct nlmsghdr *)(buf + off);
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off ||
		    wg_nl_parse_get(nlh, len - off, FUZZ_FAMILY, &dev) != 0)
			break;
		off += MNL_ALIGN(nlh->nlmsg_len);
		if (off > len)
			break;
	}
	wg_device_free(&dev);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0)
		fuzz_uapi((const char *)data + 1, size - 1);
	else
		fuzz_nl(data + 1, size - 1);
	return 0;
}
