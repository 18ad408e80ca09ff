/*
 * What the netvm's table holds, as a model: its sets and maps (head lines
 * and elements) and its chains (head line and rules), each from the policy's
 * part or the mode's (fw_render.h). Built by reading back the renderer's own
 * text, so the model can never disagree with what a full load would put in
 * the kernel; compared, two models give the one transaction that turns the
 * table holding the first into the table holding the second:
 *
 *   1. chains that change (or name a set made anew) flushed, chains gone
 *      deleted;
 *   2. sets gone deleted, and those made anew: whose type changed, small
 *      ones (FW_MODEL_REFILL elements or fewer) that change, those with
 *      timeouts (office_vouch: its deadline starts again), and
 *      concatenations with intervals that change (svc_ports), declared
 *      with their elements in the renderer's order, FW_CHUNK a block, as
 *      a full load does (FW_CHUNK below: nftables 1.0.6 byte-swaps some
 *      of them in longer lists; see docs/policy.md);
 *   3. the elements of the other sets that went, and those that came; a
 *      set that loses more than FW_MODEL_REFILL_DELETES is flushed and
 *      given its whole new list instead (nftables 1.0.6 deletes an
 *      interval set's elements one by one in userspace, about 5 ms each
 *      at 10,000 prefixes, while the flush and the list cost about what a
 *      full load of that set does: 70 ms; the rules naming it stay);
 *   4. new sets, then the changed chains with their rules.
 *
 * Small sets are made anew rather than changed element by element because
 * libnftables reads every element of the table before an element command
 * (tens of milliseconds at 10,000 prefixes) but not before a declaration.
 *
 * One transaction: no instant holds a half-changed table. Its size follows
 * the change, not the policy: a mode change is a few dozen rules and a
 * handful of elements (fw_render_mode), a policy change of one prefix a
 * few elements. Pure: no sockets, no libnftables.
 */
#ifndef SK_FW_MODEL_H
#define SK_FW_MODEL_H

#include "lib/buf.h"

#define FW_MODEL_POLICY	0x1
#define FW_MODEL_MODE	0x2
#define FW_MODEL_REFILL	16
#define FW_MODEL_REFILL_DELETES	12

struct fw_model;

struct fw_model *fw_model_new(void);
void fw_model_free(struct fw_model *m);
/* Reads declarations (fw_render_policy's or fw_render_mode's text) into m
 * as part (FW_MODEL_POLICY or FW_MODEL_MODE); also what fw_model_print
 * writes: the table's own lines, and a set declared again (its elements
 * added to its first block's; the head must be the same); and "add
 * element inet sekisho NAME { ... }" lines after a block, whose elements
 * go to set NAME (read before). 0, or -1 out of memory or for text the
 * renderer does not write (a set block with two "elements =" lines among
 * it). */
int fw_model_read(struct fw_model *m, const char *text, int part);
/* The full transaction that makes the table hold m: the table created,
 * deleted and declared with every object (a long concatenated interval
 * set in blocks of FW_CHUNK elements, FW_CHUNK below). */
void fw_model_print(const struct fw_model *m, struct buf *out);
/* Appends the transaction turning a table holding old into one holding
 * new, for the objects of the parts named (an object of another part is
 * taken as unchanged); nothing if they are the same. Returns the number
 * of commands, -1 out of memory. */
long fw_model_diff(const struct fw_model *old, const struct fw_model *new,
    int parts, struct buf *out);
/* m's objects of part replaced by src's (moved: src loses them). 0, or -1
 * out of memory: then m lacks some and must not be used. */
int fw_model_take(struct fw_model *m, struct fw_model *src, int part);

/*
 * nftables 1.0.6 byte-swaps the host-endian part (the mark) of some
 * elements of a concatenated interval set when one command's element list
 * outgrows a netlink message (about 1,300 elements of "mark . inet_proto .
 * inet_service"): an element at a message boundary reaches the kernel as
 * 0xe10501f8 for 0xf80105e1 (DIFF_SEED=432002 66-differential-large,
 * 68-concat-sets). Non-concatenated sets, maps and concatenations without
 * intervals are stored right at any length. Therefore every "add element"
 * command sekishod sends carries at most FW_CHUNK elements, and a
 * concatenated interval set of more than FW_CHUNK elements is declared
 * once per FW_CHUNK of its elements, the same head each time, in the
 * renderer's order (fw_model_print, and the sets a change makes anew):
 * nft sends each block's elements as a command of their own, and they
 * accumulate. Repeated blocks rather than "add element" commands after
 * the table: before those, libnftables 1.0.6 reads the table in force
 * from the kernel (the full load at 10,000 prefixes and 1,000 services
 * took 192 ms of CPU so, against 160 with repeated blocks and 156 with
 * one block). Several "elements =" lines in one set block do NOT
 * accumulate (nft keeps only the last), so fw_model_read refuses a second
 * one.
 */
#define FW_CHUNK	256

/* The items of the comma-separated list (" a, b, c") as lines
 * "HEAD{ a, b }\n" of at most FW_CHUNK items each (nothing for an empty
 * list). */
void fw_put_chunked(struct buf *o, const char *head, const char *list);

#endif
