/*
 * The directory sync's plan (ldapsync.h): a pure function of the
 * registry's staff and the directory's. Adds, updates, disables; never a
 * delete. Both lists are walked in key order through sorted arrays of
 * pointers, so 20,000 entries cost two sorts and one pass.
 */
#include "provisioning/sekisho-provision/ldapsync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "provisioning/sekisho-provision/reclist.h"

unsigned
ldapsync_conf_fields(const struct ldapsync_conf *c)
{
	unsigned m = LDAPSYNC_CH_ENABLE;

	if (c->attr[LDAPSYNC_NAME][0] != '\0')
		m |= LDAPSYNC_CH_NAME;
	if (c->attr[LDAPSYNC_KANA][0] != '\0')
		m |= LDAPSYNC_CH_KANA;
	if (c->attr[LDAPSYNC_DEPT][0] != '\0')
		m |= LDAPSYNC_CH_DEPT;
	if (c->attr[LDAPSYNC_ROLE][0] != '\0')
		m |= LDAPSYNC_CH_ROLE;
	return m;
}

static int
ptr_cmp(const void *a, const void *b)
{
	const struct staff_rec *x = *(const struct staff_rec *const *)a;
	const struct staff_rec *y = *(const struct staff_rec *const *)b;

	return reclist_keycmp(x->staff_id, y->staff_id);
}

/* Sorted pointers into l; -EINVAL on a key that appears twice. */
static int
sorted(const struct staff_list *l, const char *what,
    const struct staff_rec ***out, struct sk_error *err)
{
	const struct staff_rec **v;

	*out = NULL;
	if (l->n == 0)
		return 0;
	if ((v = calloc(l->n, sizeof(*v))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		v[i] = &l->v[i];
	qsort(v, l->n, sizeof(*v), ptr_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (reclist_keycmp(v[i - 1]->staff_id, v[i]->staff_id) == 0) {
			sk_errorf(err, EINVAL, "%s: staff id \"%s\" appears twice",
			    what, v[i]->staff_id);
			free(v);
			return -EINVAL;
		}
	*out = v;
	return 0;
}

struct chlist {
	struct ldapsync_change	*v;
	size_t			 n, cap;
};

static int
push(struct chlist *l, const struct ldapsync_change *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ldapsync_change *p = realloc(l->v, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *c;
	return 0;
}

static unsigned
diff(const struct staff_rec *r, const struct staff_rec *d, unsigned compare)
{
	unsigned m = 0;

	if ((compare & LDAPSYNC_CH_NAME) && strcmp(r->name, d->name) != 0)
		m |= LDAPSYNC_CH_NAME;
	if ((compare & LDAPSYNC_CH_KANA) && strcmp(r->kana, d->kana) != 0)
		m |= LDAPSYNC_CH_KANA;
	if ((compare & LDAPSYNC_CH_DEPT) && strcmp(r->dept, d->dept) != 0)
		m |= LDAPSYNC_CH_DEPT;
	if ((compare & LDAPSYNC_CH_ROLE) && strcmp(r->role, d->role) != 0)
		m |= LDAPSYNC_CH_ROLE;
	if (r->disabled)
		m |= LDAPSYNC_CH_ENABLE;
	return m;
}

int
ldapsync_plan(const struct staff_list *reg, const struct staff_list *dir,
    unsigned compare, struct ldapsync_plan *plan, struct sk_error *err)
{
	const struct staff_rec **r = NULL, **d = NULL;
	struct chlist add = { 0 }, upd = { 0 }, dis = { 0 };
	size_t i = 0, j = 0, total;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if ((rc = sorted(reg, "registry", &r, err)) < 0)
		return rc;
	if ((rc = sorted(dir, "directory", &d, err)) < 0) {
		free(r);
		return rc;
	}
	while (rc == 0 && (i < reg->n || j < dir->n)) {
		struct ldapsync_change c;
		int k;

		memset(&c, 0, sizeof(c));
		if (i == reg->n)
			k = 1;
		else if (j == dir->n)
			k = -1;
		else
			k = reclist_keycmp(r[i]->staff_id, d[j]->staff_id);
		if (k > 0) {
			/* Only in the directory. */
			if (!d[j]->disabled) {
				c.op = LDAPSYNC_ADD;
				c.dir = d[j];
				rc = push(&add, &c);
			}
			j++;
		} else if (k < 0) {
			/* Only in the registry. */
			if (!r[i]->disabled) {
				c.op = LDAPSYNC_DISABLE;
				c.why = LDAPSYNC_WHY_ABSENT;
				c.reg = r[i];
				rc = push(&dis, &c);
			} else
				plan->unchanged++;
			i++;
		} else {
			c.reg = r[i];
			c.dir = d[j];
			if (d[j]->disabled) {
				if (!r[i]->disabled) {
					c.op = LDAPSYNC_DISABLE;
					c.why = LDAPSYNC_WHY_DISABLED;
					c.dir = NULL;
					rc = push(&dis, &c);
				} else
					plan->unchanged++;
			} else if ((c.fields = diff(r[i], d[j], compare)) != 0) {
				c.op = LDAPSYNC_UPDATE;
				rc = push(&upd, &c);
			} else
				plan->unchanged++;
			i++;
			j++;
		}
	}
	free(r);
	free(d);
	total = add.n + upd.n + dis.n;
	if (rc == 0 && total > 0 &&
	    (plan->v = calloc(total, sizeof(*plan->v))) == NULL)
		rc = -ENOMEM;
	if (rc < 0) {
		free(add.v);
		free(upd.v);
		free(dis.v);
		memset(plan, 0, sizeof(*plan));
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	if (add.n)
		memcpy(plan->v, add.v, add.n * sizeof(*plan->v));
	if (upd.n)
		memcpy(plan->v + add.n, upd.v, upd.n * sizeof(*plan->v));
	if (dis.n)
		memcpy(plan->v + add.n + upd.n, dis.v, dis.n * sizeof(*plan->v));
	plan->n = plan->cap = total;
	plan->adds = add.n;
	plan->updates = upd.n;
	plan->disables = dis.n;
	free(add.v);
	free(upd.v);
	free(dis.v);
	return 0;
}

void
ldapsync_plan_free(struct ldapsync_plan *plan)
{
	free(plan->v);
	memset(plan, 0, sizeof(*plan));
}

/* "value" with '"' and '\' escaped (the registry holds no controls). */
static void
quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
change(FILE *f, int *first, const char *what, const char *from, const char *to)
{
	fputs(*first ? "" : "; ", f);
	*first = 0;
	fprintf(f, "%s: ", what);
	quoted(f, from);
	fputs(" -> ", f);
	quoted(f, to);
}

void
ldapsync_plan_print(const struct ldapsync_plan *plan, FILE *f)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct ldapsync_change *c = &plan->v[i];
		int first = 1;

		switch (c->op) {
		case LDAPSYNC_ADD:
			fprintf(f, "add      %s  name=", c->dir->staff_id);
			quoted(f, c->dir->name);
			fputs(" kana=", f);
			quoted(f, c->dir->kana);
			fputs(" dept=", f);
			quoted(f, c->dir->dept);
			fputs(" role=", f);
			quoted(f, c->dir->role);
			break;
		case LDAPSYNC_UPDATE:
			fprintf(f, "update   %s  ", c->reg->staff_id);
			if (c->fields & LDAPSYNC_CH_NAME)
				change(f, &first, "name", c->reg->name, c->dir->name);
			if (c->fields & LDAPSYNC_CH_KANA)
				change(f, &first, "kana", c->reg->kana, c->dir->kana);
			if (c->fields & LDAPSYNC_CH_DEPT)
				change(f, &first, "dept", c->reg->dept, c->dir->dept);
			if (c->fields & LDAPSYNC_CH_ROLE)
				change(f, &first, "role", c->reg->role, c->dir->role);
			if (c->fields & LDAPSYNC_CH_ENABLE)
				fputs(first ? "enable" : "; enable", f);
			break;
		case LDAPSYNC_DISABLE:
			fprintf(f, "disable  %s  %s", c->reg->staff_id,
			    c->why == LDAPSYNC_WHY_DISABLED ?
			    "(disabled in the directory)" :
			    "(not in the directory)");
			break;
		}
		fputc('\n', f);
	}
	fprintf(f, "ldap sync: %zu to add, %zu to update, %zu to disable, "
	    "%zu unchanged\n", plan->adds, plan->updates, plan->disables,
	    plan->unchanged);
}
