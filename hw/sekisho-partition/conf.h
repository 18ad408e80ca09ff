/* The line reader under hw/'s two configuration files (the devices file and
 * the overrides file): ASCII text, LF line endings, '#' comments, words
 * separated by blanks, "version 1" first. Every problem is one
 * "NAME:LINE: what" message, as in the policy parser. */
#ifndef SK_HW_CONF_H
#define SK_HW_CONF_H

#include <stddef.h>

#include "lib/util.h"

#define CONF_MAX_LINE	512	/* bytes in a line, without '\n' */
#define CONF_VERSION	1

struct conf_reader {
	const char *name, *buf;
	size_t len, pos;
	unsigned int line;
	struct sk_error *err;
};

/* One line without its comment and trailing blanks; p advances as words
 * are taken. */
struct conf_line {
	const struct conf_reader *r;
	unsigned int line;
	const char *p, *end;
};

struct conf_word {
	const char *s;
	size_t len;
};

void conf_init(struct conf_reader *r, const char *name, const char *buf,
    size_t len, struct sk_error *err);
/* The next line with content: 1, 0 at the end, or -EINVAL (bad bytes, line
 * too long). */
int conf_next(struct conf_reader *r, struct conf_line *l);
/* Reads "version 1" as the first line with content; 0 or -EINVAL. */
int conf_version(struct conf_reader *r);
/* The next word: 1, or 0 when the line has no more. */
int conf_word(struct conf_line *l, struct conf_word *w);
/* The rest of the line, leading blanks skipped (may be empty). */
void conf_rest(struct conf_line *l, struct conf_word *w);
int conf_word_is(const struct conf_word *w, const char *s);
/* A word for a message: quoted, cut at 40 bytes. */
const char *conf_show(const struct conf_word *w, char *buf, size_t size);

/* "NAME:LINE: what"; returns -EINVAL. */
int conf_err(const struct conf_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads a whole file of at most max bytes into a NUL-terminated heap
 * buffer. 0, or -errno with "PATH: what" in err (-EFBIG when larger). */
int conf_read_file(const char *path, size_t max, char **buf, size_t *len,
    struct sk_error *err);

/* Hex numbers of exactly ndigits digits, no prefix: 0 or -EINVAL. */
int conf_hex(const char *s, size_t len, size_t ndigits, unsigned int *out);

#endif
