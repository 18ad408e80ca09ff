/*
 * A change of set and map elements only (fw_model_elem_diff) as one
 * nfnetlink batch of NFT_MSG_DELSETELEM and NFT_MSG_NEWSETELEM messages,
 * built here rather than through libnftables text: libnftables 1.0.6
 * reads every element of every interval set in the kernel before any
 * element command (the LGWAN set and the services' class map: tens of
 * milliseconds at 10,000 prefixes), parses the text and, in long element
 * lists, byte-swaps the mark of some concatenated interval elements
 * (fw_model.h). One batch: the kernel applies all of it or, if any
 * message fails, none (the table stays as it was).
 *
 * The elements are encoded as nftables 1.0.6 encodes them (checked
 * against `nft --debug=netlink`): an interval set of one field as
 * rbtree start and end elements (the end the first address after the
 * interval, flagged NFT_SET_ELEM_INTERVAL_END; into an empty set an end
 * element at 0 first, as nft adds it); a concatenation with intervals
 * with a key and a key end, each field in 4-byte registers and the mark
 * in network byte order (nft compares intervals big-endian); other sets
 * by key, concatenated fields each padded to 4 bytes, a mark in host
 * byte order. Types: ipv4_addr, ipv6_addr, inet_service, inet_proto,
 * mark, ifname; map values mark or ipv4_addr. A set of another type or an
 * element the encoder does not read makes nfset_encode fail with -ENOTSUP:
 * the caller then sends the change as text.
 */
#ifndef SK_NFSET_H
#define SK_NFSET_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "policy/render/fw_model.h"

/* A batch made ready: its messages numbered first (the batch's beginning)
 * to last (the last element message, which asks for an acknowledgement),
 * then the batch's end. last 0: nothing to send. */
struct nfset_batch {
	struct buf	b;
	uint32_t	first, last;
};

/* The batch of the n changes v to table (family inet) into out, messages
 * numbered from seq. Pure. 0; -ENOTSUP (a type or an element it does not
 * encode, one line in err); -ENOMEM. */
int nfset_encode(const struct fw_elem_change *v, size_t n, const char *table,
    uint32_t seq, struct nfset_batch *out, struct sk_error *err);
void nfset_free(struct nfset_batch *b);

/*
 * A full load's sets made ready apart from its chains (firewall.c,
 * fw_load): table created if absent (as nft's "table inet NAME" does),
 * then each set of v (n, every element in add) declared and filled. A set
 * is declared with NLM_F_EXCL: one of that name already in the table fails
 * the whole batch, so no set in force is ever touched. The declarations
 * are nftables 1.0.6's own, attribute for attribute (nft --debug=mnl),
 * user data included, for these types only (nfset_declarable): ipv4_addr,
 * ipv6_addr or mark, with or without intervals; ipv4_addr . inet_service;
 * mark . inet_proto . inet_service with intervals; maps of ipv4_addr or
 * ipv6_addr to mark (intervals) or of ipv4_addr to ipv4_addr. No set with
 * timeouts. Pure. 0; -ENOTSUP; -ENOMEM.
 */
int nfset_declarable(const char *head, int map);
int nfset_encode_new(const struct fw_elem_change *v, size_t n, const char *table,
    uint32_t seq, struct nfset_batch *out, struct sk_error *err);
/* The batch deleting the sets named (n), and table itself with drop_table:
 * nfset_encode_new's undone. Pure. 0 or -ENOMEM. */
int nfset_encode_drop(const char *const *sets, size_t n, const char *table,
    int drop_table, uint32_t seq, struct nfset_batch *out, struct sk_error *err);

/* Names, as nfset_list gives them. */
struct nfset_names {
	char		**v;
	size_t		  n;
};
void nfset_names_free(struct nfset_names *l);
/* What table (family inet) holds, asked of the kernel (no element, no
 * rule read): its chains' names and its named sets and maps, as "set NAME"
 * or "map NAME" (not the anonymous ones, which go with their rules). The
 * socket is kept as a batch's is (nfset_settle). 1; 0 if there is no such table (the
 * lists empty); -errno with err. */
int nfset_list(const char *table, struct nfset_names *chains, struct nfset_names *sets,
    struct sk_error *err);

/* The batch sent on a netlink socket of its own and the kernel's answers
 * read: 0, or -errno with err (the kernel then changed nothing). With
 * commit 0 it goes without its end message, so the kernel checks every
 * message and then aborts the transaction (as nft --check does). */
int nfset_send(const struct nfset_batch *b, int commit, struct sk_error *err);
/* The last batch's socket, kept open until the next batch (nfset.c),
 * closed now: before forking a child that must not hold it. */
void nfset_settle(void);
int nfset_kept(void);

#endif
