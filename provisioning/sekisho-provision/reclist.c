/* The lists of records.h (reclist.h). */
#include "provisioning/sekisho-provision/reclist.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int
reclist_keycmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	for (;; p++, q++) {
		int x = lower(*p), y = lower(*q);

		if (x != y)
			return x < y ? -1 : 1;
		if (x == 0)
			return 0;
	}
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	if ((p = realloc(*v, ncap * size)) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

int
reclist_staff_add(struct staff_list *l, const struct staff_rec *r)
{
	void *v = l->v;
	int rc;

	if ((rc = grow(&v, &l->cap, l->n, sizeof(*l->v))) < 0)
		return rc;
	l->v = v;
	l->v[l->n++] = *r;
	return 0;
}

int
reclist_device_add(struct device_list *l, const struct device_rec *r)
{
	void *v = l->v;
	int rc;

	if ((rc = grow(&v, &l->cap, l->n, sizeof(*l->v))) < 0)
		return rc;
	l->v = v;
	l->v[l->n++] = *r;
	return 0;
}

void
reclist_staff_free(struct staff_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
reclist_device_free(struct device_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
keyorder(const char *a, const char *b)
{
	int c = reclist_keycmp(a, b);

	return c != 0 ? c : strcmp(a, b);
}

static int
staff_cmp(const void *a, const void *b)
{
	return keyorder(((const struct staff_rec *)a)->staff_id,
	    ((const struct staff_rec *)b)->staff_id);
}

static int
device_cmp(const void *a, const void *b)
{
	return keyorder(((const struct device_rec *)a)->name,
	    ((const struct device_rec *)b)->name);
}

void
reclist_staff_sort(struct staff_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), staff_cmp);
}

void
reclist_device_sort(struct device_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), device_cmp);
}

const struct staff_rec *
reclist_staff_find(const struct staff_list *l, const char *id)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = reclist_keycmp(id, l->v[mid].staff_id);

		if (c == 0)
			return &l->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct device_rec *
reclist_device_find(const struct device_list *l, const char *name)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = reclist_keycmp(name, l->v[mid].name);

		if (c == 0)
			return &l->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
