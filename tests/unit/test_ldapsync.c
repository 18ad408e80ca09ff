/* Unit tests of sekisho-provision's directory sync without a server
 * (ldapsync.h): the configuration parser and its exact errors, and the
 * plan (adds, updates, disables, never a delete, stable order). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "provisioning/sekisho-provision/ldapsync.h"
#include "provisioning/sekisho-provision/reclist.h"

static const char good_conf[] =
    "# AD of the city\n"
    "url ldaps://dc1.example.lg.jp\n"
    "base  ou=staff,dc=example,dc=lg,dc=jp  \r\n"
    "filter (&(objectClass=user)(employeeID=*))\n"
    "\n"
    "bind_dn cn=sync,ou=svc,dc=example,dc=lg,dc=jp\n"
    "bind_password_file /etc/sekisho/ldap.secret\n"
    "page_size 1000\n"
    "attr staff_id employeeID\n"
    "attr name displayName\n"
    "attr kana msDS-PhoneticDisplayName\n"
    "attr dept department\n"
    "disabled ad\n";

static const char openldap_conf[] =
    "url ldap://127.0.0.1:3890\nbase dc=example,dc=lg,dc=jp\n"
    "bind_dn cn=admin,dc=example,dc=lg,dc=jp\n"
    "bind_password_file /tmp/pw\nscope one\n"
    "attr staff_id uid\nattr name cn\ndisabled equals employeeType retired\n";

static void
test_conf_good(void **state)
{
	struct ldapsync_conf c;
	struct sk_error err;
	char *p = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	assert_int_equal(ldapsync_conf_parse("ldap.conf", good_conf,
	    sizeof(good_conf) - 1, &c, &err), 0);
	assert_string_equal(c.url, "ldaps://dc1.example.lg.jp");
	assert_string_equal(c.base, "ou=staff,dc=example,dc=lg,dc=jp");
	assert_string_equal(c.attr[LDAPSYNC_KANA], "msDS-PhoneticDisplayName");
	assert_string_equal(c.attr[LDAPSYNC_ROLE], "");
	assert_int_equal(c.page_size, 1000);
	assert_int_equal(c.timeout_s, 30);
	assert_int_equal(c.dis_mode, LDAPSYNC_DIS_AD);
	assert_int_equal(ldapsync_conf_fields(&c), LDAPSYNC_CH_ENABLE |
	    LDAPSYNC_CH_NAME | LDAPSYNC_CH_KANA | LDAPSYNC_CH_DEPT);
	f = open_memstream(&p, &n);
	ldapsync_conf_print(&c, f);
	fclose(f);
	assert_non_null(strstr(p, "filter (&(objectClass=user)(employeeID=*))\n"));
	assert_non_null(strstr(p, "disabled ad\n"));
	free(p);

	/* OpenLDAP: an attribute and its value; the loopback in clear. */
	assert_int_equal(ldapsync_conf_parse("o.conf", openldap_conf,
	    sizeof(openldap_conf) - 1, &c, &err), 0);
	assert_int_equal(c.dis_mode, LDAPSYNC_DIS_EQUALS);
	assert_string_equal(c.dis_attr, "employeeType");
	assert_string_equal(c.dis_value, "retired");
	assert_int_equal(c.scope_one, 1);
	assert_int_equal(ldapsync_conf_fields(&c), LDAPSYNC_CH_ENABLE |
	    LDAPSYNC_CH_NAME);
}

static void
conf_fails(const char *text, const char *want)
{
	struct ldapsync_conf c;
	struct sk_error err;

	assert_int_equal(ldapsync_conf_parse("l.conf", text, strlen(text), &c,
	    &err), -EINVAL);
	assert_string_equal(err.msg, want);
}

#define BASE "url ldaps://dc\nbase dc=x\nattr staff_id uid\nattr name cn\n"

static void
test_conf_errors(void **state)
{
	(void)state;
	conf_fails(BASE "colour blue\n", "l.conf:5: unknown keyword \"colour\"");
	conf_fails(BASE "url ldaps://other\n",
	    "l.conf:5: duplicate keyword \"url\" (first on line 1)");
	conf_fails(BASE "attr name displayName\n",
	    "l.conf:5: duplicate \"attr name\" (first on line 4)");
	conf_fails(BASE "attr phone tel\n", "l.conf:5: attr: unknown field "
	    "(staff_id, name, kana, dept, role): \"phone\"");
	conf_fails(BASE "attr kana bad_attr\n",
	    "l.conf:5: attr: bad attribute name \"bad_attr\"");
	conf_fails(BASE "page_size 5000\n",
	    "l.conf:5: page_size: must be 1 to 1000, not \"5000\"");
	conf_fails(BASE "timeout 0\n",
	    "l.conf:5: timeout: must be 1 to 3600 seconds, not \"0\"");
	conf_fails(BASE "scope base\n", "l.conf:5: scope: must be sub or one, not \"base\"");
	conf_fails(BASE "filter objectClass=user\n",
	    "l.conf:5: filter: not one parenthesised LDAP filter");
	conf_fails(BASE "filter (a=1)(b=2)\n",
	    "l.conf:5: filter: not one parenthesised LDAP filter");
	conf_fails(BASE "bind_password secret\n", "l.conf:5: bind_password: a "
	    "password is never written here; use bind_password_file (mode 0600)");
	conf_fails(BASE "bind_password_file pw\n",
	    "l.conf:5: bind_password_file: not an absolute path");
	conf_fails(BASE "disabled maybe\n", "l.conf:5: disabled: must be ad, "
	    "equals ATTR VALUE, present ATTR or none");
	conf_fails(BASE "disabled equals employeeType\n",
	    "l.conf:5: disabled equals: missing value");
	conf_fails(BASE "starttls perhaps\n",
	    "l.conf:5: starttls: must be yes or no, not \"perhaps\"");
	conf_fails(BASE "base\n", "l.conf:5: duplicate keyword \"base\" (first on line 2)");
	conf_fails("url http://x\n",
	    "l.conf:1: url: not an ldap://, ldaps:// or ldapi:// URL");
	conf_fails("url ldaps://x\nbase \x01\n", "l.conf:2: control character");
	conf_fails("url ldaps://x\nbase\n", "l.conf:2: base: missing value");
	/* What is missing, after the whole file. */
	conf_fails("base dc=x\n", "l.conf: missing url");
	conf_fails("url ldaps://x\n", "l.conf: missing base");
	conf_fails("url ldaps://x\nbase dc=x\nattr name cn\n",
	    "l.conf: missing attr staff_id");
	conf_fails("url ldaps://x\nbase dc=x\nattr staff_id uid\n",
	    "l.conf: missing attr name");
	conf_fails(BASE "bind_dn cn=a\n", "l.conf: bind_dn needs bind_password_file");
	conf_fails(BASE "bind_password_file /pw\n",
	    "l.conf: bind_password_file needs bind_dn");
	conf_fails("url ldap://dc.example.lg.jp\nbase dc=x\nattr staff_id uid\n"
	    "attr name cn\nbind_dn cn=a\nbind_password_file /pw\n",
	    "l.conf: bind password would cross the network in clear (use "
	    "ldaps://, starttls yes or ldapi://)");
	conf_fails("url ldaps://x\nbase dc=x\nattr staff_id uid\nattr name cn\n"
	    "starttls yes\n", "l.conf: starttls is for ldap:// URLs");
}

static void
test_conf_url_override(void **state)
{
	struct ldapsync_conf c;
	struct sk_error err;

	(void)state;
	assert_int_equal(ldapsync_conf_parse("ldap.conf", good_conf,
	    sizeof(good_conf) - 1, &c, &err), 0);
	/* A bind password to a remote host in clear is refused here too. */
	assert_int_equal(ldapsync_conf_set_url(&c, "ldap://dc2.example.lg.jp",
	    &err), -EINVAL);
	assert_string_equal(c.url, "ldaps://dc1.example.lg.jp");
	assert_int_equal(ldapsync_conf_set_url(&c, "ldaps://dc2.example.lg.jp",
	    &err), 0);
	assert_string_equal(c.url, "ldaps://dc2.example.lg.jp");
	assert_int_equal(ldapsync_conf_set_url(&c, "file:///etc/passwd", &err),
	    -EINVAL);
}

static struct staff_rec
rec(const char *id, const char *name, const char *dept, int disabled)
{
	struct staff_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.staff_id, sizeof(r.staff_id), "%s", id);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.dept, sizeof(r.dept), "%s", dept);
	r.disabled = disabled;
	return r;
}

static char *
plan_text(const struct ldapsync_plan *p)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	ldapsync_plan_print(p, f);
	fclose(f);
	return s;
}

#define ALL (LDAPSYNC_CH_NAME | LDAPSYNC_CH_KANA | LDAPSYNC_CH_DEPT | \
	LDAPSYNC_CH_ROLE | LDAPSYNC_CH_ENABLE)

static void
test_plan(void **state)
{
	struct staff_list reg = { 0 }, dir = { 0 };
	struct ldapsync_plan p;
	struct staff_rec r;
	struct sk_error err;
	char *s;

	(void)state;
	/* The registry. */
	r = rec("S5", "Five", "総務課", 0);	reclist_staff_add(&reg, &r);
	r = rec("S1", "One", "総務課", 0);	reclist_staff_add(&reg, &r);
	r = rec("S2", "Two", "総務課", 0);	reclist_staff_add(&reg, &r);
	r = rec("S3", "Three", "a", 0);		reclist_staff_add(&reg, &r);
	r = rec("S4", "Four", "a", 1);		reclist_staff_add(&reg, &r);
	r = rec("S6", "Six", "a", 1);		reclist_staff_add(&reg, &r);
	r = rec("S7", "Seven", "a", 0);		reclist_staff_add(&reg, &r);
	r = rec("s8", "Eight", "a", 0);		reclist_staff_add(&reg, &r);
	/* The directory, in another order. */
	r = rec("S9", "Nine \"9\"", "税務課", 0);	reclist_staff_add(&dir, &r);
	r = rec("S2", "Two", "税務課", 0);	reclist_staff_add(&dir, &r);
	r = rec("S1", "One", "総務課", 0);	reclist_staff_add(&dir, &r);
	r = rec("S4", "Four", "a", 0);		reclist_staff_add(&dir, &r);
	r = rec("S7", "Seven", "a", 1);		reclist_staff_add(&dir, &r);
	r = rec("S0", "Zero", "", 1);		reclist_staff_add(&dir, &r);
	r = rec("S8", "Eight", "a", 0);		reclist_staff_add(&dir, &r);
	r = rec("S6", "Six", "a", 1);		reclist_staff_add(&dir, &r);

	assert_int_equal(ldapsync_plan(&reg, &dir, ALL, &p, &err), 0);
	assert_int_equal(p.adds, 1);
	assert_int_equal(p.updates, 2);
	assert_int_equal(p.disables, 3);
	/* S1 same, S6 disabled in both, S8 matches s8: unchanged. */
	assert_int_equal(p.unchanged, 3);
	s = plan_text(&p);
	assert_string_equal(s,
	    "add      S9  name=\"Nine \\\"9\\\"\" kana=\"\" dept=\"税務課\" role=\"\"\n"
	    "update   S2  dept: \"総務課\" -> \"税務課\"\n"
	    "update   S4  enable\n"
	    "disable  S3  (not in the directory)\n"
	    "disable  S5  (not in the directory)\n"
	    "disable  S7  (disabled in the directory)\n"
	    "ldap sync: 1 to add, 2 to update, 3 to disable, 3 unchanged\n");
	free(s);
	/* The pointers lead back into the lists. */
	assert_ptr_equal(p.v[0].dir, &dir.v[0]);
	assert_ptr_equal(p.v[1].reg, &reg.v[2]);
	assert_int_equal(p.v[1].fields, LDAPSYNC_CH_DEPT);
	ldapsync_plan_free(&p);

	/* A directory without dept: dept is not compared. */
	assert_int_equal(ldapsync_plan(&reg, &dir, LDAPSYNC_CH_NAME |
	    LDAPSYNC_CH_ENABLE, &p, &err), 0);
	assert_int_equal(p.updates, 1);
	assert_int_equal(p.v[1].fields, LDAPSYNC_CH_ENABLE);
	ldapsync_plan_free(&p);

	/* Idempotent: the directory against itself is no change. */
	assert_int_equal(ldapsync_plan(&dir, &dir, ALL, &p, &err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.unchanged, dir.n);
	ldapsync_plan_free(&p);

	/* An empty directory disables every enabled member; never deletes. */
	{
		struct staff_list none = { 0 };

		assert_int_equal(ldapsync_plan(&reg, &none, ALL, &p, &err), 0);
		assert_int_equal(p.adds + p.updates, 0);
		assert_int_equal(p.disables, 6);
		ldapsync_plan_free(&p);
	}

	/* One key twice is refused. */
	r = rec("s2", "Dup", "", 0);
	reclist_staff_add(&dir, &r);
	assert_int_equal(ldapsync_plan(&reg, &dir, ALL, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "directory: staff id \"s2\" appears twice");
	assert_int_equal(p.n, 0);

	reclist_staff_free(&reg);
	reclist_staff_free(&dir);
}

/* A plan of 20,000 against 20,000 (the bench's shape). */
static void
test_plan_large(void **state)
{
	struct staff_list reg = { 0 }, dir = { 0 };
	struct ldapsync_plan p;
	struct sk_error err;
	char id[16];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct staff_rec r;

		snprintf(id, sizeof(id), "S%05d", i);
		r = rec(id, "山田", i % 100 == 0 ? "新" : "旧", 0);
		assert_int_equal(reclist_staff_add(&dir, &r), 0);
		snprintf(id, sizeof(id), "S%05d", i + 100);
		r = rec(id, "山田", "旧", 0);
		assert_int_equal(reclist_staff_add(&reg, &r), 0);
	}
	assert_int_equal(ldapsync_plan(&reg, &dir, ALL, &p, &err), 0);
	assert_int_equal(p.adds, 100);
	assert_int_equal(p.disables, 100);
	assert_int_equal(p.updates, 199);	/* every 100th of 100..19999 */
	ldapsync_plan_free(&p);
	reclist_staff_free(&reg);
	reclist_staff_free(&dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_url_override),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
