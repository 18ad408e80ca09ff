/* Unit tests of lib/: encodings (against known vectors and round trips),
 * key files (permission refusal), numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/ifname.h"
#include "lib/notify.h"
#include "lib/secfile.h"
#include "lib/util.h"
#include "lib/proto/control_wire.h"

static void
test_b64_vectors(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff\xfe", "+//+" },
	};
	char buf[64];
	uint8_t dec[64];

	(void)state;
	for (size_t i = 0; i < nitems(v); i++) {
		size_t n = strlen(v[i].in);
		assert_int_equal(b64_encode(buf, sizeof(buf), (const uint8_t *)v[i].in, n), 0);
		assert_string_equal(buf, v[i].out);
		assert_int_equal(b64_decode(dec, sizeof(dec), v[i].out, strlen(v[i].out)), (int)n);
		assert_memory_equal(dec, v[i].in, n);
	}
}

static void
test_b64_rejects(void **state)
{
	uint8_t dec[64];
	static const char *bad[] = { "Zg=", "Zg=a", "Z===", "Zh==", "Zm9=", "Zm 9v",
	    "Zm9v\n", "=Zm9", "Zm9!" };

	(void)state;
	for (size_t i = 0; i < nitems(bad); i++)
		assert_int_equal(b64_decode(dec, sizeof(dec), bad[i], strlen(bad[i])), -EINVAL);
	assert_int_equal(b64_decode(dec, 2, "Zm9v", 4), -ENOSPC);
}

static void
test_key_roundtrip(void **state)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char b64[KEY_B64_LEN], hex[KEY_HEX_LEN];

	(void)state;
	for (int round = 0; round < 256; round++) {
		for (int i = 0; i < KEY_LEN; i++)
			key[i] = (uint8_t)(rand() & 0xff);
		key_to_b64(b64, key);
		assert_int_equal(strlen(b64), 44);
		assert_int_equal(key_from_b64(back, b64), 0);
		assert_memory_equal(key, back, KEY_LEN);
		key_to_hex(hex, key);
		assert_int_equal(key_from_hex(back, hex), 0);
		assert_memory_equal(key, back, KEY_LEN);
	}
	assert_int_equal(key_from_b64(back, "short"), -EINVAL);
	assert_int_equal(key_from_hex(back, "zz"), -EINVAL);
}

static void
test_hex_vectors(void **state)
{
	char buf[16];
	uint8_t out[3];

	(void)state;
	assert_int_equal(hex_encode(buf, sizeof(buf), (const uint8_t *)"\x00\x9f\xa0", 3), 0);
	assert_string_equal(buf, "009fa0");
	assert_int_equal(hex_decode(out, 3, "009FA0", 6), 0);
	assert_memory_equal(out, "\x00\x9f\xa0", 3);
	assert_int_equal(hex_decode(out, 3, "009fag", 6), -EINVAL);
	assert_int_equal(hex_decode(out, 3, "009fa", 5), -EINVAL);
}

static void
test_key_file_perms(void **state)
{
	char dir[] = "/tmp/sk-test-XXXXXX", path[128];
	uint8_t key[KEY_LEN], back[KEY_LEN];
	struct sk_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	memset(key, 0x42, sizeof(key));
	assert_int_equal(key_file_write(path, key, &err), 0);
	assert_int_equal(key_file_read(path, back, -1, &err), 0);
	assert_memory_equal(key, back, KEY_LEN);
	chmod(path, 0640);
	assert_int_equal(key_file_read(path, back, -1, &err), -EPERM);
	char want[256];
	snprintf(want, sizeof(want),
	    "key file %s: accessible by group or others (mode 0640), must be 0600", path);
	assert_string_equal(err.msg, want);
	chmod(path, 0600);
	assert_int_equal(key_file_read(path, back, (int)getuid() + 1, &err), -EPERM);
	unlink(path);
	assert_int_equal(key_file_read(path, back, -1, &err), -ENOENT);
	rmdir(dir);
}

static void
test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_u64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("101", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("4x", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_u64("", 0, 100, &v), -EINVAL);
}

/* The one interface-name check: what the kernel accepts and nft text
 * could not misread, nothing else. */
static void
test_ifname(void **state)
{
	(void)state;
	assert_true(ifname_valid("wg0"));
	assert_true(ifname_valid("skv12345a-b_c.d"));
	assert_true(ifname_valid("123456789012345"));
	assert_false(ifname_valid("1234567890123456"));
	assert_false(ifname_valid(""));
	assert_false(ifname_valid("."));
	assert_false(ifname_valid(".."));
	assert_false(ifname_valid("a b"));
	assert_false(ifname_valid("a/b"));
	assert_false(ifname_valid("a:b"));
	assert_false(ifname_valid("a\tb"));
	assert_false(ifname_valid("u\";accept;#"));
	assert_false(ifname_valid("a\x7f"));
	assert_false(ifname_valid("\xc3\xa9"));
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Secrets and trust anchors: checked on the descriptor read, symlinks
 * refused, owner and mode enforced, a size bound; one line each. */
static void
test_secfile(void **state)
{
	char dir[] = "/tmp/sk-secfile-XXXXXX", path[64], link[64], want[256];
	struct secfile_rule anchor = { NULL, 0, (int)geteuid(), NULL };
	struct secfile_rule secret = { "key file", 1, (int)geteuid(), ", must be 0600" };
	struct secfile_rule other = { NULL, 0, (int)geteuid() + 1, NULL };
	struct sk_error err;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	write_file(path, "hello\n", 0644);
	assert_int_equal(secfile_read(path, &anchor, 64, &buf, &len, &err), 0);
	assert_int_equal(len, 6);
	assert_string_equal((char *)buf, "hello\n");
	free(buf);
	/* a secret may not be readable by others */
	assert_int_equal(secfile_read(path, &secret, 64, &buf, &len, &err), -EPERM);
	snprintf(want, sizeof(want), "key file %s: accessible by group or others (mode 0644), must be 0600", path);
	assert_string_equal(err.msg, want);
	/* an anchor may not be writable by others */
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(secfile_read(path, &anchor, 64, &buf, &len, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: writable by group or others (mode 0664)", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(chmod(path, 0644), 0);
	/* nor owned by anyone else */
	assert_int_equal(secfile_read(path, &other, 64, &buf, &len, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: owned by uid %u, must be %d", path,
	    (unsigned)geteuid(), (int)geteuid() + 1);
	assert_string_equal(err.msg, want);
	/* a symbolic link is never followed */
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(secfile_read(link, &anchor, 64, &buf, &len, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: a symbolic link, must be a regular file", link);
	assert_string_equal(err.msg, want);
	/* a directory is not a file */
	assert_int_equal(secfile_read(dir, &anchor, 64, &buf, &len, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	assert_string_equal(err.msg, want);
	/* the bound */
	assert_int_equal(secfile_read(path, &anchor, 5, &buf, &len, &err), -EFBIG);
	snprintf(want, sizeof(want), "%s: longer than 5 bytes", path);
	assert_string_equal(err.msg, want);
	assert_null(buf);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static int cli_ran;
static int
cli_sub(void *ctx, int argc, char *argv[])
{
	(void)ctx;
	cli_ran = argc;
	return strcmp(argv[0], "one") == 0 ? EXIT_OK : EXIT_FAIL;
}

/* The subcommand table: the named one runs with its own argv, an unknown
 * or missing one is a usage error. */
static void
test_cli(void **state)
{
	static const struct cli_cmd cmds[] = {
		{ "one", cli_sub, "", "the first" },
		{ "two", cli_sub, "FILE", "the second" },
	};
	const struct cli c = { "prog", "<cmd>", cmds, 2, NULL };
	char *one[] = { (char *)"one", NULL };
	char *two[] = { (char *)"two", (char *)"x", NULL };
	char *bad[] = { (char *)"three", NULL };
	char *help[] = { (char *)"prog", (char *)"--help", NULL };

	(void)state;
	assert_int_equal(cli_dispatch(&c, NULL, 1, one), EXIT_OK);
	assert_int_equal(cli_ran, 1);
	assert_int_equal(cli_dispatch(&c, NULL, 2, two), EXIT_FAIL);
	assert_int_equal(cli_ran, 2);
	assert_int_equal(cli_dispatch(&c, NULL, 1, bad), EXIT_USAGE);
	assert_int_equal(cli_dispatch(&c, NULL, 0, bad), EXIT_USAGE);
	assert_true(cli_wants_help(2, help));
	assert_false(cli_wants_help(1, help));
}

/* The control protocol (lib/proto/control_wire.h): a status round-trips,
 * and every byte short, every byte after, an unknown flag or an out-of-range
 * field is refused with one line. */
static void
test_control_wire(void **state)
{
	static struct ctl_status s, d;
	static uint8_t p[CTL_PAYLOAD_MAX];
	uint8_t hdr[CTL_RESP_HDR_LEN], type;
	struct sk_error err;
	uint32_t len;
	long n;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.mode = CTL_MODE_REMOTE;
	s.flags = CTL_S_TUNNEL;
	s.n_uplinks = 1;
	s.active = 1;
	strcpy(s.reason, "tunnel over up0");
	strcpy(s.uplinks[0].name, "up0");
	s.tunnel.handshake_age_s = -1;
	/* The bundle's age round-trips; an expired one with time left, or a
	 * format 1 bundle that expires, is refused. */
	s.flags |= CTL_S_BUNDLE;
	s.bundle.signed_at = 1767225600;
	s.bundle.max_age_s = 3600;
	s.bundle.age_s = 7200;
	s.bundle.expired = 1;
	n = ctl_status_encode(p, sizeof(p), &s);
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), 0);
	assert_int_equal(memcmp(&s, &d, sizeof(s)), 0);
	s.bundle.left_s = 5;
	n = ctl_status_encode(p, sizeof(p), &s);
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "an expired bundle with time left");
	s.bundle.expired = 0;
	s.bundle.max_age_s = 0;
	n = ctl_status_encode(p, sizeof(p), &s);
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "a bundle without a max age that expires");
	memset(&s.bundle, 0, sizeof(s.bundle));
	s.flags &= (uint8_t)~CTL_S_BUNDLE;
	n = ctl_status_encode(p, sizeof(p), &s);
	assert_true(n > 0);
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), 0);
	assert_int_equal(memcmp(&s, &d, sizeof(s)), 0);
	for (long i = 0; i < n; i++)
		assert_int_equal(ctl_status_decode(p, (size_t)i, &d, &err), -EINVAL);
	p[n] = 0;
	assert_int_equal(ctl_status_decode(p, (size_t)n + 1, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "1 bytes after the status");
	/* All eight flag bits are assigned: 0x40 marks work's narrowed status,
	 * which may not carry what this one does. */
	p[1] = 0x40;
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "the work partition's status carries what it may not see");
	/* the flag without the name that must follow it */
	p[1] = (uint8_t)(s.flags | CTL_S_PREFER);
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), -EINVAL);
	p[1] = CTL_S_TUNNEL;
	p[0] = 3;
	assert_int_equal(ctl_status_decode(p, (size_t)n, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown mode");
	/* The header: version and type checked, a line's length bounded. */
	ctl_header_encode(hdr, CTL_T_REFUSED, 10);
	assert_int_equal(ctl_header_decode(hdr, &type, &len, &err), 0);
	assert_int_equal(type, CTL_T_REFUSED);
	assert_int_equal(len, 10);
	ctl_header_encode(hdr, CTL_T_REFUSED, 0);
	assert_int_equal(ctl_header_decode(hdr, &type, &len, &err), -EINVAL);
	ctl_header_encode(hdr, 6, 1);
	assert_int_equal(ctl_header_decode(hdr, &type, &len, &err), -EINVAL);
	ctl_header_encode(hdr, CTL_T_STATUS, 1);
	hdr[4] = 2;
	assert_int_equal(ctl_header_decode(hdr, &type, &len, &err), -EINVAL);
	assert_int_equal(ctl_line_check((const uint8_t *)"ok\n", 3, &err), 0);
	assert_int_equal(ctl_line_check((const uint8_t *)"a\nb\n", 4, &err), -EINVAL);
	assert_int_equal(ctl_line_check((const uint8_t *)"ok", 2, &err), -EINVAL);
}

/* sd_notify's protocol: one datagram to $NOTIFY_SOCKET (a path, or '@'
 * for the abstract namespace); nothing without it; WATCHDOG_USEC only for
 * the process WATCHDOG_PID names. */
static void
test_notify(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[64], abs[64], got[64];
	int fd;
	ssize_t n;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_send("READY=1"), 0);
	snprintf(path, sizeof(path), "/tmp/sk-notify-%d", (int)getpid());
	unlink(path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_send("WATCHDOG=1"), 1);
	n = recv(fd, got, sizeof(got) - 1, 0);
	assert_int_equal(n, 10);
	got[n] = '\0';
	assert_string_equal(got, "WATCHDOG=1");
	close(fd);
	unlink(path);
	/* The abstract namespace. */
	snprintf(abs, sizeof(abs), "@sk-notify-%d", (int)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, abs + 1, strlen(abs) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(abs))), 0);
	setenv("NOTIFY_SOCKET", abs, 1);
	assert_int_equal(notify_send("STOPPING=1"), 1);
	n = recv(fd, got, sizeof(got) - 1, 0);
	assert_int_equal(n, 10);
	close(fd);
	setenv("NOTIFY_SOCKET", "relative", 1);
	assert_int_equal(notify_send("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_true(notify_watchdog_usec() == 0);
	setenv("WATCHDOG_USEC", "10000000", 1);
	assert_true(notify_watchdog_usec() == 10000000);
	setenv("WATCHDOG_PID", "1", 1);
	assert_true(getpid() == 1 || notify_watchdog_usec() == 0);
	snprintf(got, sizeof(got), "%d", (int)getpid());
	setenv("WATCHDOG_PID", got, 1);
	assert_true(notify_watchdog_usec() == 10000000);
	setenv("WATCHDOG_USEC", "10s", 1);
	assert_true(notify_watchdog_usec() == 0);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_rejects),
		cmocka_unit_test(test_key_roundtrip),
		cmocka_unit_test(test_hex_vectors),
		cmocka_unit_test(test_key_file_perms),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_secfile),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_control_wire),
		cmocka_unit_test(test_notify),
	};
	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
