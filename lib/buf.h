/* A growable text buffer; an allocation failure sticks (buf.oom) so that a
 * long sequence of appends is checked once at the end. */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

void buf_init(struct buf *b);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends the n bytes at s (no formatting: the renderer's hot loops). */
void buf_add(struct buf *b, const char *s, size_t n);
void buf_free(struct buf *b);
/* NUL-terminated contents, or NULL after an allocation failure. */
const char *buf_str(const struct buf *b);

#endif
