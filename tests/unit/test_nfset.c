/* Element batches without a kernel (netvm/sekishod/nfset.c): the bytes
 * each kind of set gets, as `nft --debug=mnl` shows nftables 1.0.6 sending
 * them; and the model's split of a change into elements only, with the
 * elements of dead classes left for the tidy (policy/render/fw_model.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>

#include "netvm/sekishod/nfset.h"
#include "policy/render/fw_model.h"

#define PORTS	"\t\ttype mark . inet_proto . inet_service\n\t\tflags interval\n"
#define PREFIXES "\t\ttype ipv4_addr\n\t\tflags interval\n"
#define CLASSES	"\t\ttype ipv4_addr : mark\n\t\tflags interval\n"

/* The batch of one change to set (head) adding (or deleting) items. */
static int
encode(const char *set, const char *head, int add, const char **items, size_t n,
    int was_empty, struct nfset_batch *b)
{
	struct fw_elem_change c = { .set = set, .head = head,
	    .map = strstr(head, " : ") != NULL, .was_empty = was_empty };
	struct sk_error err;

	if (add) {
		c.add = items;
		c.n_add = n;
	} else {
		c.del = items;
		c.n_del = n;
	}
	return nfset_encode(&c, 1, "sekisho", 100, b, &err);
}

static int
holds(const struct nfset_batch *b, const void *bytes, size_t n)
{
	return memmem(b->b.p, b->b.len, bytes, n) != NULL;
}

/* A NFTA_DATA_VALUE attribute of n bytes: header, then the bytes. */
static void
value_attr(uint8_t *out, const uint8_t *v, uint16_t n)
{
	uint16_t len = (uint16_t)(4 + n), type = NFTA_DATA_VALUE;

	memcpy(out, &len, 2);
	memcpy(out + 2, &type, 2);
	memcpy(out + 4, v, n);
}

/* A concatenation with intervals: the mark big-endian, every field in a
 * 4-byte register, key and key end (as nft sends 0x41905e3 . udp . 53). */
static void
test_pipapo(void **state)
{
	const char *items[] = { "0x41905e3 . udp . 53", "0x41905e1 . tcp . 2070-2079" };
	static const uint8_t k1[] = { 0x04, 0x19, 0x05, 0xe3, 17, 0, 0, 0, 0x00, 0x35, 0, 0 };
	static const uint8_t lo[] = { 0x04, 0x19, 0x05, 0xe1, 6, 0, 0, 0, 0x08, 0x16, 0, 0 };
	static const uint8_t hi[] = { 0x04, 0x19, 0x05, 0xe1, 6, 0, 0, 0, 0x08, 0x1f, 0, 0 };
	uint8_t a[16];
	struct nfset_batch b;

	(void)state;
	assert_int_equal(encode("svc_ports", PORTS, 1, items, 2, 0, &b), 0);
	value_attr(a, k1, sizeof(k1));
	assert_true(holds(&b, a, sizeof(a)));
	value_attr(a, lo, sizeof(lo));
	assert_true(holds(&b, a, sizeof(a)));
	value_attr(a, hi, sizeof(hi));
	assert_true(holds(&b, a, sizeof(a)));
	assert_true(b.last > b.first);
	nfset_free(&b);
}

/* An interval of one field: start, and end (the next address) flagged
 * INTERVAL_END; into an empty set an end element at 0 first, as nft. */
static void
test_rbtree(void **state)
{
	const char *items[] = { "10.0.0.0/24" };
	static const uint8_t start[] = { 10, 0, 0, 0 }, end[] = { 10, 0, 1, 0 },
	    zero[] = { 0, 0, 0, 0 };
	uint32_t flag = htonl(NFT_SET_ELEM_INTERVAL_END);
	uint8_t a[8], f[8] = { 8, 0, NFTA_SET_ELEM_FLAGS, 0 };
	struct nfset_batch b;

	(void)state;
	memcpy(f + 4, &flag, 4);
	assert_int_equal(encode("lgwan", PREFIXES, 1, items, 1, 1, &b), 0);
	value_attr(a, start, 4);
	assert_true(holds(&b, a, sizeof(a)));
	value_attr(a, end, 4);
	assert_true(holds(&b, a, sizeof(a)));
	value_attr(a, zero, 4);
	assert_true(holds(&b, a, sizeof(a)));
	assert_true(holds(&b, f, sizeof(f)));
	nfset_free(&b);
	/* not empty before: no element at 0 */
	assert_int_equal(encode("lgwan", PREFIXES, 1, items, 1, 0, &b), 0);
	value_attr(a, zero, 4);
	assert_false(holds(&b, a, sizeof(a)));
	nfset_free(&b);
}

/* An interval map's value: the mark in host byte order. */
static void
test_map(void **state)
{
	const char *items[] = { "10.0.98.64/26 : 0xb5590000" };
	uint32_t mark = 0xb5590000;
	uint8_t a[8];
	struct nfset_batch b;

	(void)state;
	assert_int_equal(encode("svc_class", CLASSES, 1, items, 1, 0, &b), 0);
	value_attr(a, (const uint8_t *)&mark, 4);
	assert_true(holds(&b, a, sizeof(a)));
	nfset_free(&b);
}

/* The policy's generation (fw_rules.c): set fwd_cached (mark . mark) and
 * map fwd_gen (mark : mark) are encoded, so that a live change, which
 * always changes them, stays one nfnetlink batch; marks in host order. */
static void
test_generation(void **state)
{
	const char *cached[] = { "0xe8a2f4ea . 0x5e1", "0xe8a2fd03 . 0x5e2" };
	const char *gen[] = { "0x5e1 : 0xe8a2f4ea", "0x5e2 : 0xe8a2fd03" };
	uint32_t key[2] = { 0xe8a2f4ea, 0x5e1 }, g = 0xe8a2fd03;
	uint8_t a[12];
	struct nfset_batch b;

	(void)state;
	assert_int_equal(encode("fwd_cached", "\t\ttype mark . mark\n", 1, cached, 2, 0, &b), 0);
	value_attr(a, (const uint8_t *)key, 8);
	assert_true(holds(&b, a, sizeof(a)));
	nfset_free(&b);
	assert_int_equal(encode("fwd_gen", "\t\ttype mark : mark\n", 1, gen, 2, 0, &b), 0);
	value_attr(a, (const uint8_t *)&g, 4);
	assert_true(holds(&b, a, 8));
	nfset_free(&b);
}

/* What the encoder does not read is refused, so the change goes as text. */
static void
test_refused(void **state)
{
	const char *bad[] = { "10.0.0.300/24" }, *ok[] = { "10.0.0.0/24" };
	const char *range[] = { "0x5e1-0x5e2" };
	struct nfset_batch b;

	(void)state;
	assert_int_equal(encode("lgwan", PREFIXES, 1, bad, 1, 0, &b), -ENOTSUP);
	assert_int_equal(encode("x", "\t\ttype ether_addr\n", 1, ok, 1, 0, &b), -ENOTSUP);
	assert_int_equal(encode("svc_all", "\t\ttype mark\n", 1, range, 1, 0, &b), -ENOTSUP);
	assert_int_equal(encode("m", "\t\ttype mark\n\t\tflags interval\n", 1, range, 1, 0, &b),
	    -ENOTSUP);
}

/* An empty interval set's first elements: nft's end element at 0 unless
 * an interval starts there, whichever item that is. */
static void
test_zero_end(void **state)
{
	const char *items[] = { "10.0.0.0/24", "0.0.0.0/8" };
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	uint32_t flag = htonl(NFT_SET_ELEM_INTERVAL_END);
	/* an element whose key is 0: a start (no flags), and an end */
	uint8_t start[16] = { 16, 0, NFTA_LIST_ELEM, 0x80, 12, 0,
	    NFTA_SET_ELEM_KEY, 0x80 };
	uint8_t end[24] = { 24, 0, NFTA_LIST_ELEM, 0x80, 12, 0,
	    NFTA_SET_ELEM_KEY, 0x80 };
	struct nfset_batch b;

	(void)state;
	value_attr(start + 8, zero, 4);
	value_attr(end + 8, zero, 4);
	memcpy(end + 16, (uint8_t[]){ 8, 0, NFTA_SET_ELEM_FLAGS, 0 }, 4);
	memcpy(end + 20, &flag, 4);
	assert_int_equal(encode("lgwan", PREFIXES, 1, items, 2, 1, &b), 0);
	assert_true(holds(&b, start, sizeof(start)));
	assert_false(holds(&b, end, sizeof(end)));
	nfset_free(&b);
	assert_int_equal(encode("lgwan", PREFIXES, 1, items, 1, 1, &b), 0);
	assert_true(holds(&b, end, sizeof(end)));
	nfset_free(&b);
}

/* A full load's sets declared as nft 1.0.6 declares them (nft
 * --debug=mnl of "set lgwan { type ipv4_addr; flags interval; }" and of
 * the services' ports): flags, key type and length, the batch's set id,
 * the concatenation's field lengths, the user data byte for byte. */
static void
test_declare(void **state)
{
	const char *prefixes[] = { "10.0.0.0/24" }, *ports[] = { "0x10000 . tcp . 80-90" };
	struct fw_elem_change c[2] = {
		{ .set = "lgwan", .head = PREFIXES, .add = prefixes, .n_add = 1, .was_empty = 1 },
		{ .set = "svc_ports", .head = PORTS, .add = ports, .n_add = 1, .was_empty = 1 } };
	static const uint8_t lgwan[] = {
		8, 0, NFTA_SET_FLAGS, 0, 0, 0, 0, NFT_SET_INTERVAL,
		8, 0, NFTA_SET_KEY_TYPE, 0, 0, 0, 0, 7,
		8, 0, NFTA_SET_KEY_LEN, 0, 0, 0, 0, 4,
		8, 0, NFTA_SET_ID, 0, 0, 0, 0, 1,
		10, 0, NFTA_SET_USERDATA, 0, 0, 4, 2, 0, 0, 0 };
	static const uint8_t svc_ports[] = {
		8, 0, NFTA_SET_FLAGS, 0, 0, 0, 0, NFT_SET_INTERVAL | NFT_SET_CONCAT,
		8, 0, NFTA_SET_KEY_TYPE, 0, 0, 1, 0x33, 0x0d,
		8, 0, NFTA_SET_KEY_LEN, 0, 0, 0, 0, 12,
		8, 0, NFTA_SET_ID, 0, 0, 0, 0, 2,
		44, 0, NFTA_SET_DESC, 0x80, 40, 0, NFTA_SET_DESC_CONCAT, 0x80,
		12, 0, NFTA_LIST_ELEM, 0x80, 8, 0, NFTA_SET_FIELD_LEN, 0, 0, 0, 0, 4,
		12, 0, NFTA_LIST_ELEM, 0x80, 8, 0, NFTA_SET_FIELD_LEN, 0, 0, 0, 0, 1,
		12, 0, NFTA_LIST_ELEM, 0x80, 8, 0, NFTA_SET_FIELD_LEN, 0, 0, 0, 0, 2,
		20, 0, NFTA_SET_USERDATA, 0,
		0, 4, 0, 0, 0, 0, 3, 8, 0, 4, 13, 0, 0, 0, 1, 0 };
	const char *names[] = { "lgwan", "svc_ports" };
	struct sk_error err;
	struct nfset_batch b;

	(void)state;
	assert_int_equal(nfset_encode_new(c, 2, "sekisho", 100, &b, &err), 0);
	assert_true(holds(&b, lgwan, sizeof(lgwan)));
	assert_true(holds(&b, svc_ports, sizeof(svc_ports)));
	assert_true(b.last > b.first);
	nfset_free(&b);
	assert_true(nfset_declarable(PREFIXES, 0));
	assert_true(nfset_declarable(CLASSES, 1));
	assert_true(nfset_declarable("\t\ttype ipv4_addr : ipv4_addr\n", 1));
	/* not copied from nft: left to the text */
	assert_false(nfset_declarable("\t\ttype ifname\n\t\tflags timeout\n", 0));
	assert_false(nfset_declarable("\t\ttype ipv4_addr\n\t\tflags timeout\n", 0));
	assert_false(nfset_declarable("\t\ttype ether_addr\n", 0));
	assert_false(nfset_declarable("\t\ttype inet_service\n", 0));
	assert_false(nfset_declarable(CLASSES, 0));
	c[0].head = "\t\ttype ifname\n\t\tflags timeout\n";
	assert_int_equal(nfset_encode_new(c, 1, "sekisho", 100, &b, &err), -ENOTSUP);
	/* undone: the sets deleted, and the table */
	assert_int_equal(nfset_encode_drop(names, 2, "sekisho", 1, 100, &b, &err), 0);
	assert_true(holds(&b, "svc_ports", 10));
	assert_true(b.last > b.first);
	nfset_free(&b);
}

static struct fw_model *
model(const char *text)
{
	struct fw_model *m = fw_model_new();

	assert_non_null(m);
	assert_int_equal(fw_model_read(m, text, FW_MODEL_POLICY), 0);
	return m;
}

#define TABLE(CLASS, PORTS_ELEMS, CHAIN) \
	"\tmap svc_class {\n" CLASSES "\t\telements = { 10.1.0.0/24 : " CLASS " }\n\t}\n" \
	"\tset svc_ports {\n" PORTS "\t\telements = { " PORTS_ELEMS " }\n\t}\n" \
	"\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n" \
	"\t\t" CHAIN "\n\t}\n"

/* A class renumbered: the new class's elements come, the old one's are
 * dead (deferred) or deleted (without defer); a chain that changes makes
 * it a change of more than elements. */
static void
test_elem_diff(void **state)
{
	struct fw_model *a = model(TABLE("0x11110000", "0x11110000 . tcp . 80", "counter accept"));
	struct fw_model *b = model(TABLE("0x22220000", "0x22220000 . tcp . 81", "counter accept"));
	struct fw_model *c = model(TABLE("0x22220000", "0x22220000 . tcp . 81", "counter drop"));
	struct fw_elem_change *v;
	size_t n;

	(void)state;
	assert_int_equal(fw_model_elem_diff(a, b, FW_MODEL_POLICY, 1, &v, &n), 1);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].set, "svc_ports");
	assert_int_equal(v[1].n_del, 0);
	assert_int_equal(v[1].n_dead, 1);
	assert_string_equal(v[1].dead[0], "0x11110000 . tcp . 80");
	assert_int_equal(v[1].n_add, 1);
	/* b with the dead element is what the kernel then holds: the tidy
	 * deletes it */
	assert_int_equal(fw_model_keep_dead(b, v, n), 0);
	fw_elem_changes_free(v, n);
	assert_int_equal(fw_model_elem_diff(b, c, FW_MODEL_POLICY, 0, &v, &n), 0);
	fw_model_free(c);
	c = model(TABLE("0x22220000", "0x22220000 . tcp . 81", "counter accept"));
	assert_int_equal(fw_model_elem_diff(b, c, FW_MODEL_POLICY, 0, &v, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n_del, 1);
	assert_string_equal(v[0].del[0], "0x11110000 . tcp . 80");
	assert_int_equal(v[0].n_add, 0);
	fw_elem_changes_free(v, n);
	fw_model_free(a);
	fw_model_free(b);
	fw_model_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipapo),
		cmocka_unit_test(test_rbtree),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_zero_end),
		cmocka_unit_test(test_declare),
		cmocka_unit_test(test_elem_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
