/*
 * libpq, loaded when the first PostgreSQL registry URL is met (dlopen),
 * not by the dynamic linker at every start of every program that links
 * the registry. libpq brings 27 libraries of its own (Kerberos, LDAP,
 * GnuTLS, SASL, ...): their loading and relocation cost each start about
 * 3 ms, on SQLite as much as on PostgreSQL, and a gateway's start races
 * `wg syncconf` (docs/gateway.md, "Figures").
 *
 * Every file of the project that calls libpq includes this header after
 * <libpq-fe.h>: each PQ function named below becomes a call through
 * reg_pq's pointer, typed from libpq-fe.h's own declaration (__typeof__),
 * so a mismatch cannot compile. reg_open loads it for a PostgreSQL URL
 * (its failure is reg_open's, with the reason), so the backend and the
 * feed, which only ever have a registry it opened, find it loaded;
 * reg_pg_connect and reg_url_has_password, callable on their own, load
 * it themselves. The library is never unloaded: a
 * connection made later (a reconnection, the feed's listener) finds it
 * in place, after a sandbox has closed the file system too.
 */
#ifndef SEKISHO_REGISTRY_PQLOAD_H
#define SEKISHO_REGISTRY_PQLOAD_H

#include <libpq-fe.h>

#include "lib/util.h"

#define REG_PQ_SONAME	"libpq.so.5"

#define REG_PQ_FUNCS(X) \
	X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQconninfoFree) \
	X(PQconninfoParse) X(PQconsumeInput) X(PQenterPipelineMode) \
	X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQexecPrepared) \
	X(PQexitPipelineMode) X(PQfinish) X(PQfreemem) X(PQgetResult) \
	X(PQgetisnull) X(PQgetvalue) X(PQhost) X(PQnfields) X(PQnotifies) \
	X(PQntuples) X(PQpipelineSync) X(PQprepare) X(PQresultErrorField) \
	X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQueryParams) \
	X(PQsendQueryPrepared) X(PQsetNoticeReceiver) X(PQsetnonblocking) \
	X(PQsocket) X(PQstatus) X(PQtransactionStatus)

struct reg_pq {
#define REG_PQ_MEMBER(f)	__typeof__(f) *f;
	REG_PQ_FUNCS(REG_PQ_MEMBER)
#undef REG_PQ_MEMBER
};

extern struct reg_pq reg_pq;

/* libpq loaded and every function above found: 0 (at once after the
 * first success), or -ENOENT with err naming the library and what
 * dlopen/dlsym said. Thread-safe. */
int reg_pq_load(struct sk_error *err);

#ifndef REG_PQ_NO_MACROS
#define PQclear			(reg_pq.PQclear)
#define PQcmdTuples		(reg_pq.PQcmdTuples)
#define PQconnectdbParams	(reg_pq.PQconnectdbParams)
#define PQconninfoFree		(reg_pq.PQconninfoFree)
#define PQconninfoParse		(reg_pq.PQconninfoParse)
#define PQconsumeInput		(reg_pq.PQconsumeInput)
#define PQenterPipelineMode	(reg_pq.PQenterPipelineMode)
#define PQerrorMessage		(reg_pq.PQerrorMessage)
#define PQexec			(reg_pq.PQexec)
#define PQexecParams		(reg_pq.PQexecParams)
#define PQexecPrepared		(reg_pq.PQexecPrepared)
#define PQexitPipelineMode	(reg_pq.PQexitPipelineMode)
#define PQfinish		(reg_pq.PQfinish)
#define PQfreemem		(reg_pq.PQfreemem)
#define PQgetResult		(reg_pq.PQgetResult)
#define PQgetisnull		(reg_pq.PQgetisnull)
#define PQgetvalue		(reg_pq.PQgetvalue)
#define PQhost			(reg_pq.PQhost)
#define PQnfields		(reg_pq.PQnfields)
#define PQnotifies		(reg_pq.PQnotifies)
#define PQntuples		(reg_pq.PQntuples)
#define PQpipelineSync		(reg_pq.PQpipelineSync)
#define PQprepare		(reg_pq.PQprepare)
#define PQresultErrorField	(reg_pq.PQresultErrorField)
#define PQresultErrorMessage	(reg_pq.PQresultErrorMessage)
#define PQresultStatus		(reg_pq.PQresultStatus)
#define PQsendQueryParams	(reg_pq.PQsendQueryParams)
#define PQsendQueryPrepared	(reg_pq.PQsendQueryPrepared)
#define PQsetNoticeReceiver	(reg_pq.PQsetNoticeReceiver)
#define PQsetnonblocking	(reg_pq.PQsetnonblocking)
#define PQsocket		(reg_pq.PQsocket)
#define PQstatus		(reg_pq.PQstatus)
#define PQtransactionStatus	(reg_pq.PQtransactionStatus)
#endif

#endif
