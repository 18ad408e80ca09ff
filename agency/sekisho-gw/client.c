/*
 * sekisho-gw status [--json] and sekisho-gw session list|open|close: the
 * client side of the session socket (lib/proto/gwsess_wire.h). One
 * request, replies until GWS_R_DONE, every reply checked.
 */
#include "agency/sekisho-gw/gw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/cli.h"

#define CLIENT_WAIT_S	10

struct reply_cb {
	int	(*fn)(void *arg, const struct gws_rep *r);
	void	*arg;
};

/* Sends q, hands every reply but the last to fn, returns the last (DONE)
 * in *done. 0, or 1 with a line on stderr. */
static int
ask(const char *path, const struct gws_req *q, struct reply_cb cb, struct gws_rep *done)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { CLIENT_WAIT_S, 0 };
	uint8_t msg[GWS_REQ_LEN], rep[GWS_REP_LEN + 1];
	struct sk_error err;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path) || gws_req_encode(msg, q) < 0) {
		fprintf(stderr, "sekisho-gw: bad request (a name too long or with a space?)\n");
		return 1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "sekisho-gw: %s: %s (is sekisho-gw running?)\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	if (send(fd, msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
		fprintf(stderr, "sekisho-gw: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, rep, sizeof(rep), 0);
		struct gws_rep r;

		if (n <= 0) {
			fprintf(stderr, "sekisho-gw: %s: %s\n", path,
			    n == 0 ? "the gateway hung up" : strerror(errno));
			close(fd);
			return 1;
		}
		if (gws_rep_decode(rep, (size_t)n, &r, &err) < 0) {
			fprintf(stderr, "sekisho-gw: %s\n", err.msg);
			close(fd);
			return 1;
		}
		if (r.type == GWS_R_DONE) {
			*done = r;
			break;
		}
		if (cb.fn != NULL && cb.fn(cb.arg, &r) != 0)
			break;
	}
	close(fd);
	return 0;
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

struct show {
	int	json;
	int	peers;
	int	n;
	int64_t	now;
	FILE	*sess;		/* status --json: its sessions, printed last */
	int	n_sess;
};

static int
show_rep(void *arg, const struct gws_rep *r)
{
	struct show *s = arg;
	char a[INET_ADDRSTRLEN];

	switch (r->type) {
	case GWS_R_SUMMARY:
		if (s->json) {
			printf("{\"interface\": ");
			json_str(r->ifname);
			printf(", \"backend\": ");
			json_str(r->backend);
			printf(", \"registry\": ");
			json_str(r->registry);
			printf(", \"connected\": %s, \"seq\": %llu, \"last_sync\": %lld,"
			    " \"started\": %lld, \"peers\": %llu, \"stage2\": %llu,"
			    " \"skipped\": %llu, \"groups\": %u, \"change_us\": %llu, \"devices\": [",
			    r->connected ? "true" : "false", (unsigned long long)r->seq,
			    (long long)r->last_sync, (long long)r->started,
			    (unsigned long long)r->peers, (unsigned long long)r->stage2,
			    (unsigned long long)r->skipped, r->group,
			    (unsigned long long)r->change_us);
		} else {
			printf("interface %s (%s); registry %s; last sync %lld s ago (feed seq %llu)\n"
			    "peers %llu, at stage 2 %llu, groups %u, rows skipped %llu\n",
			    r->ifname, r->backend, r->registry,
			    r->last_sync ? (long long)(s->now - r->last_sync) : -1LL,
			    (unsigned long long)r->seq, (unsigned long long)r->peers,
			    (unsigned long long)r->stage2, r->group,
			    (unsigned long long)r->skipped);
			if (s->peers)
				printf("%-24s %-15s %5s %5s %9s %9s %12s %12s\n", "device",
				    "address", "stage", "group", "session", "handshake", "rx", "tx");
		}
		break;
	case GWS_R_PEER:
		inet_ntop(AF_INET, &r->addr, a, sizeof(a));
		if (s->json) {
			printf("%s{\"name\": \"%s\", \"address\": \"%s\", \"stage\": %u,"
			    " \"group\": %u, \"expires\": %lld, \"handshake\": %lld,"
			    " \"rx\": %llu, \"tx\": %llu}", s->n++ ? ", " : "", r->device, a,
			    r->stage, r->group, (long long)r->expires, (long long)r->handshake,
			    (unsigned long long)r->rx, (unsigned long long)r->tx);
		} else {
			char sess[24] = "-", hs[24] = "never";

			if (r->stage == 2)
				snprintf(sess, sizeof(sess), "%llds", (long long)(r->expires - s->now));
			if (r->handshake > 0)
				snprintf(hs, sizeof(hs), "%llds", (long long)(s->now - r->handshake));
			printf("%-24s %-15s %5u %5u %9s %9s %12llu %12llu\n", r->device, a,
			    r->stage, r->group, sess, hs, (unsigned long long)r->rx,
			    (unsigned long long)r->tx);
		}
		break;
	case GWS_R_SESSION:
		if (s->peers && s->json && s->sess != NULL) {
			/* status: after the devices, as "sessions" */
			fprintf(s->sess, "%s{\"device\": \"%s\", \"staff\": \"%s\", \"factor\": \"%s\","
			    " \"opened\": %lld, \"expires\": %lld}", s->n_sess++ ? ", " : "",
			    r->device, r->staff, r->factor, (long long)r->opened,
			    (long long)r->expires);
		} else if (s->peers && !s->json) {
			/* status: under its device's row */
			printf("  %s's session: %s (%s), opened %llds ago, %llds left\n", r->device,
			    r->staff, r->factor, (long long)(s->now - r->opened),
			    (long long)(r->expires - s->now));
		} else if (s->json) {
			printf("%s{\"device\": \"%s\", \"staff\": \"%s\", \"factor\": \"%s\","
			    " \"opened\": %lld, \"expires\": %lld}", s->n++ ? ", " : "",
			    r->device, r->staff, r->factor, (long long)r->opened,
			    (long long)r->expires);
		} else
			printf("%-24s %-16s %-8s %llds left\n", r->device, r->staff, r->factor,
			    (long long)(r->expires - s->now));
		break;
	default:
		break;
	}
	return 0;
}

static const char *
sock_path(void)
{
	const char *e = getenv("SEKISHO_GW_SOCKET");

	return e != NULL && e[0] ? e : GWS_SOCK_DEFAULT;
}

static int
flag_json(int argc, char *argv[], int from)
{
	int json = 0;

	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return -1;
	}
	return json;
}

int
gw_status_main(void *ctx, int argc, char *argv[])
{
	struct gws_req q = { .type = GWS_STATUS };
	struct gws_rep done;
	struct show s = { .now = (int64_t)time(NULL) };
	char *sess = NULL;
	size_t sess_len = 0;
	int rc;

	s.peers = 1;

	(void)ctx;
	if (argc > 1 && strcmp(argv[1], "--summary") == 0) {
		q.type = GWS_SUMMARY;
		argv++;
		argc--;
	}
	if ((s.json = flag_json(argc, argv, 1)) < 0) {
		fprintf(stderr, "usage: sekisho-gw status [--summary] [--json]\n");
		return EXIT_USAGE;
	}
	s.peers = q.type == GWS_STATUS;
	if (s.json && s.peers && (s.sess = open_memstream(&sess, &sess_len)) == NULL) {
		fprintf(stderr, "sekisho-gw: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	if (ask(sock_path(), &q, (struct reply_cb){ show_rep, &s }, &done) != 0) {
		if (s.sess != NULL)
			fclose(s.sess);
		free(sess);
		return EXIT_FAIL;
	}
	if (s.sess != NULL) {
		fclose(s.sess);
		printf("], \"sessions\": [%s]}\n", sess);
	} else if (s.json)
		printf("]}\n");
	free(sess);
	rc = done.status == 0 ? EXIT_OK : EXIT_FAIL;
	if (rc != EXIT_OK)
		fprintf(stderr, "sekisho-gw: %s\n", done.text);
	return rc;
}

static int
session_usage(void)
{
	fprintf(stderr, "usage: sekisho-gw session list [--json]\n"
	    "       sekisho-gw session open DEVICE STAFF [--lifetime SECONDS] [--factor F]\n"
	    "       sekisho-gw session close DEVICE [--why TEXT]\n"
	    "       sekisho-gw session move DEVICE FROM TO [--lifetime SECONDS] [--factor F]\n");
	return EXIT_USAGE;
}

int
gw_session_main(void *ctx, int argc, char *argv[])
{
	struct gws_req q;
	struct gws_rep done;
	struct show s = { .now = (int64_t)time(NULL) };

	(void)ctx;
	memset(&q, 0, sizeof(q));
	if (argc < 2)
		return session_usage();
	if (strcmp(argv[1], "list") == 0) {
		if ((s.json = flag_json(argc, argv, 2)) < 0)
			return session_usage();
		q.type = GWS_LIST;
		if (s.json)
			printf("[");
		if (ask(sock_path(), &q, (struct reply_cb){ show_rep, &s }, &done) != 0)
			return EXIT_FAIL;
		if (s.json)
			printf("]\n");
		return done.status == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if ((strcmp(argv[1], "open") == 0 && argc >= 4) ||
	    (strcmp(argv[1], "move") == 0 && argc >= 5)) {
		int move = strcmp(argv[1], "move") == 0, first = move ? 5 : 4;
		uint64_t v;

		q.type = move ? GWS_MOVE : GWS_OPEN;
		q.lifetime = 8 * 3600;
		snprintf(q.factor, sizeof(q.factor), "cli");
		for (int i = first; i < argc; i += 2) {
			if (i + 1 >= argc)
				return session_usage();
			if (strcmp(argv[i], "--lifetime") == 0 &&
			    parse_u64(argv[i + 1], 1, GWS_LIFETIME_MAX, &v) == 0)
				q.lifetime = (uint32_t)v;
			else if (strcmp(argv[i], "--factor") == 0 &&
			    strlen(argv[i + 1]) < sizeof(q.factor))
				snprintf(q.factor, sizeof(q.factor), "%s", argv[i + 1]);
			else
				return session_usage();
		}
		if (strlen(argv[2]) >= sizeof(q.device) || strlen(argv[3]) >= sizeof(q.text))
			return session_usage();
		snprintf(q.device, sizeof(q.device), "%s", argv[2]);
		if (move && (size_t)snprintf(q.text, sizeof(q.text), "%s %s", argv[3],
		    argv[4]) >= sizeof(q.text))
			return session_usage();
		if (!move)
			snprintf(q.text, sizeof(q.text), "%s", argv[3]);
	} else if (strcmp(argv[1], "close") == 0 && argc >= 3) {
		q.type = GWS_CLOSE;
		if (strlen(argv[2]) >= sizeof(q.device))
			return session_usage();
		snprintf(q.device, sizeof(q.device), "%s", argv[2]);
		if (argc == 5 && strcmp(argv[3], "--why") == 0 && strlen(argv[4]) < sizeof(q.text))
			snprintf(q.text, sizeof(q.text), "%s", argv[4]);
		else if (argc != 3)
			return session_usage();
	} else
		return session_usage();
	if (ask(sock_path(), &q, (struct reply_cb){ NULL, NULL }, &done) != 0)
		return EXIT_FAIL;
	if (done.status != 0) {
		fprintf(stderr, "sekisho-gw: %s\n", done.text);
		return EXIT_FAIL;
	}
	printf("%s\n", done.text);
	return EXIT_OK;
}
