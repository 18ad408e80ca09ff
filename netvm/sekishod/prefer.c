/*
 * The employee's preferred uplink (docs/control.md, "Uplink preference"):
 * "prefer UPLINK|auto" from the control socket, the agent's on the work
 * link included. The engine decides (engine.h: engine_prefer_check, and a
 * preferred uplink first among those it would use for the tunnel anyway);
 * this is the edge: one answer line, one log line per change, and the
 * preference given again to every fresh engine. It is not written to
 * disk: a restarted sekishod starts from the policy's order (docs).
 */
#include "netvm/sekishod/sekishod.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/util.h"

/* Where the mode stands now, as the answer's second half. */
static void
standing(const struct sekishod *d, char *out, size_t size)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	const char *name = u != NULL ? u->name : "?";

	switch (d->engine.mode) {
	case MODE_REMOTE:
		snprintf(out, size, "the tunnel runs over %s", name);
		break;
	case MODE_OFFICE:
		snprintf(out, size, "office mode over %s", name);
		break;
	default:
		snprintf(out, size, "blocked (%s)", d->engine.reason);
		break;
	}
}

/* The uplinks a preference may name, for the refusal of another name. */
static void
uplink_names(const struct engine *e, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < e->n_uplinks && len + 1 < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "",
		    e->uplinks[i].name);
	if (e->n_uplinks == 0)
		snprintf(out, size, "none");
}

static void
feed(struct sekishod *d, const char *uplink)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = EV_PREFER;
	sk_strlcpy(ev.name, uplink, sizeof(ev.name));
	ev.now_ms = now_ms();
	on_event(&ev, d);
}

void
ctl_prefer(const char *uplink, struct buf *out, void *arg)
{
	struct sekishod *d = arg;
	const struct uplink *u;
	char now[128], names[ENGINE_MAX_UPLINKS * IF_NAMESIZE + 8], was[IF_NAMESIZE];
	const char *why;

	if (!eng_running(d)) {
		buf_printf(out, "refused: the engine is restarting; nothing changed\n");
		return;
	}
	switch (engine_prefer_check(&d->engine, uplink, &why)) {
	case PREFER_UNKNOWN:
		uplink_names(&d->engine, names, sizeof(names));
		buf_printf(out, "refused: %s is not an uplink (%s); nothing changed\n", uplink,
		    names);
		return;
	case PREFER_DOWN:
		buf_printf(out, "refused: %s cannot carry the tunnel now (%s); nothing changed\n",
		    uplink, why);
		return;
	case PREFER_OFFICE:
		u = engine_office_uplink(&d->engine);
		buf_printf(out, "refused: office mode over %s (beacon %s): a proven office LAN "
		    "is not left for a preference; nothing changed\n", u != NULL ? u->name : "?",
		    u != NULL ? u->beacon : "?");
		return;
	case PREFER_SAME:
		standing(d, now, sizeof(now));
		if (uplink[0] == '\0')
			buf_printf(out, "unchanged: no uplink is preferred; %s\n", now);
		else
			buf_printf(out, "unchanged: %s is the preferred uplink already; %s\n",
			    uplink, now);
		return;
	case PREFER_OK:
		break;
	}
	sk_strlcpy(was, d->prefer, sizeof(was));
	sk_strlcpy(d->prefer, uplink, sizeof(d->prefer));
	feed(d, uplink);
	standing(d, now, sizeof(now));
	log_info("uplink preference: %s (was %s); %s", uplink[0] ? uplink : "automatic",
	    was[0] ? was : "automatic", now);
	if (uplink[0] == '\0')
		buf_printf(out, "accepted: no uplink is preferred, the policy's order; %s\n", now);
	else
		buf_printf(out, "accepted: %s is the preferred uplink; %s\n", uplink, now);
}

void
prefer_restore(struct sekishod *d)
{
	struct action acts[ENG_MAX_ACTS];
	struct event ev;
	int quiet = d->quiet;

	if (d->prefer[0] == '\0')
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_PREFER;
	sk_strlcpy(ev.name, d->prefer, sizeof(ev.name));
	ev.now_ms = now_ms();
	d->quiet = 1;	/* the restate that follows carries the decision out */
	eng_handle(d, &ev, acts);
	d->quiet = quiet;
}
