/*
 * wg_live: drives vpn/wg.h against a live interface, for
 * tests/integration/10-vpn-uapi.sh.
 *
 *   wg_live up IF [--backend B] CONFIG...  create, set, print; then stay
 *       in the foreground supervising wireguard-go: SIGTERM/SIGINT stop it,
 *       and when it exits on its own (wg_live delete) so does wg_live, with
 *       its status
 *   wg_live set IF CONFIG...   set, then print
 *   wg_live show IF            print
 *   wg_live create IF [--backend B]  print "child PID" (a child started
 *       here is stopped again before exiting)
 *   wg_live delete IF | backend IF | auto
 *
 * CONFIG: --private-key FILE (0600, base64; never a key in argv)
 *   --listen-port N --replace-peers, then per peer: --peer PUBKEY_BASE64
 *   [--endpoint IP:PORT] [--allowed-ip CIDR]... [--keepalive N]
 *   [--replace-allowed-ips] [--remove] [--update-only]
 *
 * The printed form is stable, one "key value" per line, peer fields
 * indented; the private key is always "(hidden)".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/util.h"
#include "vpn/wg.h"
#include "vpn/wg_nl.h"
#include "vpn/wg_uapi.h"

static const char *const backend_names[] = {
	[WG_BACKEND_AUTO] = "auto",
	[WG_BACKEND_KERNEL] = "kernel",
	[WG_BACKEND_USERSPACE] = "userspace",
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: wg_live up|set|show|create|delete|backend IF "
	    "[options] | wg_live auto\n");
	exit(2);
}

static void __attribute__((noreturn))
die(const char *what, int rc)
{
	fprintf(stderr, "wg_live: %s: %s\n", what, strerror(-rc));
	exit(1);
}

static int
parse_backend(const char *s, enum wg_backend *b)
{
	size_t i;

	for (i = 0; i < nitems(backend_names); i++)
		if (strcmp(s, backend_names[i]) == 0) {
			*b = (enum wg_backend)i;
			return 0;
		}
	return -EINVAL;
}

static uint16_t
parse_u16(const char *s)
{
	uint64_t v;

	if (parse_u64(s, 0, UINT16_MAX, &v) != 0)
		die(s, -EINVAL);
	return (uint16_t)v;
}

/* The whole command line is the upper bound of peers and allowed IPs. */
struct config {
	struct wg_device dev;
	struct wg_allowedip *ips;
	size_t n_ips;
	enum wg_backend backend;
};

static struct wg_peer *
cur_peer(struct config *c, const char *opt)
{
	if (c->dev.n_peers == 0) {
		fprintf(stderr, "wg_live: %s before --peer\n", opt);
		exit(2);
	}
	return &c->dev.peers[c->dev.n_peers - 1];
}

static void
add_peer(struct config *c, const char *b64)
{
	struct wg_peer *p = &c->dev.peers[c->dev.n_peers++];

	if (key_from_b64(p->public_key, b64) != 0)
		die("--peer", -EINVAL);
	p->allowed = &c->ips[c->n_ips];
}

static void
add_allowed(struct config *c, const char *s)
{
	struct wg_peer *p = cur_peer(c, "--allowed-ip");

	if (wg_parse_allowedip(s, &c->ips[c->n_ips++]) != 0)
		die(s, -EINVAL);
	p->n_allowed++;
}

static void
read_private_key(struct config *c, const char *path)
{
	struct sk_error err;
	int rc;

	if ((rc = key_file_read(path, c->dev.private_key, (int)geteuid(), &err)) != 0) {
		fprintf(stderr, "wg_live: %s\n", err.msg);
		exit(1);
	}
	c->dev.has_private_key = 1;
}

/* One option (and its value) at argv[*i]. */
static void
parse_option(struct config *c, int argc, char **argv, int *i)
{
	const char *opt = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
	int flag = 1;

	if (strcmp(opt, "--replace-peers") == 0)
		c->dev.flags |= WG_DEVICE_REPLACE_PEERS;
	else if (strcmp(opt, "--replace-allowed-ips") == 0)
		cur_peer(c, opt)->flags |= WG_PEER_REPLACE_ALLOWEDIPS;
	else if (strcmp(opt, "--remove") == 0)
		cur_peer(c, opt)->flags |= WG_PEER_REMOVE;
	else if (strcmp(opt, "--update-only") == 0)
		cur_peer(c, opt)->flags |= WG_PEER_UPDATE_ONLY;
	else
		flag = 0;
	if (flag)
		return;
	if (val == NULL)
		usage();
	(*i)++;
	if (strcmp(opt, "--backend") == 0) {
		if (parse_backend(val, &c->backend) != 0)
			die(val, -EINVAL);
	} else if (strcmp(opt, "--private-key") == 0)
		read_private_key(c, val);
	else if (strcmp(opt, "--listen-port") == 0) {
		c->dev.listen_port = parse_u16(val);
		c->dev.has_listen_port = 1;
	} else if (strcmp(opt, "--peer") == 0)
		add_peer(c, val);
	else if (strcmp(opt, "--endpoint") == 0) {
		if (wg_parse_endpoint(val, &cur_peer(c, opt)->endpoint) != 0)
			die(val, -EINVAL);
	} else if (strcmp(opt, "--allowed-ip") == 0)
		add_allowed(c, val);
	else if (strcmp(opt, "--keepalive") == 0)
		cur_peer(c, opt)->keepalive = parse_u16(val);
	else
		usage();
}

static void
parse_config(struct config *c, const char *ifname, int argc, char **argv)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->backend = WG_BACKEND_USERSPACE;
	if (sk_strlcpy(c->dev.ifname, ifname, sizeof(c->dev.ifname)) >= IFNAMSIZ)
		die(ifname, -ENAMETOOLONG);
	c->dev.peers = calloc((size_t)argc + 1, sizeof(*c->dev.peers));
	c->ips = calloc((size_t)argc + 1, sizeof(*c->ips));
	if (c->dev.peers == NULL || c->ips == NULL)
		die("calloc", -ENOMEM);
	for (i = 0; i < argc; i++)
		parse_option(c, argc, argv, &i);
}

static void
config_free(struct config *c)
{
	free(c->dev.peers);
	free(c->ips);
	wipe(c, sizeof(*c));
}

static void
print_key(const char *name, const uint8_t key[WG_KEY_LEN])
{
	char b64[KEY_B64_LEN];

	key_to_b64(b64, key);
	printf("%s %s\n", name, b64);
}

static void
print_peer(const struct wg_peer *p)
{
	char buf[WG_ENDPOINT_STRLEN];
	size_t i;

	print_key("peer", p->public_key);
	if (wg_format_endpoint(buf, sizeof(buf), &p->endpoint) != 0)
		sk_strlcpy(buf, "(none)", sizeof(buf));
	printf("  endpoint %s\n", buf);
	for (i = 0; i < p->n_allowed; i++) {
		if (wg_format_allowedip(buf, sizeof(buf), &p->allowed[i]) == 0)
			printf("  allowed_ip %s\n", buf);
	}
	printf("  keepalive %u\n", p->keepalive);
	if (p->last_handshake.tv_sec == 0 && p->last_handshake.tv_nsec == 0)
		printf("  last_handshake 0\n");
	else
		printf("  last_handshake %lld.%09ld\n",
		    (long long)p->last_handshake.tv_sec, p->last_handshake.tv_nsec);
	printf("  rx_bytes %llu\n  tx_bytes %llu\n",
	    (unsigned long long)p->rx_bytes, (unsigned long long)p->tx_bytes);
}

static int
show(const char *ifname)
{
	struct wg_device dev;
	size_t i;
	int rc;

	if ((rc = wg_get(ifname, &dev)) != 0) {
		wg_device_free(&dev);
		return rc;
	}
	printf("interface %s\nbackend %s\n", dev.ifname,
	    backend_names[wg_backend_of(ifname)]);
	printf("private_key %s\n", dev.has_private_key ? "(hidden)" : "(none)");
	if (dev.has_private_key)
		print_key("public_key", dev.public_key);
	else
		printf("public_key (none)\n");
	if (dev.has_listen_port)
		printf("listen_port %u\n", dev.listen_port);
	else
		printf("listen_port (none)\n");
	for (i = 0; i < dev.n_peers; i++)
		print_peer(&dev.peers[i]);
	fflush(stdout);
	wg_device_free(&dev);
	return 0;
}

static void
stop_child(pid_t child)
{
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
}

/* Waits for SIGTERM/SIGINT (stop wireguard-go) or its own exit. */
static int
supervise(pid_t child, const sigset_t *sigs)
{
	int sig, status;

	for (;;) {
		if (sigwait(sigs, &sig) != 0)
			continue;
		if (sig == SIGCHLD) {
			if (waitpid(child, &status, WNOHANG) != child)
				continue;
			printf("wireguard-go exited status %d\n",
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			fflush(stdout);
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
		}
		stop_child(child);
		printf("stopped\n");
		fflush(stdout);
		return 0;
	}
}

static int
cmd_up(const char *ifname, int argc, char **argv)
{
	struct config c;
	sigset_t sigs;
	pid_t child;
	int rc;

	parse_config(&c, ifname, argc, argv);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if ((rc = wg_create(ifname, c.backend, &child)) != 0)
		die("wg_create", rc);
	printf("child %ld\n", (long)child);
	fflush(stdout);
	rc = wg_set(&c.dev);
	config_free(&c);
	if (rc != 0) {
		stop_child(child);
		die("wg_set", rc);
	}
	if ((rc = show(ifname)) != 0) {
		stop_child(child);
		die("wg_get", rc);
	}
	printf("ready\n");
	fflush(stdout);
	return child > 0 ? supervise(child, &sigs) : 0;
}

static int
cmd_set(const char *ifname, int argc, char **argv)
{
	struct config c;
	int rc;

	parse_config(&c, ifname, argc, argv);
	rc = wg_set(&c.dev);
	config_free(&c);
	if (rc != 0)
		die("wg_set", rc);
	return show(ifname) == 0 ? 0 : 1;
}

static int
cmd_create(const char *ifname, int argc, char **argv)
{
	struct config c;
	pid_t child;
	int rc;

	parse_config(&c, ifname, argc, argv);
	rc = wg_create(ifname, c.backend, &child);
	config_free(&c);
	if (rc != 0)
		die("wg_create", rc);
	printf("child %ld\nbackend %s\n", (long)child,
	    backend_names[wg_backend_of(ifname)]);
	fflush(stdout);
	stop_child(child);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd, *ifname;
	uint16_t family;
	int rc;

	if (argc == 2 && strcmp(argv[1], "auto") == 0) {
		printf("%s\n", wg_nl_family(&family) == 0 ? "kernel" : "userspace");
		return 0;
	}
	if (argc < 3)
		usage();
	cmd = argv[1];
	ifname = argv[2];
	if (strcmp(cmd, "up") == 0)
		return cmd_up(ifname, argc - 3, argv + 3);
	if (strcmp(cmd, "set") == 0)
		return cmd_set(ifname, argc - 3, argv + 3);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(ifname, argc - 3, argv + 3);
	if (argc != 3)
		usage();
	if (strcmp(cmd, "show") == 0)
		rc = show(ifname);
	else if (strcmp(cmd, "delete") == 0)
		rc = wg_delete(ifname);
	else if (strcmp(cmd, "backend") == 0) {
		printf("%s\n", backend_names[wg_backend_of(ifname)]);
		rc = 0;
	} else
		usage();
	if (rc != 0)
		die(cmd, rc);
	return 0;
}
