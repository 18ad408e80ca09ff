#include "netvm/sekishod/firewall.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/policy.h"
#include "policy/render/fw_dns.h"
#include "policy/render/fw_office.h"

/* Section sec of p's policy part into m: taken from held if the bytes it
 * is rendered from are the same as held's (fw_model.h), else rendered and
 * read back. 0, or -1 out of memory. */
static int
section_into(struct fw_model *m, const struct fw_model *held, const struct fw_params *p,
    int sec, struct fw_change *c)
{
	struct buf key, text;
	uint64_t t = mono_us();
	int keyed, rc;

	buf_init(&key);
	buf_init(&text);
	keyed = fw_section_key(p, sec, &key);
	if (keyed && held != NULL && fw_model_same_key(held, sec, &key)) {
		rc = fw_model_borrow(m, held, sec);
		c->sections_kept++;
	} else {
		fw_render_section(p, sec, &text);
		c->render_us += mono_us() - t;
		t = mono_us();
		rc = text.oom ? -1 : fw_model_read_section(m, text.len ? text.p : "",
		    FW_MODEL_POLICY, sec);
	}
	if (rc == 0 && keyed && fw_model_set_key(m, sec, &key) < 0)
		rc = -1;
	c->model_us += mono_us() - t;
	buf_free(&key);
	buf_free(&text);
	return rc;
}

/* The model of p's table (its policy part section by section, then the
 * mode part's text b); NULL out of memory. */
static struct fw_model *
model_of(const struct fw_model *held, const struct fw_params *p, const char *mode_part,
    struct fw_change *c)
{
	struct fw_model *m = fw_model_new();
	uint64_t t;
	int rc = m == NULL ? -1 : 0;

	for (int sec = 0; rc == 0 && sec < FW_NSECTIONS; sec++)
		rc = section_into(m, held, p, sec, c);
	t = mono_us();
	if (rc == 0)
		rc = fw_model_read(m, mode_part, FW_MODEL_MODE);
	c->model_us += mono_us() - t;
	if (rc < 0) {
		fw_model_free(m);
		return NULL;
	}
	return m;
}

static void
drop(struct fw_model **held)
{
	if (held != NULL) {
		fw_model_free(*held);
		*held = NULL;
	}
}

/* Each batch's messages numbered apart from the last one's (up to 2^20
 * messages each), so that a late answer is never taken for this one's. */
static uint32_t
next_seq(void)
{
	static uint32_t n;

	if (n == 0)
		n = (uint32_t)time(NULL) << 20;
	n += 1u << 20;
	return n;
}

/* The change from held to c->model as an element batch, if only elements
 * change and the office table (text office) stays: 1 (c->batch, c->nl),
 * 0 if it needs text, -1 out of memory. */
static int
elements_only(const struct fw_model *held, struct fw_change *c, const char *office,
    int defer)
{
	struct fw_elem_change *v;
	struct sk_error e;
	size_t n;
	int rc;

	if (fw_model_office(held) == NULL || strcmp(fw_model_office(held), office) != 0)
		return 0;
	if ((rc = fw_model_elem_diff(held, c->model, FW_MODEL_POLICY | FW_MODEL_MODE,
	    defer, &v, &n)) <= 0)
		return rc;
	rc = nfset_encode(v, n, FW_TABLE, next_seq(), &c->batch, &e);
	for (size_t i = 0; rc == 0 && i < n; i++)
		c->tidy |= v[i].n_dead > 0;
	if (rc == 0 && c->tidy && fw_model_keep_dead(c->model, v, n) < 0)
		rc = -ENOMEM;
	fw_elem_changes_free(v, n);
	if (rc == -ENOMEM)
		return -1;
	if (rc < 0) {
		log_debug("ruleset change as text: %s", e.msg);
		return 0;
	}
	c->nl = 1;
	c->cmds = (long)n;
	return 1;
}

/* The full load's text of c's model (fw_model_print, then the office
 * table): what policy_diff leaves out when asked to (lazy). 0, or -ENOMEM
 * with err. */
static int
full_text(struct fw_change *c, const struct fw_params *p, struct sk_error *err)
{
	struct buf office;

	buf_init(&office);
	fw_model_print(c->model, &c->text);
	fw_render_office_l2(p, &office);
	buf_add(&c->text, office.p, office.len);
	buf_free(&office);
	if (c->text.oom || office.oom)
		return sk_errorf(err, ENOMEM, "ruleset: out of memory");
	return 0;
}

/* With lazy, a full load's text (held NULL, a policy) is not printed:
 * c->text stays empty for the caller to fill (full_text) only if it
 * loads the text; fw_load's two steps print only what step 2 declares. */
static int
policy_diff(const struct fw_model *held, const struct fw_params *p,
    struct fw_change *c, int defer, int lazy, struct sk_error *err)
{
	struct buf a, b, office;
	uint64_t t = mono_us();
	int rc = 0, nl = 0;

	memset(c, 0, sizeof(*c));
	buf_init(&c->text);
	buf_init(&c->batch.b);
	buf_init(&a);
	buf_init(&b);
	buf_init(&office);
	/* The policy part is rendered only without a policy (the base
	 * ruleset: nothing), else section by section into the model, those
	 * whose input did not change taken from held (model_of). */
	if (p->pol == NULL)
		fw_render_policy(p, &a);
	fw_render_mode(p, &b);
	/* The office table (fw_office.h) goes whole with every transaction of
	 * text: a few lines, bound to this mode and office uplink. */
	fw_render_office_l2(p, &office);
	c->render_us = mono_us() - t;
	if (a.oom || b.oom || buf_str(&office) == NULL || (p->pol != NULL &&
	    (c->model = model_of(held, p, b.len ? b.p : "", c)) == NULL) ||
	    (c->model != NULL && fw_model_set_office(c->model, office.p) < 0)) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		goto out;
	}
	t = mono_us();
	if (held != NULL && c->model != NULL && (nl = elements_only(held, c, office.p, defer)) < 0) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		goto out;
	}
	if (nl)
		goto out;
	if (held == NULL && c->model != NULL && lazy) {
		c->full = 1;
		c->cmds = 2;	/* the table, then the office table */
		goto out;
	}
	if (held == NULL || c->model == NULL) {
		if (c->model != NULL)
			fw_model_print(c->model, &c->text);
		else
			fw_render_compose(a.len ? a.p : "", b.len ? b.p : "", &c->text);
		c->full = 1;
		c->cmds = 1;
	} else if ((c->cmds = fw_model_diff(held, c->model, FW_MODEL_POLICY | FW_MODEL_MODE,
	    &c->text)) < 0) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		goto out;
	}
	buf_add(&c->text, office.p, office.len);
	c->cmds++;
	if (c->text.oom)
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
out:
	c->diff_us = mono_us() - t;
	buf_free(&a);
	buf_free(&b);
	buf_free(&office);
	if (rc < 0)
		fw_change_free(c);
	return rc;
}

int
fw_policy_diff(const struct fw_model *held, const struct fw_params *p,
    struct fw_change *c, struct sk_error *err)
{
	return policy_diff(held, p, c, 1, 0, err);
}

int
fw_policy_tidy(const struct fw_model *held, const struct fw_params *p,
    struct fw_change *c, struct sk_error *err)
{
	return policy_diff(held, p, c, 0, 0, err);
}

int
fw_tidy(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err)
{
	struct fw_change c;
	int rc;

	if (*held == NULL)
		return 0;
	if ((rc = fw_policy_tidy(*held, p, &c, err)) < 0)
		return rc;
	rc = fw_change_apply(fw, &c, held, err);
	fw_change_free(&c);
	return rc;
}

int
fw_change_check(struct firewall *fw, const struct fw_change *c, struct sk_error *err)
{
	if (c->cmds == 0)
		return 0;
	if (c->nl)
		return nfset_send(&c->batch, 0, err);
	return fw_check(fw, buf_str(&c->text), err);
}

int
fw_change_apply(struct firewall *fw, struct fw_change *c, struct fw_model **held,
    struct sk_error *err)
{
	int rc = 0;

	if (c->cmds > 0 && (rc = c->nl ? nfset_send(&c->batch, 1, err) :
	    fw_apply(fw, buf_str(&c->text), err)) < 0) {
		drop(held);
		return rc;
	}
	/* the sections c's model took from the held one become its own */
	if (*held != NULL && c->model != NULL && fw_model_settle(c->model, *held) < 0) {
		fw_model_free(c->model);	/* the kernel has it; the next */
		c->model = NULL;		/* change loads in full */
	}
	drop(held);
	*held = c->model;
	c->model = NULL;
	return 0;
}

void
fw_change_free(struct fw_change *c)
{
	fw_model_free(c->model);
	c->model = NULL;
	buf_free(&c->text);
	nfset_free(&c->batch);
}

/*
 * A full load in two transactions (fw_model.h, "A full load in two
 * transactions"), so that libnftables, which parses and evaluates every
 * element it is given (about 80 ms of CPU for the 29,000 elements of
 * 10,000 prefixes and 1,000 services), gets only the chains and the small
 * sets:
 *  1. the policy's sets and maps that nfset declares (nfset.h), made with
 *     all their elements in one nfnetlink batch, in the table in force,
 *     where no rule refers to them: no packet meets them yet. Each is
 *     declared exclusively: if the table in force holds a set of one of
 *     those names (a policy's table rather than the base ruleset's),
 *     nothing is done here and the load goes as one transaction of text;
 *  2. one libnftables transaction: every chain the table held flushed and
 *     deleted, every other set deleted, the rest of the new table declared,
 *     its chains referring to the sets of 1. Packets meet the old table's
 *     rules until it commits, then the new rules over complete sets: at no
 *     instant is a rule in force over a partial set, whether it allows or
 *     refuses what it matches.
 * If 2 fails, the sets of 1 go again (and the table, if 1 made it), so the
 * kernel holds what it held. 1 done; 0 not done, nothing changed (the
 * caller loads the text); -errno with err, nothing changed.
 */
static int
name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') ||
		    (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

static int
load_split(struct firewall *fw, const struct fw_params *p, const struct fw_model *m,
    struct sk_error *err)
{
	struct nfset_names chains, sets;
	struct fw_elem_change *v;
	struct nfset_batch made, undo;
	struct buf text, office;
	const char **names = NULL;
	struct sk_error e;
	size_t n, k = 0;
	int exists = -1, rc = 0;

	if (fw_model_sets(m, FW_MODEL_POLICY, &v, &n) < 0)
		return sk_errorf(err, ENOMEM, "ruleset: out of memory");
	for (size_t i = 0; i < n; i++) {	/* those nfset declares, in order */
		if (!nfset_declarable(v[i].head, v[i].map)) {
			free(v[i].add);
			continue;
		}
		v[k++] = v[i];
	}
	n = k;
	if (n == 0 || (names = calloc(n, sizeof(*names))) == NULL) {
		fw_elem_changes_free(v, n);
		return n == 0 ? 0 : sk_errorf(err, ENOMEM, "ruleset: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		names[i] = v[i].set;
	if ((exists = nfset_list(FW_TABLE, &chains, &sets, &e)) < 0) {
		log_debug("full load as text: %s", e.msg);
		goto out;
	}
	for (size_t i = 0; i < sets.n; i++)
		for (size_t j = 0; j < n; j++)
			if (!name_ok(sets.v[i] + 4) || strcmp(sets.v[i] + 4, names[j]) == 0)
				goto out;	/* a policy's table in force: as text */
	for (size_t i = 0; i < chains.n; i++)
		if (!name_ok(chains.v[i]))
			goto out;
	if (nfset_encode_new(v, n, FW_TABLE, next_seq(), &made, &e) < 0) {
		log_debug("full load as text: %s", e.msg);
		goto out;
	}
	rc = nfset_send(&made, 1, &e);
	nfset_free(&made);
	if (rc < 0) {	/* nothing changed (one batch) */
		log_debug("full load as text: %s", e.msg);
		rc = 0;
		goto out;
	}
	buf_init(&text);
	buf_init(&office);
	for (size_t i = 0; i < chains.n; i++)
		buf_printf(&text, "flush chain inet %s %s\n", FW_TABLE, chains.v[i]);
	for (size_t i = 0; i < chains.n; i++)
		buf_printf(&text, "delete chain inet %s %s\n", FW_TABLE, chains.v[i]);
	for (size_t i = 0; i < sets.n; i++)	/* "set NAME" or "map NAME" */
		buf_printf(&text, "delete %.3s inet %s %s\n", sets.v[i], FW_TABLE, sets.v[i] + 4);
	fw_model_print_rest(m, names, n, &text);
	fw_render_office_l2(p, &office);
	buf_add(&text, office.p, office.len);
	if (buf_str(&text) == NULL)
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
	else
		rc = fw_apply(fw, text.p, err);
	buf_free(&text);
	buf_free(&office);
	if (rc < 0) {	/* the sets of step 1 go again */
		if (nfset_encode_drop(names, n, FW_TABLE, exists == 0, next_seq(), &undo, &e) < 0 ||
		    nfset_send(&undo, 1, &e) < 0)
			log_warnx("ruleset: the sets made for a full load that failed stay in "
			    "the table unused: %s", e.msg);
		nfset_free(&undo);
	} else
		rc = 1;
out:
	if (exists >= 0) {
		nfset_names_free(&chains);
		nfset_names_free(&sets);
	}
	free(names);
	fw_elem_changes_free(v, n);
	return rc;
}

static int last_steps;	/* fw_load_steps */

int
fw_load_steps(void)
{
	return last_steps;
}

static int
load(struct firewall *fw, const struct fw_params *p, struct fw_model **held, int split,
    struct sk_error *err)
{
	struct fw_change c;
	int rc = 0;

	last_steps = 0;
	/* The full text (about 660 kB at 10,000 prefixes and 1,000 services)
	 * is printed only if the load goes as text: the two steps print
	 * only what step 2 declares. */
	if ((rc = policy_diff(NULL, p, &c, 1, 1, err)) < 0)
		return rc;
	if (split && c.model != NULL && (rc = load_split(fw, p, c.model, err)) < 0) {
		/* nothing changed: as one transaction of text, as before */
		log_debug("full load in two steps: %s; as text", err->msg);
		rc = rc == -ENOMEM ? rc : 0;
	}
	last_steps = rc == 1 ? 2 : 0;
	if (rc == 0 && c.model != NULL && c.text.len == 0)
		rc = full_text(&c, p, err);
	if (rc == 0 && (rc = fw_apply(fw, buf_str(&c.text), err)) == 0)
		last_steps = 1;
	if (rc >= 0 && held != NULL) {
		drop(held);
		*held = c.model;
		c.model = NULL;
	}
	fw_change_free(&c);
	return rc < 0 ? rc : 0;
}

int
fw_load(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err)
{
	return load(fw, p, held, 1, err);
}

int
fw_load_text(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err)
{
	return load(fw, p, held, 0, err);
}

int
fw_load_check(struct firewall *fw, const struct fw_params *p, struct sk_error *err)
{
	struct buf text;
	int rc;

	buf_init(&text);
	fw_render(p, &text);
	if (buf_str(&text) == NULL)
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
	else
		rc = fw_check(fw, text.p, err);
	buf_free(&text);
	return rc;
}

int
fw_switch_mode(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err)
{
	struct fw_model *m;
	struct buf part, text, office;
	long n;
	int rc;

	if (*held == NULL || p->pol == NULL)
		return fw_load(fw, p, held, err);
	buf_init(&part);
	buf_init(&text);
	buf_init(&office);
	fw_render_mode(p, &part);
	m = fw_model_new();
	if (part.oom || m == NULL || fw_model_read(m, part.len ? part.p : "", FW_MODEL_MODE) < 0 ||
	    (n = fw_model_diff(*held, m, FW_MODEL_MODE, &text)) < 0) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		drop(held);
		goto out;
	}
	/* In office mode office_vouch is made anew, its deadline from now
	 * (fw_model.h): the caller counts the vouch as fresh. */
	rc = 0;
	fw_render_office_l2(p, &office);	/* whole, with every change (fw_office.h) */
	buf_add(&text, office.p, office.len);
	if (text.len > 0 && (rc = fw_apply(fw, buf_str(&text), err)) < 0)
		drop(held);
	else if (fw_model_take(*held, m, FW_MODEL_MODE) < 0)
		drop(held);	/* the kernel has it; the next change loads in full */
	else if (fw_model_set_office(*held, buf_str(&office)) < 0)
		fw_model_set_office(*held, NULL);	/* the next change goes as text */
out:
	fw_model_free(m);
	buf_free(&part);
	buf_free(&text);
	buf_free(&office);
	return rc;
}

/*
 * The vouch's transaction, built as nfnetlink messages rather than
 * nftables text: libnftables 1.0.6 reads every element of every interval
 * set in the kernel before any element command (the LGWAN set and the
 * services' class map: about 25 ms of CPU at 10,000 prefixes), and the
 * vouch is renewed at every beacon answer. One batch, all or nothing, as
 * fw_render_vouch's text: the set flushed (a delete without elements)
 * and the uplink added with its timeout, so its deadline is from now.
 */
#define VOUCH_BUF	4096

static void
vouch_list_attrs(struct nlmsghdr *nlh)
{
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, FW_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "office_vouch");
}

static struct nlmsghdr *
vouch_msg(struct mnl_nlmsg_batch *b, uint16_t type, uint16_t flags, uint32_t seq,
    int family, uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

/* The batch for uplink and ms in b; the last message's seq in *last. */
static void
vouch_batch(struct mnl_nlmsg_batch *b, const char *uplink, unsigned int ms,
    uint32_t seq, uint32_t *last)
{
	char key[IFNAMSIZ];
	struct nlmsghdr *nlh;
	struct nlattr *list, *elem, *k;

	vouch_msg(b, NFNL_MSG_BATCH_BEGIN, 0, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
	nlh = vouch_msg(b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSETELEM, 0, seq + 1,
	    NFPROTO_INET, 0);
	vouch_list_attrs(nlh);
	mnl_nlmsg_batch_next(b);
	nlh = vouch_msg(b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM,
	    NLM_F_CREATE | NLM_F_ACK, seq + 2, NFPROTO_INET, 0);
	vouch_list_attrs(nlh);
	/* An ifname key: the name, NUL-padded to IFNAMSIZ, as nft writes it. */
	memset(key, 0, sizeof(key));
	sk_strlcpy(key, uplink, sizeof(key));
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(key), key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64((uint64_t)ms));
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	mnl_nlmsg_batch_next(b);
	vouch_msg(b, NFNL_MSG_BATCH_END, 0, seq + 3, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	mnl_nlmsg_batch_next(b);
	*last = seq + 2;
}

int
fw_vouch(struct firewall *fw, const char *uplink, unsigned int ms,
    struct sk_error *err)
{
	char buf[VOUCH_BUF];
	struct mnl_nlmsg_batch *b;
	struct nfset_batch vb;
	struct sk_error e;
	uint32_t seq = next_seq(), last;
	int rc;

	(void)fw;
	if (strlen(uplink) >= IFNAMSIZ)
		return sk_errorf(err, EINVAL, "office vouch: interface name too long");
	if ((b = mnl_nlmsg_batch_start(buf, sizeof(buf))) == NULL)
		return sk_errorf(err, errno, "office vouch: %s", strerror(errno));
	vouch_batch(b, uplink, ms, seq, &last);
	/* sent as an element batch is (nfset.h), on its socket */
	memset(&vb, 0, sizeof(vb));
	vb.b.p = mnl_nlmsg_batch_head(b);
	vb.b.len = vb.b.cap = mnl_nlmsg_batch_size(b);
	vb.first = seq;
	vb.last = last;
	if ((rc = nfset_send(&vb, 1, &e)) < 0) {
		mnl_nlmsg_batch_stop(b);
		return sk_errorf(err, -rc, "office vouch: %s", strerror(-rc));
	}
	mnl_nlmsg_batch_stop(b);
	return 0;
}

/*
 * Work's DNS moved to another resolver (fw_dns.h): the map dns_pick
 * flushed and given its one element, in one nfnetlink batch (nfset.h).
 * As text, libnftables 1.0.6 would first read every element of every
 * interval set in the table (the LGWAN set, the services' class maps:
 * tens of milliseconds at 10,000 prefixes) for a two-element change.
 */
int
fw_dns_pick(struct firewall *fw, struct in_addr router, struct in_addr resolver,
    struct sk_error *err)
{
	char item[FW_DNS_ITEM_MAX];
	const char *items[1] = { item };
	struct fw_elem_change c = {
		.set = FW_DNS_MAP, .head = FW_DNS_MAP_HEAD, .map = 1, .flush = 1,
		.add = items, .n_add = 1 };
	struct nfset_batch b;
	int rc;

	(void)fw;
	fw_dns_pick_item(router, resolver, item);
	if ((rc = nfset_encode(&c, 1, FW_TABLE, next_seq(), &b, err)) < 0)
		return rc;
	rc = nfset_send(&b, 1, err);
	nfset_free(&b);
	return rc;
}

/* The base ruleset (blocked, no policy needed) if the table is absent:
 * what the early-boot unit loads, and what a first start must ensure. */
int
ensure_base(struct firewall *fw)
{
	if (fw_table_listed(fw, "inet", FW_TABLE) == 1)
		return 0;
	return load_base(fw);
}

int
load_base(struct firewall *fw)
{
	struct fw_params p = { .mode = MODE_BLOCKED };
	struct sk_error err;
	int rc;

	if ((rc = fw_load(fw, &p, NULL, &err)) < 0)
		log_warnx("base ruleset: %s", err.msg);
	else
		log_info("base ruleset loaded: everything blocked");
	return rc;
}
