/*
 * When sekishod fetches bundles (docs/distribution.md), and what comes of
 * it; running the sekisho-fetch helper itself is fetcher.c's. At entering
 * remote or office mode (a path exists), then every distribution interval
 * with jitter; one at a time, each with a deadline. A fetched bundle goes
 * through reload(), as if put at the incoming path by hand.
 */
#include "netvm/sekishod/sekishod.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/util.h"
#include "netvm/sekishod/control.h"

static int
fetch_enabled(const struct sekishod *d)
{
	return d->bundled && d->pol.dist_server.sin_family == AF_INET;
}

static void
fetch_next(struct sekishod *d, int failed)
{
	if (!fetch_enabled(d) || d->rules_mode == MODE_BLOCKED)
		timers_on_fetch_off(&d->timers);
	else
		timers_on_fetch_done(&d->timers, now_ms(), timers_fetch_interval_ms(&d->pol),
		    failed, (uint32_t)random());
}

static unsigned long long
fetch_next_s(const struct sekishod *d)
{
	uint64_t at = d->timers.at[T_FETCH], now = now_ms();

	return at > now ? (at - now + 999) / 1000 : 0;
}

/* One line for a fetch that went wrong; tried again sooner than usual. */
static void
fetch_failed(struct sekishod *d, const char *why)
{
	fetch_next(d, 1);
	fetch_result(&d->fetch, "error: %s", why);
	log_warnx("fetch over %s: %s; next try in %llu s", d->fetch.via, why,
	    fetch_next_s(d));
}

/* Over the path of the mode in force: its mark picks the routing table. */
void
fetch_now(struct sekishod *d)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	struct fetch_args a = {
		.server = d->pol.dist_server, .device = d->acc.trust.device,
		.serial = d->acc.accepted, .incoming = d->acc.incoming,
	};
	char via[48];

	if (!fetch_enabled(d) || d->rules_mode == MODE_BLOCKED) {
		timers_on_fetch_off(&d->timers);
		return;
	}
	if (fetch_running(&d->fetch))
		return;
	if (d->rules_mode == MODE_OFFICE) {
		snprintf(via, sizeof(via), "the office LAN on %s", u != NULL ? u->name : "?");
		a.mark = SK_MARK_OFFICE;
	} else {
		sk_strlcpy(via, "the tunnel", sizeof(via));
		a.mark = SK_MARK_TUNNEL;
	}
	a.via = via;
	if (fetch_start(&d->fetch, &a, now_ms()) < 0) {
		sk_strlcpy(d->fetch.via, via, sizeof(d->fetch.via));
		fetch_failed(d, d->fetch.line);
		return;
	}
	timers_on_fetch_started(&d->timers, now_ms(), FETCH_TIMEOUT_MS);
	log_debug("fetch over %s: asking %s for a bundle above serial %llu", via,
	    d->fetch.server, (unsigned long long)a.serial);
}

/* The helper has exited and said all it had to say. */
/* A fetched bundle that was refused leaves the incoming path, so that it
 * is not taken up again by the next reload: kept once as INCOMING.refused
 * for IT to look at (docs/distribution.md). The refusal's one line has
 * said everything; this adds none. */
static void
set_aside(const char *incoming)
{
	char aside[PATH_MAX];

	if (snprintf(aside, sizeof(aside), "%s.refused", incoming) >= (int)sizeof(aside) ||
	    rename(incoming, aside) == -1)
		unlink(incoming);
}

void
fetch_end(struct sekishod *d)
{
	unsigned long long held = (unsigned long long)d->acc.accepted;
	char result[640];
	struct sk_error err;
	struct buf out;
	size_t n;
	int rc;

	if (!fetch_exited(&d->fetch))
		return;
	/* What it wrote is read by the engine, not here (engmsg.h); a lie
	 * keeps nothing it brought. */
	if ((rc = eng_parse_fetch(d, &d->fetch, &err)) < 0) {
		fetch_discard(&d->fetch);
		snprintf(result, sizeof(result), "the helper's output %s: %s",
		    rc == -2 ? "not read" : "refused", err.msg);
		fetch_failed(d, result);
		return;
	}
	switch (fetch_finish(&d->fetch, d->acc.incoming)) {
	case FETCH_RUNNING:
		return;
	case FETCH_ERROR:
		fetch_failed(d, d->fetch.line);
		return;
	case FETCH_NONE:
		fetch_result(&d->fetch, "unchanged: %s has nothing newer than serial %llu",
		    d->fetch.server, held);
		log_debug("fetch over %s: %s has nothing newer than serial %llu",
		    d->fetch.via, d->fetch.server, held);
		/* Nothing newer, without the agency's word for it, extends
		 * nothing: anyone on the path can say that. */
		if (d->fresh.expired)
			log_debug("fetch over %s: no freshness statement; policy serial %llu "
			    "stays expired", d->fetch.via, held);
		break;
	case FETCH_STATEMENT:
		log_debug("fetch over %s: %s has nothing newer than serial %llu, with a "
		    "freshness statement", d->fetch.via, d->fetch.server, held);
		expiry_statement(d, d->fetch.statement, d->fetch.statement_len,
		    d->fetch.server, result, sizeof(result));
		fetch_result(&d->fetch, "%s", result);
		break;
	case FETCH_NEWER:
		log_info("fetch over %s: a newer bundle from %s (%lld bytes), put at %s",
		    d->fetch.via, d->fetch.server, (long long)d->fetch.size, d->acc.incoming);
		buf_init(&out);
		reload(d, &out);
		n = buf_str(&out) != NULL ? strcspn(out.p, "\n") : 0;
		fetch_result(&d->fetch, "%.*s", (int)n, n > 0 ? out.p : "?");
		if (n > 0 && strncmp(out.p, "refused:", 8) == 0)
			set_aside(d->acc.incoming);
		buf_free(&out);
		break;
	}
	fetch_next(d, 0);
}

void
fetch_overdue(struct sekishod *d)
{
	if (!fetch_running(&d->fetch))
		return;
	fetch_stop(&d->fetch);
	fetch_failed(d, "the fetch did not finish in time");
}

/* A new mode: a fetch under way used the old path (its address
 * translation is gone), so it starts again on the new one. */
void
fetch_on_mode(struct sekishod *d, enum mode prev)
{
	if (d->rules_mode == prev || !fetch_enabled(d))
		return;
	if (fetch_running(&d->fetch))
		fetch_stop(&d->fetch);
	if (d->rules_mode == MODE_BLOCKED)
		timers_on_fetch_off(&d->timers);
	else
		fetch_now(d);
}

/* A live policy change may add, move or remove the server. */
void
fetch_on_policy(struct sekishod *d)
{
	if (!fetch_enabled(d)) {
		if (fetch_running(&d->fetch))
			fetch_stop(&d->fetch);
		timers_on_fetch_off(&d->timers);
	} else if (!fetch_running(&d->fetch) && d->timers.at[T_FETCH] == 0)
		fetch_next(d, 0);
}

const struct fetch_status *
fetch_gather(const struct sekishod *d, struct fetch_status *fs)
{
	static char server[INET_ADDRSTRLEN + 6];
	char a[INET_ADDRSTRLEN];

	if (!fetch_enabled(d))
		return NULL;
	snprintf(server, sizeof(server), "%s:%u", inet_ntop(AF_INET,
	    &d->pol.dist_server.sin_addr, a, sizeof(a)), ntohs(d->pol.dist_server.sin_port));
	fs->server = server;
	fs->interval_s = d->pol.dist_interval_s;
	fs->running = fetch_running(&d->fetch);
	fs->next_s = d->timers.at[T_FETCH] != 0 ? (long long)fetch_next_s(d) : -1;
	fs->last = d->fetch.last_wall.tv_sec;
	fs->result = d->fetch.result;
	return fs;
}
