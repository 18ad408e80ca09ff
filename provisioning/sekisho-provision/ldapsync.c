/*
 * The directory search of the sync (ldapsync.h): bind, paged search,
 * entries to staff rows with the CSV import's validators. The plan and
 * the configuration parser live apart (ldapsync_plan.c, ldapsync_conf.c):
 * they are pure and tested without a server.
 */
#include "provisioning/sekisho-provision/ldapsync.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldap.h>

#include "lib/secfile.h"
#include "provisioning/sekisho-provision/reclist.h"
#include "provisioning/sekisho-provision/textenc.h"

#define PASSWORD_MAX	1024

static const char *const field_names[LDAPSYNC_NFIELDS] = {
	"staff_id", "name", "kana", "dept", "role",
};

static void
report(struct import_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
report(struct import_report *rep, const char *fmt, ...)
{
	va_list ap;
	char *s, **v;

	if (rep->n_err == IMPORT_ERRORS_MAX) {
		rep->more_err++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL || (v = realloc(rep->err, (rep->n_err + 1) *
	    sizeof(*v))) == NULL) {
		free(s);
		rep->more_err++;
		return;
	}
	rep->err = v;
	v[rep->n_err++] = s;
}

/* The first value of attr, or NULL. */
static struct berval **
values(LDAP *ld, LDAPMessage *e, const char *attr)
{
	if (attr[0] == '\0')
		return NULL;
	return ldap_get_values_len(ld, e, attr);
}

/* Copies field i of entry e into dst (size dstsz), checked; 0 or -1 after
 * a report. */
static int
field(LDAP *ld, LDAPMessage *e, const char *dn, const struct ldapsync_conf *c,
    int i, char *dst, size_t dstsz, struct import_report *rep)
{
	struct berval **v = values(ld, e, c->attr[i]);
	const char *why = NULL;
	size_t len;

	dst[0] = '\0';
	if (v == NULL || v[0] == NULL) {
		if (v != NULL)
			ldap_value_free_len(v);
		if (i == LDAPSYNC_STAFF_ID || i == LDAPSYNC_NAME) {
			report(rep, "ldap: %s: %s (%s): empty", dn, field_names[i],
			    c->attr[i]);
			return -1;
		}
		return 0;
	}
	len = v[0]->bv_len;
	if (!textenc_utf8_valid(v[0]->bv_val, len, NULL))
		why = "invalid UTF-8 byte sequence";
	else if (memchr(v[0]->bv_val, '\0', len) != NULL)
		why = "control character";
	else if (len >= dstsz) {
		report(rep, "ldap: %s: %s (%s): too long (%zu bytes, at most %zu)",
		    dn, field_names[i], c->attr[i], len, dstsz - 1);
		ldap_value_free_len(v);
		return -1;
	} else {
		memcpy(dst, v[0]->bv_val, len);
		dst[len] = '\0';
		if (i == LDAPSYNC_STAFF_ID)
			why = importmap_check_staff_id(dst);
		else if (i == LDAPSYNC_NAME && len == 0)
			why = "empty";
		else
			why = importmap_check_text(dst, dstsz - 1);
	}
	ldap_value_free_len(v);
	if (why == NULL)
		return 0;
	dst[0] = '\0';
	report(rep, "ldap: %s: %s (%s): %s", dn, field_names[i], c->attr[i], why);
	return -1;
}

static int
disabled(LDAP *ld, LDAPMessage *e, const struct ldapsync_conf *c)
{
	struct berval **v;
	int dis = 0;

	switch (c->dis_mode) {
	case LDAPSYNC_DIS_AD:
		if ((v = ldap_get_values_len(ld, e, "userAccountControl")) == NULL)
			return 0;
		if (v[0] != NULL && v[0]->bv_len > 0 && v[0]->bv_len < 16) {
			char num[16];
			long long uac;

			memcpy(num, v[0]->bv_val, v[0]->bv_len);
			num[v[0]->bv_len] = '\0';
			uac = strtoll(num, NULL, 10);
			dis = (uac & 2) != 0;
		}
		ldap_value_free_len(v);
		return dis;
	case LDAPSYNC_DIS_PRESENT:
		if ((v = ldap_get_values_len(ld, e, c->dis_attr)) == NULL)
			return 0;
		dis = v[0] != NULL;
		ldap_value_free_len(v);
		return dis;
	case LDAPSYNC_DIS_EQUALS:
		if ((v = ldap_get_values_len(ld, e, c->dis_attr)) == NULL)
			return 0;
		for (size_t i = 0; v[i] != NULL && !dis; i++)
			dis = v[i]->bv_len == strlen(c->dis_value) &&
			    strncasecmp(v[i]->bv_val, c->dis_value,
			    v[i]->bv_len) == 0;
		ldap_value_free_len(v);
		return dis;
	default:
		return 0;
	}
}

/* The DN for a message: the server chose it, so control characters (a
 * terminal's escape sequences) become '?'; at most 255 bytes. */
static void
safe_dn(const char *dn, char *out, size_t outsz)
{
	size_t i;

	if (dn == NULL)
		dn = "(no DN)";
	for (i = 0; dn[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (unsigned char)dn[i] < 0x20 || dn[i] == 0x7f ? '?' : dn[i];
	out[i] = '\0';
}

static int
entry(LDAP *ld, LDAPMessage *e, const struct ldapsync_conf *c,
    struct staff_list *out, struct import_report *rep)
{
	struct staff_rec s;
	char *dn = ldap_get_dn(ld, e);
	char d[256];
	int bad = 0;

	safe_dn(dn, d, sizeof(d));

	memset(&s, 0, sizeof(s));
	bad |= field(ld, e, d, c, LDAPSYNC_STAFF_ID, s.staff_id,
	    sizeof(s.staff_id), rep);
	bad |= field(ld, e, d, c, LDAPSYNC_NAME, s.name, sizeof(s.name), rep);
	bad |= field(ld, e, d, c, LDAPSYNC_KANA, s.kana, sizeof(s.kana), rep);
	bad |= field(ld, e, d, c, LDAPSYNC_DEPT, s.dept, sizeof(s.dept), rep);
	bad |= field(ld, e, d, c, LDAPSYNC_ROLE, s.role, sizeof(s.role), rep);
	s.disabled = disabled(ld, e, c);
	ldap_memfree(dn);
	if (bad || rep->n_err > 0)
		return 0;
	return reclist_staff_add(out, &s);
}

/* Reads the bind password: its file must be 0600 (lib/secfile); one line,
 * the newline is not part of it. */
static int
password(const struct ldapsync_conf *c, struct berval *cred,
    struct sk_error *err)
{
	static const struct secfile_rule rule = {
		"bind password file", 1, SECFILE_ANY_OWNER, ", must be 0600",
	};
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = secfile_read(c->bind_pw_file, &rule, PASSWORD_MAX, &buf, &len,
	    err)) < 0)
		return rc;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		free(buf);
		return sk_errorf(err, EINVAL, "%s: empty password", c->bind_pw_file);
	}
	cred->bv_val = (char *)buf;
	cred->bv_len = len;
	return 0;
}

static int
connect_bind(const struct ldapsync_conf *c, LDAP **ldp, struct sk_error *err)
{
	struct timeval tv = { c->timeout_s, 0 };
	struct berval cred = { 0, NULL };
	int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, zero = 0, rc;
	LDAP *ld;

	if ((rc = ldap_initialize(&ld, c->url)) != LDAP_SUCCESS)
		return sk_errorf(err, EINVAL, "%s: %s", c->url, ldap_err2string(rc));
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	/* AD answers with referrals to other partitions: not followed. */
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	/* TLS: the server's certificate must verify (ldaps://, starttls);
	 * the options take effect in a new context for this handle. */
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard);
	if (c->ca_file[0] != '\0')
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (c->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		sk_errorf(err, EIO, "%s: starttls: %s", c->url, ldap_err2string(rc));
		ldap_unbind_ext_s(ld, NULL, NULL);
		return -EIO;
	}
	if (c->bind_dn[0] != '\0') {
		if ((rc = password(c, &cred, err)) < 0) {
			ldap_unbind_ext_s(ld, NULL, NULL);
			return rc;
		}
		rc = ldap_sasl_bind_s(ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
		    NULL, NULL);
		wipe(cred.bv_val, cred.bv_len);
		free(cred.bv_val);
		if (rc != LDAP_SUCCESS) {
			sk_errorf(err, EACCES, "%s: bind as %s: %s", c->url,
			    c->bind_dn, ldap_err2string(rc));
			ldap_unbind_ext_s(ld, NULL, NULL);
			return -EACCES;
		}
	}
	*ldp = ld;
	return 0;
}

int
ldapsync_search(const struct ldapsync_conf *c, struct staff_list *out,
    struct import_report *rep, struct ldapsync_stats *stats,
    struct sk_error *err)
{
	struct timeval tv = { c->timeout_s, 0 };
	struct berval cookie = { 0, NULL };
	char *attrs[LDAPSYNC_NFIELDS + 2];
	size_t na = 0, entries = 0, pages = 0;
	LDAP *ld = NULL;
	int rc, ret = 0;

	memset(rep, 0, sizeof(*rep));
	rep->used = TEXTENC_UTF8;
	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	for (int i = 0; i < LDAPSYNC_NFIELDS; i++)
		if (c->attr[i][0] != '\0')
			attrs[na++] = (char *)(uintptr_t)c->attr[i];
	if (c->dis_mode == LDAPSYNC_DIS_AD)
		attrs[na++] = (char *)(uintptr_t)"userAccountControl";
	else if (c->dis_mode != LDAPSYNC_DIS_NONE)
		attrs[na++] = (char *)(uintptr_t)c->dis_attr;
	attrs[na] = NULL;

	if ((rc = connect_bind(c, &ld, err)) < 0)
		return rc;
	do {
		LDAPControl *page = NULL, *sctrls[2], **rctrls = NULL, *resp;
		LDAPMessage *res = NULL;
		ber_int_t count;
		int code = 0;

		rc = ldap_create_page_control(ld, c->page_size,
		    cookie.bv_val != NULL ? &cookie : NULL, 0, &page);
		if (rc != LDAP_SUCCESS) {
			ret = sk_errorf(err, ENOMEM, "%s: paged results: %s", c->url,
			    ldap_err2string(rc));
			break;
		}
		sctrls[0] = page;
		sctrls[1] = NULL;
		rc = ldap_search_ext_s(ld, c->base, c->scope_one ?
		    LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE, c->filter, attrs, 0,
		    sctrls, NULL, &tv, LDAP_NO_LIMIT, &res);
		ldap_control_free(page);
		pages++;
		if (rc != LDAP_SUCCESS) {
			ret = sk_errorf(err, EIO, "%s: search %s: %s", c->url,
			    c->base, ldap_err2string(rc));
			ldap_msgfree(res);
			break;
		}
		for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL;
		    e = ldap_next_entry(ld, e)) {
			if (++entries > LDAPSYNC_ENTRIES_MAX) {
				ret = sk_errorf(err, EFBIG, "%s: more than %d entries",
				    c->url, LDAPSYNC_ENTRIES_MAX);
				break;
			}
			if (entry(ld, e, c, out, rep) < 0) {
				ret = sk_errorf(err, ENOMEM, "out of memory");
				break;
			}
		}
		rc = ldap_parse_result(ld, res, &code, NULL, NULL, NULL, &rctrls, 1);
		if (ret < 0) {
			ldap_controls_free(rctrls);
			break;
		}
		if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
			ret = sk_errorf(err, EIO, "%s: search %s: %s", c->url, c->base,
			    ldap_err2string(rc != LDAP_SUCCESS ? rc : code));
			ldap_controls_free(rctrls);
			break;
		}
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		if (resp != NULL &&
		    ldap_parse_pageresponse_control(ld, resp, &count, &cookie) !=
		    LDAP_SUCCESS) {
			ret = sk_errorf(err, EIO, "%s: bad paged results response",
			    c->url);
			ldap_controls_free(rctrls);
			break;
		}
		ldap_controls_free(rctrls);
	} while (cookie.bv_val != NULL && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	ldap_unbind_ext_s(ld, NULL, NULL);
	if (stats != NULL) {
		stats->entries = entries;
		stats->pages = pages;
	}
	if (ret == 0 && rep->n_err > 0)
		ret = -EINVAL;
	if (ret < 0)
		reclist_staff_free(out);
	return ret;
}
