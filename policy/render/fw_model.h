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
 * That is the change as nftables text. When only elements change (no chain,
 * no set declared, deleted or retyped), fw_model_elem_diff below gives it
 * as lists of elements instead, which sekishod sends as one nfnetlink batch
 * (netvm/sekishod/nfset.h) without libnftables: nothing is then made anew
 * or refilled, every element goes or comes by itself.
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
/* The same, the objects read marked as section sec's (fw_render.h). */
int fw_model_read_section(struct fw_model *m, const char *text, int part, int sec);

/*
 * Sections not rendered again. A model keeps, per section of the policy
 * part, the bytes that section was rendered from (fw_section_key), once
 * set: a live change whose section has the same bytes takes that
 * section's objects from the held model instead of rendering the section
 * and reading it back (the services' at 10,000 prefixes and 1,000
 * services: about 4 ms of CPU), and the comparison finds them the same
 * at once (the same items, by pointer).
 *
 * fw_model_borrow appends shallow copies of from's objects of section
 * sec to m: m must not outlive from unless fw_model_settle(m, from) runs
 * first, which moves them to m for good (from's objects are left empty,
 * from is then only fit to be freed); freeing m first frees none of
 * them. The objects one borrowed are copied before anything is added to
 * them (fw_model_keep_dead), which also forgets their section's bytes:
 * the dead elements are not what its input renders. 0, or -1 out of
 * memory (m must not be used then).
 */
int fw_model_set_key(struct fw_model *m, int sec, struct buf *key);	/* key taken */
int fw_model_same_key(const struct fw_model *m, int sec, const struct buf *key);
int fw_model_borrow(struct fw_model *m, const struct fw_model *from, int sec);
int fw_model_settle(struct fw_model *m, struct fw_model *from);
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
 * A change of elements only: for each set or map of the parts compared
 * whose elements differ, those that go and those that come (the items as
 * the renderer writes them: a map's "KEY : VALUE"; pointers into the two
 * models, valid while they live). A set with timeouts (office_vouch) is
 * given whole, flushed first: its deadlines start again, as when a
 * transaction of text declares it anew. What such a change needs no
 * nftables text for (netvm/sekishod/nfset.h sends it as nfnetlink
 * messages).
 */
struct fw_elem_change {
	const char	 *set;		/* its name */
	const char	 *head;		/* "\t\ttype ...\n" (and flags) lines */
	int		  map;		/* a map: items are "KEY : VALUE" */
	int		  flush;	/* every element deleted first */
	int		  was_empty;	/* the set held no element before */
	const char	**del, **add;	/* the items that go (not with flush), come */
	size_t		  n_del, n_add;
	const char	**dead;		/* left in the kernel for now (defer) */
	size_t		  n_dead;
};
/* Whether turning a table holding old into one holding new (parts) changes
 * the elements of sets that stay and nothing else (no chain, no set made,
 * deleted or with another type): then 1 with the changes in *v, *n (none:
 * nothing changes; free with fw_elem_changes_free); 0 when more changes
 * (the transaction is fw_model_diff's); -1 out of memory.
 *
 * Also 0 when the change deletes more from concatenations with intervals
 * than FW_MODEL_PIPAPO_BUDGET (deletions times the set's size): Linux
 * (6.18) removes such an element (set type pipapo) by walking the set's
 * rules, about 8 ms of kernel time per element at 5,000 elements (26 of
 * them: 200 ms), where fw_model_diff's text declares the set anew (the
 * whole change: about 130 ms of CPU at 10,000 prefixes and 1,000
 * services). */
#define FW_MODEL_PIPAPO_BUDGET	20000
int fw_model_elem_diff(const struct fw_model *old, const struct fw_model *new, int parts,
    int defer, struct fw_elem_change **v, size_t *n);
/*
 * With defer, the elements of a concatenation with intervals whose class
 * (the mark's upper half, fw_svc.h) no destination has any more in new
 * (no value of a svc_class map) are not deleted but listed as dead: no
 * packet can match them, so leaving them changes nothing that is allowed,
 * and their deletion, the costly part above, can follow in a later
 * transaction (a tidy: the same change without defer). The kernel then
 * holds new and the dead elements: fw_model_keep_dead puts them into the
 * model of new, so that every later change is computed against what the
 * kernel holds. 0, or -1 out of memory (m must not be used then).
 */
int fw_model_keep_dead(struct fw_model *m, const struct fw_elem_change *v, size_t n);
void fw_elem_changes_free(struct fw_elem_change *v, size_t n);

/*
 * A full load in two transactions (netvm/sekishod/firewall.c, fw_load):
 * the big sets and maps made first with their elements, by nfnetlink,
 * where no rule refers to them yet; then the rest of the table as text,
 * one transaction that puts the chains in force over them.
 * fw_model_sets lists every set and map of parts (not the chains) with all
 * its elements as items to add, was_empty set (free with
 * fw_elem_changes_free): 0, or -1 out of memory. fw_model_print_rest
 * appends the table's block ("table inet sekisho { ... }", neither created
 * anew nor deleted) with every object of m but the sets and maps named in
 * skip, declared as fw_model_print declares them.
 */
int fw_model_sets(const struct fw_model *m, int parts, struct fw_elem_change **v,
    size_t *n);
void fw_model_print_rest(const struct fw_model *m, const char *const *skip,
    size_t n_skip, struct buf *out);

/* The text of the office table (fw_office.h) that went with the
 * transaction that made m's table, kept beside the model so that a change
 * whose office table is the same need not send it: 0, or -1 out of memory
 * (m then holds none). NULL when none was set. */
int fw_model_set_office(struct fw_model *m, const char *text);
const char *fw_model_office(const struct fw_model *m);

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
