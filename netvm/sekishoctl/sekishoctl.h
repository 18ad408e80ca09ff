/* sekishoctl's subcommands (one file each) and the one exchange they share. */
#ifndef SK_SEKISHOCTL_H
#define SK_SEKISHOCTL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/control_wire.h"

struct ctl_client {
	const char	*path;		/* sekishod's control socket */
	uint8_t		 type;		/* of the response: enum ctl_type */
	uint8_t		 payload[CTL_PAYLOAD_MAX];
	size_t		 len;
};

/* Sends cmd's request and reads the whole response into c, checking its
 * header and exact length. 0, or EXIT_FAIL after one line on stderr. */
int ctl_ask(struct ctl_client *c, enum ctl_cmd cmd);
/* The same with the request line req (NUL-terminated). */
int ctl_ask_line(struct ctl_client *c, const char *req);

int status_main(void *ctx, int argc, char *argv[]);
int reload_main(void *ctx, int argc, char *argv[]);
int prefer_main(void *ctx, int argc, char *argv[]);

#endif
