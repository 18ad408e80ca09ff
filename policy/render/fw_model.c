/* The table as a model, and the transaction between two (fw_model.h). */
#include "policy/render/fw_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/render/fw_render.h"
#include "policy/render/fw_svc.h"

enum kind { K_SET, K_MAP, K_CHAIN };

struct obj {
	enum kind	 kind;
	int		 part;
	char		*name;
	struct buf	 head;		/* "\t\ttype ...\n" lines */
	char		**items;	/* elements or rules, in the renderer's order */
	size_t		 n, cap;
	int		 timeouts;	/* elements carry timeouts */
	int		 concat_ranges;	/* a concatenation with intervals */
	int		 sec;		/* its section (fw_render.h), -1: none */
	int		 borrowed;	/* name, head and items are another
					 * model's (fw_model_borrow) */
};

struct fw_model {
	struct obj	*v;
	size_t		 n, cap;
	char		*office;	/* fw_model_set_office */
	struct buf	 key[FW_NSECTIONS];	/* fw_model_set_key */
	int		 keyed[FW_NSECTIONS];
};

static const char *const kw[] = { "set", "map", "chain" };

struct fw_model *
fw_model_new(void)
{
	struct fw_model *m = calloc(1, sizeof(struct fw_model));

	for (int s = 0; m != NULL && s < FW_NSECTIONS; s++)
		buf_init(&m->key[s]);
	return m;
}

static void
obj_free(struct obj *o)
{
	if (o->borrowed)
		return;		/* its lender's */
	for (size_t i = 0; i < o->n; i++)
		free(o->items[i]);
	free(o->items);
	free(o->name);
	buf_free(&o->head);
}

void
fw_model_free(struct fw_model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		obj_free(&m->v[i]);
	for (int s = 0; s < FW_NSECTIONS; s++)
		buf_free(&m->key[s]);
	free(m->v);
	free(m->office);
	free(m);
}

static int
push_item(struct obj *o, const char *s, size_t len)
{
	if (o->n == o->cap) {
		size_t c = o->cap ? 2 * o->cap : 8;
		char **nv = reallocarray(o->items, c, sizeof(*nv));

		if (nv == NULL)
			return -1;
		o->items = nv;
		o->cap = c;
	}
	if ((o->items[o->n] = strndup(s, len)) == NULL)
		return -1;
	o->n++;
	return 0;
}

/* "a, b, c }": the elements, each trimmed; -1 without the closing brace. */
static int
read_elements(struct obj *o, const char *p, const char *end)
{
	const char *close = end;

	while (close > p && close[-1] != '}')
		close--;
	if (close == p)
		return -1;
	close--;
	while (p < close) {
		const char *c = memchr(p, ',', (size_t)(close - p));
		const char *e = c != NULL ? c : close, *s = p;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s && push_item(o, s, (size_t)(e - s)) < 0)
			return -1;
		p = c != NULL ? c + 1 : close;
	}
	return 0;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static struct obj *
push_obj(struct fw_model *m)
{
	if (m->n == m->cap) {
		size_t c = m->cap ? 2 * m->cap : 16;
		struct obj *nv = reallocarray(m->v, c, sizeof(*nv));

		if (nv == NULL)
			return NULL;
		m->v = nv;
		m->cap = c;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	buf_init(&m->v[m->n].head);
	m->v[m->n].sec = -1;
	return &m->v[m->n++];
}

/* "\tset NAME {": the kind and the name; -1 for anything else. */
static int
open_line(const char *l, size_t len, enum kind *k, const char **name, size_t *nlen)
{
	if (len < 4 || l[0] != '\t' || l[1] == '\t' || strncmp(l + len - 2, " {", 2) != 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		size_t kl = strlen(kw[i]);

		if (strncmp(l + 1, kw[i], kl) == 0 && l[1 + kl] == ' ') {
			*k = (enum kind)i;
			*name = l + 2 + kl;
			*nlen = len - 2 - kl - 2;
			return *nlen > 0 ? 0 : -1;
		}
	}
	return -1;
}

static struct obj *
find_set(struct fw_model *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind != K_CHAIN && strlen(m->v[i].name) == len &&
		    strncmp(m->v[i].name, name, len) == 0)
			return &m->v[i];
	return NULL;
}

/* The lines of a full transaction outside the table's block
 * (fw_model_print): its create and delete, the block's own first and last
 * lines (skipped), and "add element inet sekisho NAME { ... }" (the
 * elements appended to set NAME, declared before). 0, or -1 for any
 * other line. */
static int
top_line(struct fw_model *m, const char *l, size_t len, int *in_table)
{
	static const char add[] = "add element inet " FW_TABLE " ";
	const char *name, *sp;
	struct obj *x;

	if ((len == sizeof("table inet " FW_TABLE) - 1 &&
	    strncmp(l, "table inet " FW_TABLE, len) == 0) ||
	    (len == sizeof("delete table inet " FW_TABLE) - 1 &&
	    strncmp(l, "delete table inet " FW_TABLE, len) == 0))
		return 0;
	if (len == sizeof("table inet " FW_TABLE " {") - 1 &&
	    strncmp(l, "table inet " FW_TABLE " {", len) == 0) {
		*in_table = 1;
		return 0;
	}
	if (len == 1 && l[0] == '}' && *in_table) {
		*in_table = 0;
		return 0;
	}
	if (len < sizeof(add) + 3 || strncmp(l, add, sizeof(add) - 1) != 0)
		return -1;
	name = l + sizeof(add) - 1;
	if ((sp = memchr(name, ' ', len - (size_t)(name - l))) == NULL || sp == name ||
	    sp[1] != '{' || (x = find_set(m, name, (size_t)(sp - name))) == NULL)
		return -1;
	if (read_elements(x, sp + 2, l + len) < 0)
		return -1;
	x->timeouts |= memmem(l, len, " timeout ", 9) != NULL;
	return 0;
}

/* A block closes: a set's flags, and a set declared again (a long
 * concatenated interval set, its elements FW_CHUNK a block) must repeat
 * its first block's head exactly. 0 or -1. */
static int
close_block(struct obj *o, int again, const struct buf *head)
{
	if (again && (head->len != o->head.len ||
	    (head->len > 0 && memcmp(head->p, o->head.p, head->len) != 0)))
		return -1;
	o->concat_ranges = o->kind != K_CHAIN && o->head.len > 0 &&
	    strstr(o->head.p, "flags interval") != NULL &&
	    strstr(o->head.p, " . ") != NULL;
	return 0;
}

int
fw_model_read(struct fw_model *m, const char *text, int part)
{
	return fw_model_read_section(m, text, part, -1);
}

int
fw_model_read_section(struct fw_model *m, const char *text, int part, int sec)
{
	const char *p = text;
	struct obj *o = NULL;
	int in_table = 0, had_elements = 0, again = 0, rc = 0;
	struct buf head;	/* the head of a set declared again */

	buf_init(&head);
	while (*p != '\0' && rc == 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		const char *name;
		size_t nlen;
		enum kind k;

		if (o == NULL && len > 0 && p[0] != '\t') {
			rc = top_line(m, p, len, &in_table);
		} else if (o == NULL) {
			if (open_line(p, len, &k, &name, &nlen) < 0)
				rc = -1;
			else if (k != K_CHAIN && (o = find_set(m, name, nlen)) != NULL) {
				/* declared again: its elements accumulate (as
				 * in nft), its head must be the same */
				rc = o->kind == k && o->part == part && !o->borrowed ? 0 : -1;
				again = 1;
				buf_free(&head);
				buf_init(&head);
			} else if ((o = push_obj(m)) == NULL ||
			    (o->name = strndup(name, nlen)) == NULL)
				rc = -1;
			else {
				o->kind = k;
				o->part = part;
				o->sec = sec;
				again = 0;
			}
			had_elements = 0;
		} else if (len == 2 && p[0] == '\t' && p[1] == '}') {
			rc = close_block(o, again, &head);
			o = NULL;
		} else if (len < 3 || p[0] != '\t' || p[1] != '\t') {
			rc = -1;
		} else if (o->kind != K_CHAIN && strncmp(p + 2, "elements = {", 12) == 0) {
			/* nft keeps only a block's last "elements =" line:
			 * the renderer writes one, so a second is refused */
			if (had_elements++ || read_elements(o, p + 14, p + len) < 0)
				rc = -1;
			o->timeouts |= memmem(p, len, " timeout ", 9) != NULL;
		} else if (o->kind == K_CHAIN ? strncmp(p + 2, "type ", 5) == 0 : 1) {
			buf_printf(again ? &head : &o->head, "%.*s\n", (int)len, p);
			if (head.oom || o->head.oom)
				rc = -1;
		} else if (push_item(o, p + 2, len - 2) < 0)
			rc = -1;
		p += len + (nl != NULL);
	}
	buf_free(&head);
	return rc == 0 && o == NULL && !in_table ? 0 : -1;
}

static const struct obj *
find(const struct fw_model *m, const struct obj *like)
{
	for (size_t i = 0; i < m->n; i++)
		if ((m->v[i].kind == K_CHAIN) == (like->kind == K_CHAIN) &&
		    strcmp(m->v[i].name, like->name) == 0)
			return &m->v[i];
	return NULL;
}

static int
same_head(const struct obj *a, const struct obj *b)
{
	return a->kind == b->kind && a->head.len == b->head.len &&
	    (a->head.len == 0 || memcmp(a->head.p, b->head.p, a->head.len) == 0);
}

static int
same_items(const struct obj *a, const struct obj *b)
{
	if (a->n != b->n)
		return 0;
	if (a->items == b->items)	/* one borrowed the other's */
		return 1;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return 0;
	return 1;
}

/* A rule names set s ("@name" not followed by more of a name). */
static int
names_set(const struct obj *chain, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < chain->n; i++)
		for (const char *p = chain->items[i]; (p = strchr(p, '@')) != NULL; p++)
			if (strncmp(p + 1, s, n) == 0 && (p[1 + n] == '\0' ||
			    strchr("abcdefghijklmnopqrstuvwxyz0123456789_", p[1 + n]) == NULL))
				return 1;
	return 0;
}

void
fw_put_chunked(struct buf *o, const char *head, const char *list)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *q = p, *c = NULL;
		size_t k = 0;

		while (k < FW_CHUNK && (c = strchr(q, ',')) != NULL) {
			if (++k < FW_CHUNK)
				q = c + 1;
		}
		/* this chunk is p up to c (its FW_CHUNK-th comma) or the end */
		const char *end = (k == FW_CHUNK && c != NULL) ? c : p + strlen(p);

		p += strspn(p, " ,");
		if (end > p)
			buf_printf(o, "%s{ %.*s }\n", head, (int)(end - p), p);
		p = *end != '\0' ? end + 1 : end;
	}
}

/* What becomes of each object of the parts compared. */
struct plan {
	const struct obj *old, *new;
	int remake;		/* set: deleted and declared anew; chain: flushed and filled */
};

/* A set whose elements go FW_CHUNK a block (fw_model.h): a concatenation
 * with intervals too long for one. */
static int
split(const struct obj *x)
{
	return x->kind != K_CHAIN && x->concat_ranges && x->n > FW_CHUNK;
}

/* x's declaration into o; a set that split() names is declared again for
 * each further FW_CHUNK of its elements, in the renderer's order (its
 * elements accumulate; several "elements =" lines in one block would
 * not). */
static void
declare(struct buf *o, const struct obj *x)
{
	size_t i = 0;

	do {
		buf_printf(o, "\t%s %s {\n%s", kw[x->kind], x->name, x->head.len ? x->head.p : "");
		if (x->kind == K_CHAIN) {
			for (; i < x->n; i++)
				buf_printf(o, "\t\t%s\n", x->items[i]);
		} else if (x->n > 0) {
			size_t end = split(x) && x->n - i > FW_CHUNK ? i + FW_CHUNK : x->n;

			buf_printf(o, "\t\telements = {");
			for (size_t j = i; j < end; j++)
				buf_printf(o, "%s %s", j > i ? "," : "", x->items[j]);
			buf_printf(o, " }\n");
			i = end;
		}
		buf_printf(o, "\t}\n");
	} while (i < x->n);
}

void
fw_model_print(const struct fw_model *m, struct buf *o)
{
	buf_printf(o, "table inet %s\ndelete table inet %s\ntable inet %s {\n",
	    FW_TABLE, FW_TABLE, FW_TABLE);
	for (size_t i = 0; i < m->n; i++)
		declare(o, &m->v[i]);
	buf_printf(o, "}\n");
}

int
fw_model_sets(const struct fw_model *m, int parts, struct fw_elem_change **v, size_t *n)
{
	*n = 0;
	if ((*v = calloc(m->n + 1, sizeof(**v))) == NULL)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		const struct obj *x = &m->v[i];
		struct fw_elem_change *e = &(*v)[*n];

		if (!(x->part & parts) || x->kind == K_CHAIN)
			continue;
		e->set = x->name;
		e->head = x->head.len ? x->head.p : "";
		e->map = x->kind == K_MAP;
		e->was_empty = 1;
		(*n)++;
		if ((e->add = calloc(x->n + 1, sizeof(*e->add))) == NULL) {
			fw_elem_changes_free(*v, *n);
			*v = NULL;
			*n = 0;
			return -1;
		}
		for (size_t k = 0; k < x->n; k++)
			e->add[k] = x->items[k];
		e->n_add = x->n;
	}
	return 0;
}

void
fw_model_print_rest(const struct fw_model *m, const char *const *skip, size_t n_skip,
    struct buf *o)
{
	buf_printf(o, "table inet %s {\n", FW_TABLE);
	for (size_t i = 0; i < m->n; i++) {
		size_t k = 0;

		if (m->v[i].kind != K_CHAIN)
			while (k < n_skip && strcmp(skip[k], m->v[i].name) != 0)
				k++;
		if (m->v[i].kind == K_CHAIN || k == n_skip)
			declare(o, &m->v[i]);
	}
	buf_printf(o, "}\n");
}

/* The items of x from..from+n sorted, as pointers (NULL out of memory). */
static char **
sorted(const struct obj *x, size_t from, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	if (n > 0)
		memcpy(v, x->items + from, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

/*
 * What a and b differ in, sorted: the items between their longest common
 * head and tail (in the renderer's order), each side sorted (*va, *na and
 * *vb, *nb; free both). The head and tail cancel out, so the items of one
 * side missing from the other are the same as over the whole lists, in the
 * same (sorted) order; but a change of a few elements in 10,000 now sorts
 * a few, not 2 x 10,000 (2.3 ms of a live change's CPU at 10,000 prefixes
 * and 1,000 services). The renderer writes a policy's elements in an order
 * of their own (prefixes by address, classes by their hashed number), so
 * what did not change stays in place. 0, or -1 out of memory.
 */
static int
window(const struct obj *a, const struct obj *b, char ***va, size_t *na, char ***vb,
    size_t *nb)
{
	size_t head = 0, tail = 0;

	while (head < a->n && head < b->n && strcmp(a->items[head], b->items[head]) == 0)
		head++;
	while (tail < a->n - head && tail < b->n - head &&
	    strcmp(a->items[a->n - 1 - tail], b->items[b->n - 1 - tail]) == 0)
		tail++;
	*na = a->n - head - tail;
	*nb = b->n - head - tail;
	*va = sorted(a, head, *na);
	*vb = sorted(b, head, *nb);
	if (*va == NULL || *vb == NULL) {
		free(*va);
		free(*vb);
		*va = *vb = NULL;
		return -1;
	}
	return 0;
}

/* "delete element" (map keys only) or "add element" of the items of a not
 * in b; -1 out of memory. */
static long
element_cmd(struct buf *o, const char *verb, const struct obj *a, const struct obj *b)
{
	char **va, **vb;
	size_t i = 0, j = 0, k = 0, na, nb;

	if (window(a, b, &va, &na, &vb, &nb) < 0)
		return -1;
	while (i < na) {
		int c = j < nb ? strcmp(va[i], vb[j]) : -1;

		if (c > 0) {
			j++;
			continue;
		}
		if (c < 0) {
			const char *it = va[i];
			size_t len = strlen(it);
			const char *colon;

			if (*verb == 'd' && a->kind == K_MAP && (colon = strstr(it, " : ")) != NULL)
				len = (size_t)(colon - it);
			buf_printf(o, "%s%.*s", k++ ? ", " : "", (int)len, it);
		} else
			j++;
		i++;
	}
	free(va);
	free(vb);
	return (long)k;
}

static long
elements(struct buf *o, const char *verb, const struct obj *a, const struct obj *b)
{
	struct buf list;
	long k;

	buf_init(&list);
	if ((k = element_cmd(&list, verb, a, b)) < 0)
		o->oom = 1;
	if (k > 0) {
		char head[128];

		snprintf(head, sizeof(head), "%s element inet %s %s ", verb, FW_TABLE, a->name);
		fw_put_chunked(o, head, buf_str(&list) != NULL ? list.p : "");
	}
	if (list.oom)
		o->oom = 1;
	buf_free(&list);
	return k > 0;
}

/* How many of a's items b lacks; -1 out of memory. */
static long
gone(const struct obj *a, const struct obj *b)
{
	struct buf scratch;
	long k;

	buf_init(&scratch);
	k = element_cmd(&scratch, "delete", a, b);
	if (scratch.oom)
		k = -1;
	buf_free(&scratch);
	return k;
}

/* b's elements instead of a's by a flush and b's whole list, in the
 * renderer's order, as a full load puts them in. */
static void
refill(struct buf *o, const struct obj *b)
{
	buf_printf(o, "flush %s inet %s %s\n", kw[b->kind], FW_TABLE, b->name);
	for (size_t i = 0; i < b->n; i += FW_CHUNK) {
		buf_printf(o, "add element inet %s %s {", FW_TABLE, b->name);
		for (size_t j = i; j < b->n && j < i + FW_CHUNK; j++)
			buf_printf(o, "%s %s", j > i ? "," : "", b->items[j]);
		buf_printf(o, " }\n");
	}
}

long
fw_model_diff(const struct fw_model *old, const struct fw_model *new, int parts,
    struct buf *o)
{
	struct plan *pl = calloc(old->n + new->n + 1, sizeof(*pl));
	size_t np = 0;
	long cmds = 0;
	struct buf block;

	if (pl == NULL)
		return -1;
	for (size_t i = 0; i < new->n; i++) {
		const struct obj *x = &new->v[i];

		if (x->part & parts)
			pl[np++] = (struct plan){ find(old, x), x, 0 };
	}
	for (size_t i = 0; i < old->n; i++) {
		const struct obj *x = &old->v[i], *y = find(new, x);

		if ((x->part & parts) && (y == NULL || !(y->part & parts)))
			pl[np++] = (struct plan){ x, NULL, 0 };
	}
	/* Sets made anew: new ones, changed types, small ones that change and
	 * those with timeouts (their deadlines start again); then chains that
	 * change or name one of them. */
	for (size_t i = 0; i < np; i++) {
		const struct obj *a = pl[i].old, *b = pl[i].new;

		if (b != NULL && b->kind != K_CHAIN)
			pl[i].remake = a == NULL || !same_head(a, b) || b->timeouts ||
			    ((a->n + b->n <= FW_MODEL_REFILL || b->concat_ranges) &&
			    !same_items(a, b));
	}
	for (size_t i = 0; i < np; i++) {
		const struct obj *c = pl[i].new;

		if (c == NULL || c->kind != K_CHAIN)
			continue;
		pl[i].remake = pl[i].old == NULL || !same_head(pl[i].old, c) ||
		    !same_items(pl[i].old, c);
		for (size_t k = 0; k < np && !pl[i].remake; k++)
			if (pl[k].old != NULL && pl[k].old->kind != K_CHAIN &&
			    (pl[k].new == NULL || pl[k].remake) && names_set(pl[i].old, pl[k].old->name))
				pl[i].remake = 1;
	}
	/* 1. chains flushed, and gone */
	for (size_t i = 0; i < np; i++)
		if (pl[i].old != NULL && pl[i].old->kind == K_CHAIN &&
		    (pl[i].new == NULL || pl[i].remake)) {
			buf_printf(o, "flush chain inet %s %s\n", FW_TABLE, pl[i].old->name);
			cmds++;
		}
	for (size_t i = 0; i < np; i++)
		if (pl[i].new == NULL && pl[i].old->kind == K_CHAIN) {
			buf_printf(o, "delete chain inet %s %s\n", FW_TABLE, pl[i].old->name);
			cmds++;
		}
	/* 2. sets gone or made anew */
	for (size_t i = 0; i < np; i++) {
		const struct obj *x = pl[i].old;

		if (x != NULL && x->kind != K_CHAIN && (pl[i].new == NULL ||
		    (pl[i].remake && pl[i].old != NULL))) {
			buf_printf(o, "delete %s inet %s %s\n", kw[x->kind], FW_TABLE, x->name);
			cmds++;
		}
	}
	/* 3. elements of the sets that stay */
	for (size_t i = 0; i < np; i++) {
		const struct obj *a = pl[i].old, *b = pl[i].new;

		long n;

		if (a == NULL || b == NULL || b->kind == K_CHAIN || pl[i].remake ||
		    same_items(a, b))
			continue;
		if ((n = gone(a, b)) < 0)
			o->oom = 1;
		else if (n > FW_MODEL_REFILL_DELETES) {
			refill(o, b);
			cmds++;
			continue;
		}
		cmds += elements(o, "delete", a, b);
		cmds += elements(o, "add", b, a);
	}
	/* 4. new sets, then chains, in one block */
	buf_init(&block);
	for (int chains = 0; chains < 2; chains++)
		for (size_t i = 0; i < np; i++)
			if (pl[i].new != NULL && pl[i].remake &&
			    (pl[i].new->kind == K_CHAIN) == chains) {
				declare(&block, pl[i].new);
				cmds++;
			}
	if (block.len > 0)
		buf_printf(o, "table inet %s {\n%s}\n", FW_TABLE, buf_str(&block));
	if (block.oom)
		o->oom = 1;
	buf_free(&block);
	free(pl);
	return o->oom ? -1 : cmds;
}

int
fw_model_take(struct fw_model *m, struct fw_model *src, int part)
{
	int rc = 0;

	size_t k = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].part & part)
			obj_free(&m->v[i]);
		else
			m->v[k++] = m->v[i];
	}
	m->n = k;
	k = 0;
	for (size_t i = 0; i < src->n; i++) {
		struct obj *d;

		if (!(src->v[i].part & part)) {
			src->v[k++] = src->v[i];
			continue;
		}
		if ((d = push_obj(m)) == NULL) {	/* cannot grow: dropped */
			obj_free(&src->v[i]);
			rc = -1;
			continue;
		}
		*d = src->v[i];
	}
	src->n = k;
	return rc;
}

/* o's name, head and items its own (copies), if it borrowed them. 0, or
 * -1 out of memory (o is then empty, and its own). */
static int
own(struct obj *o)
{
	struct obj c = *o;

	if (!o->borrowed)
		return 0;
	o->borrowed = 0;
	o->name = NULL;
	o->items = NULL;
	o->n = o->cap = 0;
	buf_init(&o->head);
	if ((o->name = strdup(c.name)) == NULL)
		return -1;
	buf_add(&o->head, c.head.p != NULL ? c.head.p : "", c.head.len);
	for (size_t i = 0; i < c.n; i++)
		if (push_item(o, c.items[i], strlen(c.items[i])) < 0)
			return -1;
	return o->head.oom ? -1 : 0;
}

int
fw_model_borrow(struct fw_model *m, const struct fw_model *from, int sec)
{
	for (size_t i = 0; i < from->n; i++) {
		struct obj *o;

		if (from->v[i].sec != sec)
			continue;
		if ((o = push_obj(m)) == NULL)
			return -1;
		*o = from->v[i];
		o->borrowed = 1;
	}
	return 0;
}

int
fw_model_settle(struct fw_model *m, struct fw_model *from)
{
	int rc = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct obj *o = &m->v[i];
		size_t k;

		if (!o->borrowed)
			continue;
		for (k = 0; k < from->n; k++)
			if (!from->v[k].borrowed && from->v[k].items == o->items &&
			    from->v[k].name == o->name)
				break;
		if (k == from->n) {
			/* not from's (firewall.c never does that): a copy of
			 * its own, while the lender lives */
			if (own(o) < 0)
				rc = -1;
			continue;
		}
		/* from gives them up: its object is left empty */
		from->v[k].name = NULL;
		from->v[k].items = NULL;
		from->v[k].n = from->v[k].cap = 0;
		buf_init(&from->v[k].head);
		o->borrowed = 0;
	}
	return rc;
}

int
fw_model_set_key(struct fw_model *m, int sec, struct buf *key)
{
	if (sec < 0 || sec >= FW_NSECTIONS)
		return -1;
	buf_free(&m->key[sec]);
	m->key[sec] = *key;	/* taken */
	buf_init(key);
	m->keyed[sec] = !m->key[sec].oom;
	return m->keyed[sec] ? 0 : -1;
}

int
fw_model_same_key(const struct fw_model *m, int sec, const struct buf *key)
{
	return sec >= 0 && sec < FW_NSECTIONS && m->keyed[sec] && !key->oom &&
	    m->key[sec].len == key->len &&
	    (key->len == 0 || memcmp(m->key[sec].p, key->p, key->len) == 0);
}

int
fw_model_set_office(struct fw_model *m, const char *text)
{
	free(m->office);
	m->office = text != NULL ? strdup(text) : NULL;
	return text != NULL && m->office == NULL ? -1 : 0;
}

const char *
fw_model_office(const struct fw_model *m)
{
	return m->office;
}

void
fw_elem_changes_free(struct fw_elem_change *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].del);
		free(v[i].add);
		free(v[i].dead);
	}
	free(v);
}

/* The items of a not in b (sorted copies va, vb of them), into *out. */
static int
missing(char **va, size_t na, char **vb, size_t nb, const char ***out, size_t *n)
{
	size_t i = 0, j = 0;

	*n = 0;
	if ((*out = calloc(na + 1, sizeof(**out))) == NULL)
		return -1;
	while (i < na) {
		int c = j < nb ? strcmp(va[i], vb[j]) : -1;

		if (c > 0)
			j++;
		else {
			if (c < 0)
				(*out)[(*n)++] = va[i];
			else
				j++;
			i++;
		}
	}
	return 0;
}

/* The class an item's leading mark ("0x...") names, or -1. */
static long
item_class(const char *it)
{
	char *e;
	unsigned long m;

	if (strncmp(it, "0x", 2) != 0)
		return -1;
	m = strtoul(it, &e, 16);
	if (*e != ' ' && *e != '\0')
		return -1;
	return (long)(m >> FW_SVC_CLASS_SHIFT);
}

/* Whether class c is a value of one of m's svc_class maps. */
static int
class_alive(const struct fw_model *m, long c)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct obj *o = &m->v[i];

		if (o->kind != K_MAP || strncmp(o->name, "svc_class", 9) != 0)
			continue;
		for (size_t k = 0; k < o->n; k++) {
			const char *val = strstr(o->items[k], " : ");

			if (val != NULL && item_class(val + 3) == c)
				return 1;
		}
	}
	return 0;
}

/* e's deletions whose class is dead in new moved to e->dead. */
static int
split_dead(const struct fw_model *new, struct fw_elem_change *e)
{
	size_t k = 0;
	long last = -2;
	int alive = 0;

	if ((e->dead = calloc(e->n_del + 1, sizeof(*e->dead))) == NULL)
		return -1;
	for (size_t i = 0; i < e->n_del; i++) {
		long c = item_class(e->del[i]);

		if (c != last)	/* sorted: a class's items come together */
			alive = c < 0 || class_alive(new, c);
		last = c;
		if (alive)
			e->del[k++] = e->del[i];
		else
			e->dead[e->n_dead++] = e->del[i];
	}
	e->n_del = k;
	return 0;
}

int
fw_model_keep_dead(struct fw_model *m, const struct fw_elem_change *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct obj *o = NULL;

		for (size_t k = 0; k < m->n && o == NULL; k++)
			if (m->v[k].kind != K_CHAIN && strcmp(m->v[k].name, v[i].set) == 0)
				o = &m->v[k];
		if (o == NULL || v[i].n_dead == 0)
			continue;
		/* its items are no longer what its section's input renders:
		 * the next change renders that section (the tidy deletes
		 * them) */
		if (o->sec >= 0 && o->sec < FW_NSECTIONS)
			m->keyed[o->sec] = 0;
		if (own(o) < 0)
			return -1;
		for (size_t k = 0; k < v[i].n_dead; k++)
			if (push_item(o, v[i].dead[k], strlen(v[i].dead[k])) < 0)
				return -1;
	}
	return 0;
}

int
fw_model_elem_diff(const struct fw_model *old, const struct fw_model *new, int parts,
    int defer, struct fw_elem_change **v, size_t *n)
{
	size_t pipapo = 0;

	*v = NULL;
	*n = 0;
	/* Anything but elements changing: not for this path. */
	for (size_t i = 0; i < old->n; i++) {
		const struct obj *a = &old->v[i], *b = find(new, a);

		if (!(a->part & parts))
			continue;
		if (b == NULL || !(b->part & parts) || !same_head(a, b) ||
		    (a->kind == K_CHAIN && !same_items(a, b)))
			return 0;
	}
	for (size_t i = 0; i < new->n; i++) {
		const struct obj *b = &new->v[i], *a = find(old, b);

		if ((b->part & parts) && (a == NULL || !(a->part & parts)))
			return 0;
	}
	if ((*v = calloc(new->n + 1, sizeof(**v))) == NULL)
		return -1;
	for (size_t i = 0; i < new->n; i++) {
		const struct obj *b = &new->v[i], *a;
		struct fw_elem_change *e = &(*v)[*n];
		char **va, **vb;
		size_t na, nb;
		int rc;

		if (!(b->part & parts) || b->kind == K_CHAIN)
			continue;
		a = find(old, b);
		if (!b->timeouts && same_items(a, b))
			continue;
		e->set = b->name;
		e->head = b->head.len ? b->head.p : "";
		e->map = b->kind == K_MAP;
		e->was_empty = a->n == 0;
		(*n)++;
		if (b->timeouts || a->timeouts) {
			e->flush = 1;
			if ((e->add = calloc(b->n + 1, sizeof(*e->add))) == NULL)
				goto oom;
			for (size_t k = 0; k < b->n; k++)
				e->add[k] = b->items[k];
			e->n_add = b->n;
			continue;
		}
		rc = window(a, b, &va, &na, &vb, &nb) < 0 ||
		    missing(va, na, vb, nb, &e->del, &e->n_del) < 0 ||
		    missing(vb, nb, va, na, &e->add, &e->n_add) < 0;
		free(va);
		free(vb);
		if (rc)
			goto oom;
		if (b->concat_ranges && defer && split_dead(new, e) < 0)
			goto oom;
		if (b->concat_ranges)
			pipapo += e->n_del * a->n;
	}
	if (pipapo > FW_MODEL_PIPAPO_BUDGET) {	/* declared anew is cheaper */
		fw_elem_changes_free(*v, *n);
		*v = NULL;
		*n = 0;
		return 0;
	}
	return 1;
oom:
	fw_elem_changes_free(*v, *n);
	*v = NULL;
	*n = 0;
	return -1;
}
