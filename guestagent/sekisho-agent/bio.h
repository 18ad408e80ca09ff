/*
 * The biometric interface of the agent: enrol a finger into a template
 * file kept in the work partition, and match a finger against it. The
 * match happens here, on the laptop (the verifier then only accepts the
 * factor where the user's policy allows it). bio_fprint.c implements it
 * with libfprint (FP_VIRTUAL_DEVICE's virtual_device driver in the tests);
 * the Windows build uses the Windows Biometric Framework (issue 15).
 */
#ifndef SK_AGENT_BIO_H
#define SK_AGENT_BIO_H

#include <stddef.h>

enum bio_err {
	BIO_OK = 0,
	BIO_E_NO_DEVICE = -1,
	BIO_E_NO_PRINT = -2,	/* no template file, or not ours (mode, type) */
	BIO_E_FAIL = -3,	/* the sensor or the library failed: detail */
	BIO_E_TIMEOUT = -4,	/* no finger within the time given */
};

/*
 * on_ready is called once the sensor is open and waits for a finger
 * ("touch the sensor"). timeout_s bounds the whole operation: the sensor
 * is asked again while no finger came and time is left.
 */
int bio_enroll(const char *template_path, const char *user, unsigned timeout_s,
    void (*on_ready)(void), char *detail, size_t detail_size);
/* BIO_OK with *matched 0 or 1. */
int bio_verify(const char *template_path, unsigned timeout_s,
    void (*on_ready)(void), int *matched, char *detail, size_t detail_size);

#endif
