/*
 * Fault injection for the integration tests, never built into a program:
 * an LD_PRELOAD shim over libnftables' nft_run_cmd_from_buffer(). While
 * the file named by $SK_NFTFAIL exists, a batch is refused (-1, as
 * libnftables refuses one the kernel will not take) when it is a
 * policy's ruleset (it defines set "lgwan") or a change of one (a mode
 * change or a policy change by difference: it flushes one of the table's
 * chains), or any batch when the file says "all". Otherwise the real function runs. tests/integration/
 * 26-rules-fail.sh compiles it with cc -shared.
 *
 * Also over libmnl's mnl_socket_sendto(), for the batches sekishod builds
 * itself (netvm/sekishod/nfset.h): while the file exists, an nf_tables
 * batch that changes the elements of any set but office_vouch (a policy
 * change of elements only) is refused (-1, EPERM, as the kernel refuses a
 * batch: nothing changes), or any nf_tables batch when the file says
 * "all". With "text" in it, sekishod's own batches all pass and only
 * libnftables' are refused (a policy's ruleset or a change of one, as
 * above): a full load's first step (its sets by nfnetlink) is taken and
 * its second (the chains, by libnftables) refused.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct nft_ctx;
struct mnl_socket;
int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf);
ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len);

/* Into sekishod alone: its children (the sandboxed bundle verifier, which
 * cannot load it, among them) start without it. */
__attribute__((constructor)) static void
alone(void)
{
	unsetenv("LD_PRELOAD");
}

int
nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf)
{
	static int (*real)(struct nft_ctx *, const char *);
	const char *path = getenv("SK_NFTFAIL");
	char what[8] = "";
	FILE *f;

	if (real == NULL)
		real = (int (*)(struct nft_ctx *, const char *))dlsym(RTLD_NEXT,
		    "nft_run_cmd_from_buffer");
	if (path != NULL && (f = fopen(path, "re")) != NULL) {
		if (fgets(what, sizeof(what), f) == NULL)
			what[0] = '\0';
		fclose(f);
		if (strncmp(what, "all", 3) == 0 || strstr(buf, "set lgwan {") != NULL ||
		    strstr(buf, "flush chain inet sekisho ") != NULL)
			return -1;
	}
	return real(nft, buf);
}

/* What the fault file says, for sekishod's own batches: -1 absent (or
 * "text"), 1 "all", 0 present. */
static int
failing(void)
{
	const char *path = getenv("SK_NFTFAIL");
	char what[8] = "";
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(what, sizeof(what), f) == NULL)
		what[0] = '\0';
	fclose(f);
	if (strncmp(what, "text", 4) == 0)
		return -1;
	return strncmp(what, "all", 3) == 0;
}

/* Whether the messages in buf (len) are an nf_tables batch, and whether one
 * of them changes the elements of a set other than office_vouch. */
static int
element_batch(const void *buf, size_t len, int *policy)
{
	const struct nlmsghdr *h = buf;
	int batch = 0;

	*policy = 0;
	for (; len >= sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= len;
	    len -= NLMSG_ALIGN(h->nlmsg_len),
	    h = (const struct nlmsghdr *)((const char *)h + NLMSG_ALIGN(h->nlmsg_len))) {
		const struct nlattr *a;
		size_t left;
		int t = h->nlmsg_type & 0xff;

		if (h->nlmsg_type == NFNL_MSG_BATCH_BEGIN)
			batch = 1;
		if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
		    (t != NFT_MSG_NEWSETELEM && t != NFT_MSG_DELSETELEM))
			continue;
		a = (const struct nlattr *)((const char *)NLMSG_DATA(h) +
		    NLMSG_ALIGN(sizeof(struct nfgenmsg)));
		left = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
		for (; left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left;
		    left -= NLA_ALIGN(a->nla_len),
		    a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))
			if ((a->nla_type & NLA_TYPE_MASK) == NFTA_SET_ELEM_LIST_SET &&
			    strncmp((const char *)(a + 1), "office_vouch",
			    a->nla_len - sizeof(*a)) != 0)
				*policy = 1;
	}
	return batch;
}

ssize_t
mnl_socket_sendto(const struct mnl_socket *nl, const void *buf, size_t len)
{
	static ssize_t (*real)(const struct mnl_socket *, const void *, size_t);
	int mode = failing(), policy;

	if (real == NULL)
		real = (ssize_t (*)(const struct mnl_socket *, const void *, size_t))
		    dlsym(RTLD_NEXT, "mnl_socket_sendto");
	if (mode >= 0 && element_batch(buf, len, &policy) && (mode == 1 || policy)) {
		errno = EPERM;
		return -1;
	}
	return real(nl, buf, len);
}
