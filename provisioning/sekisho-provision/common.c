#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "lib/encode.h"
#include "policy/fileio.h"

int
prov_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROV_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

int
prov_usage(const char *usage)
{
	fprintf(stderr, "Usage: %s %s\n", PROV_NAME, usage);
	return EXIT_USAGE;
}

int
prov_common_opt(struct prov *p, int argc, char *argv[], int *i)
{
	const char *a = argv[*i];

	if (strcmp(a, "--reason") && strcmp(a, "--by"))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", PROV_NAME, a);
		return -1;
	}
	if (!strcmp(a, "--reason"))
		p->actor.reason = argv[++*i];
	else
		p->actor.who = argv[++*i];
	return 1;
}

/* "device" while a group's subcommand runs: "sekisho-provision device add". */
static char cur[80] = PROV_NAME;

int
prov_args(struct prov *p, int argc, char *argv[], const struct prov_opt *opts,
    const char **pos, int minpos, int maxpos, const char *usage, const char *help)
{
	const struct prov_opt *o;
	int i, n = 0, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("Usage: %s %s %s\n\n%s", cur, argv[0], usage, help);
			printf("  --reason TEXT  why, recorded in the audit\n"
			    "  --by LOGIN     who, recorded in the audit (default: your login)\n");
			return PROV_HELP;
		}
		if ((rc = prov_common_opt(p, argc, argv, &i)) < 0)
			goto usage;
		if (rc == 1)
			continue;
		if (a[0] == '-' && a[1] == '-') {
			for (o = opts; o != NULL && o->name != NULL; o++)
				if (!strcmp(a + 2, o->name))
					break;
			if (o == NULL || o->name == NULL) {
				fprintf(stderr, "%s %s: unknown option %s\n", cur, argv[0], a);
				goto usage;
			}
			if (o->flag != NULL)
				*o->flag = 1;
			else if (i + 1 < argc)
				*o->val = argv[++i];
			else {
				fprintf(stderr, "%s %s: %s needs a value\n", cur, argv[0], a);
				goto usage;
			}
			continue;
		}
		if (n == maxpos) {
			fprintf(stderr, "%s %s: unexpected argument '%s'\n", cur, argv[0], a);
			goto usage;
		}
		pos[n++] = a;
	}
	if (n >= minpos)
		return n;
	fprintf(stderr, "%s %s: missing argument\n", cur, argv[0]);
usage:
	fprintf(stderr, "Usage: %s %s %s\n", cur, argv[0], usage);
	return -1;
}

int
prov_open(struct prov *p)
{
	struct sk_error err;

	if (p->r != NULL)
		return 0;
	if (reg_open(p->url, &p->r, &err) < 0)
		return prov_fail("%s", err.msg);
	return 0;
}

int
prov_begin(struct prov *p)
{
	struct sk_error err;

	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if (reg_begin(p->r, &err) < 0)
		return prov_fail("%s", err.msg);
	return 0;
}

int
prov_commit(struct prov *p)
{
	struct sk_error err;

	if (reg_commit(p->r, &err) < 0)
		return prov_fail("%s", err.msg);
	return 0;
}

int
prov_abort(struct prov *p, const struct sk_error *err)
{
	if (p->r != NULL)
		reg_rollback(p->r);
	if (err != NULL)
		return prov_fail("%s", err->msg);
	return EXIT_FAIL;
}

int
prov_abortf(struct prov *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (p->r != NULL)
		reg_rollback(p->r);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return prov_fail("%s", msg);
}

int
prov_audit(struct prov *p, const char *action, const char *object,
    const char *fmt, ...)
{
	char detail[1024];
	struct sk_error err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (reg_audit(p->r, &p->actor, action, object, detail, &err) < 0)
		return prov_abort(p, &err);
	return 0;
}

int
prov_keypath(const struct prov *p, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", p->keydir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
excl_write(const char *path, const char *text, size_t len, mode_t mode,
    int sync, struct sk_error *err)
{
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		return sk_errorf(err, errno, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? ": refusing to overwrite it" : "");
	if (fchmod(fd, mode) == -1 || write_all(fd, text, len) == -1 ||
	    (sync && fsync(fd) == -1))
		rc = sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if (close(fd) == -1 && rc == 0)
		rc = sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	else if (sync)
		rc = fsync_parent(path, err);
	return rc;
}

int
prov_file_write(const char *path, const void *data, size_t len, mode_t mode,
    struct sk_error *err)
{
	char tmp[REG_PATH_MAX + 128];
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return sk_errorf(err, ENAMETOOLONG, "%s: name too long", path);
	unlink(tmp);
	if ((rc = excl_write(tmp, data, len, mode, 0, err)) < 0)
		return rc;
	if (rename(tmp, path) == -1) {
		rc = sk_errorf(err, errno, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

int
prov_secret_write(const char *path, const uint8_t key[KEY_LEN], int sync,
    struct sk_error *err)
{
	char b64[KEY_B64_LEN + 1];
	int rc;

	key_to_b64(b64, key);
	b64[KEY_B64_LEN - 1] = '\n';
	rc = excl_write(path, b64, KEY_B64_LEN, 0600, sync, err);
	wipe(b64, sizeof(b64));
	return rc;
}

int
prov_public_write(const char *path, const char *text, struct sk_error *err)
{
	return excl_write(path, text, strlen(text), 0644, 1, err);
}

int
prov_wg_pubkey(const uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, KEY_LEN);
	size_t len = KEY_LEN;
	int rc;

	if (k == NULL)
		return -EINVAL;
	rc = EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == KEY_LEN ? 0 : -EIO;
	EVP_PKEY_free(k);
	return rc;
}

int
prov_wg_keygen(uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *k = NULL;
	size_t len = KEY_LEN;
	int rc = -EIO;

	if (c != NULL && EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k) == 1 &&
	    EVP_PKEY_get_raw_private_key(k, priv, &len) == 1 && len == KEY_LEN &&
	    prov_wg_pubkey(priv, pub) == 0)
		rc = 0;
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(c);
	if (rc != 0)
		wipe(priv, KEY_LEN);
	return rc;
}

/* One line from fd into buf, without its newline: length or -1. */
static int
read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= size)
			return -2;
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (int)n;
}

static int
tty_ask(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios old, noecho;
	int n;

	if (write_all(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) == -1)
		return -1;
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &noecho) == -1)
		return -1;
	n = read_line(fd, buf, size);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)write_all(fd, "\n", 1);
	return n;
}

int
prov_read_pin(int fd, char *buf, size_t size)
{
	char again[REG_PIN_MAX + 2];
	int n, m, tty;

	if (fd >= 0) {
		n = read_line(fd, buf, size);
		if (n == -2)
			return prov_fail("PIN from descriptor %d: longer than %d characters",
			    fd, REG_PIN_MAX), -1;
		if (n <= 0)
			return prov_fail("PIN from descriptor %d: no PIN on its first line", fd), -1;
		return n;
	}
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return prov_fail("no terminal to ask for the PIN: give --pin-fd N"), -1;
	n = tty_ask(tty, "New PIN: ", buf, size);
	m = n > 0 ? tty_ask(tty, "Again: ", again, sizeof(again)) : -1;
	close(tty);
	if (n <= 0 || m != n || memcmp(buf, again, (size_t)n) != 0) {
		wipe(again, sizeof(again));
		wipe(buf, size);
		return prov_fail(n <= 0 ? "no PIN given" : "the two PINs differ"), -1;
	}
	wipe(again, sizeof(again));
	return n;
}

/* ---- progress ---- */

void
progress_start(struct progress *pg, const struct prov *p, const char *label,
    size_t total)
{
	memset(pg, 0, sizeof(*pg));
	pg->label = label;
	pg->total = total;
	pg->last = -1;
	pg->on = !p->quiet && total > 0 && isatty(STDERR_FILENO);
}

void
progress_step(struct progress *pg, size_t n)
{
	int pct, i;
	char bar[41];

	pg->done += n;
	if (!pg->on)
		return;
	pct = (int)(pg->done * 100 / pg->total);
	if (pct == pg->last)
		return;
	pg->last = pct;
	for (i = 0; i < 40; i++)
		bar[i] = i < pct * 40 / 100 ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\r%-16s [%s] %zu/%zu", pg->label, bar, pg->done, pg->total);
}

void
progress_end(struct progress *pg)
{
	if (pg->on)
		fputc('\n', stderr);
}

int
prov_dispatch(const char *group, const struct cli_cmd *cmds, size_t n, void *ctx,
    int argc, char *argv[])
{
	char prog[64];
	struct cli c = { prog, "SUBCOMMAND [ARGS] [--reason TEXT] [--by LOGIN]", cmds, n,
	    "\nEach subcommand takes -h for its own help.\n" };

	snprintf(prog, sizeof(prog), "%s %s", PROV_NAME, group);
	sk_strlcpy(cur, prog, sizeof(cur));
	if (argc < 2 || cli_wants_help(argc, argv)) {
		cli_usage(&c, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	return cli_dispatch(&c, ctx, argc - 1, argv + 1);
}
