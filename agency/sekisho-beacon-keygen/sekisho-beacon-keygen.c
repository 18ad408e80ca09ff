/*
 * sekisho-beacon-keygen: a beacon's Ed25519 key pair. The private key goes
 * to a new file (never over an existing one), mode 0600; the public key, to
 * pin in the device policy, is printed in base64.
 *
 *	sekisho-beacon-keygen keyfile		new key pair
 *	sekisho-beacon-keygen -p keyfile	public key of an existing key
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/proto/beacon_sign.h"
#include "lib/encode.h"
#include "lib/util.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sekisho-beacon-keygen [-p] keyfile\n");
	exit(1);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* O_EXCL: an existing key (perhaps the one in service) is never replaced. */
static int
seed_write(const char *path, const uint8_t seed[BEACON_SEED_LEN],
    struct sk_error *err)
{
	char b64[KEY_B64_LEN];
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return sk_errorf(err, errno, "key file %s: %s", path, strerror(errno));
	key_to_b64(b64, seed);
	if (fchmod(fd, 0600) == -1 || write_all(fd, b64, KEY_B64_LEN - 1) == -1 ||
	    write_all(fd, "\n", 1) == -1 || fsync(fd) == -1)
		rc = sk_errorf(err, errno, "key file %s: %s", path, strerror(errno));
	wipe(b64, sizeof(b64));
	if (close(fd) == -1 && rc == 0)
		rc = sk_errorf(err, errno, "key file %s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	return rc;
}

static int
print_public(const uint8_t pub[BEACON_PUB_LEN])
{
	char b64[KEY_B64_LEN];

	key_to_b64(b64, pub);
	return printf("%s\n", b64) < 0 || fflush(stdout) != 0 ? 1 : 0;
}

static int
keygen(const char *path)
{
	uint8_t seed[BEACON_SEED_LEN], pub[BEACON_PUB_LEN];
	struct sk_error err;
	int rc;

	if (beacon_keygen(seed, pub) < 0) {
		wipe(seed, sizeof(seed));
		fprintf(stderr, "sekisho-beacon-keygen: no random key from OpenSSL\n");
		return 1;
	}
	rc = seed_write(path, seed, &err);
	wipe(seed, sizeof(seed));
	if (rc < 0) {
		fprintf(stderr, "sekisho-beacon-keygen: %s\n", err.msg);
		return 1;
	}
	return print_public(pub);
}

static int
show_public(const char *path)
{
	struct beacon_signer s;
	struct sk_error err;
	int rc;

	if (beacon_signer_load(&s, path, -1, &err) < 0) {
		fprintf(stderr, "sekisho-beacon-keygen: %s\n", err.msg);
		return 1;
	}
	rc = print_public(s.pub);
	beacon_signer_free(&s);
	return rc;
}

int
main(int argc, char **argv)
{
	int ch, pflag = 0;

	while ((ch = getopt(argc, argv, "p")) != -1) {
		if (ch != 'p')
			usage();
		pflag = 1;
	}
	if (argc - optind != 1)
		usage();
	return pflag ? show_public(argv[optind]) : keygen(argv[optind]);
}
