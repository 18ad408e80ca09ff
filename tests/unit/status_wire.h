/*
 * What `sekishoctl status` prints for a status sekishod gathered, taken
 * the whole way: status_fill (sekishod), ctl_status_encode, the decoder
 * (lib/proto/control_wire.c), show_text / show_json (sekishoctl). The
 * names are those the printers had when sekishod printed, so the tests'
 * expectations read as before.
 */
#ifndef SK_TEST_STATUS_WIRE_H
#define SK_TEST_STATUS_WIRE_H

#include "lib/buf.h"
#include "netvm/sekishod/control.h"

void status_text(const struct status *s, struct buf *out);
void status_json(const struct status *s, struct buf *out);

#endif
