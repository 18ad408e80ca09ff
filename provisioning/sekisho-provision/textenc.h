/*
 * The text encodings of the files IT hands us and wants back: UTF-8 (with
 * or without a BOM) and CP932 (Windows' Shift_JIS, what Excel writes on a
 * Japanese desktop). Everything inside sekisho-provision is UTF-8; these
 * functions are the edges. CP932 goes through glibc's iconv ("CP932").
 *
 * Detection (TEXTENC_AUTO): a UTF-8 BOM means UTF-8 (the BOM is dropped);
 * else bytes that are valid UTF-8 are UTF-8 (plain ASCII included); else
 * CP932. A forced encoding is taken as given (a BOM is still dropped for
 * UTF-8). An undecodable byte is one line, LINE counted from 1 at the
 * byte's position:
 *     FILE:LINE: invalid UTF-8 byte sequence
 *     FILE:LINE: invalid CP932 byte sequence
 *
 * Valid UTF-8 here is strict: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
#ifndef SK_PROV_TEXTENC_H
#define SK_PROV_TEXTENC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"

enum textenc {
	TEXTENC_AUTO = 0,
	TEXTENC_UTF8,
	TEXTENC_CP932,
};

/* "auto", "utf-8" / "utf8", "cp932" / "sjis" / "shift_jis" (any case):
 * 0, or -EINVAL. */
int textenc_parse(const char *s, enum textenc *out);
/* "auto", "utf-8", "cp932". */
const char *textenc_name(enum textenc e);

/* 1 if s[0..len) is valid UTF-8; else 0 with *bad (if not NULL) the offset
 * of the first byte of the first invalid sequence. */
int textenc_utf8_valid(const char *s, size_t len, size_t *bad);

/*
 * Decodes a whole file's bytes to UTF-8: *out is malloc'd, NUL-terminated,
 * *outlen bytes without the NUL (the caller frees it); *used (if not NULL)
 * is the encoding found or forced. 0, or -EILSEQ with err as above, or
 * -ENOMEM / -errno from iconv_open.
 */
int textenc_decode(const char *name, const char *in, size_t len,
    enum textenc want, char **out, size_t *outlen, enum textenc *used,
    struct sk_error *err);

/*
 * Output in an encoding other than UTF-8, one string at a time, so the
 * caller can name the row and field of a character that has no form in
 * the target. Open once, convert many, close.
 */
struct textenc_out;
/* to: TEXTENC_UTF8 (copies) or TEXTENC_CP932. NULL with err on failure. */
struct textenc_out *textenc_out_open(enum textenc to, struct sk_error *err);
/*
 * Appends the conversion of UTF-8 s[0..len) to out. 0, or -EILSEQ when a
 * character has no form in the target (*bad_cp, if not NULL, is its code
 * point; nothing is appended), -EINVAL for invalid UTF-8 input, -ENOMEM.
 * A few characters that Unix and Windows map differently (WAVE DASH
 * U+301C, DOUBLE VERTICAL LINE U+2016, MINUS SIGN U+2212, CENT U+00A2,
 * POUND U+00A3, NOT SIGN U+00AC) are written as CP932's own forms.
 */
int textenc_out_conv(struct textenc_out *t, const char *s, size_t len,
    struct buf *out, uint32_t *bad_cp);
void textenc_out_close(struct textenc_out *t);

#endif
