/*
 * Directory sync: staff from Active Directory or OpenLDAP, without
 * extending the directory's schema. Three parts:
 *
 * 1. The configuration file (e.g. /etc/sekisho/ldap.conf), one keyword
 *    and its value per line, '#' starts a comment line:
 *
 *      url            ldaps://dc1.example.lg.jp      (ldap://, ldaps://, ldapi://)
 *      base           ou=staff,dc=example,dc=lg,dc=jp
 *      filter         (&(objectClass=user)(employeeID=*))   default (objectClass=*)
 *      scope          sub | one                       default sub
 *      bind_dn        cn=sekisho-sync,ou=svc,dc=example,dc=lg,dc=jp
 *      bind_password_file /etc/sekisho/ldap.secret    (0600; never inline)
 *      starttls       yes | no                        default no
 *      ca_file        /etc/sekisho/ldap-ca.pem
 *      page_size      1..1000                         default 500 (AD's limit 1000)
 *      timeout        1..3600 seconds per request     default 30
 *      attr staff_id  sAMAccountName                  (required)
 *      attr name      displayName                     (required)
 *      attr kana      msDS-PhoneticDisplayName
 *      attr dept      department
 *      attr role      title
 *      disabled ad                                    userAccountControl bit 2
 *      disabled equals ATTR VALUE                     e.g. employeeType retired
 *      disabled present ATTR                          e.g. pwdAccountLockedTime
 *      disabled none                                  (the default)
 *
 *    Every error is one line "FILE:LINE: what" (or "FILE: what" for what
 *    is missing) and the whole file is refused. A bind password over
 *    ldap:// to a host other than the loopback without starttls is
 *    refused: "FILE: bind password would cross the network in clear (use
 *    ldaps://, starttls yes or ldapi://)".
 *
 * 2. The search (libldap): simple bind with the password read from its
 *    file through lib/secfile (wiped after use), the paged-results control
 *    (RFC 2696) at page_size, every entry turned into a staff_rec with the
 *    same validators as the CSV import. An entry that fails validation is
 *    reported as "ldap: DN: FIELD (ATTR): PROBLEM" and the search returns
 *    nothing: a sync never acts on a partial directory.
 *
 * 3. The plan, a pure function of the registry's list and the directory's:
 *      add      in the directory (enabled), not in the registry
 *      update   in both, with fields that differ (name, kana, dept, role,
 *               or enabled in the directory while disabled in the registry)
 *      disable  enabled in the registry, and absent from the directory or
 *               disabled there
 *    Nothing is ever deleted. Order: adds, updates, disables, each by
 *    staff id (reclist_keycmp). A directory entry that is disabled and not
 *    in the registry is no change. Printable for --dry-run.
 */
#ifndef SK_PROV_LDAPSYNC_H
#define SK_PROV_LDAPSYNC_H

#include <stddef.h>
#include <stdio.h>

#include "lib/util.h"
#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/records.h"

#define LDAPSYNC_CONF_MAX	65536	/* bytes of the configuration file */
#define LDAPSYNC_PAGE_MAX	1000
#define LDAPSYNC_ENTRIES_MAX	1000000

/* The staff fields a directory attribute can fill (index into attr[]). */
enum ldapsync_field {
	LDAPSYNC_STAFF_ID = 0,
	LDAPSYNC_NAME,
	LDAPSYNC_KANA,
	LDAPSYNC_DEPT,
	LDAPSYNC_ROLE,
	LDAPSYNC_NFIELDS
};

enum ldapsync_disabled {
	LDAPSYNC_DIS_NONE = 0,
	LDAPSYNC_DIS_AD,	/* userAccountControl & 2 (ACCOUNTDISABLE) */
	LDAPSYNC_DIS_EQUALS,	/* dis_attr has the value dis_value (case-insensitive) */
	LDAPSYNC_DIS_PRESENT,	/* dis_attr has any value */
};

struct ldapsync_conf {
	char			file[256];	/* for messages */
	char			url[512];
	char			base[512];
	char			filter[1024];
	int			scope_one;	/* 1: one level; 0: subtree */
	char			bind_dn[512];	/* empty: anonymous */
	char			bind_pw_file[256];
	int			starttls;
	char			ca_file[256];
	int			page_size;
	int			timeout_s;
	char			attr[LDAPSYNC_NFIELDS][64];	/* "" = not mapped */
	enum ldapsync_disabled	dis_mode;
	char			dis_attr[64];
	char			dis_value[256];
};

/* Parses text[0..len) (name for messages). 0, or -EINVAL with err. */
int ldapsync_conf_parse(const char *name, const char *text, size_t len,
    struct ldapsync_conf *c, struct sk_error *err);
/* Reads path (a regular file, not writable by group or others, at most
 * LDAPSYNC_CONF_MAX bytes) and parses it. */
int ldapsync_conf_load(const char *path, struct ldapsync_conf *c,
    struct sk_error *err);
/* Replaces the URL (`user sync ldap://...` on the command line), with the
 * same checks as the file's: 0 or -EINVAL. */
int ldapsync_conf_set_url(struct ldapsync_conf *c, const char *url,
    struct sk_error *err);
/* The configuration back, normalised, for -nv; never the password. */
void ldapsync_conf_print(const struct ldapsync_conf *c, FILE *f);

struct ldapsync_stats {
	size_t	entries;	/* entries returned */
	size_t	pages;		/* search requests sent */
};

/*
 * Binds and searches; *out (zeroed on entry) receives the directory's
 * staff in server order. 0; or -EINVAL with rep->err listing the bad
 * entries (out empty); or another -errno with err (connection, bind,
 * search failure: "ldap://host: bind: Invalid credentials"). rep is
 * initialised here; free it with import_report_free(). stats may be NULL.
 */
int ldapsync_search(const struct ldapsync_conf *c, struct staff_list *out,
    struct import_report *rep, struct ldapsync_stats *stats,
    struct sk_error *err);

enum ldapsync_op {
	LDAPSYNC_ADD,
	LDAPSYNC_UPDATE,
	LDAPSYNC_DISABLE,
};

/* Bits of ldapsync_change.fields (update). */
#define LDAPSYNC_CH_NAME	0x01
#define LDAPSYNC_CH_KANA	0x02
#define LDAPSYNC_CH_DEPT	0x04
#define LDAPSYNC_CH_ROLE	0x08
#define LDAPSYNC_CH_ENABLE	0x10	/* disabled in registry, enabled in directory */

enum ldapsync_why {
	LDAPSYNC_WHY_NONE = 0,
	LDAPSYNC_WHY_ABSENT,		/* disable: not in the directory */
	LDAPSYNC_WHY_DISABLED,		/* disable: disabled in the directory */
};

struct ldapsync_change {
	enum ldapsync_op	 op;
	unsigned		 fields;	/* update: LDAPSYNC_CH_* */
	enum ldapsync_why	 why;		/* disable */
	const struct staff_rec	*reg;		/* the registry's row (update, disable) */
	const struct staff_rec	*dir;		/* the directory's row (add, update) */
};

struct ldapsync_plan {
	struct ldapsync_change	*v;
	size_t			 n, cap;
	size_t			 adds, updates, disables, unchanged;
};

/*
 * The plan (pure: no I/O). compare: the LDAPSYNC_CH_* fields that the
 * directory supplies (ldapsync_conf_fields(); LDAPSYNC_CH_ENABLE is
 * always considered). The pointers in the plan point into reg and dir,
 * which must outlive it; neither list is modified. Keys compare with
 * reclist_keycmp. 0; -EINVAL with err when a list holds one key twice
 * ("directory: staff id \"X\" appears twice"); -ENOMEM.
 */
int ldapsync_plan(const struct staff_list *reg, const struct staff_list *dir,
    unsigned compare, struct ldapsync_plan *plan, struct sk_error *err);
/* The LDAPSYNC_CH_* bits ldapsync_plan's compare takes for a configuration:
 * a field the configuration maps no attribute to (say, kana) is never
 * compared, so a directory without it does not wipe the registry's. */
unsigned ldapsync_conf_fields(const struct ldapsync_conf *c);
void ldapsync_plan_free(struct ldapsync_plan *plan);
/*
 * One line per change, then a summary, for --dry-run:
 *   add      S0001  name="山田 太郎" kana="ヤマダ タロウ" dept="総務課" role=""
 *   update   S0002  dept: "総務課" -> "税務課"; enable
 *   disable  S0003  (not in the directory)
 *   disable  S0004  (disabled in the directory)
 *   ldap sync: 1 to add, 1 to update, 2 to disable, 19996 unchanged
 * Values are printed with '"' and '\' escaped.
 */
void ldapsync_plan_print(const struct ldapsync_plan *plan, FILE *f);

#endif
