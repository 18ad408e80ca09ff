/*
 * sekisho-agent: sign-on in the work partition (docs/agent.md). One file
 * per concern: main.c (the subcommand table and options), login.c (the
 * sign-on flows), card.c + apdu.c (what is asked of a card), client.c (the
 * protocol with the netvm's relay), outcome.c (what the user reads),
 * state.c (who is signed on, for status and logout). The platform sits
 * behind sc.h (PC/SC), bio.h (biometrics), link.h (the work link) and
 * secret.h (PIN entry) and ui.h (the notification area); *_pcsc.c,
 * *_fprint.c, *_udp.c, *_posix.c and ui_none.c are the Linux side, *_win.c,
 * bio_winbio.c and sc_pcsc.c (again) the Windows side (win.mk).
 */
#ifndef SK_AGENT_AGENT_H
#define SK_AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "guestagent/sekisho-agent/client.h"
#include "guestagent/sekisho-agent/outcome.h"

#define AGENT_NETVM_DEFAULT	"172.30.0.1"	/* the netvm on the work link */
#define AGENT_STATE_DEFAULT	"/run/sekisho-agent"
#define AGENT_PRINTS_DEFAULT	"/var/lib/sekisho-agent/prints"
#define AGENT_OUTBOX_DEFAULT	"/var/lib/sekisho-agent"	/* survives a reboot */

enum { PRESENCE_NONE, PRESENCE_CARD, PRESENCE_FINGER };

struct agent {
	const char	*netvm;		/* numeric address */
	uint16_t	port;
	const char	*reader;	/* NULL: any */
	unsigned	wait_s;		/* for a card; 0: forever */
	int		pin_fd, code_fd;	/* -1: the terminal */
	const char	*user;		/* --user: staff id */
	const char	*prints;	/* template directory */
	const char	*state_dir;
	unsigned	finger_s;	/* for a finger */
	struct client_cfg cfg;
	int		verbose;
	/* watch, flush, mark (watch.c, flush.c, outbox.h) */
	const char	*outbox;	/* the audit outbox's directory */
	const char	*lock_cmd;	/* NULL: LOCK_CMD_DEFAULT */
	int		presence;	/* PRESENCE_* */
	unsigned	presence_s;	/* the period */
	unsigned	flush_s;	/* delivery every ... */
	int		no_card;	/* watch: no card, presence only */
	unsigned	count;		/* mark: how many */
	uint16_t	ctl_port;	/* sekishod's control socket on the work link */
};

/* login.c: each sets *o. */
void login_card(const struct agent *a, struct outcome *o);
/* The card flow for op (SIGNON_OP_SIGNON, SIGNON_OP_HANDOVER). */
void login_card_op(const struct agent *a, int op, struct outcome *o);
void login_otp(const struct agent *a, struct outcome *o);
void login_finger(const struct agent *a, struct outcome *o);
/* The biometric flow for op; with_pin: face or finger + PIN. */
void login_finger_op(const struct agent *a, int op, int with_pin, struct outcome *o);
void logout_run(const struct agent *a, const char *staff, struct outcome *o);
/* handover.c: a shared terminal, locked: another user's card + PIN (or,
 * finger set, their face or finger + PIN as --user) moves the laptop's
 * session to them. */
void handover_run(const struct agent *a, int finger, struct outcome *o);

/* card-info: prints what names the card; 0 or 1 with *o set. */
int card_info_run(const struct agent *a, struct outcome *o);
/* finger-enroll: 0, or 1 with *o set. */
int finger_enroll_run(const struct agent *a, struct outcome *o);

/* watch.c: locks on card removal and lapsed presence; runs until killed
 * (-1 with one line on stderr when it cannot start). */
int watch_run(const struct agent *a);
/* flush.c: delivers the audit outbox: 0 (*delivered events), or 1 with *o
 * set (what went through is written down as delivered). */
int outbox_flush(const struct agent *a, uint64_t *delivered, struct outcome *o);

/* uplink.c: the preferred uplink (wifi, wwan, an interface name, auto),
 * and the netvm's uplinks; each prints the outcome, returns EXIT_*. */
int prefer_run(const struct agent *a, const char *what);
int uplinks_run(const struct agent *a);

/* state.c: the session this agent opened (one line, 0600):
 * "v1 STAFF FACTOR UNTIL PRESENCE PERIOD\n", the last two the policy's
 * presence as the relay handed it with the challenge (0 0: none; a line
 * without them is a session without presence). */
struct agent_session {
	char		staff[65];
	int		factor;
	uint64_t	until;		/* unix seconds */
	uint8_t		presence;	/* SIGNON_PRES_* */
	uint8_t		presence_s;	/* its period, 0 with none */
};
int state_save(const char *dir, const struct agent_session *s);
/* 0, or -1 when there is none (or it is not one). */
int state_load(const char *dir, struct agent_session *s);
void state_clear(const char *dir);
/* What `status` and the tray say: "Signed on as ... until ...." (1) or
 * "Not signed on." (0), also for an expired session. */
int state_line(const char *dir, char *buf, size_t size);
/* One line of a state file: 0 or -1 (pure, fuzzed with the answers). */
int state_parse(const char *line, struct agent_session *s);

#endif
