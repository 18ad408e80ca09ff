/*
 * The messages between sekishod's privileged parent and its unprivileged
 * frontend (frontend.c, docs/architecture.md "sekishod's processes"), over
 * a SOCK_SEQPACKET pair: one datagram, one message, each type of exactly
 * one size. Pure codec: no sockets, nothing kept.
 *
 *  request, frontend -> parent, IMSG_REQ_LEN = 4 bytes:
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_REQ
 *	2	command		enum ctl_cmd (status, status json, reload)
 *	3	reserved	0
 *
 *  reply, parent -> frontend, IMSG_REPLY_LEN = 8 + CTL_PAYLOAD_MAX bytes:
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_REPLY
 *	2	answer type	enum ctl_type
 *	3	reserved	0
 *	4..7	length		of the payload, big-endian, <= CTL_PAYLOAD_MAX
 *	8..	payload		then zeros to the end
 *
 *  listen, parent -> frontend, once, IMSG_REQ_LEN bytes with the listening
 *  control socket as its one descriptor (SCM_RIGHTS):
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_LISTEN
 *	2, 3	reserved	0
 *
 *  ping, parent -> frontend, and pong, frontend -> parent, IMSG_REQ_LEN
 *  bytes each (the heartbeat: a frontend that hangs but stays alive is
 *  killed and started again, frontend.h):
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_PING or IMSG_PONG
 *	2, 3	sequence	big-endian; a pong echoes its ping's
 *
 * Nothing optional, nothing may follow; anything else is refused with one
 * line. The parent takes only the three commands of the control protocol:
 * a compromised frontend can ask for the status and for a reload (which
 * takes only a bundle verified under the pinned agency keys), nothing else.
 */
#ifndef SK_IMSG_H
#define SK_IMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/control_wire.h"
#include "lib/util.h"

#define IMSG_VERSION	1
#define IMSG_REQ	1
#define IMSG_REPLY	2
#define IMSG_LISTEN	3
#define IMSG_PING	8	/* 4..7 left for new requests */
#define IMSG_PONG	9
#define IMSG_REQ_LEN	4
#define IMSG_REPLY_HDR	8
#define IMSG_REPLY_LEN	(IMSG_REPLY_HDR + CTL_PAYLOAD_MAX)

void imsg_req_encode(uint8_t out[IMSG_REQ_LEN], enum ctl_cmd cmd);
/* 0 with *cmd, or -EINVAL with one line in err. */
int imsg_req_decode(const uint8_t *in, size_t len, enum ctl_cmd *cmd, struct sk_error *err);

void imsg_listen_encode(uint8_t out[IMSG_REQ_LEN]);
/* 0, or -EINVAL with one line in err (the descriptor is the caller's). */
int imsg_listen_decode(const uint8_t *in, size_t len, struct sk_error *err);

/* Writes the whole IMSG_REPLY_LEN bytes; -EMSGSIZE if len is too long. */
int imsg_reply_encode(uint8_t out[IMSG_REPLY_LEN], uint8_t type, const uint8_t *payload,
    size_t len);
/* 0 with *type, *payload (inside in) and *len, or -EINVAL with one line. */
int imsg_reply_decode(const uint8_t *in, size_t len, uint8_t *type, const uint8_t **payload,
    size_t *plen, struct sk_error *err);

/* The heartbeat: type IMSG_PING or IMSG_PONG, a sequence number. */
void imsg_beat_encode(uint8_t out[IMSG_REQ_LEN], uint8_t type, uint16_t seq);
/* 0 with *seq if in is exactly one such message of that type, or -EINVAL
 * with one line in err. */
int imsg_beat_decode(const uint8_t *in, size_t len, uint8_t type, uint16_t *seq,
    struct sk_error *err);

#endif
