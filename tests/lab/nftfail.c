/*
 * Fault injection for the integration tests, never built into a program:
 * an LD_PRELOAD shim over libnftables' nft_run_cmd_from_buffer(). While
 * the file named by $SK_NFTFAIL exists, a batch is refused (-1, as
 * libnftables refuses one the kernel will not take) when it is a
 * policy's ruleset (it defines set "lgwan") or a change of one (a mode
 * change or a policy change by difference: it flushes one of the table's
 * chains), or any batch when the file says "all". Otherwise the real function runs. tests/integration/
 * 26-rules-fail.sh compiles it with cc -shared.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nft_ctx;
int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf);

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
