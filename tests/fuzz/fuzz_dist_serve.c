/* libFuzzer harness for the bundle server's decision (dist_serve,
 * agency/sekisho-bundle-server/dist_serve.c) on a file it did not write.
 *
 * Input: 8 bytes of the request's serial (big-endian, top bit cleared, as
 * the request decoder allows; that bit chooses the request's version, 2 or
 * 1), one byte choosing the memory budget (below
 * 0x80: that many KiB, else DIST_BODY_MAX), then the content of the one
 * file in the directory, named for the request's device.
 *
 * Whatever the bytes, the answer follows from what the file is, decided
 * apart here with bundle_decode:
 *   - a bundle for the device with a serial above the request's, within
 *     the budget: DIST_SEND, and the answer is a DIST_NEWER header whose
 *     length is the file's, followed by exactly the file's bytes;
 *   - a bundle for the device with a serial at or below: DIST_SEND, a
 *     bare DIST_NOTHING_NEWER header, held = the file's serial;
 *   - anything else (not a bundle, another device's, over the budget):
 *     DIST_FAIL, no bytes, and a one-line printable reason.
 * Every answer's header decodes with dist_response_decode. Never
 * DIST_UNKNOWN_DEVICE: the file is there. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agency/sekisho-bundle-server/dist_serve.h"
#include "lib/proto/dist_wire.h"
#include "policy/bundle.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The device of every request: the seeds' bundles are made for it. */
static const uint8_t device[DIST_KEY_LEN] = {
	0x5e, 0x4b, 0x15, 0x40, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
	0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
	0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
};

static char dir[64], path[128];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char name[DIST_NAME_LEN];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_dist_serve.XXXXXX");
	if (mkdtemp(dir) == NULL)
		__builtin_trap();
	dist_device_name(name, device);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	atexit(cleanup);
	return 0;
}

static void
one_line(const char *line, size_t size)
{
	const char *end = memchr(line, '\0', size);
	const char *s;

	if (end == NULL || end == line)
		__builtin_trap();
	for (s = line; s < end; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			__builtin_trap();
}

static void
check_header(const struct dist_answer *a, enum dist_status want, size_t len)
{
	struct dist_response r;
	struct sk_error err;

	if (a->out == NULL || a->len < DIST_RESP_HDR_LEN ||
	    dist_response_decode(a->out, DIST_RESP_HDR_LEN, &r, &err) != 0 ||
	    r.status != want || r.len != len || r.version != a->out[4])
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dist_request req;
	struct dist_answer a;
	struct bundle b;
	struct sk_error err;
	const uint8_t *file;
	size_t n, budget, i;
	enum dist_verdict v;
	int fd, is_bundle;

	if (size < 9)
		return 0;
	memcpy(req.device, device, sizeof(device));
	req.serial = 0;
	for (i = 0; i < 8; i++)
		req.serial = req.serial << 8 | data[i];
	req.serial &= DIST_SERIAL_MAX;
	req.version = data[0] & 0x80 ? DIST_VERSION : DIST_VERSION_V1;
	budget = data[8] < 0x80 ? (size_t)data[8] << 10 : DIST_BODY_MAX;
	file = data + 9;
	n = size - 9;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		__builtin_trap();
	if (n > 0 && write(fd, file, n) != (ssize_t)n)
		__builtin_trap();
	close(fd);

	is_bundle = bundle_decode(file, n, "fuzz", &b, &err) == BUNDLE_OK &&
	    memcmp(b.device, device, sizeof(device)) == 0;
	v = dist_serve(dir, &req, budget, &a);
	one_line(a.line, sizeof(a.line));
	if (is_bundle && n <= budget && b.serial > req.serial) {
		if (v != DIST_SEND || a.len != DIST_RESP_HDR_LEN + n ||
		    a.held != b.serial)
			__builtin_trap();
		check_header(&a, DIST_NEWER, n);
		if (memcmp(a.out + DIST_RESP_HDR_LEN, file, n) != 0)
			__builtin_trap();
	} else if (is_bundle && n <= budget) {
		if (v != DIST_SEND || a.len != DIST_RESP_HDR_LEN ||
		    a.held != b.serial)
			__builtin_trap();
		check_header(&a, DIST_NOTHING_NEWER, 0);
	} else if (v != DIST_FAIL || a.out != NULL || a.len != 0)
		__builtin_trap();
	dist_answer_free(&a);
	return 0;
}
