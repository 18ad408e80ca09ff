/*
 * sekisho-provision: IT's tool over the registry (docs/provisioning.md).
 * One file per subcommand group (cmd_*.c), dispatched through lib/cli.h
 * tables; this header is what they share: the context built from the
 * global options, the registry and audit helpers, the agency key
 * directory, secrets and the progress bar.
 */
#ifndef SK_PROV_H
#define SK_PROV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/cli.h"
#include "lib/util.h"
#include "policy/bundle.h"
#include "registry/ops.h"
#include "registry/registry.h"

#define PROV_KEYDIR_DEFAULT	"/etc/sekisho/provision"
#define PROV_NAME		"sekisho-provision"

struct prov {
	const char	*url;		/* -r, $SEKISHO_REGISTRY */
	const char	*keydir;	/* -K, $SEKISHO_KEYS */
	struct reg_actor actor;		/* --by (else the login), --reason */
	int		 quiet;		/* -q, or stderr not a terminal */
	struct reg	*r;		/* opened by prov_open */
	int64_t		 now;		/* time(); $SEKISHO_NOW in the test build */
	struct bundle_signer signer;	/* the active agency key, once loaded */
	int		 signer_loaded;
	char		 gw_tunnel[64];	/* the gateways' tunnel address, once read
					   (prov_gw_tunnel) */
};

/* A subcommand's options: --name VALUE (val) or --name (flag). */
struct prov_opt {
	const char	*name;
	const char	**val;
	int		*flag;
};
#define PROV_HELP	(-2)
/*
 * Parses argv[1..] (argv[0] is the subcommand): options anywhere, the
 * common --reason/--by included; the rest into pos[0..maxpos). Between
 * minpos and maxpos positionals. -h/--help prints "Usage: ... USAGE" and
 * help to stdout and returns PROV_HELP; a wrong line prints the usage to
 * stderr and returns -1. Otherwise the number of positionals.
 */
int prov_args(struct prov *p, int argc, char *argv[], const struct prov_opt *opts,
    const char **pos, int minpos, int maxpos, const char *usage, const char *help);
#define PROV_ARGS_RC(n) ((n) == PROV_HELP ? EXIT_OK : EXIT_USAGE)

/* Prints "sekisho-provision: what" on stderr; returns EXIT_FAIL. */
int prov_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int prov_usage(const char *usage);

/* The options every subcommand takes after its own: --reason TEXT,
 * --by LOGIN. Returns 1 if argv[*i] (and perhaps the next) was one
 * (consumed), 0 if not, -1 on a missing value. */
int prov_common_opt(struct prov *p, int argc, char *argv[], int *i);

/* Opens the registry: 0 or EXIT_FAIL after one line. */
int prov_open(struct prov *p);
/* One transaction: begin; on error the line, rollback, EXIT_FAIL. */
int prov_begin(struct prov *p);
int prov_commit(struct prov *p);
int prov_abort(struct prov *p, const struct sk_error *err);
/* Rolls back and prints one line: EXIT_FAIL. */
int prov_abortf(struct prov *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int prov_audit(struct prov *p, const char *action, const char *object,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Key directory: PATH = keydir/name. */
int prov_keypath(const struct prov *p, const char *name, char *out, size_t len);
/* Writes a secret as one base64 line: O_EXCL (never replaces), 0600,
 * fsync'd with its directory when sync (else the caller syncs the file
 * system once, as device export --all does). 0 or -errno with err. */
int prov_secret_write(const char *path, const uint8_t key[KEY_LEN], int sync,
    struct sk_error *err);
/* A file replaced through NAME.new and rename, mode given, not synced. */
int prov_file_write(const char *path, const void *data, size_t len, mode_t mode,
    struct sk_error *err);
int prov_public_write(const char *path, const char *text, struct sk_error *err);
/* A WireGuard key pair (X25519). */
int prov_wg_keygen(uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN]);
int prov_wg_pubkey(const uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN]);

/*
 * A PIN: from a descriptor (--pin-fd N: the first line) or else from the
 * terminal without echo (asked twice). Never from argv. buf is wiped by
 * the caller. Returns the length or -1 after one line.
 */
int prov_read_pin(int fd, char *buf, size_t size);

/* Progress on a terminal: "LABEL  [#####.....]  N/TOTAL"; nothing when
 * quiet. */
struct progress {
	const char	*label;
	size_t		 total, done;
	int		 on;
	int		 last;
};
void progress_start(struct progress *pg, const struct prov *p, const char *label,
    size_t total);
void progress_step(struct progress *pg, size_t n);
void progress_end(struct progress *pg);

/* ---- the subcommand groups ---- */
int cmd_init(void *ctx, int argc, char *argv[]);
int cmd_key(void *ctx, int argc, char *argv[]);
int cmd_group(void *ctx, int argc, char *argv[]);
int cmd_device(void *ctx, int argc, char *argv[]);
int cmd_gateway(void *ctx, int argc, char *argv[]);
int cmd_user(void *ctx, int argc, char *argv[]);
int cmd_card(void *ctx, int argc, char *argv[]);
int cmd_otp(void *ctx, int argc, char *argv[]);
int cmd_audit(void *ctx, int argc, char *argv[]);

/* A subcommand group's table: "device add", "device list", ... */
int prov_dispatch(const char *group, const struct cli_cmd *cmds, size_t n,
    void *ctx, int argc, char *argv[]);

/* bundle.c: the device's bundle, signed with the active agency key. */
int prov_sign_device(struct prov *p, const struct reg_device *d,
    const struct reg_group *g, int64_t serial, uint8_t **out, size_t *outlen,
    struct sk_error *err);
/* The template parses with a device part filled in; *ipv6 1 if it needs
 * tunnel-address6. Its gateways' tunnel-address is the registry's (the
 * pool's .1, filled in where the template has none; one that contradicts
 * it is refused); without a pool yet (init not run), not checked. Errors
 * as the policy parser's, "NAME:LINE: what". */
int prov_template_check(struct prov *p, const char *name, const char *tmpl,
    const char *key_file, int *ipv6, struct sk_error *err);
/* The gateways' tunnel address (registry/ops.h, reg_gateway_tunnel),
 * read once: a pointer to it, or NULL with err. */
const char *prov_gw_tunnel(struct prov *p, struct sk_error *err);
/* The trust file: every agency key not retired, one per line. */
int prov_trust_text(struct prov *p, char *out, size_t len, struct sk_error *err);

/* The list commands' output options. */
#include "provisioning/sekisho-provision/table.h"
int prov_list_fmt(const char *json, const char *csv, const char *encs,
    enum table_fmt *fmt, enum textenc *enc);

#endif
