/*
 * What `sekishoctl status` prints from the status sekishod sent
 * (lib/proto/control_wire.h): the text for people, and the JSON whose
 * schema docs/control.md gives. Pure: no I/O.
 */
#ifndef SK_SHOW_H
#define SK_SHOW_H

#include "lib/buf.h"
#include "lib/proto/control_wire.h"

void show_text(const struct ctl_status *s, struct buf *out);
/* One line: the JSON and '\n'. 0, or -ENOMEM. */
int show_json(const struct ctl_status *s, struct buf *out);

#endif
