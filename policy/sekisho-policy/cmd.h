/* sekisho-policy's subcommands, one file each (cmd_*.c), and what they
 * share. Exit status: 0 valid/done, 1 invalid or refused (one error line
 * on stderr), 2 usage error. */
#ifndef SK_POLICY_CMD_H
#define SK_POLICY_CMD_H

#include <stdint.h>

#include "lib/cli.h"


extern const char *prog_name;

int keygen_main(void *ctx, int argc, char *argv[]);
int sign_main(void *ctx, int argc, char *argv[]);
int verify_main(void *ctx, int argc, char *argv[]);
int verify_serve_main(void *ctx, int argc, char *argv[]);
int fresh_main(void *ctx, int argc, char *argv[]);
int verify_fresh_main(void *ctx, int argc, char *argv[]);
int compile_main(void *ctx, int argc, char *argv[]);

/* "Usage: PROG SUB ARGS" on stderr; returns EXIT_USAGE. */
int cmd_usage(const char *sub, const char *args);
/* A 32-byte public key given as option opt, base64, not all zero: EXIT_OK,
 * or a message naming what was expected and EXIT_USAGE. */
int cmd_key_arg(const char *sub, const char *opt, const char *b64,
    const char *what, uint8_t key[32]);

/* A signed time: now, or $SOURCE_DATE_EPOCH (1 .. 2^63-1) for
 * reproducible output. EXIT_OK or EXIT_USAGE with one line. */
int cmd_signed_time(const char *sub, uint64_t *t);

#endif
