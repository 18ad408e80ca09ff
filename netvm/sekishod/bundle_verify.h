/*
 * The bundle's signature, checked outside sekishod: sekishod keeps
 * libcrypto out of its address space (docs/bundle.md, "Without libcrypto
 * in sekishod"), so it pipes the very bytes it holds to
 *
 *	sekisho-policy verify --name NAME --pubkey K... --device D
 *	    --min-serial S --signature-only -
 *
 * and reads back "ok serial N device D" or the one line of the refusal.
 * The helper checks the structure, the signature, the device and the
 * serial; the policy text is parsed once, by sekishod, on the bytes the
 * helper verified (accept.c, bundle_check).
 * The helper never opens the file itself: the bytes checked are the bytes
 * sekishod then decodes, checks again and stores. It runs in the sandbox
 * of lib/sandbox.h (user _sekisho-verify), entered before its exec.
 */
#ifndef SK_BUNDLE_VERIFY_H
#define SK_BUNDLE_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"
#include "policy/bundle.h"

#define VERIFIER_TIMEOUT_MS	10000	/* a 4 MiB bundle takes ~50 ms */

/*
 * Runs helper over len bytes of buf, trusting t (keys, device, accepted as
 * --min-serial: that serial itself passes; same_ok is the caller's own
 * check). 0 with *serial set when the helper said ok; -EINVAL with the
 * helper's line in err when it refused; another -errno with "NAME: ..."
 * when it could not be run or did not answer in time.
 */
int verifier_run(const char *helper, const char *name, const struct bundle_trust *t,
    const uint8_t *buf, size_t len, uint64_t *serial, struct sk_error *err);

/*
 * verifier_run's decision without a process per bundle: sekishod keeps one
 * `sekisho-policy verify-serve --pubkey K... --device D` running, in the
 * same sandbox (started at the first bundle; lib/proto/pverify_wire.h),
 * and asks it for each bundle (t->accepted as the min serial). A helper
 * that died, hung or answered out of turn is ended and started afresh
 * once for the same bundle; fail closed: no answer is a refusal.
 * (Starting one per bundle cost 4 to 10 ms of a reload on a busy machine:
 * fork, sandbox, exec, loading libcrypto.) Returns as verifier_run.
 */
int verifier_ask(const char *helper, const char *name, const struct bundle_trust *t,
    const uint8_t *buf, size_t len, uint64_t *serial, struct sk_error *err);
/* 1 if pid was the helper's (forgotten: the next bundle starts one), 0 if not. */
int verifier_reaped(pid_t pid);
/* Ended (sekishod's stop). */
void verifier_stop(void);
/* Its pid, 0 when none runs. */
pid_t verifier_pid(void);

/* The same without the sandbox: for the unit tests' shell-script helpers
 * only (they fork and write files). sekishod never calls it. */
int verifier_run_unconfined(const char *helper, const char *name,
    const struct bundle_trust *t, const uint8_t *buf, size_t len, uint64_t *serial,
    struct sk_error *err);

/*
 * A freshness statement the same way: `sekisho-policy verify-fresh --name
 * NAME --pubkey K... --device D --serial SERIAL --after AFTER -` over the
 * bytes held. 0 with *time (the statement's signed time, above after)
 * when the helper said "ok fresh serial SERIAL time T"; errors as
 * verifier_run. confined 0 only for the unit tests' stand-in helpers.
 */
int verifier_run_fresh(const char *helper, const char *name,
    const struct bundle_trust *t, uint64_t serial, uint64_t after,
    const uint8_t *buf, size_t len, uint64_t *time, int confined,
    struct sk_error *err);
/* "ok fresh serial SERIAL time T\n": 0 with *time, or -EINVAL. */
int verifier_parse_fresh_ok(const char *line, uint64_t serial, uint64_t *time);

/* Parses the helper's answer "ok serial N device D\n" (D must be the
 * device asked for). 0 with *serial, or -EINVAL. */
int verifier_parse_ok(const char *line, const uint8_t device[BUNDLE_KEY_LEN],
    uint64_t *serial);

#endif
