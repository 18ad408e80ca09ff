/*
 * sekisho-gw: the agency's WireGuard gateway, fed from the registry
 * (docs/gateway.md). One program, subcommands in the shape of wg.c:
 *
 *   run      the daemon: engine.c decides; the edges below carry it out
 *   status   peers, stages, sessions, the last sync (session socket)
 *   session  list | open | close (session socket)
 *
 * The daemon's files, one concern each:
 *   sekisho-gw.c  the subcommand table
 *   daemon.c      start-up, the main loop, requests on the session socket
 *   source.c      the registry: rows, groups, their rendered ruleset
 *   apply.c       engine actions -> one nftables transaction, one
 *                 WireGuard set, conntrack removals (ct.c)
 *   stage.c       a session's elements alone -> one nfnetlink batch
 *   sessd.c       the session socket: connections, fixed messages
 *                 (lib/proto/gwsess_wire.h)
 *   client.c      the CLI side of the socket (status, session)
 */
#ifndef SK_GW_H
#define SK_GW_H

#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/sekisho-gw/engine.h"
#include "lib/buf.h"
#include "lib/proto/gwsess_wire.h"
#include "lib/util.h"

#define GW_TABLE		"sekisho_gw"
#define GW_IFNAME_DEFAULT	"sekisho-gw"
#define GW_KEY_DEFAULT		"/etc/sekisho/gateway.key"
#define GW_BACKOFF_MIN_MS	250
#define GW_BACKOFF_MAX_MS	10000
#define GW_REPORT_S		60	/* -R */
#define GW_START_TRY_USEC	"60000000"	/* systemd: one try at start takes less */
#define GW_STATEMENT_MS		"10000"	/* PostgreSQL: statement_timeout */
#define GW_REPORT_BUSY_MS	1000	/* the report waits this long for the write lock */
#define GW_KEEP_S		86400	/* -K */
#define GW_LIVE_S		3600	/* -L */
#define GW_FRONTEND_STABLE_MS	10000	/* a frontend that ran this long: backoff reset */
#define GW_MALLOC_THRESHOLD	(1 << 20)	/* mmap above, trim beyond (daemon.c) */

struct reg;

struct gw_opts {
	const char	*url;		/* the registry */
	const char	*ifname;
	const char	*key_file;	/* the gateway's private key, 0600 */
	const char	*sock;		/* the session socket */
	const char	*sock_group;	/* may connect besides root, or NULL */
	int		 foreground;
	int		 verbose;
	int		 poll_ms;	/* without a change feed: re-read period */
	int		 once;		/* -o: one full sync, then exit */
	const char	*name;		/* -n: as a follower of the change log */
	int		 report_s;	/* -R: progress reported (and the log
					   pruned) every this many seconds */
	int		 keep_s;	/* -K: change rows kept at least this long */
	int		 live_s;	/* -L: a follower silent longer holds
					   nothing back */
};

struct gw {
	struct gw_opts		 o;
	struct reg		*r;		/* NULL while the registry is lost */
	struct gw_engine	 e;
	struct gw_actions	 acts;
	uint16_t		 listen_port;
	uint8_t			 priv[32];	/* wiped at exit */
	int			 have_priv;
	int			 kernel;	/* backend: 1 kernel, 0 userspace */
	pid_t			 wg_child;	/* wireguard-go we started, or 0 */
	char			*groups_key;	/* the rendered groups, to see a change */
	int64_t			 seq;		/* last change-feed row applied */
	int			 feed_fd;	/* readable: the registry may have
						   changed; -1: no feed (re-read) */
	int64_t			 last_sync, started;
	int			 backoff_ms;
	uint64_t		 next_try_ms;
	int			 reconnecting;	/* a connection is being made
						   (beside the loop: status says so) */
	int			 dirty;		/* an apply failed: full sync next */
	int			 listed;	/* full sync: our table was in force
						   (1), not (0), unknown (-1) */
	uint64_t		 change_us;	/* the last change: learnt -> applied */
	uint64_t		 next_report_ms;
	char			 name[97];	/* REG_FEED_NAME_MAX + 1 */
};

/* source.c */
/* A connection being made: in url, once; out r (NULL: rc < 0, err), the
 * feed's fd (-1: feed_rc < 0, feed_err: re-read). */
struct src_open {
	const char		*url;
	int			 once;
	struct reg		*r;
	int			 rc, feed_fd, feed_rc;
	struct sk_error		 err, feed_err;
};
void src_open(struct src_open *o);
int src_attach(struct gw *g, struct src_open *o, struct sk_error *err);
int src_connect(struct gw *g, struct sk_error *err);
void src_disconnect(struct gw *g);
/* Every device row (*rows heap, *n). */
int src_rows(struct gw *g, struct gw_row **rows, size_t *n, struct sk_error *err);
/* One device's row: 1 with *row, 0 if no such device. */
int src_row(struct gw *g, const char *name, struct gw_row *row, struct sk_error *err);
/* The role of a member of staff (the registry's staff row; "" without
 * one or when there is no such member): 0 or -errno. */
int src_role(struct gw *g, const char *staff, char role[GW_ROLE_MAX + 1],
    struct sk_error *err);
/* The registry's sessions in force, into the engine (after a full sync). */
int src_sessions(struct gw *g, int64_t now, struct sk_error *err);
/* The groups of rows, their templates compiled to the gateway ruleset
 * (text in out, a fresh table), the engine told their numbers. A group
 * whose template does not render is left out with one log line (its
 * devices are then refused by the engine). */
int src_groups(struct gw *g, const struct gw_row *rows, size_t n, struct buf *out,
    struct sk_error *err);

/* apply.c: carries out g->acts. table: a whole ruleset to load with the
 * element changes in the same transaction (start), or NULL. first: the
 * first set of the interface (its key and port go with it). */
int gw_apply(struct gw *g, const char *table, int first, struct sk_error *err);
/* Whether our table (inet GW_TABLE) is in force: 1, 0, or -1. */
int gw_table_in_force(void);
/* stage.c: a change of stage-2 elements alone (a session opened,
 * closed, handed over) as one nfnetlink batch on a netfilter socket kept
 * open, not libnftables text; gw_apply takes that way for such a change.
 * gw_stage_only: 1 if g->acts holds stage actions and log lines alone.
 * gw_stage_encode (pure): the batch, numbered from seq; 0, -ENOMEM or
 * -EINVAL (a timeout out of bounds), with err. */
struct nfnl_batch;
int gw_stage_only(const struct gw_actions *a);
int gw_stage_encode(const struct gw_actions *a, uint32_t seq, struct nfnl_batch *bt,
    struct sk_error *err);
int gw_stage_apply(struct gw *g, struct sk_error *err);
void gw_stage_close(void);
/* ct.c: the tracked connections of addrs[0..n) (either side, either
 * direction), removed with one dump of the table for all of them;
 * removed[i] counts addrs[i]'s (an address listed twice counts at its
 * first place). 0 or -errno with err (what was removed stays removed). */
int gw_ct_flush(const struct in_addr *addrs, size_t n, size_t *removed,
    struct sk_error *err);
/* One ctnetlink entry (a dump's IPCTNL_MSG_CT_NEW) against set[0..n),
 * s_addr values sorted ascending: the position in set of the first of
 * them found on either side of its original or reply tuple, or -1;
 * *orig: its CTA_TUPLE_ORIG attribute (NULL without one). Pure. */
struct nlmsghdr;
struct nlattr;
long gw_ct_entry_match(const struct nlmsghdr *nlh, const uint32_t *set, size_t n,
    const struct nlattr **orig);

/* sessd.c: the session socket. */
struct sessd;
typedef void (*sessd_handler)(void *arg, const struct gws_req *req, int fd);
int sessd_open(struct sessd **out, const char *path, const char *group, struct sk_error *err);
void sessd_close(struct sessd *s);
/* poll set: the listener and pending connections (at most SESSD_MAX + 1) */
#define SESSD_MAX	16
size_t sessd_pollfds(struct sessd *s, struct pollfd *pfd, size_t max);
void sessd_ready(struct sessd *s, const struct pollfd *pfd, size_t n, uint64_t now_ms,
    sessd_handler fn, void *arg);
int64_t sessd_next_deadline(const struct sessd *s);
/*
 * An answer in the making: the handler queues its replies (encoded, in
 * memory) and the main loop writes them as the client's socket becomes
 * writable (POLLOUT), never blocking. At most SESSD_OUT_MAX_BYTES a
 * connection (a snapshot of up to 64 Ki rows of 256 bytes); a client that
 * takes nothing for SESSD_WAIT_MS is closed.
 */
#define SESSD_WAIT_MS		2000
#define SESSD_OUT_MAX_BYTES	((size_t)GWS_REP_LEN * 65536)
struct sessd_out {
	int		fd;
	uint8_t		*buf;
	size_t		len, off, cap;
	uint64_t	deadline;	/* ms: closed if nothing is taken by then */
	int		full;		/* over SESSD_OUT_MAX_BYTES: rows dropped */
};
/* Queues one reply: 0 or -errno (-EINVAL: not encodable; -EMSGSIZE: the
 * answer is over its bound, a last DONE still fits). */
int sessd_reply(struct sessd_out *o, const struct gws_rep *rep);
int sessd_done(struct sessd_out *o, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes what the socket takes now, non-blocking: 1 all written, 0 more
 * to write (poll for POLLOUT), -errno the client is gone. */
int sessd_out_flush(struct sessd_out *o, uint64_t now_ms);
void sessd_out_free(struct sessd_out *o);

int sessd_listener(const struct sessd *s);

/* frontend.c: the session socket's clients, read without privilege. */
struct gw_frontend {
	pid_t	pid;	/* its keeper, which restarts it */
	int	fd;	/* to it; -1 once it is gone */
};
/* Forks the frontend (before the key is read), which serves sd. */
int gw_frontend_start(struct gw_frontend *fe, struct sessd *sd, struct sk_error *err);
/* After fe->fd was readable: 1 with a request checked again and the
 * client's socket in *client (the caller replies and closes it), 0 when
 * there was none or it was refused (one log line). */
int gw_frontend_receive(struct gw_frontend *fe, struct gws_req *req, int *client);
void gw_frontend_stop(struct gw_frontend *fe);

/* daemon.c, client.c */
int gw_run(int argc, char *argv[]);
int gw_prune_main(void *ctx, int argc, char *argv[]);
int gw_status_main(void *ctx, int argc, char *argv[]);
int gw_session_main(void *ctx, int argc, char *argv[]);

#endif
