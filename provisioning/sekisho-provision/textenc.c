/* UTF-8 and CP932 at the edges of sekisho-provision (textenc.h). */
#include "provisioning/sekisho-provision/textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
textenc_parse(const char *s, enum textenc *out)
{
	if (strcasecmp(s, "auto") == 0)
		*out = TEXTENC_AUTO;
	else if (strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0)
		*out = TEXTENC_UTF8;
	else if (strcasecmp(s, "cp932") == 0 || strcasecmp(s, "sjis") == 0 ||
	    strcasecmp(s, "shift_jis") == 0 || strcasecmp(s, "shift-jis") == 0)
		*out = TEXTENC_CP932;
	else
		return -EINVAL;
	return 0;
}

const char *
textenc_name(enum textenc e)
{
	switch (e) {
	case TEXTENC_UTF8:
		return "utf-8";
	case TEXTENC_CP932:
		return "cp932";
	default:
		return "auto";
	}
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none;
 * *cp receives the code point. */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)		/* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0)		/* surrogates */
			return 0;
		*cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		    (s[2] & 0x3f);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)		/* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)		/* above U+10FFFF */
			return 0;
		*cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

int
textenc_utf8_valid(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < len) {
		/* ASCII runs are the common case in these files. */
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(p + i, len - i, &cp)) == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

static size_t
line_at(const char *s, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

static int
copy_out(const char *in, size_t len, char **out, size_t *outlen)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(p, in, len);
	p[len] = '\0';
	*out = p;
	*outlen = len;
	return 0;
}

static int
cp932_to_utf8(const char *name, const char *in, size_t len, size_t skip,
    char **out, size_t *outlen, struct sk_error *err)
{
	iconv_t cd;
	char *buf, *ip, *op;
	size_t il, ol, cap;
	int rc = 0;

	if ((cd = iconv_open("UTF-8", "CP932")) == (iconv_t)-1)
		return sk_errorf(err, errno, "%s: iconv CP932: %s", name,
		    strerror(errno));
	/* One CP932 byte becomes at most three UTF-8 bytes. */
	cap = len * 3 + 1;
	if ((buf = malloc(cap)) == NULL) {
		iconv_close(cd);
		return sk_errorf(err, ENOMEM, "%s: out of memory", name);
	}
	ip = (char *)(uintptr_t)(in + skip);
	il = len - skip;
	op = buf;
	ol = cap - 1;
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1) {
		if (errno == EILSEQ || errno == EINVAL)
			rc = sk_errorf(err, EILSEQ,
			    "%s:%zu: invalid CP932 byte sequence", name,
			    line_at(in, (size_t)(ip - in)));
		else
			rc = sk_errorf(err, errno, "%s: iconv: %s", name,
			    strerror(errno));
		free(buf);
	} else {
		*op = '\0';
		*out = buf;
		*outlen = (size_t)(op - buf);
	}
	iconv_close(cd);
	return rc;
}

int
textenc_decode(const char *name, const char *in, size_t len, enum textenc want,
    char **out, size_t *outlen, enum textenc *used, struct sk_error *err)
{
	size_t skip = 0, bad;
	int bom = len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0;
	int rc;

	if (want == TEXTENC_AUTO)
		want = bom || textenc_utf8_valid(in, len, NULL) ?
		    TEXTENC_UTF8 : TEXTENC_CP932;
	if (used != NULL)
		*used = want;
	if (want == TEXTENC_CP932)
		return cp932_to_utf8(name, in, len, 0, out, outlen, err);
	if (bom)
		skip = 3;
	if (!textenc_utf8_valid(in + skip, len - skip, &bad))
		return sk_errorf(err, EILSEQ, "%s:%zu: invalid UTF-8 byte sequence",
		    name, line_at(in, skip + bad));
	if ((rc = copy_out(in + skip, len - skip, out, outlen)) < 0)
		return sk_errorf(err, -rc, "%s: out of memory", name);
	return 0;
}

struct textenc_out {
	enum textenc	 to;
	iconv_t		 cd;
};

struct textenc_out *
textenc_out_open(enum textenc to, struct sk_error *err)
{
	struct textenc_out *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		sk_errorf(err, ENOMEM, "out of memory");
		return NULL;
	}
	t->to = to == TEXTENC_CP932 ? TEXTENC_CP932 : TEXTENC_UTF8;
	t->cd = (iconv_t)-1;
	if (t->to == TEXTENC_CP932 &&
	    (t->cd = iconv_open("CP932", "UTF-8")) == (iconv_t)-1) {
		sk_errorf(err, errno, "iconv UTF-8 to CP932: %s", strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

void
textenc_out_close(struct textenc_out *t)
{
	if (t == NULL)
		return;
	if (t->cd != (iconv_t)-1)
		iconv_close(t->cd);
	free(t);
}

/* Unicode characters that Unix converters give for CP932 bytes in their
 * JIS reading, and the code points CP932 itself uses for them. */
static const struct {
	uint32_t from, to;
} cp932_fixups[] = {
	{ 0x301c, 0xff5e },	/* WAVE DASH -> FULLWIDTH TILDE */
	{ 0x2016, 0x2225 },	/* DOUBLE VERTICAL LINE -> PARALLEL TO */
	{ 0x2212, 0xff0d },	/* MINUS SIGN -> FULLWIDTH HYPHEN-MINUS */
	{ 0x00a2, 0xffe0 },	/* CENT SIGN */
	{ 0x00a3, 0xffe1 },	/* POUND SIGN */
	{ 0x00ac, 0xffe2 },	/* NOT SIGN */
};

static size_t
utf8_put(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	p[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void
buf_put(struct buf *b, const char *s, size_t n)
{
	buf_printf(b, "%.*s", (int)n, s);
}

int
textenc_out_conv(struct textenc_out *t, const char *s, size_t len,
    struct buf *out, uint32_t *bad_cp)
{
	const unsigned char *u = (const unsigned char *)s;
	char *tmp, *obuf, *ip, *op;
	size_t i, k, n, il, ol, ocap;
	uint32_t cp;
	int rc = 0;

	if (!textenc_utf8_valid(s, len, NULL))
		return -EINVAL;
	if (memchr(s, '\0', len) != NULL)
		return -EINVAL;
	if (t->to == TEXTENC_UTF8) {
		buf_put(out, s, len);
		return out->oom ? -ENOMEM : 0;
	}
	/* A fix-up turns at most two bytes into three. */
	if (len > SIZE_MAX / 2 - 1 || (tmp = malloc(len * 2 + 1)) == NULL)
		return -ENOMEM;
	for (i = n = 0; i < len; i += k) {
		k = utf8_seq(u + i, len - i, &cp);
		for (size_t j = 0; j < nitems(cp932_fixups); j++)
			if (cp == cp932_fixups[j].from)
				cp = cp932_fixups[j].to;
		n += utf8_put(tmp + n, cp);
	}
	/* A CP932 character is at most two bytes, never more than its UTF-8
	 * form. */
	ocap = n + 1;
	if ((obuf = malloc(ocap)) == NULL) {
		free(tmp);
		return -ENOMEM;
	}
	iconv(t->cd, NULL, NULL, NULL, NULL);
	ip = tmp;
	il = n;
	op = obuf;
	ol = ocap;
	if (iconv(t->cd, &ip, &il, &op, &ol) == (size_t)-1 ||
	    iconv(t->cd, NULL, NULL, &op, &ol) == (size_t)-1) {
		if (errno == EILSEQ || errno == EINVAL) {
			if (bad_cp != NULL &&
			    utf8_seq((unsigned char *)ip, il, &cp) != 0)
				*bad_cp = cp;
			rc = -EILSEQ;
		} else
			rc = -EIO;
	} else {
		buf_put(out, obuf, (size_t)(op - obuf));
		if (out->oom)
			rc = -ENOMEM;
	}
	free(obuf);
	free(tmp);
	return rc;
}
