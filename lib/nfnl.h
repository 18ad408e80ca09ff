/*
 * An nftables transaction written directly as one nfnetlink batch, not
 * through libnftables, and sent on a netfilter netlink socket that stays
 * open. For small changes on a hot path (a gateway's session: one set
 * element in, one out): libnftables 1.0.6 reads its cache (every table,
 * chain and set) before any command and parses text; and closing a
 * netfilter netlink socket makes Linux wait for the previous commits'
 * deferred destruction (an RCU grace period, ~10 ms after a batch that
 * deleted an element: nf_tables' NETLINK_URELEASE), which a socket kept
 * for the process's life never does.
 *
 * A batch: NFNL_MSG_BATCH_BEGIN, the messages, NFNL_MSG_BATCH_END; its
 * last message asks for an acknowledgement, and the kernel answers every
 * failing one: all of it is applied or none. The builders are pure (a
 * buf; an allocation failure sticks and is said by nfnl_batch_end).
 */
#ifndef SK_NFNL_H
#define SK_NFNL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"

/* A batch in the making: messages numbered from first (its beginning);
 * seq the next number; last the one that asks for an acknowledgement
 * (nfnl_batch_end; 0: nothing to send). */
struct nfnl_batch {
	struct buf	b;
	uint32_t	first, last, seq;
};

/* The batch's beginning, numbered seq. */
void nfnl_batch_begin(struct nfnl_batch *bt, uint32_t seq);
/* The last message asked to acknowledge, then the batch's end. A batch
 * of its beginning alone is emptied (last 0: nothing to send). 0 or
 * -ENOMEM with err. */
int nfnl_batch_end(struct nfnl_batch *bt, struct sk_error *err);
void nfnl_batch_free(struct nfnl_batch *bt);

/* A message header (nlmsghdr, nfgenmsg) at the end of b: its offset,
 * for nfnl_msg_end to write its length. type: (subsystem << 8) | type. */
size_t nfnl_msg(struct buf *b, uint16_t type, uint16_t flags, uint32_t seq,
    uint8_t family, uint16_t res_id);
void nfnl_msg_end(struct buf *b, size_t at);
/* An attribute (padded to 4 bytes); a nest and its end. */
size_t nfnl_attr(struct buf *b, uint16_t type, const void *p, size_t n);
size_t nfnl_nest(struct buf *b, uint16_t type);
void nfnl_nest_end(struct buf *b, size_t at);

/* One NFT_MSG_NEWSETELEM (add: with NLM_F_CREATE, as nft's "add
 * element": an element already there is no error) or NFT_MSG_DELSETELEM
 * of one element of set in table (family inet): its key (klen bytes, as
 * the set's key is laid out) and, adding, its timeout in ms (0: none).
 * As nftables 1.0.6 sends `add element inet T S { K timeout Ns }` and
 * `delete element inet T S { K }` for a set without intervals. */
void nfnl_setelem(struct nfnl_batch *bt, int add, const char *table, const char *set,
    const void *key, size_t klen, uint64_t timeout_ms);

/* The kernel's answers on nl to the messages first..last of a batch: 0,
 * or the first error of any of them (the kernel then changed nothing);
 * -ETIMEDOUT when the socket's receive timeout ran out. *lost is set to
 * 1 when they could not all be read (the socket then holds answers that
 * must never meet the next batch). */
struct mnl_socket;
int nfnl_answers(struct mnl_socket *nl, uint32_t first, uint32_t last, int *lost);

/* A netfilter netlink socket kept open (see above). */
struct nfnl_sock;
int nfnl_open(struct nfnl_sock **out, struct sk_error *err);
/* The next message number for a batch on s. */
uint32_t nfnl_seq(const struct nfnl_sock *s);
/* bt sent and the kernel's answers read: 0, or -errno with err (the
 * kernel then changed nothing). With commit 0 it goes without its end,
 * so the kernel checks every message and aborts (as nft --check does).
 * After a failure to send or to read every answer, the socket is opened
 * anew (an answer left unread never meets the next batch). */
int nfnl_send(struct nfnl_sock *s, const struct nfnl_batch *bt, int commit,
    struct sk_error *err);
void nfnl_close(struct nfnl_sock *s);

#endif
