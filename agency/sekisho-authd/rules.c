#include "agency/sekisho-authd/rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/proto/signon_wire.h"

static int
factor_of(const char *w, size_t n)
{
	for (int f = SIGNON_F_CARD_PIN; f <= SIGNON_F_MAX; f++) {
		const char *name = signon_factor_name(f);

		if (strlen(name) == n && memcmp(name, w, n) == 0)
			return f;
	}
	return -1;
}

static int
role_char(char c)
{
	return c >= 0x21 && c <= 0x7e && c != '#';
}

int
rules_parse(const char *name, const char *text, size_t len, struct rules *out,
    struct sk_error *err)
{
	static struct rules rl;
	size_t pos = 0, line = 0;

	memset(&rl, 0, sizeof(rl));
	if (len > RULES_FILE_MAX)
		return sk_errorf(err, EINVAL, "%s: larger than %d bytes", name,
		    RULES_FILE_MAX);
	while (pos < len) {
		size_t end = pos, i, nw = 0;
		const char *w[2 + SIGNON_F_MAX + 1];
		size_t wl[2 + SIGNON_F_MAX + 1];

		line++;
		while (end < len && text[end] != '\n')
			end++;
		for (i = pos; i < end; ) {
			size_t s;

			if (text[i] == ' ' || text[i] == '\t') {
				i++;
				continue;
			}
			if (text[i] == '#')
				break;
			if (!role_char(text[i]))
				return sk_errorf(err, EINVAL, "%s:%zu: a control or"
				    " non-ASCII character", name, line);
			for (s = i; i < end && role_char(text[i]); i++)
				;
			if (nw == sizeof(w) / sizeof(w[0]))
				return sk_errorf(err, EINVAL, "%s:%zu: too many words",
				    name, line);
			w[nw] = text + s;
			wl[nw++] = i - s;
		}
		pos = end + 1;
		if (nw == 0)
			continue;
		if (wl[0] != 4 || memcmp(w[0], "role", 4) != 0)
			return sk_errorf(err, EINVAL, "%s:%zu: expected \"role NAME"
			    " FACTOR...\"", name, line);
		if (nw < 2)
			return sk_errorf(err, EINVAL, "%s:%zu: role without a name",
			    name, line);
		if (wl[1] > RULES_ROLE_MAX)
			return sk_errorf(err, EINVAL, "%s:%zu: role name longer than %d",
			    name, line, RULES_ROLE_MAX);
		if (rl.n == RULES_MAX)
			return sk_errorf(err, EINVAL, "%s:%zu: more than %d roles", name,
			    line, RULES_MAX);
		memcpy(rl.r[rl.n].role, w[1], wl[1]);
		rl.r[rl.n].role[wl[1]] = '\0';
		for (i = 0; i < rl.n; i++)
			if (strcmp(rl.r[i].role, rl.r[rl.n].role) == 0)
				return sk_errorf(err, EINVAL, "%s:%zu: role %s given"
				    " twice", name, line, rl.r[rl.n].role);
		for (i = 2; i < nw; i++) {
			int f = factor_of(w[i], wl[i]);

			if (f < 0)
				return sk_errorf(err, EINVAL, "%s:%zu: unknown factor"
				    " \"%.*s\" (card-pin, card-key, code-pin, biometric, biometric-pin)",
				    name, line, (int)(wl[i] > 32 ? 32 : wl[i]), w[i]);
			if (rl.r[rl.n].factors & (1u << f))
				return sk_errorf(err, EINVAL, "%s:%zu: factor %s given"
				    " twice", name, line, signon_factor_name(f));
			rl.r[rl.n].factors |= 1u << f;
		}
		rl.n++;
	}
	*out = rl;
	return 0;
}

int
rules_allow(const struct rules *rl, const char *role, int factor)
{
	const uint32_t *def = NULL;

	if (factor < SIGNON_F_CARD_PIN || factor > SIGNON_F_MAX)
		return 0;
	for (size_t i = 0; i < rl->n; i++) {
		if (strcmp(rl->r[i].role, role) == 0)
			return (rl->r[i].factors >> factor) & 1;
		if (strcmp(rl->r[i].role, "*") == 0)
			def = &rl->r[i].factors;
	}
	return def != NULL && ((*def >> factor) & 1);
}

void
rules_print(const struct rules *rl, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < rl->n && o < len; i++) {
		o += (size_t)snprintf(buf + o, len - o, "role %s", rl->r[i].role);
		for (int f = SIGNON_F_CARD_PIN; f <= SIGNON_F_MAX && o < len; f++)
			if ((rl->r[i].factors >> f) & 1)
				o += (size_t)snprintf(buf + o, len - o, " %s",
				    signon_factor_name(f));
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "\n");
	}
}
