#include "netvm/sekishod/accept.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "netvm/sekishod/bundle_verify.h"
#include "policy/bundle.h"
#include "policy/fileio.h"
#include "policy/serial.h"

int
accept_init(struct accept *a, const char *keys_path, const char *device_path,
    struct sk_error *err)
{
	int rc;

	if ((rc = trust_load(&a->trust, keys_path, device_path, err)) < 0)
		return rc;
	rc = serial_store_load(a->store, (int)geteuid(), &a->accepted, err);
	if (rc == -ENOENT) {
		a->accepted = 0;
		return 0;
	}
	return rc;
}

static int
refused(int rc)
{
	return rc == BUNDLE_E_SAME ? ACCEPT_SAME : ACCEPT_REFUSED;
}

/* The decisions on the bytes: decode, the helper's signature check, then
 * device, serial and policy again here, on what the helper checked. */
static int
decide(const struct accept *a, const char *path, int same_ok, struct candidate *c,
    struct sk_error *err)
{
	struct bundle_trust t = {
		.keys = (const uint8_t (*)[BUNDLE_KEY_LEN])a->trust.keys,
		.n_keys = a->trust.n_keys, .device = a->trust.device,
		.accepted = a->accepted, .same_ok = same_ok,
	};
	struct bundle b;
	uint64_t serial, t0 = mono_us();
	int rc;

	if ((rc = bundle_decode(c->buf, c->len, path, &b, err)) != BUNDLE_OK)
		return ACCEPT_REFUSED;
	rc = verifier_ask(a->helper, path, &t, c->buf, c->len, &serial, err);
	c->helper_us = mono_us() - t0;
	if (rc < 0)
		return ACCEPT_REFUSED;
	if (serial != b.serial) {
		sk_errorf(err, EINVAL, "%s: the verifying helper read serial %llu, "
		    "sekishod %llu", path, (unsigned long long)serial,
		    (unsigned long long)b.serial);
		return ACCEPT_REFUSED;
	}
	t0 = mono_us();
	rc = bundle_check(&b, path, &t, &c->pol, err);
	c->parse_us = mono_us() - t0;
	if (rc != BUNDLE_OK)
		return refused(rc);
	c->serial = b.serial;
	c->version = b.version;
	c->signed_at = b.issued;
	c->max_age = b.max_age;
	return ACCEPT_OK;
}

/* The whole file, from a regular file only: a FIFO or a device at the
 * incoming path must not hold the daemon. Sized by fstat, at most one byte
 * over the limit (so that decoding can say "too large"). */
static int
read_bundle(const char *path, struct candidate *c, struct sk_error *err)
{
	struct stat st;
	size_t cap;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) == -1)
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = sk_errorf(err, EINVAL, "%s: not a regular file", path);
		close(fd);
		return rc;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->ctime = st.st_ctim;
	cap = (uint64_t)st.st_size > BUNDLE_MAX_SIZE ? BUNDLE_MAX_SIZE + 1 : (size_t)st.st_size;
	if ((c->buf = malloc(cap + 1)) == NULL)
		rc = sk_errorf(err, ENOMEM, "%s: out of memory", path);
	else if ((rc = read_full(fd, c->buf, cap, &c->len)) < 0)
		sk_errorf(err, -rc, "%s: %s", path, strerror(-rc));
	close(fd);
	return rc;
}

int
accept_open(const struct accept *a, const char *path, int same_ok,
    struct candidate *c, struct sk_error *err)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = read_bundle(path, c, err)) < 0) {
		candidate_free(c);
		return rc == -ENOENT ? ACCEPT_ABSENT : ACCEPT_REFUSED;
	}
	if ((rc = decide(a, path, same_ok, c, err)) != ACCEPT_OK)
		candidate_free(c);
	return rc;
}

__attribute__((weak)) int
accept_cut(enum accept_step step)
{
	(void)step;
	return 0;
}

/* BUNDLE.staged, where a bundle waits for its commit point. */
static int
staged_path(const struct accept *a, char *path, size_t size, struct sk_error *err)
{
	if ((size_t)snprintf(path, size, "%s.staged", a->bundle) >= size)
		return sk_errorf(err, ENAMETOOLONG, "%s: path too long", a->bundle);
	return 0;
}

/* The fault hook before step s (accept.h), its error into err. */
static int
cut(enum accept_step s, struct sk_error *err)
{
	int rc = accept_cut(s);

	return rc < 0 ? sk_errorf(err, -rc, "commit step %d: %s", (int)s, strerror(-rc)) : 0;
}

/* BUNDLE.staged and STORE.next gone: nothing was committed. */
void
accept_abort(struct accept *a)
{
	char staged[PATH_MAX];

	if (staged_path(a, staged, sizeof(staged), NULL) == 0 && unlink(staged) == -1 &&
	    errno != ENOENT)
		log_warn("%s", staged);	/* accept_recover removes it */
	serial_store_abort(a->store);
}

int
accept_stage(struct accept *a, const struct candidate *c, struct sk_error *err)
{
	char staged[PATH_MAX];
	int rc;

	accept_finish(a);
	if ((rc = staged_path(a, staged, sizeof(staged), err)) < 0)
		return rc;
	if ((rc = cut(ACCEPT_STEP_STAGE, err)) < 0 ||
	    (rc = durable_write(staged, c->buf, c->len, 0600, err)) < 0 ||
	    (rc = cut(ACCEPT_STEP_PREPARE, err)) < 0 ||
	    (rc = serial_store_prepare(a->store, c->serial, err)) < 0)
		accept_abort(a);
	return rc;
}

/* Whether the incoming file is still the one accept_open read: one
 * written or renamed there since (by hand, or a fetch) stays. */
static int
incoming_is_read(const struct accept *a)
{
	struct stat st;

	return a->in_ino != 0 && lstat(a->incoming, &st) == 0 && st.st_dev == a->in_dev &&
	    st.st_ino == a->in_ino && st.st_ctim.tv_sec == a->in_ctime.tv_sec &&
	    st.st_ctim.tv_nsec == a->in_ctime.tv_nsec;
}

int
accept_store(struct accept *a, const struct candidate *c, struct sk_error *err)
{
	struct sk_error e2;
	int rc;

	if ((rc = cut(ACCEPT_STEP_STORE, err)) < 0 ||
	    (rc = serial_store_commit(a->store, err)) < 0) {
		accept_abort(a);
		return rc;
	}
	/* Committed: c is in force whatever follows. */
	a->accepted = c->serial;
	a->finish_due = 1;
	a->in_dev = c->dev;
	a->in_ino = c->ino;
	a->in_ctime = c->ctime;
	/* The incoming file goes now, before the answer (after it, whoever
	 * reloads may already be writing the next one there); no fsync: if
	 * a crash brings it back, a reload finds the serial in force. */
	if ((rc = cut(ACCEPT_STEP_INCOMING, &e2)) == 0 && incoming_is_read(a) &&
	    unlink(a->incoming) == -1 && errno != ENOENT)
		rc = sk_errorf(&e2, errno, "%s: %s", a->incoming, strerror(errno));
	if (rc < 0)
		log_warnx("%s; a reload finds serial %llu there again and leaves it",
		    e2.msg, (unsigned long long)a->accepted);
	return 0;
}

void
accept_finish(struct accept *a)
{
	char staged[PATH_MAX];
	struct sk_error e2;
	int rc;

	if (!a->finish_due)
		return;
	a->finish_due = 0;
	if ((rc = staged_path(a, staged, sizeof(staged), &e2)) == 0 &&
	    (rc = cut(ACCEPT_STEP_RENAME, &e2)) == 0 && rename(staged, a->bundle) == -1)
		rc = sk_errorf(&e2, errno, "%s: cannot replace %s: %s", staged, a->bundle,
		    strerror(errno));
	if (rc == 0 && (rc = cut(ACCEPT_STEP_SYNC, &e2)) == 0)
		rc = fsync_parent(a->bundle, &e2);
	if (rc < 0)
		log_warnx("serial %llu is stored, but %s; the next start finishes it",
		    (unsigned long long)a->accepted, e2.msg);
	(void)accept_cut(ACCEPT_STEP_DONE);
}

int
accept_commit(struct accept *a, const struct candidate *c, int from_bundle,
    struct sk_error *err)
{
	int rc;

	if (from_bundle) {
		if (c->serial > a->accepted) {
			if ((rc = cut(ACCEPT_STEP_STORE, err)) < 0 ||
			    (rc = serial_store_save(a->store, c->serial, err)) < 0)
				return rc;
			a->accepted = c->serial;
		}
		return 0;
	}
	if ((rc = accept_stage(a, c, err)) < 0 || (rc = accept_store(a, c, err)) < 0)
		return rc;
	accept_finish(a);
	return 0;
}

/* NAME is TARGET's temporary file from durable_write: "BASE.tmp" and the
 * six letters or digits mkostemp put in. */
static int
is_tmp_of(const char *name, const char *base)
{
	size_t n = strlen(base);

	if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp", 4) != 0 ||
	    strlen(name + n + 4) != 6)
		return 0;
	for (const char *p = name + n + 4; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * A cut inside durable_write (the staging file's or the store's: after
 * mkostemp, before its rename) leaves TARGET.tmpXXXXXX beside TARGET:
 * never read by anyone, never the bundle or serial in force, so removing
 * it decides nothing; one line for each. A leftover that cannot be
 * removed costs a warning, not the start.
 */
static void
remove_tmp_leftovers(const char *target)
{
	char dir[PATH_MAX];
	const char *slash, *base;
	struct dirent *de;
	DIR *d;

	if (target == NULL)
		return;
	if ((slash = strrchr(target, '/')) == NULL) {
		sk_strlcpy(dir, ".", sizeof(dir));
		base = target;
	} else if (slash == target) {
		sk_strlcpy(dir, "/", sizeof(dir));
		base = slash + 1;
	} else if ((size_t)(slash - target) < sizeof(dir)) {
		memcpy(dir, target, (size_t)(slash - target));
		dir[slash - target] = '\0';
		base = slash + 1;
	} else
		return;
	if ((d = opendir(dir)) == NULL) {
		log_warn("%s: cannot look for temporary files of a cut write", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_tmp_of(de->d_name, base))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1)
			log_warn("%s/%s: the temporary file of a cut write, not removed",
			    dir, de->d_name);
		else
			log_info("%s/%s: the temporary file of a write to %s that was cut,"
			    " removed (it was never in force)", dir, de->d_name, target);
	}
	closedir(d);
}

/* The one stage under way on its thread (accept_stage_start). */
static struct {
	pthread_t		 tid;
	int			 running, rc;
	struct accept		*a;
	const struct candidate	*c;
	struct sk_error		 err;
} st;

static void *
stage_thread(void *arg)
{
	(void)arg;
	st.rc = accept_stage(st.a, st.c, &st.err);
	return NULL;
}

void
accept_stage_start(struct accept *a, const struct candidate *c)
{
	sigset_t all, old;
	int rc;

	accept_finish(a);	/* here, not on the thread: it logs */
	st.a = a;
	st.c = c;
	st.rc = 0;
	/* no signal for the thread: sekishod's are read from a signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st.tid, NULL, stage_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		st.running = 1;
		return;
	}
	st.rc = accept_stage(a, c, &st.err);
}

int
accept_stage_wait(struct accept *a, struct sk_error *err)
{
	(void)a;
	if (st.running) {
		pthread_join(st.tid, NULL);
		st.running = 0;
	}
	if (st.rc < 0 && err != NULL)
		*err = st.err;
	return st.rc;
}

int
accept_recover(struct accept *a, int dry, char *path, size_t size,
    struct sk_error *err)
{
	char staged[PATH_MAX];
	struct bundle b;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc, committed;

	if ((size_t)snprintf(path, size, "%s", a->bundle) >= size ||
	    (rc = staged_path(a, staged, sizeof(staged), err)) < 0)
		return sk_errorf(err, ENAMETOOLONG, "%s: path too long", a->bundle);
	if (!dry) {
		remove_tmp_leftovers(staged);
		remove_tmp_leftovers(a->store);
		serial_store_abort(a->store);	/* never committed: the commit is its rename */
	}
	rc = file_read_max(staged, BUNDLE_MAX_SIZE + 1, &buf, &len, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;	/* unknown: neither finished nor undone */
	committed = bundle_decode(buf, len, staged, &b, NULL) == BUNDLE_OK &&
	    a->accepted != 0 && b.serial == a->accepted;
	free(buf);
	if (dry) {
		if (committed)
			snprintf(path, size, "%s", staged);
		return 0;
	}
	if (committed) {
		if (rename(staged, a->bundle) == -1)
			return sk_errorf(err, errno, "%s: cannot finish the commit of "
			    "serial %llu over %s: %s", staged, (unsigned long long)a->accepted,
			    a->bundle, strerror(errno));
		if ((rc = fsync_parent(a->bundle, err)) < 0)
			return rc;
		log_info("%s: serial %llu was committed (the serial store has it) but "
		    "not in place: now %s", staged, (unsigned long long)a->accepted, a->bundle);
		return 0;
	}
	if (unlink(staged) == -1)
		return sk_errorf(err, errno, "%s: %s", staged, strerror(errno));
	log_info("%s: a commit that never reached the serial store, removed; "
	    "serial %llu stays in force", staged, (unsigned long long)a->accepted);
	return 0;
}

void
candidate_free(struct candidate *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}
