/* libFuzzer: what the netvm answers the agent (guestagent/sekisho-agent/
 * client.h) and the agent's session file. Whatever the bytes: no crash; an
 * accepted RESULT names the nonce, op and factor asked; every outcome has
 * its one line; a control-socket answer (netvm.h) is a printable line or a
 * status within its bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guestagent/sekisho-agent/agent.h"
#include "guestagent/sekisho-agent/client.h"
#include "guestagent/sekisho-agent/netvm.h"
#include "guestagent/sekisho-agent/outcome.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
has_line(const struct outcome *o)
{
	char buf[256];

	if (strlen(outcome_message(o, buf, sizeof(buf))) == 0 ||
	    strchr(buf, '\n') != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signon_challenge ch;
	struct outcome o;
	struct agent_session s;
	uint8_t nonce[SIGNON_NONCE_LEN];
	char line[256];
	int r;

	memset(&o, 0, sizeof(o));
	r = client_parse_challenge(data, size, &ch, &o);
	if (r == 1) {
		if (o.kind != O_RELAY)
			__builtin_trap();
		has_line(&o);
	} else if (r == 0 && (size != SIGNON_CHALLENGE_LEN || ch.presence > SIGNON_PRES_MAX ||
	    (ch.presence == SIGNON_PRES_NONE) != (ch.presence_s == 0)))
		__builtin_trap();
	/* The nonce asked: the input's own at the RESULT's offset, so that
	 * accepted results are reached. */
	memset(nonce, 0, sizeof(nonce));
	if (size >= 8 + SIGNON_NONCE_LEN)
		memcpy(nonce, data + 8, SIGNON_NONCE_LEN);
	memset(&o, 0, sizeof(o));
	if (client_parse_result(data, size, nonce, SIGNON_OP_SIGNON, SIGNON_F_CARD_PIN, &o) == 0) {
		if (o.kind == O_OK && (o.op != SIGNON_OP_SIGNON || o.factor != SIGNON_F_CARD_PIN))
			__builtin_trap();
		has_line(&o);
	}
	/* an EVENTS_ACK for the batch the input itself names (offsets 72,
	 * 80, 104; zero where the input is shorter: a RELAY_ERR) */
	{
		struct signon_events_ack ack;
		uint64_t first = 0, id = 0;
		uint8_t count = size > 80 ? data[80] : 0;

		for (int i = 0; i < 8; i++) {
			first = first << 8 | (size >= 80 ? data[72 + i] : 0);
			id = id << 8 | (size >= 112 ? data[104 + i] : 0);
		}
		memset(&o, 0, sizeof(o));
		r = client_parse_ack(data, size, id, first, count, &ack, &o);
		if (r == 0 && (ack.first_seq != first || ack.count != count ||
		    ack.outbox != id || id == 0 ||
		    ack.count < 1 || ack.count > SIGNON_EV_MAX))
			__builtin_trap();
		if (r == 1) {
			if (o.kind != O_RELAY)
				__builtin_trap();
			has_line(&o);
		}
	}
	{
		static struct netvm_answer ans;
		char err[256], name[CTL_IFNAME_MAX + 1], ul[128];

		if (netvm_decode(data, size, &ans, err, sizeof(err)) == 0) {
			if (ans.type != CTL_T_STATUS) {
				for (const char *p = ans.line; *p != '\0'; p++)
					if ((unsigned char)*p < 0x20 || *p == 0x7f)
						__builtin_trap();
			} else {
				if (ans.status.n_uplinks > CTL_MAX_UPLINKS)
					__builtin_trap();
				for (size_t i = 0; i < ans.status.n_uplinks; i++)
					netvm_uplink_line(&ans.status, i, ul, sizeof(ul));
				if (netvm_uplink_resolve(&ans.status, "wifi", name, err,
				    sizeof(err)) == 0 && strncmp(name, "wl", 2) != 0)
					__builtin_trap();
			}
		} else if (strlen(err) == 0 || strchr(err, '\n') != NULL)
			__builtin_trap();
	}
	if (size < sizeof(line)) {
		memcpy(line, data, size);
		line[size] = '\0';
		if (state_parse(line, &s) == 0 && (strlen(s.staff) == 0 ||
		    s.presence > SIGNON_PRES_MAX || (s.presence == SIGNON_PRES_NONE) !=
		    (s.presence_s == 0) || (s.presence_s != 0 &&
		    (s.presence_s < SIGNON_PRES_PERIOD_MIN ||
		    s.presence_s > SIGNON_PRES_PERIOD_MAX))))
			__builtin_trap();
	}
	return 0;
}
