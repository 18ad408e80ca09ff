/*
 * The lists of records.h: append, free, find, sort. Shared by the
 * importers, the directory sync and the registry so that nobody writes
 * them twice. Keys (staff id, device name) compare ASCII case-insensitively
 * everywhere: "S001" and "s001" are one member of staff, as in Active
 * Directory and DNS.
 */
#ifndef SK_PROV_RECLIST_H
#define SK_PROV_RECLIST_H

#include <stddef.h>

#include "provisioning/sekisho-provision/records.h"

/* Appends a copy of *r: 0 or -ENOMEM. */
int reclist_staff_add(struct staff_list *l, const struct staff_rec *r);
int reclist_device_add(struct device_list *l, const struct device_rec *r);
/* Frees the array and zeroes the list (safe on a zeroed list). */
void reclist_staff_free(struct staff_list *l);
void reclist_device_free(struct device_list *l);
/* Sorts by key (case-insensitive, then bytewise for a stable order). */
void reclist_staff_sort(struct staff_list *l);
void reclist_device_sort(struct device_list *l);
/* The record with this key in a list sorted by reclist_*_sort, or NULL. */
const struct staff_rec *reclist_staff_find(const struct staff_list *l,
    const char *staff_id);
const struct device_rec *reclist_device_find(const struct device_list *l,
    const char *name);
/* strcasecmp on ASCII only, locale-independent. */
int reclist_keycmp(const char *a, const char *b);

#endif
