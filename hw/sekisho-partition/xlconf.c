/* The domains file: what the plan does not say about the two domains
 * (kernel, memory, disk, MAC address), "DOMAIN KEY VALUE" lines after
 * "version 1" (see hw/sekisho-partition/xlcfg.h, docs/hw.md). Every value that reaches the xl
 * config is checked here for the characters that would change its meaning
 * there (quotes, backslashes, and in device specs commas and '='). */
#include "hw/sekisho-partition/xlcfg.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/conf.h"

struct key;
typedef int (*setter)(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);

struct key {
	const char *dom, *name;
	setter set;
	size_t off, size;	/* of the field in struct xl_conf */
	unsigned int min, max;	/* numbers; or 1 for a single word */
	int required;
};

#define FIELD(f) offsetof(struct xl_conf, f), sizeof(((struct xl_conf *)0)->f)

static int set_type(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_path(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_text(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_uint(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_mac(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_name(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_bios(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_display(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);
static int set_wtype(struct conf_line *, const struct key *,
    const struct conf_word *, struct xl_conf *);

static const struct key keys[] = {
	{ "netvm", "type", set_type, FIELD(netvm_type), 0, 0, 0 },
	{ "netvm", "kernel", set_path, FIELD(netvm_kernel), 0, 0, 1 },
	{ "netvm", "ramdisk", set_path, FIELD(netvm_ramdisk), 0, 0, 0 },
	{ "netvm", "cmdline", set_text, FIELD(netvm_cmdline), 0, 0, 0 },
	{ "netvm", "memory", set_uint, FIELD(netvm_memory), 64, 1u << 20, 1 },
	{ "netvm", "vcpus", set_uint, FIELD(netvm_vcpus), 1, 64, 0 },
	{ "netvm", "lab-uplink", set_path, FIELD(netvm_lab_uplink), 0, 0, 0 },
	{ "work", "type", set_wtype, FIELD(work_type), 0, 0, 0 },
	{ "work", "memory", set_uint, FIELD(work_memory), 512, 1u << 20, 1 },
	{ "work", "vcpus", set_uint, FIELD(work_vcpus), 1, 64, 0 },
	{ "work", "kernel", set_path, FIELD(work_kernel), 0, 0, 0 },
	{ "work", "ramdisk", set_path, FIELD(work_ramdisk), 0, 0, 0 },
	{ "work", "cmdline", set_text, FIELD(work_cmdline), 0, 0, 0 },
	{ "work", "disk", set_path, FIELD(work_disk), 0, 0, 0 },
	{ "work", "mac", set_mac, FIELD(work_mac), 0, 0, 0 },
	{ "work", "vifname", set_name, FIELD(work_vifname), 0, 0, 0 },
	{ "work", "vif-script", set_name, FIELD(work_vif_script), 0, 0, 0 },
	{ "work", "bridge", set_name, FIELD(work_bridge), 0, 0, 0 },
	{ "work", "bios", set_bios, FIELD(work_bios), 0, 0, 0 },
	{ "work", "display", set_display, FIELD(work_display), 0, 0, 0 },
};

static void *
field(struct xl_conf *c, const struct key *k)
{
	return (char *)c + k->off;
}

static int
one_of(struct conf_line *l, const struct key *k, const struct conf_word *v,
    const char *const names[], size_t n, const char *expected)
{
	char s[64];
	size_t i;

	for (i = 0; i < n; i++)
		if (conf_word_is(v, names[i]))
			return (int)i;
	return conf_err(l, "%s %s %s, expected %s", k->dom, k->name,
	    conf_show(v, s, sizeof(s)), expected);
}

static int
set_enum(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c, const char *const names[], size_t n, const char *exp)
{
	int i = one_of(l, k, v, names, n, exp);

	if (i < 0)
		return i;
	*(int *)field(c, k) = i;
	return 0;
}

static int
set_type(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	static const char *const n[] = { "pv", "pvh" };

	return set_enum(l, k, v, c, n, nitems(n), "pv or pvh");
}

static int
set_wtype(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	static const char *const n[] = { "hvm", "pv" };

	return set_enum(l, k, v, c, n, nitems(n), "hvm or pv");
}

static int
set_bios(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	static const char *const n[] = { "ovmf", "seabios" };

	return set_enum(l, k, v, c, n, nitems(n), "ovmf or seabios");
}

static int
set_display(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	static const char *const n[] = { "sdl", "vnc", "none" };

	return set_enum(l, k, v, c, n, nitems(n), "sdl, vnc or none");
}

static int
copy(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	if (v->len >= k->size)
		return conf_err(l, "%s %s too long (%zu bytes), at most %zu",
		    k->dom, k->name, v->len, k->size - 1);
	memcpy(field(c, k), v->s, v->len);
	((char *)field(c, k))[v->len] = '\0';
	return 0;
}

/* Characters that would end or split a value in an xl config string or a
 * device spec ('a=b,c=d'). */
static const char *
bad_char(const struct conf_word *v, const char *bad)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		if (strchr(bad, v->s[i]) != NULL)
			return &v->s[i];
	return NULL;
}

static int
set_path(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	const char *b;

	if (v->s[0] != '/')
		return conf_err(l, "%s %s must be an absolute path", k->dom,
		    k->name);
	if ((b = bad_char(v, " \t,='\"\\")) != NULL)
		return conf_err(l, "%s %s: '%c' is not allowed in a path",
		    k->dom, k->name, *b == '\t' ? ' ' : *b);
	return copy(l, k, v, c);
}

static int
set_text(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	const char *b;

	if ((b = bad_char(v, "'\"\\")) != NULL)
		return conf_err(l, "%s %s: '%c' is not allowed", k->dom, k->name,
		    *b);
	return copy(l, k, v, c);
}

static int
set_name(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/";
	char s[64];
	size_t i;

	for (i = 0; i < v->len; i++)
		if (strchr(ok, v->s[i]) == NULL)
			return conf_err(l, "%s %s %s: only letters, digits and "
			    "'_.-/' are allowed", k->dom, k->name,
			    conf_show(v, s, sizeof(s)));
	return copy(l, k, v, c);
}

static int
set_uint(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	char buf[16], s[64];
	uint64_t n;

	if (v->len >= sizeof(buf))
		goto bad;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	if (parse_u64(buf, k->min, k->max, &n) != 0)
		goto bad;
	*(unsigned int *)field(c, k) = (unsigned int)n;
	return 0;
bad:
	return conf_err(l, "%s %s %s, expected a number from %u to %u", k->dom,
	    k->name, conf_show(v, s, sizeof(s)), k->min, k->max);
}

/* "00:16:3e:5e:00:02", unicast. */
static int
set_mac(struct conf_line *l, const struct key *k, const struct conf_word *v,
    struct xl_conf *c)
{
	unsigned int b;
	size_t i;
	char s[64];

	if (v->len != 17)
		goto bad;
	for (i = 0; i < 6; i++)
		if (conf_hex(v->s + 3 * i, 2, 2, &b) != 0 ||
		    (i < 5 && v->s[3 * i + 2] != ':') || (i == 0 && (b & 1)))
			goto bad;
	return copy(l, k, v, c);
bad:
	return conf_err(l, "%s %s %s, expected a unicast MAC address "
	    "(00:16:3e:xx:xx:xx)", k->dom, k->name, conf_show(v, s, sizeof(s)));
}

/* ---- lines ---- */

static const struct key *
find_key(struct conf_line *l, const struct conf_word *dom,
    const struct conf_word *name, int *rc)
{
	char s[64], t[64];
	size_t i;

	*rc = 0;
	if (!conf_word_is(dom, "netvm") && !conf_word_is(dom, "work")) {
		*rc = conf_err(l, "unknown domain %s, expected netvm or work",
		    conf_show(dom, s, sizeof(s)));
		return NULL;
	}
	for (i = 0; i < nitems(keys); i++)
		if (conf_word_is(dom, keys[i].dom) && conf_word_is(name, keys[i].name))
			return &keys[i];
	*rc = conf_err(l, "unknown key %s for %s, expected %s", conf_show(name,
	    s, sizeof(s)), conf_show(dom, t, sizeof(t)), conf_word_is(dom,
	    "netvm") ? "type, kernel, ramdisk, cmdline, memory, vcpus or "
	    "lab-uplink" : "type, memory, vcpus, kernel, ramdisk, cmdline, disk, "
	    "mac, vifname, vif-script, bridge, bios or display");
	return NULL;
}

static int
parse_line(struct conf_line *l, struct xl_conf *c, unsigned int seen[])
{
	struct conf_word dom, name, v, extra;
	const struct key *k;
	char s[64];
	int rc;

	conf_word(l, &dom);
	if (!conf_word(l, &name))
		return conf_err(l, "expected a key after %s",
		    conf_show(&dom, s, sizeof(s)));
	if ((k = find_key(l, &dom, &name, &rc)) == NULL)
		return rc;
	if (seen[k - keys] != 0)
		return conf_err(l, "%s %s already given at line %u", k->dom,
		    k->name, seen[k - keys]);
	seen[k - keys] = l->line;
	if (k->set == set_text) {
		conf_rest(l, &v);
	} else if (!conf_word(l, &v)) {
		v.len = 0;
	} else if (conf_word(l, &extra)) {
		return conf_err(l, "unexpected %s after the %s %s",
		    conf_show(&extra, s, sizeof(s)), k->dom, k->name);
	}
	if (v.len == 0)
		return conf_err(l, "expected a value after '%s %s'", k->dom,
		    k->name);
	return k->set(l, k, &v, c);
}

/* The index of the key dom/name in keys[]. */
static size_t
key_index(const char *dom, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (!strcmp(keys[i].dom, dom) && !strcmp(keys[i].name, name))
			break;
	return i;
}

/* What one key needs of another: a pv work domain boots a kernel, an hvm
 * one a disk (its firmware loads Windows from it). */
static int
check_work_type(const char *name, const struct xl_conf *c,
    const unsigned int seen[], struct sk_error *err)
{
	static const char *const pv_only[] = { "kernel", "ramdisk", "cmdline" };
	size_t i, k;

	if (c->work_type == XL_WORK_PV) {
		if (seen[key_index("work", "kernel")] == 0)
			return sk_errorf(err, EINVAL, "%s: missing 'work kernel' "
			    "(work type pv)", name);
		return 0;
	}
	for (i = 0; i < nitems(pv_only); i++) {
		k = key_index("work", pv_only[i]);
		if (seen[k] != 0)
			return sk_errorf(err, EINVAL, "%s:%u: work %s needs "
			    "'work type pv'", name, seen[k], pv_only[i]);
	}
	if (seen[key_index("work", "disk")] == 0)
		return sk_errorf(err, EINVAL, "%s: missing 'work disk'", name);
	return 0;
}

static void
defaults(struct xl_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->netvm_type = XL_TYPE_PV;
	c->netvm_vcpus = 1;
	c->work_vcpus = 2;
	c->work_type = XL_WORK_HVM;
	c->work_bios = XL_BIOS_OVMF;
	c->work_display = XL_DISPLAY_SDL;
}

int
xl_conf_parse_buf(const char *name, const char *buf, size_t len,
    struct xl_conf *out, struct sk_error *err)
{
	unsigned int seen[nitems(keys)];
	struct conf_reader r;
	struct conf_line l;
	struct xl_conf c;
	size_t i;
	int rc;

	if (len > XL_MAX_SIZE)
		return sk_errorf(err, EFBIG, "%s: file too large, at most %u "
		    "bytes", name, XL_MAX_SIZE);
	defaults(&c);
	memset(seen, 0, sizeof(seen));
	conf_init(&r, name, buf, len, err);
	if ((rc = conf_version(&r)) != 0)
		return rc;
	while ((rc = conf_next(&r, &l)) == 1)
		if ((rc = parse_line(&l, &c, seen)) != 0)
			return rc;
	if (rc != 0)
		return rc;
	for (i = 0; i < nitems(keys); i++)
		if (keys[i].required && seen[i] == 0)
			return sk_errorf(err, EINVAL, "%s: missing '%s %s'", name,
			    keys[i].dom, keys[i].name);
	if ((rc = check_work_type(name, &c, seen, err)) != 0)
		return rc;
	*out = c;
	return 0;
}

int
xl_conf_parse_file(const char *path, struct xl_conf *out,
    struct sk_error *err)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = conf_read_file(path, XL_MAX_SIZE, &buf, &len, err)) != 0)
		return rc;
	rc = xl_conf_parse_buf(path, buf, len, out, err);
	free(buf);
	return rc;
}
