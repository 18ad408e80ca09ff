/*
 * sekishod's bundle fetches (docs/distribution.md): the sekisho-fetch
 * helper asks the policy's distribution server for a bundle newer than the
 * serial held, over the mode's path (its socket carries the mode's mark),
 * and writes it to a temporary file sekishod opened beside the incoming
 * path. sekishod never reads the network itself: it waits for the
 * helper's exit status and its one line, then fsyncs and renames the file
 * to the incoming path and takes it through the same path as a reload.
 * One fetch at a time; when and how often is fetch_sched.c's business,
 * with its timers in timers.c.
 */
#ifndef SK_FETCHER_H
#define SK_FETCHER_H

#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/proto/fetch_helper.h"

#define FETCH_ERR_MAX		256	/* what the helper may write on stderr,
					 * passed raw to the engine (ENG_RAW_MAX) */
#define FETCH_STATEMENT_MAX	151	/* a statement is 150 bytes: one more
					 * tells "too long" */

enum fetch_outcome {
	FETCH_RUNNING,		/* not finished */
	FETCH_NEWER,		/* the bundle is at the incoming path now */
	FETCH_NONE,		/* nothing newer */
	FETCH_STATEMENT,	/* nothing newer, with a freshness statement:
				 * f->statement, not yet verified */
	FETCH_ERROR,		/* f->line says why */
};

struct fetcher {
	const char	*helper;	/* sekisho-fetch; the caller's string */
	pid_t		 pid;		/* -1: none running */
	int		 err_fd;	/* the helper's stderr, -1 at its end */
	int		 out_fd;	/* the temporary file */
	char		 tmp[PATH_MAX];	/* its name once complete */
	int		 named;		/* tmp names it (no O_TMPFILE) */
	off_t		 size;		/* of a newer bundle, once stored */
	char		 line[FETCH_ERR_MAX + 2];	/* what it wrote on stderr, raw
					 * (len bytes; FETCH_ERR_MAX + 1: too
					 * much), until the engine made it its
					 * one printable line (eng_parse_fetch);
					 * or sekishod's own line */
	uint8_t		 statement[FETCH_STATEMENT_MAX];
	size_t		 statement_len;
	size_t		 len;
	int		 reaped, wstatus;
	uint64_t	 started_ms;
	char		 server[INET_ADDRSTRLEN + 6];
	char		 via[48];	/* "the tunnel", "the office LAN on up0" */
	/* The last fetch, for status. */
	struct timespec	 last_wall;	/* tv_sec 0: none yet */
	char		 result[640];
};

struct fetch_args {
	struct sockaddr_in	 server;
	const uint8_t		*device;	/* 32 bytes, public */
	uint64_t		 serial;	/* held: the store's */
	unsigned int		 mark;		/* the mode's (netvm/sekishod/route.h) */
	const char		*incoming;	/* the temp file goes beside it */
	const char		*via;
};

void fetch_init(struct fetcher *f, const char *helper);
int fetch_running(const struct fetcher *f);
/* Starts the helper. 0, or -errno with a line in f->line. */
int fetch_start(struct fetcher *f, const struct fetch_args *a, uint64_t now);
/* The descriptor to poll while the helper's line is still open. */
int fetch_pollfd(const struct fetcher *f, struct pollfd *pfd);
/* Reads from the helper's stderr (POLLIN or POLLHUP). */
void fetch_read(struct fetcher *f);
/* From sekishod's SIGCHLD handling: 1 if pid was the helper. */
int fetch_reaped(struct fetcher *f, pid_t pid, int wstatus);
/* The helper has exited and its stderr is closed: what it wrote is all
 * in f->line (raw, f->len bytes) and its status in f->wstatus, for the
 * engine to read (eng_parse_fetch) before fetch_finish. */
int fetch_exited(const struct fetcher *f);
/* Its output was refused: nothing it wrote is kept. */
void fetch_discard(struct fetcher *f);
/*
 * Once the helper has exited, its stderr is closed and the engine has
 * made f->line its one printable line: FETCH_NEWER with
 * the file fsync'd and renamed to incoming (and the directory fsync'd),
 * FETCH_NONE, FETCH_STATEMENT with the statement's bytes in f->statement
 * (at most FETCH_STATEMENT_MAX), or FETCH_ERROR with f->line; the temp file is gone in every
 * case. FETCH_RUNNING before that.
 */
enum fetch_outcome fetch_finish(struct fetcher *f, const char *incoming);
/* Ends a running helper (SIGKILL; sekishod reaps it) and removes its file. */
void fetch_stop(struct fetcher *f);
/* Records the outcome line shown by `sekishoctl status`. */
void fetch_result(struct fetcher *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
