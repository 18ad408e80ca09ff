#include "tests/unit/status_wire.h"

#include <stdlib.h>
#include <stdio.h>

#include "netvm/sekishoctl/show.h"

static void
through_the_wire(const struct status *s, struct ctl_status *out)
{
	static struct ctl_status w;
	static uint8_t payload[CTL_PAYLOAD_MAX];
	struct sk_error err;
	long n;

	status_fill(s, &w);
	if ((n = ctl_status_encode(payload, sizeof(payload), &w)) < 0) {
		fprintf(stderr, "status does not encode: %ld\n", n);
		abort();
	}
	if (ctl_status_decode(payload, (size_t)n, out, &err) != 0) {
		fprintf(stderr, "status does not decode: %s\n", err.msg);
		abort();
	}
}

void
status_text(const struct status *s, struct buf *out)
{
	static struct ctl_status d;

	through_the_wire(s, &d);
	show_text(&d, out);
}

void
status_json(const struct status *s, struct buf *out)
{
	static struct ctl_status d;

	through_the_wire(s, &d);
	if (show_json(&d, out) != 0)
		abort();
}
