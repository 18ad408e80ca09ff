/*
 * sekisho-bundle-server's decision for one request (docs/distribution.md):
 * the bundle held for the device is read afresh from the directory (IT
 * replaces files by rename at any time), its header decoded, and the
 * answer built. No sockets here: the server's loop sends what this builds.
 */
#ifndef SK_DIST_SERVE_H
#define SK_DIST_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/dist_wire.h"

enum dist_verdict {
	DIST_SEND,	/* out holds a response: newer, nothing newer, unknown */
	DIST_FAIL,	/* the server cannot answer (its file is bad, it is busy):
			 * close without a response, line says why */
};

struct dist_answer {
	uint8_t		*out;		/* response header + bundle (malloc) */
	size_t		 len;
	uint64_t	 held;		/* serial of the stored bundle, 0 = none */
	char		 line[600];	/* for the request's log line */
};

/*
 * Decides on req with the directory dir: DIR/NAME (dist_device_name) must
 * be a regular file (not a symbolic link) of at most DIST_BODY_MAX bytes
 * that decodes as a bundle made for req->device. Its serial above
 * req->serial: DIST_NEWER with the file's bytes; else DIST_NOTHING_NEWER;
 * no file: DIST_UNKNOWN_DEVICE. A bundle that would take the bytes in
 * flight above budget is DIST_FAIL ("busy"). The signature is not checked
 * here: the device does that. Free a->out with dist_answer_free.
 */
enum dist_verdict dist_serve(const char *dir, const struct dist_request *req,
    size_t budget, struct dist_answer *a);
void dist_answer_free(struct dist_answer *a);

#endif
