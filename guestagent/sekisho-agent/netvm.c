#include "guestagent/sekisho-agent/netvm.h"

#include <stdio.h>
#include <string.h>

#include "guestagent/sekisho-agent/ctlink.h"
#include "lib/ifname.h"

int
netvm_decode(const uint8_t *resp, size_t len, struct netvm_answer *ans, char *err,
    size_t errlen)
{
	struct sk_error e;
	uint32_t n;

	memset(ans, 0, sizeof(*ans));
	if (len < CTL_RESP_HDR_LEN) {
		snprintf(err, errlen, "the netvm's answer is cut short (%zu bytes)", len);
		return -1;
	}
	if (ctl_header_decode(resp, &ans->type, &n, &e) != 0) {
		snprintf(err, errlen, "the netvm's answer refused: %s", e.msg);
		return -1;
	}
	if (len != CTL_RESP_HDR_LEN + (size_t)n) {
		snprintf(err, errlen, "the netvm's answer refused: %zu bytes of payload, "
		    "expected %lu", len - CTL_RESP_HDR_LEN, (unsigned long)n);
		return -1;
	}
	if (ans->type == CTL_T_STATUS) {
		if (ctl_status_decode(resp + CTL_RESP_HDR_LEN, n, &ans->status, &e) != 0) {
			snprintf(err, errlen, "the netvm's status refused: %s", e.msg);
			return -1;
		}
		return 0;
	}
	if (ctl_line_check(resp + CTL_RESP_HDR_LEN, n, &e) != 0) {
		snprintf(err, errlen, "the netvm's answer refused: %s", e.msg);
		return -1;
	}
	memcpy(ans->line, resp + CTL_RESP_HDR_LEN, n - 1);	/* without its '\n' */
	ans->line[n - 1] = '\0';
	for (char *p = ans->line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';	/* nothing the terminal would act on */
	return 0;
}

int
netvm_ask(const char *addr, uint16_t port, const char *req, unsigned timeout_ms,
    struct netvm_answer *ans, char *err, size_t errlen)
{
	static uint8_t resp[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX];
	size_t len = 0;

	switch (ctlink_exchange(addr, port, req, resp, sizeof(resp), &len, timeout_ms)) {
	case LINK_OK:
		break;
	case LINK_E_ADDR:
		snprintf(err, errlen, "%s is not a numeric address", addr);
		return -1;
	case LINK_E_TIMEOUT:
		snprintf(err, errlen, "the netvm does not answer on the work link (%s port %u)",
		    addr, port);
		return -1;
	default:
		snprintf(err, errlen, "the netvm refuses the connection on the work link "
		    "(%s port %u)", addr, port);
		return -1;
	}
	return netvm_decode(resp, len, ans, err, errlen);
}

static int
kind_of(const char *name, const char *what)
{
	if (strcmp(what, "wifi") == 0)
		return strncmp(name, "wl", 2) == 0;
	return strncmp(name, "ww", 2) == 0;
}

int
netvm_uplink_resolve(const struct ctl_status *st, const char *what,
    char out[CTL_IFNAME_MAX + 1], char *err, size_t errlen)
{
	char names[CTL_MAX_UPLINKS * (CTL_IFNAME_MAX + 2) + 8], which[sizeof(names)];
	size_t found = 0, nl = 0, wl = 0;
	const char *kind;

	out[0] = '\0';
	if (strcmp(what, "auto") == 0)
		return 0;
	if (strcmp(what, "wifi") != 0 && strcmp(what, "wwan") != 0) {
		if (!ifname_valid(what)) {
			snprintf(err, errlen, "%s is not an interface name", what);
			return -1;
		}
		snprintf(out, CTL_IFNAME_MAX + 1, "%s", what);
		return 0;
	}
	kind = strcmp(what, "wifi") == 0 ? "Wi-Fi" : "WWAN";
	names[0] = which[0] = '\0';
	for (size_t i = 0; st != NULL && i < st->n_uplinks; i++) {
		const char *n = st->uplinks[i].name;

		nl += (size_t)snprintf(names + nl, sizeof(names) - nl, "%s%s", nl ? ", " : "", n);
		if (!kind_of(n, what))
			continue;
		wl += (size_t)snprintf(which + wl, sizeof(which) - wl, "%s%s", wl ? ", " : "", n);
		if (found++ == 0)
			snprintf(out, CTL_IFNAME_MAX + 1, "%s", n);
	}
	if (found == 1)
		return 0;
	out[0] = '\0';
	if (found == 0)
		snprintf(err, errlen, "no %s uplink on this laptop (uplinks: %s); name one",
		    kind, nl ? names : "none");
	else
		snprintf(err, errlen, "%zu %s uplinks (%s); name one", found, kind, which);
	return -1;
}

void
netvm_uplink_line(const struct ctl_status *st, size_t i, char *out, size_t size)
{
	const struct ctl_uplink *u = &st->uplinks[i];

	snprintf(out, size, "%s (priority %lu%s%s%s%s)", u->name, (unsigned long)u->priority,
	    u->flags & CTL_U_CARRIER ? ", carrier" : ", no carrier",
	    u->flags & CTL_U_ADDR ? ", address" : "",
	    st->active == i + 1 ? ", active" : "",
	    (st->flags & CTL_S_PREFER) && strcmp(st->prefer, u->name) == 0 ? ", preferred" : "");
}

void
netvm_status_text(const struct ctl_status *st, uint64_t elapsed_s, char *out, size_t size)
{
	char path[96], pres[64];
	uint64_t age;

	if (st->mode == CTL_MODE_BLOCKED)
		snprintf(path, sizeof(path), "Blocked: LGWAN unreachable.");
	else if (st->mode == CTL_MODE_OFFICE)
		snprintf(path, sizeof(path), "Office LAN: no tunnel.");
	else if (!(st->flags & CTL_S_TUNNEL))
		snprintf(path, sizeof(path), "Tunnel: not read.");
	else if (st->tunnel.handshake_age_s < 0)
		snprintf(path, sizeof(path), "Tunnel: no handshake yet.");
	else if ((age = (uint64_t)st->tunnel.handshake_age_s + elapsed_s) <
	    NETVM_HANDSHAKE_STALE_S)
		snprintf(path, sizeof(path), "Tunnel: up, last handshake %llu s ago.",
		    (unsigned long long)age);
	else
		snprintf(path, sizeof(path), "Tunnel: no handshake for %llu min.",
		    (unsigned long long)(age / 60));
	if (st->flags & CTL_S_PRESENCE)
		snprintf(pres, sizeof(pres), "Presence check: %s, every %u s.",
		    st->presence == CTL_PRES_FACE ? "face" : "card", (unsigned)st->presence_s);
	else
		snprintf(pres, sizeof(pres), "No presence check.");
	snprintf(out, size, "%s %s", path, pres);
}
