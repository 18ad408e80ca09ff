/*
 * Which factors each role may sign on with (docs/sign-on.md, "Factors by
 * role"): a small file the verifier reads at start,
 *
 *	# comment
 *	role *      card-key card-pin code-pin
 *	role clerk  card-key code-pin              # challenge-response only
 *	role nurse  card-key code-pin biometric    # fingerprint allowed
 *
 * "role *" is every role without a line of its own; without it, such a
 * role signs on with nothing. A role is the staff row's role; a factor
 * one of card-pin, card-key, code-pin, biometric, biometric-pin (face or
 * finger matched in the work partition, and the PIN). Any error rejects the
 * whole file with "FILE:LINE: what". Pure: text in, a table out.
 */
#ifndef SK_AUTHD_RULES_H
#define SK_AUTHD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define RULES_MAX	256
#define RULES_ROLE_MAX	64
#define RULES_FILE_MAX	(64 * 1024)

struct rules {
	size_t	n;
	struct {
		char		role[RULES_ROLE_MAX + 1];	/* "*" for the default */
		uint32_t	factors;			/* 1 << SIGNON_F_* */
	} r[RULES_MAX];
};

/* name: for the error lines. 0 or -EINVAL with err set; out untouched on
 * error. */
int rules_parse(const char *name, const char *text, size_t len,
    struct rules *out, struct sk_error *err);
/* 1 if role may use factor (SIGNON_F_*). */
int rules_allow(const struct rules *rl, const char *role, int factor);
/* "role ROLE f1 f2\n" for each, as parsed (for -nv). */
void rules_print(const struct rules *rl, char *buf, size_t len);

#endif
