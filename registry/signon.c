#include "registry/signon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "lib/encode.h"

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void
cpy(char *dst, size_t size, const char *src)
{
	sk_strlcpy(dst, src != NULL ? src : "", size);
}

/* ---- devices, cards, staff ---- */

struct two {
	char	*a, *b;
	size_t	 alen, blen;
	int	 found;
};

static int
two_row(void *arg, int ncol, const char *const *v)
{
	struct two *t = arg;

	if (ncol < 2)
		return -EIO;
	cpy(t->a, t->alen, v[0]);
	cpy(t->b, t->blen, v[1]);
	t->found = 1;
	return 1;
}

int
reg_device_signkey_get(struct reg *r, const char *device, char pub[REG_PUB_LEN + 1],
    char state[16], struct sk_error *err)
{
	struct two t = { pub, state, REG_PUB_LEN + 1, 16, 0 };
	const char *p[1] = { device };
	int rc;

	rc = reg_exec(r, "SELECT sign_pub, state FROM devices WHERE name = $1", 1, p,
	    two_row, &t, err);
	if (rc < 0)
		return rc;
	if (!t.found)
		return sk_errorf(err, ENOENT, "no device %s", device);
	return 0;
}

int
reg_device_signkey_set(struct reg *r, const char *device, const char *pub,
    struct sk_error *err)
{
	const char *p[2] = { device, pub };
	int rc;

	rc = reg_exec(r, "UPDATE devices SET sign_pub = $2 WHERE name = $1", 2, p,
	    NULL, NULL, err);
	if (rc == 0 && reg_changes(r) != 1)
		return sk_errorf(err, ENOENT, "no device %s", device);
	return rc;
}

int
reg_card_get(struct reg *r, const char *card_id, char kind[16],
    char staff_id[REG_NAME_MAX + 1], struct sk_error *err)
{
	struct two t = { kind, staff_id, 16, REG_NAME_MAX + 1, 0 };
	const char *p[1] = { card_id };
	int rc;

	rc = reg_exec(r, "SELECT kind, staff_id FROM cards WHERE card_id = $1", 1, p,
	    two_row, &t, err);
	if (rc < 0)
		return rc;
	if (!t.found)
		return sk_errorf(err, ENOENT, "no card %s", card_id);
	return 0;
}

int
reg_staff_set_failures(struct reg *r, const char *id, int failures,
    struct sk_error *err)
{
	char f[24];
	const char *p[2] = { id, I64(f, failures) };

	return reg_queue(r, "UPDATE staff SET failures = $2 WHERE staff_id = $1", 2, p,
	    err);
}

/* ---- the audit trail ---- */

static int
head_row(void *arg, int ncol, const char *const *v)
{
	struct two *t = arg;

	if (ncol < 1 || v[0] == NULL)
		return -EIO;
	cpy(t->a, t->alen, v[0]);
	t->found = 1;
	return 1;
}

int
reg_signon_head(struct reg *r, int64_t *count, char hash[REG_HASH_HEX],
    struct sk_error *err)
{
	char v[128], *sp;
	struct two t = { v, NULL, sizeof(v), 0, 0 };
	int rc;

	rc = reg_exec(r, "SELECT value FROM meta WHERE key = 'signon_audit_head'", 0,
	    NULL, head_row, &t, err);
	if (rc < 0)
		return rc;
	if (!t.found || (sp = strchr(v, ' ')) == NULL || strlen(sp + 1) != 64)
		return sk_errorf(err, EBADMSG, "registry: the sign-on audit's head is"
		    " missing or malformed");
	*sp = '\0';
	*count = strtoll(v, NULL, 10);
	sk_strlcpy(hash, sp + 1, REG_HASH_HEX);
	return 0;
}

static void
field(EVP_MD_CTX *c, const char *s)
{
	uint8_t len[4];
	size_t n = strlen(s);

	be32_put(len, (uint32_t)n);
	EVP_DigestUpdate(c, len, 4);
	EVP_DigestUpdate(c, s, n);
}

void
reg_signon_hash(const struct reg_signon_rec *rec, const char *prev,
    char out[REG_HASH_HEX])
{
	uint8_t md[32];
	unsigned int mdlen = 0;
	char at[24];
	EVP_MD_CTX *c;

	memset(md, 0, sizeof(md));
	if ((c = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		field(c, "sekisho-signon-audit-v1");
		field(c, prev);
		field(c, I64(at, rec->at));
		field(c, rec->staff);
		field(c, rec->device);
		field(c, rec->op);
		field(c, rec->factor);
		field(c, rec->result);
		field(c, rec->mode);
		field(c, rec->uplink);
		field(c, rec->source);
		field(c, rec->reason);
		EVP_DigestFinal_ex(c, md, &mdlen);
	}
	EVP_MD_CTX_free(c);
	hex_encode(out, REG_HASH_HEX, md, sizeof(md));	/* zeros if OpenSSL failed:
							 * verify then fails */
}

int
reg_signon_append(struct reg *r, struct reg_signon_rec *rec, int64_t *count,
    char hash[REG_HASH_HEX], struct sk_error *err)
{
	char at[24];
	const char *p[12];
	int rc;

	sk_strlcpy(rec->prev, hash, sizeof(rec->prev));
	reg_signon_hash(rec, rec->prev, rec->hash);
	p[0] = I64(at, rec->at);
	p[1] = rec->staff;
	p[2] = rec->device;
	p[3] = rec->op;
	p[4] = rec->factor;
	p[5] = rec->result;
	p[6] = rec->mode;
	p[7] = rec->uplink;
	p[8] = rec->source;
	p[9] = rec->reason;
	p[10] = rec->prev;
	p[11] = rec->hash;
	if ((rc = reg_queue(r, "INSERT INTO signon_audit (at, staff_id, device, op,"
	    " factor, result, mode, uplink, source, reason, prev, hash) VALUES ($1, $2,"
	    " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", 12, p, err)) < 0)
		return rc;
	(*count)++;
	sk_strlcpy(hash, rec->hash, REG_HASH_HEX);
	return 0;
}

int
reg_signon_head_set(struct reg *r, int64_t count, const char hash[REG_HASH_HEX],
    struct sk_error *err)
{
	char head[128];
	const char *h[1] = { head };

	snprintf(head, sizeof(head), "%" PRId64 " %s", count, hash);
	return reg_queue(r, "UPDATE meta SET value = $1 WHERE key = 'signon_audit_head'",
	    1, h, err);
}

struct list_ctx {
	int (*fn)(void *, const struct reg_signon_rec *);
	void *arg;
};

#define REC_COLS "seq, at, staff_id, device, op, factor, result, mode, uplink," \
	" source, reason, prev, hash"

static int
rec_row(void *arg, int ncol, const char *const *v)
{
	struct list_ctx *c = arg;
	struct reg_signon_rec rec;

	if (ncol < 13)
		return -EIO;
	rec.seq = v[0] != NULL ? strtoll(v[0], NULL, 10) : 0;
	rec.at = v[1] != NULL ? strtoll(v[1], NULL, 10) : 0;
	cpy(rec.staff, sizeof(rec.staff), v[2]);
	cpy(rec.device, sizeof(rec.device), v[3]);
	cpy(rec.op, sizeof(rec.op), v[4]);
	cpy(rec.factor, sizeof(rec.factor), v[5]);
	cpy(rec.result, sizeof(rec.result), v[6]);
	cpy(rec.mode, sizeof(rec.mode), v[7]);
	cpy(rec.uplink, sizeof(rec.uplink), v[8]);
	cpy(rec.source, sizeof(rec.source), v[9]);
	cpy(rec.reason, sizeof(rec.reason), v[10]);
	cpy(rec.prev, sizeof(rec.prev), v[11]);
	cpy(rec.hash, sizeof(rec.hash), v[12]);
	return c->fn(c->arg, &rec);
}

int
reg_signon_list(struct reg *r, int64_t from, int64_t to,
    int (*fn)(void *arg, const struct reg_signon_rec *rec), void *arg,
    struct sk_error *err)
{
	struct list_ctx c = { fn, arg };
	char f[24], t[24];
	const char *p[2] = { I64(f, from), I64(t, to) };

	if (from == 0 && to == 0)
		return reg_exec(r, "SELECT " REC_COLS " FROM signon_audit ORDER BY seq", 0,
		    NULL, rec_row, &c, err);
	return reg_exec(r, "SELECT " REC_COLS " FROM signon_audit WHERE at >= $1 AND"
	    " at < $2 ORDER BY seq", 2, p, rec_row, &c, err);
}

struct verify_ctx {
	int64_t		 n;
	char		 expect[REG_HASH_HEX];
	struct sk_error	*err;
};

static int
verify_one(void *arg, const struct reg_signon_rec *rec)
{
	struct verify_ctx *v = arg;
	char h[REG_HASH_HEX];

	v->n++;
	if (strcmp(rec->prev, v->expect) != 0)
		return sk_errorf(v->err, EBADMSG, "sign-on audit: record %" PRId64
		    " (seq %" PRId64 "): the chain breaks before it: a record removed"
		    " or altered", v->n, rec->seq);
	reg_signon_hash(rec, rec->prev, h);
	if (!ct_equal(h, rec->hash, 64))
		return sk_errorf(v->err, EBADMSG, "sign-on audit: record %" PRId64
		    " (seq %" PRId64 "): altered (its hash does not match its fields)",
		    v->n, rec->seq);
	sk_strlcpy(v->expect, rec->hash, sizeof(v->expect));
	return 0;
}

int
reg_signon_verify(struct reg *r, int64_t *n, struct sk_error *err)
{
	struct verify_ctx v = { 0, ZERO_HASH, err };
	char head[REG_HASH_HEX];
	int64_t count;
	int rc;

	*n = 0;
	if ((rc = reg_signon_head(r, &count, head, err)) < 0)
		return rc;
	if ((rc = reg_signon_list(r, 0, 0, verify_one, &v, err)) != 0)
		return rc < 0 ? rc : -EBADMSG;
	if (v.n < count)
		return sk_errorf(err, EBADMSG, "sign-on audit: %" PRId64 " records, the"
		    " head says %" PRId64 ": the last %" PRId64 " removed", v.n, count,
		    count - v.n);
	if (v.n != count || strcmp(v.expect, head) != 0)
		return sk_errorf(err, EBADMSG, "sign-on audit: the last record is not"
		    " the head's (%" PRId64 " records, head %" PRId64 "): records"
		    " replaced", v.n, count);
	*n = v.n;
	return 0;
}
