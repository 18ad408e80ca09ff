/*
 * The registry's change feed, end to end (tests/bench/gwfeed.sh prints the
 * figures): a writer commits a device add; a follower in another process
 * (as the gateway is) waits on reg_feed_listen's descriptor, drains and
 * reads the new row with reg_feed_since. The time from just before the
 * writer's commit to the follower having the row, in ms, one line per
 * sample; the writer waits for each before the next.
 *
 *   bench-gwfeed URL N
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "registry/feed.h"
#include "registry/ops.h"
#include "registry/registry.h"

static double
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
die(const char *what, const struct sk_error *err)
{
	fprintf(stderr, "bench-gwfeed: %s: %s\n", what, err != NULL ? err->msg : "");
	exit(1);
}

struct last {
	int64_t seq;
	char name[REG_NAME_MAX + 1];
};

static int
got(void *arg, const struct reg_change *c)
{
	struct last *l = arg;

	l->seq = c->seq;
	snprintf(l->name, sizeof(l->name), "%s", c->object);
	return 0;
}

/* The follower: for each of n changes, one line "seq" on out once read. */
static void
follow(const char *url, int n, int ready, int out)
{
	struct sk_error err;
	struct reg *w;
	struct last l = { 0, "" };
	struct pollfd p;
	int fd, i = 0;
	double t;

	if (reg_open(url, &w, &err) < 0)
		die("follower: open", &err);
	if (reg_feed_listen(w, &fd, &err) < 0)
		die("follower: listen", &err);
	if (reg_feed_head(w, &l.seq, &err) < 0)
		die("follower: head", &err);
	if (write(ready, "r", 1) != 1)
		exit(1);
	p.fd = fd;
	p.events = POLLIN;
	while (i < n) {
		int64_t before = l.seq;

		if (poll(&p, 1, -1) != 1)
			continue;
		if (reg_feed_drain(w, &err) < 0)
			die("follower: drain", &err);
		if (reg_feed_since(w, l.seq, 0, got, &l, &err) < 0)
			die("follower: since", &err);
		if (l.seq == before)
			continue;	/* a wake-up with nothing new (SQLite) */
		t = ms();
		if (write(out, &t, sizeof(t)) != sizeof(t))
			exit(1);
		i++;
	}
	reg_close(w);
	exit(0);
}

int
main(int argc, char *argv[])
{
	struct sk_error err;
	struct reg *r;
	struct reg_group g = { .name = "bench", .tmpl = "version 1\n",
	    .key_file = "/etc/sekisho/wg.key" };
	int ready[2], out[2], n, i, st;
	pid_t pid;
	char c;

	if (argc != 3 || (n = atoi(argv[2])) < 1)
		return fprintf(stderr, "usage: bench-gwfeed URL N\n"), 2;
	if (reg_open(argv[1], &r, &err) < 0)
		die("open", &err);
	if (reg_begin(r, &err) < 0 || reg_meta_set(r, "pool4", "10.80.0.0/16", &err) < 0 ||
	    reg_group_add(r, &g, &err) < 0 || reg_commit(r, &err) < 0)
		die("setup", &err);
	/* no connection crosses the fork: each process opens its own */
	reg_close(r);
	if (pipe(ready) == -1 || pipe(out) == -1)
		return perror("pipe"), 1;
	if ((pid = fork()) == -1)
		return perror("fork"), 1;
	if (pid == 0)
		follow(argv[1], n, ready[1], out[1]);
	if (read(ready[0], &c, 1) != 1)
		die("the follower did not start", NULL);
	if (reg_open(argv[1], &r, &err) < 0)
		die("open", &err);
	for (i = 0; i < n; i++) {
		struct reg_device d;
		double t0, t1;

		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "pc-%05d", i);
		snprintf(d.grp, sizeof(d.grp), "bench");
		if (reg_begin(r, &err) < 0 || reg_device_add(r, &d, 0, &err) < 0)
			die("add", &err);
		t0 = ms();
		if (reg_commit(r, &err) < 0)
			die("commit", &err);
		if (read(out[0], &t1, sizeof(t1)) != sizeof(t1))
			die("the follower stopped", NULL);
		printf("%.3f\n", t1 - t0);
	}
	reg_close(r);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the follower failed", NULL);
	return 0;
}
