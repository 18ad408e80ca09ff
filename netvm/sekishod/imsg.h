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
 *  prefer, frontend -> parent, IMSG_PREFER_LEN = 20 bytes (the control
 *  request "prefer NAME" or "prefer auto", docs/control.md); answered with
 *  a reply as a request is:
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_PREFER
 *	2, 3	reserved	0
 *	4..19	uplink		an interface name (lib/ifname.h), NUL-padded;
 *				all zero: "auto" (no preference)
 *
 *  listen, parent -> frontend, once, IMSG_REQ_LEN bytes with the listening
 *  sockets as its descriptors (SCM_RIGHTS): the control socket, then the
 *  work link's (the agent's requests, docs/control.md "From the work
 *  partition") when byte 2 is 1:
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_LISTEN
 *	2	work socket	0 or 1
 *	3	reserved	0
 *
 *  ping, parent -> frontend, and pong, frontend -> parent, IMSG_REQ_LEN
 *  bytes each (the heartbeat: a frontend that hangs but stays alive is
 *  killed and started again, frontend.h):
 *	0	version		IMSG_VERSION
 *	1	type		IMSG_PING or IMSG_PONG
 *	2, 3	sequence	big-endian; a pong echoes its ping's
 *
 * Nothing optional, nothing may follow; anything else is refused with one
 * line. The parent takes only the four commands of the control protocol:
 * a compromised frontend can ask for the status, for a reload (which
 * takes only a bundle verified under the pinned agency keys) and for a
 * preferred uplink (which the engine takes only among the uplinks it
 * would use anyway, engine.h), nothing else.
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
#define IMSG_PREFER	4
#define IMSG_PING	8	/* 5..7 left for new requests */
#define IMSG_PONG	9
#define IMSG_REQ_LEN	4
#define IMSG_PREFER_LEN	20
#define IMSG_REPLY_HDR	8
#define IMSG_REPLY_LEN	(IMSG_REPLY_HDR + CTL_PAYLOAD_MAX)

void imsg_req_encode(uint8_t out[IMSG_REQ_LEN], enum ctl_cmd cmd);
/* 0 with *cmd, or -EINVAL with one line in err. */
int imsg_req_decode(const uint8_t *in, size_t len, enum ctl_cmd *cmd, struct sk_error *err);

/* uplink: an interface name, or "" for auto. -EINVAL if it is neither. */
int imsg_prefer_encode(uint8_t out[IMSG_PREFER_LEN], const char *uplink);
/* 0 with uplink (NUL-terminated, "" for auto), or -EINVAL with one line. */
int imsg_prefer_decode(const uint8_t *in, size_t len, char uplink[CTL_IFNAME_MAX + 1],
    struct sk_error *err);

void imsg_listen_encode(uint8_t out[IMSG_REQ_LEN], int work);
/* 0 with *work (a second socket follows the control socket), or -EINVAL
 * with one line in err (the descriptors are the caller's). */
int imsg_listen_decode(const uint8_t *in, size_t len, int *work, struct sk_error *err);

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
