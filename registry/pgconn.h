/* The one way the project opens a libpq connection (registry/pg.c's
 * registry connections, registry/feed.c's listener): a server that went
 * away silently (a firewall dropping, a cable) is noticed in seconds,
 * not after the system's keepalive default (2 h) or TCP's retransmission
 * limit (15 min).
 *
 *   - connect_timeout: a connection attempt gives up after
 *     REG_PG_CONNECT_S;
 *   - TCP keepalives: an idle connection (a gateway's LISTEN, a daemon
 *     between two queries) whose path is cut is declared dead after
 *     REG_PG_KEEPIDLE_S + REG_PG_KEEPCNT * REG_PG_KEEPINTVL_S, at most
 *     REG_PG_IDLE_DEAD_S;
 *   - tcp_user_timeout: data sent and not acknowledged for
 *     REG_PG_USER_TIMEOUT_MS (a query on a cut path) fails the
 *     connection: no query waits longer than that for a dead server.
 *
 * A value the URL itself gives (?keepalives_idle=30) wins: the site's
 * choice. Over a Unix socket libpq ignores the TCP ones. */
#ifndef SEKISHO_REGISTRY_PGCONN_H
#define SEKISHO_REGISTRY_PGCONN_H

#include <libpq-fe.h>

#define REG_PG_CONNECT_S	5
#define REG_PG_KEEPIDLE_S	4
#define REG_PG_KEEPINTVL_S	2
#define REG_PG_KEEPCNT		3
#define REG_PG_USER_TIMEOUT_MS	5000
#define REG_PG_IDLE_DEAD_S	(REG_PG_KEEPIDLE_S + REG_PG_KEEPCNT * REG_PG_KEEPINTVL_S)

/* PQconnectdbParams with the above before url (a postgresql:// URL or a
 * conninfo string); NULL when out of memory or when libpq could not be
 * loaded (reg_pq_load: the caller loads it first, for its message), else
 * check PQstatus. */
PGconn *reg_pg_connect(const char *url);

#endif
