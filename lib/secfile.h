/*
 * The one way a secret (a key) or a trust anchor (agency public keys, the
 * device's key, the serial store) is opened: O_NOFOLLOW, then every check
 * on the descriptor that is read, never again by path. A file passes only
 * if it is a regular file, owned by the expected user, and not writable by
 * group or others (a secret: not accessible by them at all, 0600). What
 * fails is one line naming the file and what is wrong with it.
 */
#ifndef SK_SECFILE_H
#define SK_SECFILE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define SECFILE_ANY_OWNER	(-1)

struct secfile_rule {
	const char	*what;		/* "key file", "serial store"; NULL: the path alone */
	int		 secret;	/* 1: no group/other access at all */
	int		 owner_uid;	/* SECFILE_ANY_OWNER, or the uid it must have */
	const char	*mode_hint;	/* after a mode refusal, e.g. ", must be 0600" */
};

/* Opens path for reading and checks it: a descriptor, or -errno (err set). */
int secfile_open(const char *path, const struct secfile_rule *r,
    struct sk_error *err);
/* The checks alone, on a descriptor already open. 0 or -errno (err set). */
int secfile_check(int fd, const char *path, const struct secfile_rule *r,
    struct sk_error *err);
/* secfile_open, then at most max bytes into *buf (malloc'd, NUL-terminated,
 * wiped and freed by the caller). -EFBIG if there is more. */
int secfile_read(const char *path, const struct secfile_rule *r, size_t max,
    uint8_t **buf, size_t *len, struct sk_error *err);

#endif
