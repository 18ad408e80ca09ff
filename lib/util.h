/* Small shared helpers: error messages carried up to the one place that
 * prints them, secret wiping, key files, numbers. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/encode.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* One error message, built where the problem is understood and printed
 * once by the caller ("file:line: what" for parsers). */
struct sk_error {
	char msg[512];
};

/* Formats into err (if not NULL) and returns -code (code > 0, an errno). */
int sk_errorf(struct sk_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void wipe(void *p, size_t n);

/* Reads a base64 WireGuard-style key file (one line, 44 characters).
 * Refuses anything but a regular file of mode 0600/0400, and when
 * owner_uid >= 0, a file not owned by owner_uid. The key never reaches the
 * error message. */
int key_file_read(const char *path, uint8_t key[KEY_LEN], int owner_uid,
    struct sk_error *err);
/* Writes key as base64 to path with mode 0600, atomically (temp + rename). */
int key_file_write(const char *path, const uint8_t key[KEY_LEN],
    struct sk_error *err);

/* Decimal number in [min, max]; the whole string must be consumed. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Reads until max bytes or end of file, retrying on EINTR: 0 with *len
 * set, or -errno. A file longer than max is seen as exactly max bytes, so
 * callers read max + 1 to tell "too large". */
int read_full(int fd, void *buf, size_t max, size_t *len);

/* Monotonic time in milliseconds, and in microseconds (timing phases). */
uint64_t now_ms(void);
uint64_t mono_us(void);

/* strlcpy: returns strlen(src); truncation when >= size. */
size_t sk_strlcpy(char *dst, const char *src, size_t size);

#endif
