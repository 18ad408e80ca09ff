/*
 * vcard: the project's own virtual smart card for the tests. It speaks the
 * vsmartcard vpcd protocol: it connects to the vpcd reader driver loaded by
 * pcscd (TCP, --host/--port), which makes the card "inserted"; closing the
 * connection (exit, SIGTERM, --remove-on) "removes" it.
 *
 * vpcd protocol (both ways): a 2-byte big-endian length, then that many
 * bytes. From vpcd, a length of 1 is a control byte: 0x00 power off, 0x01
 * power on, 0x02 reset, 0x04 "send your ATR" (answered with the ATR);
 * anything longer is a command APDU, answered with the response APDU.
 *
 * Two cards (docs/agent.md, "Cards in the tests"):
 *   identifier-only (no --key): a FeliCa-like card that answers only
 *     GET DATA  FF CA 00 00 Le         -> identifier (--id) 90 00
 *   keyed (--key PEM --pin-file F): a PIV-style applet besides GET DATA:
 *     SELECT    00 A4 04 00 Lc A0 00 00 03 08 [00 00 10 00 01 00] [Le]
 *                                       -> 61 07 4F 05 A0 00 00 03 08, 90 00
 *     VERIFY    00 20 00 80 08 PIN padded with FF to 8 bytes
 *                                       -> 90 00 | 63 Cx (x tries left) | 69 83 (blocked)
 *     VERIFY    00 20 00 80 (no data)   -> 90 00 (verified) | 63 Cx | 69 83
 *     VERIFY    00 20 FF 80             -> 90 00, forgets the verification
 *     GET DATA  00 CB 3F FF 05 5C 03 5F C1 05 Le (--cert DER: the PIV
 *               Authentication certificate)
 *                                       -> 53 L { 70 L <cert> 71 01 00 FE 00 }:
 *                                          its first 256 bytes and 61 xx, the
 *                                          rest with GET RESPONSE 00 C0 00 00 xx
 *     GENERAL AUTHENTICATE 00 87 11 9A Lc 7C L 82 00 81 20 <32-byte digest> [Le]
 *                                       -> 7C L 82 L <DER ECDSA P-256 signature> 90 00
 *                                          69 82 before a good VERIFY
 *   The identifier-only card answers SELECT with 6A 82 (no such applet).
 *   Anything else: 6D 00 (instruction), 6E 00 (class), 67 00 (length),
 *   6A 86 / 6A 88 (P1 P2, key reference), 6A 80 (data).
 *
 * The PIN's tries are kept in --state FILE (created with --tries, default
 * 5) so that they survive removal and re-insertion, as on a real card. A
 * reset or power-off forgets the verification.
 *
 * --remove-on INS: when a command with that instruction byte arrives, the
 * card leaves the reader without answering (a card pulled mid-exchange)
 * and exits 0. --log FILE: one line per command ("INS 20" ...), never data.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#define MAX_APDU 512

static const uint8_t PIV_AID[] = { 0xA0, 0x00, 0x00, 0x03, 0x08 };

struct card {
	uint8_t		id[16];
	size_t		id_len;
	EVP_PKEY	*key;		/* NULL: identifier-only */
	char		pin[9];
	size_t		pin_len;
	int		max_tries;
	int		tries;
	const char	*state;
	int		verified;
	int		remove_on;	/* -1: never */
	FILE		*log;
	uint8_t		obj[2400];	/* the certificate object (--cert) */
	size_t		obj_len;
	size_t		pending_off;	/* what GET RESPONSE returns next */
	size_t		pending_len;
};

static void
die(const char *what)
{
	fprintf(stderr, "vcard: %s\n", what);
	exit(1);
}

static int
hex_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void
state_load(struct card *c)
{
	FILE *f = fopen(c->state, "r");
	int t;

	if (f == NULL) {
		c->tries = c->max_tries;
		return;
	}
	if (fscanf(f, "%d", &t) != 1 || t < 0 || t > 15)
		die("bad state file");
	fclose(f);
	c->tries = t;
}

static void
state_save(struct card *c)
{
	FILE *f;

	if (c->state == NULL)
		return;
	if ((f = fopen(c->state, "w")) == NULL)
		die("cannot write the state file");
	fprintf(f, "%d\n", c->tries);
	if (fclose(f) != 0)
		die("cannot write the state file");
}

static size_t
sw(uint8_t *r, size_t n, uint16_t s)
{
	r[n] = (uint8_t)(s >> 8);
	r[n + 1] = (uint8_t)s;
	return n + 2;
}

/* Lc and data of a short APDU: 0 with data and lc set, -1 on a bad length. */
static int
apdu_body(const uint8_t *a, size_t n, const uint8_t **data, size_t *lc)
{
	*data = NULL;
	*lc = 0;
	if (n == 4 || n == 5)		/* case 1, case 2 */
		return 0;
	if (n < 6 || a[4] == 0 || (size_t)a[4] + 5 > n || (size_t)a[4] + 6 < n)
		return -1;
	*lc = a[4];
	*data = a + 5;
	return 0;
}

static size_t
do_verify(struct card *c, const uint8_t *a, size_t n, uint8_t *r)
{
	const uint8_t *d;
	size_t lc;
	uint8_t want[8];
	unsigned diff = 0;
	size_t i;

	if (a[2] == 0xFF && a[3] == 0x80) {
		c->verified = 0;
		return sw(r, 0, 0x9000);
	}
	if (a[2] != 0x00 || a[3] != 0x80)
		return sw(r, 0, 0x6A88);
	if (apdu_body(a, n, &d, &lc) < 0)
		return sw(r, 0, 0x6700);
	if (lc == 0) {
		if (c->tries == 0)
			return sw(r, 0, 0x6983);
		return sw(r, 0, c->verified ? 0x9000 : (uint16_t)(0x63C0 | c->tries));
	}
	if (lc != 8)
		return sw(r, 0, 0x6700);
	if (c->tries == 0)
		return sw(r, 0, 0x6983);
	memset(want, 0xFF, sizeof(want));
	memcpy(want, c->pin, c->pin_len);
	for (i = 0; i < 8; i++)
		diff |= (unsigned)(want[i] ^ d[i]);
	if (diff == 0) {
		c->tries = c->max_tries;
		c->verified = 1;
		state_save(c);
		return sw(r, 0, 0x9000);
	}
	c->verified = 0;
	c->tries--;
	state_save(c);
	if (c->tries == 0)
		return sw(r, 0, 0x6983);
	return sw(r, 0, (uint16_t)(0x63C0 | c->tries));
}

static size_t
do_general_auth(struct card *c, const uint8_t *a, size_t n, uint8_t *r)
{
	const uint8_t *d, *p, *end, *chal = NULL;
	size_t lc, siglen = 80, i;
	int have_resp = 0;
	uint8_t sig[80];
	EVP_PKEY_CTX *ctx;

	if (a[2] != 0x11)
		return sw(r, 0, 0x6A86);
	if (a[3] != 0x9A)
		return sw(r, 0, 0x6A88);
	if (apdu_body(a, n, &d, &lc) < 0 || lc < 2)
		return sw(r, 0, 0x6700);
	if (!c->verified)
		return sw(r, 0, 0x6982);
	if (d[0] != 0x7C || (size_t)d[1] + 2 != lc || d[1] >= 0x80)
		return sw(r, 0, 0x6A80);
	for (p = d + 2, end = d + lc; p < end; p += 2 + p[1]) {
		if (end - p < 2 || p[1] >= 0x80 || end - p < 2 + p[1])
			return sw(r, 0, 0x6A80);
		if (p[0] == 0x82 && p[1] == 0)
			have_resp = 1;
		else if (p[0] == 0x81 && p[1] == 32)
			chal = p + 2;
		else
			return sw(r, 0, 0x6A80);
	}
	if (!have_resp || chal == NULL)
		return sw(r, 0, 0x6A80);
	ctx = EVP_PKEY_CTX_new(c->key, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, sig, &siglen, chal, 32) != 1 || siglen > 76) {
		EVP_PKEY_CTX_free(ctx);
		return sw(r, 0, 0x6F00);
	}
	EVP_PKEY_CTX_free(ctx);
	r[0] = 0x7C;
	r[1] = (uint8_t)(siglen + 2);
	r[2] = 0x82;
	r[3] = (uint8_t)siglen;
	for (i = 0; i < siglen; i++)
		r[4 + i] = sig[i];
	return sw(r, 4 + siglen, 0x9000);
}

/* The next part of the pending answer: at most 256 bytes, then 61 xx
 * while more waits (xx = 00 for 256 or more). */
static size_t
chained(struct card *c, uint8_t *r)
{
	size_t n = c->pending_len > 256 ? 256 : c->pending_len, left;

	memcpy(r, c->obj + c->pending_off, n);
	c->pending_off += n;
	c->pending_len -= n;
	left = c->pending_len;
	if (left == 0)
		return sw(r, n, 0x9000);
	return sw(r, n, (uint16_t)(0x6100 | (left > 255 ? 0 : left)));
}

static size_t
do_get_cert(struct card *c, const uint8_t *a, size_t n, uint8_t *r)
{
	static const uint8_t tag[] = { 0x5C, 0x03, 0x5F, 0xC1, 0x05 };
	const uint8_t *d;
	size_t lc;

	if (a[2] != 0x3F || a[3] != 0xFF)
		return sw(r, 0, 0x6A86);
	if (apdu_body(a, n, &d, &lc) < 0 || lc != sizeof(tag))
		return sw(r, 0, 0x6700);
	if (memcmp(d, tag, sizeof(tag)) != 0 || c->obj_len == 0)
		return sw(r, 0, 0x6A82);
	c->pending_off = 0;
	c->pending_len = c->obj_len;
	return chained(c, r);
}

static size_t
execute(struct card *c, const uint8_t *a, size_t n, uint8_t *r)
{
	const uint8_t *d;
	size_t lc;

	if (n >= 2 && a[0] == 0x00 && a[1] == 0xC0) {
		if (c->pending_len == 0)
			return sw(r, 0, 0x6985);
		return chained(c, r);
	}
	c->pending_len = 0;

	if (n < 4)
		return sw(r, 0, 0x6700);
	if (a[0] == 0xFF) {
		if (a[1] != 0xCA)
			return sw(r, 0, 0x6D00);
		if (a[2] != 0x00 || a[3] != 0x00)
			return sw(r, 0, 0x6A81);
		if (n != 5)
			return sw(r, 0, 0x6700);
		memcpy(r, c->id, c->id_len);
		return sw(r, c->id_len, 0x9000);
	}
	if (a[0] != 0x00)
		return sw(r, 0, 0x6E00);
	switch (a[1]) {
	case 0xA4:
		if (apdu_body(a, n, &d, &lc) < 0)
			return sw(r, 0, 0x6700);
		if (c->key == NULL || a[2] != 0x04 || lc < sizeof(PIV_AID) ||
		    memcmp(d, PIV_AID, sizeof(PIV_AID)) != 0)
			return sw(r, 0, 0x6A82);
		{
			static const uint8_t apt[] = { 0x61, 0x07, 0x4F, 0x05,
			    0xA0, 0x00, 0x00, 0x03, 0x08 };
			memcpy(r, apt, sizeof(apt));
			return sw(r, sizeof(apt), 0x9000);
		}
	case 0x20:
		if (c->key == NULL)
			return sw(r, 0, 0x6D00);
		return do_verify(c, a, n, r);
	case 0xCB:
		if (c->key == NULL)
			return sw(r, 0, 0x6D00);
		return do_get_cert(c, a, n, r);
	case 0x87:
		if (c->key == NULL)
			return sw(r, 0, 0x6D00);
		return do_general_auth(c, a, n, r);
	default:
		return sw(r, 0, 0x6D00);
	}
}

static int
read_exact(int fd, uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
send_msg(int fd, const uint8_t *b, size_t n)
{
	uint8_t buf[MAX_APDU + 2];

	buf[0] = (uint8_t)(n >> 8);
	buf[1] = (uint8_t)n;
	memcpy(buf + 2, b, n);
	return write(fd, buf, n + 2) == (ssize_t)(n + 2) ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vcard --port N --id HEX [--host ADDR] [--key PEM "
	    "--pin-file F [--cert DER] [--tries N] [--state F]] [--remove-on INS] [--log F]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	/* An ATR of a contactless card as PC/SC part 3 shows it (FeliCa), TCK added. */
	static const uint8_t atr_felica[] = { 0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F,
	    0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x11, 0x00, 0x3B, 0x00, 0x00,
	    0x00, 0x00 };
	static const uint8_t atr_piv[] = { 0x3B, 0x88, 0x80, 0x01, 'S', 'E', 'K',
	    'I', 'S', 'H', 'O', '1' };
	struct card c = { .max_tries = 5, .remove_on = -1 };
	const char *host = "127.0.0.1", *keyfile = NULL, *pinfile = NULL,
	    *certfile = NULL;
	uint8_t atr[32], msg[MAX_APDU], resp[MAX_APDU];
	size_t atr_len, i;
	int port = 0, fd, a;
	struct sockaddr_in sa;

	for (a = 1; a < argc; a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
		if (v == NULL)
			usage();
		a++;
		if (strcmp(o, "--port") == 0)
			port = atoi(v);
		else if (strcmp(o, "--host") == 0)
			host = v;
		else if (strcmp(o, "--id") == 0) {
			if (hex_decode(v, c.id, sizeof(c.id), &c.id_len) < 0)
				die("--id: 1 to 16 bytes in hex");
		} else if (strcmp(o, "--key") == 0)
			keyfile = v;
		else if (strcmp(o, "--cert") == 0)
			certfile = v;
		else if (strcmp(o, "--pin-file") == 0)
			pinfile = v;
		else if (strcmp(o, "--tries") == 0)
			c.max_tries = atoi(v);
		else if (strcmp(o, "--state") == 0)
			c.state = v;
		else if (strcmp(o, "--remove-on") == 0)
			c.remove_on = (int)strtol(v, NULL, 16);
		else if (strcmp(o, "--log") == 0) {
			if ((c.log = fopen(v, "a")) == NULL)
				die("cannot open the log");
			setvbuf(c.log, NULL, _IOLBF, 0);
		} else
			usage();
	}
	if (port <= 0 || port > 65535 || c.id_len == 0 || c.max_tries < 1 || c.max_tries > 15)
		usage();
	if (keyfile != NULL) {
		FILE *f;
		if (pinfile == NULL)
			die("a keyed card needs --pin-file");
		if ((f = fopen(keyfile, "r")) == NULL ||
		    (c.key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
			die("cannot read the key");
		fclose(f);
		if (EVP_PKEY_get_base_id(c.key) != EVP_PKEY_EC || EVP_PKEY_get_bits(c.key) != 256)
			die("the key must be EC P-256");
		if ((f = fopen(pinfile, "r")) == NULL ||
		    fgets(c.pin, sizeof(c.pin), f) == NULL)
			die("cannot read the PIN file");
		fclose(f);
		c.pin[strcspn(c.pin, "\r\n")] = '\0';
		c.pin_len = strlen(c.pin);
		if (c.pin_len < 4 || c.pin_len > 8)
			die("the card's PIN has 4 to 8 characters");
		if (certfile != NULL) {
			uint8_t der[2048];
			size_t dl, o = 0;
			if ((f = fopen(certfile, "rb")) == NULL)
				die("cannot read the certificate");
			dl = fread(der, 1, sizeof(der), f);
			fclose(f);
			if (dl == 0 || dl == sizeof(der))
				die("the certificate: 1 to 2047 bytes of DER");
			/* 53 82 LL LL { 70 82 LL LL cert, 71 01 00, FE 00 } */
			c.obj[o++] = 0x53;
			c.obj[o++] = 0x82;
			c.obj[o++] = (uint8_t)((dl + 9) >> 8);
			c.obj[o++] = (uint8_t)(dl + 9);
			c.obj[o++] = 0x70;
			c.obj[o++] = 0x82;
			c.obj[o++] = (uint8_t)(dl >> 8);
			c.obj[o++] = (uint8_t)dl;
			memcpy(c.obj + o, der, dl);
			o += dl;
			c.obj[o++] = 0x71;
			c.obj[o++] = 0x01;
			c.obj[o++] = 0x00;
			c.obj[o++] = 0xFE;
			c.obj[o++] = 0x00;
			c.obj_len = o;
		}
		if (c.state != NULL)
			state_load(&c);
		else
			c.tries = c.max_tries;
		memcpy(atr, atr_piv, sizeof(atr_piv));
		atr_len = sizeof(atr_piv);
	} else {
		memcpy(atr, atr_felica, sizeof(atr_felica));
		atr_len = sizeof(atr_felica);
	}
	atr[atr_len] = 0;
	for (i = 1; i < atr_len; i++)
		atr[atr_len] ^= atr[i];
	atr_len++;

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("--host: an IPv4 address");
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot connect to vpcd");
	for (;;) {
		uint8_t hdr[2];
		size_t n, rn;

		if (read_exact(fd, hdr, 2) < 0)
			break;
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (n == 0 || n > sizeof(msg) || read_exact(fd, msg, n) < 0)
			break;
		if (n == 1) {
			if (msg[0] == 0x04) {
				if (send_msg(fd, atr, atr_len) < 0)
					break;
			} else if (msg[0] == 0x00 || msg[0] == 0x02) {
				c.verified = 0;
			}
			continue;
		}
		if (c.log != NULL && n >= 2)
			fprintf(c.log, "INS %02X\n", msg[1]);
		if (c.remove_on >= 0 && n >= 2 && msg[1] == c.remove_on) {
			if (c.log != NULL)
				fprintf(c.log, "removed\n");
			break;
		}
		rn = execute(&c, msg, n, resp);
		if (send_msg(fd, resp, rn) < 0)
			break;
	}
	close(fd);
	EVP_PKEY_free(c.key);
	explicit_bzero(c.pin, sizeof(c.pin));
	return 0;
}
