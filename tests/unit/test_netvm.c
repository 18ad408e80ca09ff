/* The netvm's edges that need no kernel: the rendered ruleset (and nft's
 * own dry-run verdict on it), the control protocol, the status output, the
 * translation of rtnetlink messages into engine events, and for signed
 * bundles the pinned key files, the verifying helper's protocol and the
 * comparison behind a live policy change. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/encode.h"
#include "netvm/sekishod/control.h"
#include "tests/unit/status_wire.h"
#include "lib/nftload.h"
#include "policy/render/fw_render.h"
#include "policy/render/fw_model.h"
#include "netvm/sekishod/live.h"
#include "netvm/sekishod/rtnl.h"
#include "netvm/sekishod/timers.h"
#include "netvm/sekishod/trust.h"
#include "netvm/sekishod/bundle_verify.h"
#include "policy/policy.h"

#include <linux/if.h>	/* after net/if.h, for IFF_LOWER_UP */

static const char policy_text[] =
    "version 1\nserial 42\n"
    "device {\n\ttunnel-address 10.77.0.2/32\n\tkey-file \"/etc/sekisho/device.key\"\n}\n"
    "gateway \"agency-gw\" {\n\tendpoint 192.0.2.10:51820\n"
    "\tpublic-key \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n}\n"
    "lgwan {\n\tprefix 10.64.0.0/16\n\tprefix 10.65.0.0/16\n\tresolver 10.64.0.53\n}\n"
    "work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n";

static struct policy pol;

static int
setup_policy(void **state)
{
	struct sk_error err;

	(void)state;
	if (policy_parse_buf("test.conf", policy_text, sizeof(policy_text) - 1, &pol,
	    &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
teardown_policy(void **state)
{
	(void)state;
	policy_free(&pol);
	return 0;
}

static const uint8_t router_mac[6] = { 0x02, 0x53, 0x4b, 0x00, 0x0a, 0x01 };

static char *
render(enum mode mode, const struct policy *p)
{
	struct fw_params fp = {
	    .mode = mode, .pol = p, .work_if = "wk0", .tun_if = "skt0",
	    .uplink = "up0", .router_mac = router_mac };
	struct buf b;

	buf_init(&b);
	fw_render(&fp, &b);
	assert_non_null(buf_str(&b));
	return b.p;
}

static void
test_remote_ruleset(void **state)
{
	char *t = render(MODE_REMOTE, &pol);

	(void)state;
	assert_non_null(strstr(t, "table inet sekisho\ndelete table inet sekisho\n"));
	assert_non_null(strstr(t, "elements = { 10.64.0.0/16, 10.65.0.0/16 }"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" oifname \"skt0\" ip daddr @lgwan ct mark set meta mark map @fwd_gen counter accept\n"));
	/* Work's established flows accepted by this policy on this path are
	 * accepted without the lookups, after every check a packet of
	 * theirs must still pass: source, DNS (fw_rules.c). */
	const char *early = strstr(t, "\t\tiifname \"wk0\" oifname \"skt0\" ct state established ct mark . meta mark @fwd_cached counter accept\n");
	assert_non_null(early);
	assert_true(early > strstr(t, "\t\tiifname \"wk0\" ip saddr != 172.30.0.2 counter drop\n"));
	assert_true(early > strstr(t, "\t\tiifname \"wk0\" oifname \"skt0\" ct status snat ct reply ip daddr != 10.77.0.2 counter reject"));
	assert_true(early > strstr(t, "\t\tiifname \"wk0\" tcp dport { 53, 853 } ip daddr != @resolvers counter reject with tcp reset\n"));
	assert_true(early < strstr(t, "ip daddr @lgwan ct mark set meta mark map @fwd_gen counter accept"));
	assert_non_null(strstr(t, "\tset fwd_cached {\n\t\ttype mark . mark\n\t\telements = { 0x"));
	assert_non_null(strstr(t, "\tmap fwd_gen {\n\t\ttype mark : mark\n\t\telements = { 0x5e1 : 0x"));
	assert_null(strstr(t, "@fwd_cached_office meta mark"));	/* office mode's */
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" ip saddr != 172.30.0.2 counter drop\n"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" udp dport 53 ip daddr != @resolvers counter reject with icmpx admin-prohibited\n"));
	/* Work's DNS goes to the resolver in map dns_pick: the first. */
	assert_non_null(strstr(t, "iifname \"wk0\" ip daddr 172.30.0.1 meta l4proto { tcp, udp } th dport 53 "
	    "ct mark set 0x5ec0d553 dnat ip to ip daddr map @dns_pick\n"));
	assert_non_null(strstr(t, "\tmap dns_pick {\n\t\ttype ipv4_addr : ipv4_addr\n"
	    "\t\telements = { 172.30.0.1 : 10.64.0.53 }\n\t}\n"));
	assert_non_null(strstr(t, "oifname \"skt0\" ip saddr != 10.77.0.2 snat ip to 10.77.0.2\n"));
	assert_non_null(strstr(t, "\t\tip daddr . udp dport @gateways accept\n"));
	/* The netvm's own flows still translated to a former tunnel address
	 * are refused before anything of its own is let into the tunnel. */
	const char *own = strstr(t, "\t\tct status snat ct reply ip daddr != 10.77.0.2 meta l4proto tcp counter reject with tcp reset\n"
	    "\t\tct status snat ct reply ip daddr != 10.77.0.2 counter reject with icmpx admin-prohibited\n"
	    "\t\toifname \"skt0\" accept\n");
	assert_non_null(own);
	assert_true(own > strstr(t, "\tchain output {\n"));
	assert_true(own < strstr(t, "\t\tmeta mark 0x5e1 accept\n"));
	assert_non_null(strstr(t, "\tset gateways {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { 192.0.2.10 . 51820 }\n\t}\n"));
	assert_non_null(strstr(t, "tcp option maxseg size set rt mtu"));
	/* The only accept of work's traffic is into the tunnel. */
	assert_null(strstr(t, "iifname \"wk0\" accept"));
	free(t);
}

static void
test_office_ruleset(void **state)
{
	char *t = render(MODE_OFFICE, &pol);

	(void)state;
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" oifname \"up0\" ip daddr @lgwan ct mark set meta mark map @fwd_gen counter accept\n"));
	/* office mode's mark cached too, before the lookup in lgwan */
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" ct state established ct mark @fwd_cached_office meta mark set 0x5e2 accept\n"
	    "\t\tiifname \"wk0\" ip daddr @lgwan meta mark set 0x5e2\n"));
	/* the cached verdict after the vouch's check */
	assert_true(strstr(t, "\t\tiifname \"wk0\" oifname \"up0\" ct state established ct mark . meta mark @fwd_cached counter accept\n") >
	    strstr(t, "oifname != @office_vouch counter reject"));
	assert_non_null(strstr(t, "oifname != @office_vouch counter reject"));
	assert_non_null(strstr(t, "\t\tiifname \"up0\" iifname @office_vouch oifname \"wk0\" ct state established,related accept\n"));
	/* Office mode holds only while sekishod vouches for the uplink: a
	 * deadline in the kernel, on every office path. */
	assert_non_null(strstr(t, "\tset office_vouch {\n\t\ttype ifname\n\t\tflags timeout\n"
	    "\t\telements = { \"up0\" timeout 1500ms }\n\t}\n"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" oifname \"up0\" oifname != @office_vouch counter reject with icmpx admin-prohibited\n"));
	assert_non_null(strstr(t, "\t\tmeta mark 0x5e2 oifname != @office_vouch counter drop\n"));
	assert_true(strstr(t, "oifname != @office_vouch counter reject") <
	    strstr(t, "oifname \"up0\" ip daddr @lgwan ct mark set meta mark map @fwd_gen counter accept"));
	assert_non_null(strstr(t, "\t\toifname \"up0\" ip saddr 172.30.0.2 masquerade\n"));
	/* The office mark only on what is bound for LGWAN, the resolvers or
	 * the netvm's DNS (the office table holds one default route). */
	assert_null(strstr(t, "\t\tiifname \"wk0\" meta mark set 0x5e2\n"));
	/* Office mode's start forgot every tracked connection: no rule for
	 * flows translated to a former tunnel address, work's or the netvm's. */
	assert_null(strstr(t, "ct status snat"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" ip daddr @lgwan meta mark set 0x5e2\n"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" ip daddr @resolvers meta mark set 0x5e2\n"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" ip daddr 172.30.0.1 meta l4proto { tcp, udp } th dport 53 meta mark set 0x5e2\n"));
	/* Nothing from work goes into the tunnel in office mode. */
	assert_null(strstr(t, "oifname \"skt0\" ip daddr @lgwan counter accept"));
	/* The office path leaves the uplink only towards the office router
	 * (fw_office.h), in the same transaction, after the inet table, and
	 * only while that router answers ARP (router_alive). */
	assert_non_null(strstr(t, "}\ntable netdev sekisho_office\ndelete table netdev sekisho_office\n"
	    "table netdev sekisho_office {\n\tset office_router {\n\t\ttype ether_addr\n"
	    "\t\telements = { 02:53:4b:00:0a:01 }\n\t}\n"
	    "\tset router_alive {\n\t\ttype ether_addr\n\t\tflags timeout\n\t}\n"
	    "\tchain ingress {\n"
	    "\t\ttype filter hook ingress device \"up0\" priority filter; policy accept;\n"
	    "\t\tether saddr 02:53:4b:00:0a:01 arp operation reply arp saddr ether 02:53:4b:00:0a:01 "
	    "update @router_alive { ether saddr timeout 250ms }\n\t}\n"
	    "\tchain egress {\n"
	    "\t\ttype filter hook egress device \"up0\" priority filter; policy accept;\n"
	    "\t\tmeta mark and 0xffff == 0x5e2 ether daddr != @office_router counter drop\n"
	    "\t\tmeta mark and 0xffff == 0x5e2 ether daddr != @router_alive counter drop\n\t}\n}\n"));
	free(t);
	t = render(MODE_REMOTE, &pol);
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" meta mark set 0x5e1\n"));
	assert_null(strstr(t, "oifname \"up0\""));
	/* The set is the table's in every mode (a mode change does not
	 * declare it), empty and named by no rule outside office mode. */
	assert_null(strstr(t, "@office_vouch"));
	assert_non_null(strstr(t, "\tset office_vouch {\n\t\ttype ifname\n\t\tflags timeout\n\t}\n"));
	/* After office mode, the uplink it used drops every office-path
	 * frame (one still queued for its neighbour when the mode changed). */
	assert_non_null(strstr(t, "}\ntable netdev sekisho_office\ndelete table netdev sekisho_office\n"
	    "table netdev sekisho_office {\n\tchain egress {\n"
	    "\t\ttype filter hook egress device \"up0\" priority filter; policy accept;\n"
	    "\t\tmeta mark and 0xffff == 0x5e2 counter drop\n\t}\n}\n"));
	assert_null(strstr(t, "office_router"));
	free(t);
}

/* The router's liveness follows the policy's timers: router-alive is the
 * element's timeout; router-arp off renders neither the set, the ingress
 * chain nor the requirement, and the office path rests on the router's
 * MAC and office-vouch alone. Both are rulesets nft takes. */
static void
test_office_router_timers(void **state)
{
	static const char custom[] = "timers {\n\trouter-arp 40\n\trouter-alive 100\n}\n";
	static const char off[] = "timers {\n\trouter-arp off\n}\n";
	struct policy q;
	struct sk_error err;
	struct firewall *fw = fw_open(&err);
	char text[sizeof(policy_text) + 64], *t;

	(void)state;
	assert_non_null(fw);
	snprintf(text, sizeof(text), "%s%s", policy_text, custom);
	assert_int_equal(policy_parse_buf("t.conf", text, strlen(text), &q, &err), 0);
	t = render(MODE_OFFICE, &q);
	assert_non_null(strstr(t, "update @router_alive { ether saddr timeout 100ms }\n"));
	assert_null(strstr(t, "timeout 250ms"));
	assert_int_equal(fw_check(fw, t, &err), 0);
	free(t);
	policy_free(&q);

	snprintf(text, sizeof(text), "%s%s", policy_text, off);
	assert_int_equal(policy_parse_buf("t.conf", text, strlen(text), &q, &err), 0);
	t = render(MODE_OFFICE, &q);
	assert_non_null(strstr(t, "}\ntable netdev sekisho_office\ndelete table netdev sekisho_office\n"
	    "table netdev sekisho_office {\n\tset office_router {\n\t\ttype ether_addr\n"
	    "\t\telements = { 02:53:4b:00:0a:01 }\n\t}\n"
	    "\tchain egress {\n"
	    "\t\ttype filter hook egress device \"up0\" priority filter; policy accept;\n"
	    "\t\tmeta mark and 0xffff == 0x5e2 ether daddr != @office_router counter drop\n\t}\n}\n"));
	assert_null(strstr(t, "router_alive"));
	/* still bound to the vouch, in the kernel */
	assert_non_null(strstr(t, "\t\tmeta mark 0x5e2 oifname != @office_vouch counter drop\n"));
	assert_int_equal(fw_check(fw, t, &err), 0);
	free(t);
	/* after office mode: the same drop of the office path as with ARP */
	t = render(MODE_REMOTE, &q);
	assert_non_null(strstr(t, "table netdev sekisho_office {\n\tchain egress {\n"
	    "\t\ttype filter hook egress device \"up0\" priority filter; policy accept;\n"
	    "\t\tmeta mark and 0xffff == 0x5e2 counter drop\n\t}\n}\n"));
	free(t);
	policy_free(&q);
	fw_close(fw);
}

static void
test_blocked_ruleset(void **state)
{
	char *t = render(MODE_BLOCKED, &pol);

	(void)state;
	assert_null(strstr(t, "@lgwan counter accept"));
	assert_null(strstr(t, "dnat"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" meta l4proto tcp counter reject with tcp reset\n"));
	assert_non_null(strstr(t, "\t\tiifname \"wk0\" counter reject with icmpx admin-prohibited\n"));
	free(t);
}

static void
test_base_ruleset(void **state)
{
	char *t = render(MODE_BLOCKED, NULL);

	(void)state;
	assert_string_equal(t,
	    "table inet sekisho\ndelete table inet sekisho\ntable inet sekisho {\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy drop;\n"
	    "\t\tiif \"lo\" accept\n"
	    "\t\tmeta nfproto ipv6 counter drop\n"
	    "\t\tct state invalid drop\n"
	    "\t\tct state established,related accept\n"
	    "\t\tudp sport 67 udp dport 68 accept\n"
	    "\t\tcounter comment \"inbound refused\"\n\t}\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy drop;\n"
	    "\t\tcounter drop\n\t}\n"
	    "\tchain output {\n"
	    "\t\ttype filter hook output priority filter; policy drop;\n"
	    "\t\toif \"lo\" accept\n"
	    "\t\tmeta nfproto ipv6 counter drop\n"
	    "\t\tudp sport 68 udp dport 67 accept\n"
	    "\t\tcounter reject with icmpx admin-prohibited\n\t}\n"
	    "}\n"
	    /* no office table outlives office mode (fw_office.h) */
	    "table netdev sekisho_office\ndelete table netdev sekisho_office\n");
	free(t);
}


/* The model of the table p renders, parts as fw_render_policy/_mode. */
static struct fw_model *
model(enum mode mode, const struct policy *p, const char *uplink)
{
	struct fw_params fp = {
	    .mode = mode, .pol = p, .work_if = "wk0", .tun_if = "skt0",
	    .uplink = uplink };
	struct fw_model *m = fw_model_new();
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	fw_render_policy(&fp, &a);
	fw_render_mode(&fp, &b);
	assert_non_null(m);
	assert_int_equal(fw_model_read(m, buf_str(&a), FW_MODEL_POLICY), 0);
	assert_int_equal(fw_model_read(m, buf_str(&b), FW_MODEL_MODE), 0);
	buf_free(&a);
	buf_free(&b);
	return m;
}

static char *
diff(const struct fw_model *a, const struct fw_model *b, int parts, long *cmds)
{
	struct buf o;

	buf_init(&o);
	*cmds = fw_model_diff(a, b, parts, &o);
	assert_true(*cmds >= 0);
	buf_printf(&o, "%s", "");
	return o.p;
}

static const char services_text[] =
    "version 1\nserial 43\n"
    "device {\n\ttunnel-address 10.77.0.2/32\n\tkey-file \"/etc/sekisho/device.key\"\n}\n"
    "gateway \"agency-gw\" {\n\tendpoint 192.0.2.10:51820\n"
    "\tpublic-key \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n}\n"
    "lgwan {\n\tprefix 10.64.0.0/16\n\tprefix 10.65.0.0/16\n\tprefix 10.70.0.0/16\n"
    "\tresolver 10.64.0.53\n}\n"
    "work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n"
    "office {\n\tresolver 10.99.0.53\n}\n"
    "service \"web\" {\n\tclass lgwan\n\tto 10.64.0.0/16\n\ttcp 80,443\n}\n"
    "service \"mail\" {\n\tclass lgwan\n\tto 10.65.0.0/16\n\ttcp 25\n\tmode remote\n}\n";

/* A mode change carries none of the policy's sets: only the mode's chains
 * and its small sets, remade; nothing at all when the mode is the same. */
static void
test_model_mode_switch(void **state)
{
	struct policy sp;
	struct sk_error err;
	struct fw_model *r, *o, *o2;
	long n;
	char *t;

	(void)state;
	assert_int_equal(policy_parse_buf("s.conf", services_text, sizeof(services_text) - 1,
	    &sp, &err), 0);
	r = model(MODE_REMOTE, &sp, NULL);
	o = model(MODE_OFFICE, &sp, "up0");
	o2 = model(MODE_OFFICE, &sp, "up0");
	t = diff(r, o, FW_MODEL_MODE, &n);
	assert_true(n > 0);
	assert_null(strstr(t, "set lgwan"));
	assert_null(strstr(t, "svc_class {"));
	assert_null(strstr(t, "add element"));
	assert_null(strstr(t, "delete element"));
	assert_non_null(strstr(t, "flush chain inet sekisho forward\n"));
	assert_non_null(strstr(t, "delete set inet sekisho resolvers\n"));
	assert_non_null(strstr(t, "\t\telements = { \"up0\" timeout 1500ms }\n"));
	assert_non_null(strstr(t, "\t\telements = { 10.99.0.53 }\n"));
	/* the flushes before anything is declared anew */
	assert_true(strstr(t, "flush chain") < strstr(t, "delete set"));
	assert_true(strstr(t, "delete set") < strstr(t, "table inet sekisho {"));
	/* The DNS map changes with the mode's resolvers: made anew, and the
	 * chain naming it at the end of a rule (dstnat) flushed first. */
	assert_non_null(strstr(t, "delete map inet sekisho dns_pick\n"));
	assert_non_null(strstr(t, "flush chain inet sekisho dstnat\n"));
	free(t);
	/* Same policy, same mode: nothing, but office_vouch's deadline,
	 * which starts again (and with it the chains naming it). */
	t = diff(o, o2, FW_MODEL_MODE | FW_MODEL_POLICY, &n);
	assert_non_null(strstr(t, "delete set inet sekisho office_vouch\n"));
	assert_null(strstr(t, "delete set inet sekisho resolvers"));
	free(t);
	t = diff(r, r, FW_MODEL_MODE | FW_MODEL_POLICY, &n);
	assert_int_equal(n, 0);
	assert_string_equal(t, "");
	free(t);
	fw_model_free(r);
	fw_model_free(o);
	fw_model_free(o2);
	policy_free(&sp);
}

/* The lab policy with 20 more prefixes, 10.80.0.0/24 .. 10.80.19.0/24,
 * the one at 10.80.X.0/24 replaced by 10.81.X.0/24 if swap >= 0. */
static void
big_policy(struct policy *p, int swap)
{
	struct sk_error err;
	struct buf t;
	const char *at = strstr(services_text, "\tresolver 10.64.0.53\n");

	buf_init(&t);
	buf_printf(&t, "%.*s", (int)(at - services_text), services_text);
	for (int i = 0; i < 20; i++)
		buf_printf(&t, "\tprefix 10.%d.%d.0/24\n", i == swap ? 81 : 80, i);
	buf_printf(&t, "%s", at);
	assert_non_null(buf_str(&t));
	assert_int_equal(policy_parse_buf("big.conf", t.p, t.len, p, &err), 0);
	buf_free(&t);
}

/* The policy part of p's table section by section into m, each section
 * whose bytes held has borrowed from it (as netvm/sekishod/firewall.c
 * does); the sections borrowed as bits. */
static unsigned int
model_sections(struct fw_model *m, const struct fw_model *held, const struct policy *p)
{
	struct fw_params fp = { .mode = MODE_REMOTE, .pol = p, .work_if = "wk0",
	    .tun_if = "skt0" };
	unsigned int kept = 0;
	struct buf key, text, b;

	for (int sec = 0; sec < FW_NSECTIONS; sec++) {
		buf_init(&key);
		buf_init(&text);
		if (fw_section_key(&fp, sec, &key) && held != NULL &&
		    fw_model_same_key(held, sec, &key)) {
			assert_int_equal(fw_model_borrow(m, held, sec), 0);
			kept |= 1u << sec;
		} else {
			fw_render_section(&fp, sec, &text);
			assert_int_equal(fw_model_read_section(m, text.len ? text.p : "",
			    FW_MODEL_POLICY, sec), 0);
		}
		if (key.len > 0)
			assert_int_equal(fw_model_set_key(m, sec, &key), 0);
		buf_free(&key);
		buf_free(&text);
	}
	buf_init(&b);
	fw_render_mode(&fp, &b);
	assert_int_equal(fw_model_read(m, buf_str(&b), FW_MODEL_MODE), 0);
	buf_free(&b);
	return kept;
}

static char *
printed(const struct fw_model *m)
{
	struct buf o;

	buf_init(&o);
	fw_model_print(m, &o);
	assert_non_null(buf_str(&o));
	return o.p;
}

/* A live change renders only the sections whose input changed: the others
 * are the held model's objects, borrowed, the same table as a fresh
 * render's; settled, they outlive the held model; freed unsettled, they
 * are not freed twice (ASan). */
static void
test_model_sections_kept(void **state)
{
	char text[sizeof(services_text) + 64], *a, *b;
	struct policy p1, p2;
	struct sk_error err;
	struct fw_model *held = fw_model_new(), *m = fw_model_new(), *fresh = fw_model_new();
	struct fw_model *m2 = fw_model_new();
	struct fw_elem_change *v;
	size_t n;

	(void)state;
	assert_int_equal(policy_parse_buf("t.conf", services_text, strlen(services_text),
	    &p1, &err), 0);
	/* one more lgwan prefix, the services as they were */
	snprintf(text, sizeof(text), "%s", services_text);
	{
		static const char ins[] = "\tprefix 10.71.0.0/16\n";
		char *at = strstr(text, "\tresolver 10.64.0.53\n");

		assert_non_null(at);
		memmove(at + strlen(ins), at, strlen(at) + 1);
		memcpy(at, ins, strlen(ins));
	}
	assert_int_equal(policy_parse_buf("t2.conf", text, strlen(text), &p2, &err), 0);
	assert_int_equal(model_sections(held, NULL, &p1), 0);
	assert_int_equal(model_sections(m, held, &p2),
	    (1u << FW_SEC_SVC));	/* LGWAN changed; SETS, BEACONS have no key */
	assert_int_equal(model_sections(fresh, NULL, &p2), 0);
	a = printed(m);
	b = printed(fresh);
	assert_string_equal(a, b);
	free(a);
	/* the change: the one prefix, nothing of the borrowed services */
	assert_int_equal(fw_model_elem_diff(held, m, FW_MODEL_POLICY | FW_MODEL_MODE, 1,
	    &v, &n), 1);
	/* the prefix, and the policy's generation (fw_rules.c): element
	 * changes too, nothing made anew */
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_false(v[i].flush);
		if (strcmp(v[i].set, "lgwan") == 0) {
			assert_int_equal(v[i].n_add, 1);
			assert_int_equal(v[i].n_del, 0);
		} else if (strcmp(v[i].set, "fwd_cached_office") == 0) {
			assert_int_equal(v[i].n_add, 1);
			assert_int_equal(v[i].n_del, 1);
		} else {
			assert_true(strcmp(v[i].set, "fwd_cached") == 0 || strcmp(v[i].set, "fwd_gen") == 0);
			assert_int_equal(v[i].n_add, 2);
			assert_int_equal(v[i].n_del, 2);
		}
	}
	fw_elem_changes_free(v, n);
	/* unsettled: freeing the borrower frees nothing of held's */
	assert_int_equal(model_sections(m2, held, &p1), (1u << FW_SEC_LGWAN) | (1u << FW_SEC_SVC));
	fw_model_free(m2);
	/* settled: the borrowed sections are m's, held is emptied of them */
	assert_int_equal(fw_model_settle(m, held), 0);
	fw_model_free(held);
	a = printed(m);
	assert_string_equal(a, b);
	free(a);
	free(b);
	fw_model_free(m);
	fw_model_free(fresh);
	policy_free(&p1);
	policy_free(&p2);
}

/* A policy change is the elements that went and came, and the chains that
 * changed: not the sets that stayed. A small set is made anew instead. */
static void
test_model_policy_diff(void **state)
{
	struct policy a, b;
	struct sk_error err;
	struct fw_model *ma, *mb;
	char *t;
	long n;

	(void)state;
	big_policy(&a, -1);
	big_policy(&b, 7);
	ma = model(MODE_REMOTE, &a, NULL);
	mb = model(MODE_REMOTE, &b, NULL);
	t = diff(ma, mb, FW_MODEL_MODE | FW_MODEL_POLICY, &n);
	/* The prefix, and the policy's generation (fw_rules.c): its two
	 * small sets made anew, with the chain that names them. */
	assert_int_equal(n, 10);
	assert_non_null(strstr(t, "delete element inet sekisho lgwan { 10.80.7.0/24 }\n"
	    "add element inet sekisho lgwan { 10.81.7.0/24 }\n"));
	assert_non_null(strstr(t, "flush chain inet sekisho forward\n"
	    "delete set inet sekisho fwd_cached\ndelete map inet sekisho fwd_gen\n"));
	assert_null(strstr(t, "set inet sekisho svc"));
	assert_null(strstr(t, "element inet sekisho svc"));
	free(t);
	fw_model_free(ma);
	fw_model_free(mb);
	policy_free(&a);
	policy_free(&b);
	/* 13 of the 20 withdrawn (more than FW_MODEL_REFILL_DELETES): the set
	 * is flushed and given its whole new list, the rules left alone. */
	big_policy(&a, -1);
	{
		struct buf t2;
		const char *at = strstr(services_text, "\tresolver 10.64.0.53\n");

		buf_init(&t2);
		buf_printf(&t2, "%.*s", (int)(at - services_text), services_text);
		for (int i = 13; i < 20; i++)
			buf_printf(&t2, "\tprefix 10.80.%d.0/24\n", i);
		buf_printf(&t2, "%s", at);
		assert_int_equal(policy_parse_buf("b.conf", t2.p, t2.len, &b, &err), 0);
		buf_free(&t2);
	}
	ma = model(MODE_REMOTE, &a, NULL);
	mb = model(MODE_REMOTE, &b, NULL);
	t = diff(ma, mb, FW_MODEL_MODE | FW_MODEL_POLICY, &n);
	/* the refill, and the generation's two sets made anew with the
	 * forward chain; not the chains that name lgwan */
	assert_int_equal(n, 9);
	assert_non_null(strstr(t, "flush set inet sekisho lgwan\nadd element inet sekisho lgwan { "));
	assert_non_null(strstr(t, ", 10.80.13.0/24, 10.80.14.0/24,"));
	assert_null(strstr(t, "10.80.12.0/24"));
	assert_null(strstr(t, "delete element"));
	assert_null(strstr(t, "flush chain inet sekisho modemark"));
	assert_null(strstr(t, "delete set inet sekisho lgwan"));
	free(t);
	fw_model_free(ma);
	fw_model_free(mb);
	policy_free(&a);
	policy_free(&b);
	/* three prefixes: lgwan declared anew, with the chain naming it */
	assert_int_equal(policy_parse_buf("s.conf", services_text, sizeof(services_text) - 1,
	    &a, &err), 0);
	ma = model(MODE_REMOTE, &a, NULL);
	mb = model(MODE_REMOTE, &pol, NULL);
	t = diff(ma, mb, FW_MODEL_MODE | FW_MODEL_POLICY, &n);
	assert_non_null(strstr(t, "flush chain inet sekisho modemark_local\n"));
	assert_non_null(strstr(t, "delete set inet sekisho lgwan\n"));
	assert_non_null(strstr(t, "\t\telements = { 10.64.0.0/16, 10.65.0.0/16 }\n"));
	free(t);
	fw_model_free(ma);
	fw_model_free(mb);
	policy_free(&a);
}

/* Text the renderer does not write is refused, not half read. */
static void
test_model_read_refuses(void **state)
{
	struct fw_model *m = fw_model_new();

	(void)state;
	assert_int_equal(fw_model_read(m, "\tset x {\n\t\ttype mark\n", FW_MODEL_POLICY), -1);
	assert_int_equal(fw_model_read(m, "rule\n", FW_MODEL_POLICY), -1);
	assert_int_equal(fw_model_read(m, "\tset y {\n\t\telements = { 1, 2\n\t}\n",
	    FW_MODEL_POLICY), -1);
	fw_model_free(m);
	/* nft keeps only a block's last "elements =" line: a model of both
	 * would not be the kernel's */
	m = fw_model_new();
	assert_int_equal(fw_model_read(m, "\tset z {\n\t\ttype mark\n\t\telements = { 1 }\n"
	    "\t\telements = { 2 }\n\t}\n", FW_MODEL_POLICY), -1);
	fw_model_free(m);
	/* elements added to a set not declared before */
	m = fw_model_new();
	assert_int_equal(fw_model_read(m, "add element inet sekisho nope { 1 }\n",
	    FW_MODEL_POLICY), -1);
	fw_model_free(m);
}

/* A "mark . inet_proto . inet_service" interval set of n elements, as the
 * renderer writes it (fw_svc.c). */
static char *
port_set(const char *name, int n, int base)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "\tset %s {\n\t\ttype mark . inet_proto . inet_service\n"
	    "\t\tflags interval\n\t\telements = {", name);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s 0x%x . %s . %d-%d", i ? "," : "",
		    (unsigned)(base + i / 3) << 20, i % 2 ? "udp" : "tcp", 1000 + i % 3, 1005 + i % 3);
	buf_printf(&b, " }\n\t}\n");
	assert_false(b.oom);
	return b.p;
}

/* Lines of text starting with prefix; the largest number of elements
 * (commas + 1) on one of them into *most. */
static int
count_lines(const char *text, const char *prefix, int *most)
{
	int n = 0;

	*most = 0;
	for (const char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, strlen(prefix)) == 0) {
			int k = 1;

			for (const char *c = l; *c != '\n' && *c != '\0'; c++)
				k += *c == ',';
			n++;
			if (k > *most)
				*most = k;
		}
	return n;
}

/* nftables 1.0.6 byte-swaps some marks of a long concatenated interval set
 * given in one command (fw_model.h): a full load declares such a set once
 * per FW_CHUNK of its elements, the same head each time; what it prints
 * reads back as the same model; small ones stay in one block; a change
 * that makes such a set anew does the same. */
static void
test_model_concat_chunks(void **state)
{
	char *big = port_set("svc_ports_mode", 3 * FW_CHUNK + 10, 1), *small = port_set("svc_ports", 20, 900);
	char *big2 = port_set("svc_ports_mode", 3 * FW_CHUNK + 11, 1);
	struct fw_model *m = fw_model_new(), *back = fw_model_new(), *m2 = fw_model_new();
	const char *chain = "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
	    "\t\tmeta mark . meta l4proto . th dport @svc_ports_mode accept\n\t}\n";
	const char *head = "\tset svc_ports_mode {\n\t\ttype mark . inet_proto . inet_service\n"
	    "\t\tflags interval\n\t\telements = { ";
	struct buf text, out, diff;
	int most;

	(void)state;
	buf_init(&text);
	buf_init(&out);
	buf_init(&diff);
	buf_printf(&text, "%s%s", big, small);
	assert_int_equal(fw_model_read(m, text.p, FW_MODEL_POLICY), 0);
	assert_int_equal(fw_model_read(m, chain, FW_MODEL_MODE), 0);
	fw_model_print(m, &out);
	assert_false(out.oom);
	/* the big set in four blocks (256, 256, 256, 10), in order; the
	 * small one in one, as the renderer wrote it */
	assert_int_equal(count_lines(out.p, "\tset svc_ports_mode {", &most), 4);
	assert_int_equal(count_lines(out.p, "\t\telements = { 0x", &most), 5);
	assert_int_equal(most, FW_CHUNK);
	assert_non_null(strstr(out.p, head));
	assert_non_null(strstr(strstr(out.p, head), "elements = { 0x100000 . tcp . 1000-1005, "));
	assert_null(strstr(out.p, "add element"));
	assert_non_null(strstr(out.p, "\t\telements = { 0x38400000 . tcp . 1000-1005, "));
	/* read back: the same model (no difference between the two) */
	assert_int_equal(fw_model_read(back, out.p, FW_MODEL_POLICY), 0);
	assert_int_equal(fw_model_diff(m, back, FW_MODEL_POLICY | FW_MODEL_MODE, &diff), 0);
	assert_int_equal(fw_model_diff(back, m, FW_MODEL_POLICY | FW_MODEL_MODE, &diff), 0);
	assert_int_equal(diff.len, 0);
	/* a change of the big set makes it anew, in blocks again */
	buf_free(&text);
	buf_init(&text);
	buf_printf(&text, "%s%s", big2, small);
	assert_int_equal(fw_model_read(m2, text.p, FW_MODEL_POLICY), 0);
	assert_int_equal(fw_model_read(m2, chain, FW_MODEL_MODE), 0);
	assert_true(fw_model_diff(m, m2, FW_MODEL_POLICY | FW_MODEL_MODE, &diff) > 0);
	assert_non_null(strstr(diff.p, "delete set inet sekisho svc_ports_mode\n"));
	assert_int_equal(count_lines(diff.p, "\tset svc_ports_mode {", &most), 4);
	assert_int_equal(count_lines(diff.p, "\t\telements = { 0x", &most), 4);
	assert_int_equal(most, FW_CHUNK);
	buf_free(&text);
	buf_free(&out);
	buf_free(&diff);
	fw_model_free(m);
	fw_model_free(back);
	fw_model_free(m2);
	free(big);
	free(big2);
	free(small);
	/* declared again with another head: not what the renderer writes */
	m = fw_model_new();
	assert_int_equal(fw_model_read(m, "\tset s {\n\t\ttype mark\n\t\telements = { 1 }\n\t}\n"
	    "\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 2 }\n\t}\n", FW_MODEL_POLICY), -1);
	fw_model_free(m);
	/* and with the same: the elements accumulate */
	m = fw_model_new();
	back = fw_model_new();
	assert_int_equal(fw_model_read(m, "\tset s {\n\t\ttype mark\n\t\telements = { 1 }\n\t}\n"
	    "\tset s {\n\t\ttype mark\n\t\telements = { 2 }\n\t}\n", FW_MODEL_POLICY), 0);
	assert_int_equal(fw_model_read(back, "\tset s {\n\t\ttype mark\n\t\telements = { 1, 2 }\n\t}\n",
	    FW_MODEL_POLICY), 0);
	buf_init(&diff);
	assert_int_equal(fw_model_diff(m, back, FW_MODEL_POLICY, &diff), 0);
	buf_free(&diff);
	fw_model_free(m);
	fw_model_free(back);
}

/* nftables itself (dry run: parsed and checked, nothing changed) accepts
 * every ruleset the daemon can produce. */
static void
test_nft_accepts_rulesets(void **state)
{
	struct sk_error err;
	struct firewall *fw = fw_open(&err);
	const struct policy *ps[] = { &pol, &pol, NULL, &pol };
	enum mode ms[] = { MODE_REMOTE, MODE_BLOCKED, MODE_BLOCKED, MODE_OFFICE };

	(void)state;
	assert_non_null(fw);
	for (int i = 0; i < 4; i++) {
		char *t = render(ms[i], ps[i]);
		int rc = fw_check(fw, t, &err);

		if (rc != 0)
			fprintf(stderr, "%s\n", err.msg);
		assert_int_equal(rc, 0);
		free(t);
	}
	assert_int_equal(fw_check(fw, "table inet sekisho { chain x { bogus } }", &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "nftables refused the ruleset: "));
	assert_null(strchr(err.msg, '\n'));
	fw_close(fw);
}

static void
test_ctl_parse(void **state)
{
	enum ctl_cmd c;
	char big[CTL_MAX_LINE + 2];

	(void)state;
	assert_int_equal(ctl_parse("status\n", 7, &c), 0);
	assert_int_equal(c, CTL_STATUS);
	assert_int_equal(ctl_parse("status json\n", 12, &c), 0);
	assert_int_equal(c, CTL_STATUS_JSON);
	assert_int_equal(ctl_parse("reload\n", 7, &c), 0);
	assert_int_equal(c, CTL_RELOAD);
	assert_int_equal(ctl_parse("reload now\n", 11, &c), -EINVAL);
	assert_int_equal(ctl_parse("status", 6, &c), -EINVAL);
	assert_int_equal(ctl_parse("status\nstatus\n", 14, &c), -EINVAL);
	assert_int_equal(ctl_parse("Status\n", 7, &c), -EINVAL);
	assert_int_equal(ctl_parse("status \n", 8, &c), -EINVAL);
	assert_int_equal(ctl_parse("stat\0s\n", 7, &c), -EINVAL);
	assert_int_equal(ctl_parse("", 0, &c), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(ctl_parse(big, sizeof(big), &c), -EMSGSIZE);
}

static void
fill_status(struct status *s, struct engine *e, struct tunnel_stats *ts)
{
	struct event ev = { .type = EV_LINK, .ifindex = 3, .carrier = 1, .now_ms = 1000 };
	struct action acts[ENGINE_MAX_ACTIONS];

	engine_init(e, 2, 9, pol.gateways[0].endpoint.sin_addr, 0);
	strcpy(ev.name, "up0");
	engine_handle(e, &ev, acts);
	ev.type = EV_ADDR_ADD;
	inet_pton(AF_INET, "192.168.1.100", &ev.addr);
	ev.plen = 24;
	engine_handle(e, &ev, acts);
	ev.type = EV_GW_ADD;
	inet_pton(AF_INET, "192.168.1.1", &ev.gw);
	engine_handle(e, &ev, acts);
	memset(ts, 0, sizeof(*ts));
	ts->up = 1;
	ts->last_handshake.tv_sec = 1000;
	ts->rx_bytes = 1234;
	ts->tx_bytes = 5678;
	strcpy(ts->peer, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	strcpy(ts->endpoint, "192.0.2.10:51820");
	memset(s, 0, sizeof(*s));
	s->engine = e;
	s->now_ms = 3500;
	s->tunnel_if = "skt0";
	s->tunnel = ts;
	s->wall.tv_sec = 1007;
	s->serial = 42;
	s->policy_path = "/etc/sekisho/policy.conf";
	s->gateway = "agency-gw";
}

static void
test_status_text(void **state)
{
	struct engine e;
	struct tunnel_stats ts;
	struct status s;
	struct buf b;

	(void)state;
	fill_status(&s, &e, &ts);
	buf_init(&b);
	status_text(&s, &b);
	assert_string_equal(buf_str(&b),
	    "mode:       remote (tunnel over up0, for 2.5 s)\n"
	    "uplink:     up0 192.168.1.100/24\n"
	    "uplinks:\n"
	    "  up0        carrier active priority 0 address 192.168.1.100/24 gateway 192.168.1.1\n"
	    "tunnel:     skt0\n"
	    "  peer:     AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= (agency-gw)\n"
	    "  endpoint: 192.0.2.10:51820\n"
	    "  handshake: 7 s ago\n"
	    "  transfer: 1234 B received, 5678 B sent\n"
	    "policy:     serial 42 (/etc/sekisho/policy.conf)\n");
	buf_free(&b);
}

static void
test_status_json(void **state)
{
	struct engine e;
	struct tunnel_stats ts;
	struct status s;
	struct buf b;

	(void)state;
	fill_status(&s, &e, &ts);
	ts.last_handshake.tv_sec = 0;
	buf_init(&b);
	status_json(&s, &b);
	assert_string_equal(buf_str(&b),
	    "{\"mode\":\"remote\",\"reason\":\"tunnel over up0\",\"since_ms\":2500,"
	    "\"uplink\":\"up0\",\"uplinks\":[{\"name\":\"up0\",\"carrier\":true,"
	    "\"active\":true,\"priority\":0,\"office\":\"unprobed\",\"address\":\"192.168.1.100/24\",\"gateway\":\"192.168.1.1\"}],"
	    "\"tunnel\":{\"interface\":\"skt0\",\"peer\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
	    "\"gateway\":\"agency-gw\",\"endpoint\":\"192.0.2.10:51820\","
	    "\"last_handshake_age_s\":null,\"rx_bytes\":1234,\"tx_bytes\":5678},"
	    "\"policy\":{\"serial\":42,\"path\":\"/etc/sekisho/policy.conf\"}}\n");
	buf_free(&b);
}

/* The policy's presence: in the status (through the wire), its text and
 * JSON; none when the policy has none. */
static void
test_status_presence(void **state)
{
	struct engine e;
	struct tunnel_stats ts;
	struct status s;
	struct buf b;

	(void)state;
	fill_status(&s, &e, &ts);
	s.presence = POLICY_PRESENCE_FACE;
	s.presence_s = 10;
	buf_init(&b);
	status_text(&s, &b);
	assert_non_null(strstr(buf_str(&b), "\npresence:   face, every 10 s\n"));
	buf_free(&b);
	buf_init(&b);
	status_json(&s, &b);
	assert_non_null(strstr(buf_str(&b), ",\"presence\":{\"factor\":\"face\","
	    "\"period_s\":10}}\n"));
	buf_free(&b);
	s.presence = POLICY_PRESENCE_CARD;
	s.presence_s = 60;
	buf_init(&b);
	status_text(&s, &b);
	assert_non_null(strstr(buf_str(&b), "\npresence:   card, every 60 s\n"));
	buf_free(&b);
	s.presence = POLICY_PRESENCE_NONE;
	buf_init(&b);
	status_json(&s, &b);
	assert_null(strstr(buf_str(&b), "presence"));
	buf_free(&b);
}

/* Failover: which gateway, its place in the order, what it replaced. */
static void
test_status_gateway(void **state)
{
	struct engine e;
	struct tunnel_stats ts;
	struct status s;
	struct buf b;

	(void)state;
	fill_status(&s, &e, &ts);
	s.gateway = "gw-osaka";
	s.gateway_pos = 2;
	s.n_gateways = 2;
	s.gateway_from = "gw-tokyo";
	s.gateway_why = "gave no handshake";
	buf_init(&b);
	status_text(&s, &b);
	assert_non_null(strstr(buf_str(&b), "tunnel:     skt0\n"
	    "  gateway:  gw-osaka (2 of 2, gw-tokyo gave no handshake)\n"
	    "  peer:     AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= (gw-osaka)\n"));
	buf_free(&b);
	buf_init(&b);
	status_json(&s, &b);
	assert_non_null(strstr(buf_str(&b), "\"tunnel\":{\"interface\":\"skt0\","
	    "\"gateway_position\":2,\"gateways\":2,"
	    "\"failover\":{\"from\":\"gw-tokyo\",\"why\":\"gave no handshake\"},"
	    "\"peer\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"gateway\":\"gw-osaka\","));
	buf_free(&b);
	s.gateway = "gw-tokyo";
	s.gateway_pos = 1;
	s.gateway_why = NULL;
	buf_init(&b);
	status_text(&s, &b);
	assert_non_null(strstr(buf_str(&b), "  gateway:  gw-tokyo (1 of 2)\n"));
	buf_free(&b);
	buf_init(&b);
	status_json(&s, &b);
	assert_non_null(strstr(buf_str(&b), "\"gateways\":2,\"failover\":null,"));
	buf_free(&b);
	/* A gateway named in Japanese is JSON as it is; a control character
	 * (which the parser never lets through) would still be escaped. */
	s.gateway = "本庁 gw\x01";
	buf_init(&b);
	status_json(&s, &b);
	assert_non_null(strstr(buf_str(&b), "\"gateway\":\"本庁 gw\\u0001\""));
	buf_free(&b);
}

static size_t
build_route(char *buf, uint16_t type, uint8_t dst_len, uint8_t table, const char *gw,
    uint32_t oif)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct in_addr a;

	nlh->nlmsg_type = type;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = table;
	rtm->rtm_type = RTN_UNICAST;
	if (gw != NULL) {
		inet_pton(AF_INET, gw, &a);
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &a);
	}
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return nlh->nlmsg_len;
}

static void
test_rtnl_parse(void **state)
{
	char buf[512];
	struct event ev;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct in_addr a;
	size_t len;

	(void)state;
	len = build_route(buf, RTM_NEWROUTE, 0, RT_TABLE_MAIN, "192.168.1.1", 3);
	assert_int_equal(rtnl_parse(buf, len, &ev), 1);
	assert_int_equal(ev.type, EV_GW_ADD);
	assert_int_equal(ev.ifindex, 3);
	inet_pton(AF_INET, "192.168.1.1", &a);
	assert_int_equal(ev.gw.s_addr, a.s_addr);
	len = build_route(buf, RTM_DELROUTE, 0, RT_TABLE_MAIN, "192.168.1.1", 3);
	assert_int_equal(rtnl_parse(buf, len, &ev), 1);
	assert_int_equal(ev.type, EV_GW_DEL);
	/* Not a default route, another table, no gateway, truncated: ignored. */
	len = build_route(buf, RTM_NEWROUTE, 24, RT_TABLE_MAIN, "192.168.1.1", 3);
	assert_int_equal(rtnl_parse(buf, len, &ev), 0);
	len = build_route(buf, RTM_NEWROUTE, 0, 100, "192.168.1.1", 3);
	assert_int_equal(rtnl_parse(buf, len, &ev), 0);
	len = build_route(buf, RTM_NEWROUTE, 0, RT_TABLE_MAIN, NULL, 3);
	assert_int_equal(rtnl_parse(buf, len, &ev), 0);
	len = build_route(buf, RTM_NEWROUTE, 0, RT_TABLE_MAIN, "192.168.1.1", 3);
	assert_int_equal(rtnl_parse(buf, len - 4, &ev), 0);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = 3;
	inet_pton(AF_INET, "192.168.1.100", &a);
	mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 1);
	assert_int_equal(ev.type, EV_ADDR_ADD);
	assert_int_equal(ev.plen, 24);
	assert_int_equal(ev.addr.s_addr, a.s_addr);
	ifa->ifa_prefixlen = 33;
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 0);
}

static void
test_rtnl_parse_link(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct event ev;

	(void)state;
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 3;
	ifi->ifi_flags = IFF_UP | IFF_LOWER_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "up0");
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 1);
	assert_int_equal(ev.type, EV_LINK);
	assert_string_equal(ev.name, "up0");
	assert_int_equal(ev.carrier, 1);
	ifi->ifi_flags = IFF_UP;
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 1);
	assert_int_equal(ev.carrier, 0);
	ifi->ifi_flags = IFF_UP | IFF_LOOPBACK;
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 0);
	nlh->nlmsg_type = RTM_DELLINK;
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 1);
	assert_int_equal(ev.type, EV_LINK_GONE);
}

/* A link whose name nftables could read as syntax never becomes an
 * uplink: it is reported gone, and an uplink renamed so is dropped. */
static void
test_rtnl_parse_link_bad_name(void **state)
{
	static const char *const bad[] = { "u\";accept;#", "a b", "a/b", "\xc3\xa9" };
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct event ev;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_NEWLINK;
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_index = 7;
		ifi->ifi_flags = IFF_UP | IFF_LOWER_UP;
		mnl_attr_put_strz(nlh, IFLA_IFNAME, bad[i]);
		memset(&ev, 0, sizeof(ev));
		assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 1);
		assert_int_equal(ev.type, EV_LINK_GONE);
		assert_int_equal(ev.ifindex, 7);
	}
}

/* Trust anchors are read once, on the descriptor checked: a symbolic
 * link, a file writable by others and a file of another owner (who could
 * pin their own key) are each refused with one line. */
static void
test_trust_anchor_files(void **state)
{
	char dir[] = "/tmp/sk-trust-XXXXXX", keys[64], dev[64], link[64], want[256];
	static const char key[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=\n";
	struct sk_error err;
	struct trust t;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(keys, sizeof(keys), "%s/agency.pub", dir);
	snprintf(dev, sizeof(dev), "%s/device.pub", dir);
	snprintf(link, sizeof(link), "%s/link.pub", dir);
	assert_non_null(f = fopen(keys, "w"));
	fputs(key, f);
	fclose(f);
	assert_non_null(f = fopen(dev, "w"));
	fputs(key, f);
	fclose(f);
	assert_int_equal(chmod(keys, 0644), 0);
	assert_int_equal(chmod(dev, 0644), 0);
	assert_int_equal(trust_load(&t, keys, dev, &err), 0);
	assert_int_equal(t.n_keys, 1);

	assert_int_equal(chown(keys, geteuid() + 1, (gid_t)-1), 0);
	assert_int_equal(trust_load(&t, keys, dev, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: owned by uid %u, must be %u", keys,
	    (unsigned)geteuid() + 1, (unsigned)geteuid());
	assert_string_equal(err.msg, want);
	assert_int_equal(chown(keys, geteuid(), (gid_t)-1), 0);

	assert_int_equal(chmod(keys, 0664), 0);
	assert_int_equal(trust_load(&t, keys, dev, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: writable by group or others (mode 0664)", keys);
	assert_string_equal(err.msg, want);
	assert_int_equal(chmod(keys, 0644), 0);

	assert_int_equal(symlink(keys, link), 0);
	assert_int_equal(trust_load(&t, link, dev, &err), -EPERM);
	snprintf(want, sizeof(want), "%s: a symbolic link, must be a regular file", link);
	assert_string_equal(err.msg, want);

	unlink(link);
	unlink(keys);
	unlink(dev);
	rmdir(dir);
}

/* The watch socket's filter, run by the kernel on byte-built messages: a
 * datagram socket pair stands in for the netlink socket (the same
 * SO_ATTACH_FILTER, the same classic BPF on each message). */
static int
filter_passes(int fd[2], const void *msg, size_t len)
{
	char got[512];
	ssize_t n;

	assert_int_equal(send(fd[0], msg, len, 0), (ssize_t)len);
	n = recv(fd[1], got, sizeof(got), MSG_DONTWAIT);
	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		return 0;
	}
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(got, msg, len);
	return 1;
}

static void
test_rtnl_filter(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct ifinfomsg *ifi;
	struct event ev;
	size_t len;
	int fd[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fd), 0);
	assert_int_equal(rtnl_filter_attach(fd[1]), 0);
	/* Our own tables (> 255) announce themselves as RT_TABLE_COMPAT:
	 * notifications of their routes, added or deleted, never arrive. */
	len = build_route(buf, RTM_NEWROUTE, 24, RT_TABLE_COMPAT, "10.66.0.1", 3);
	assert_int_equal(filter_passes(fd, buf, len), 0);
	len = build_route(buf, RTM_DELROUTE, 24, RT_TABLE_COMPAT, NULL, 3);
	assert_int_equal(filter_passes(fd, buf, len), 0);
	len = build_route(buf, RTM_NEWROUTE, 0, RT_TABLE_COMPAT, "10.66.0.1", 3);
	assert_int_equal(filter_passes(fd, buf, len), 0);
	/* The main table's default route, and every other table: through. */
	len = build_route(buf, RTM_NEWROUTE, 0, RT_TABLE_MAIN, "192.168.1.1", 3);
	assert_int_equal(filter_passes(fd, buf, len), 1);
	assert_int_equal(rtnl_parse(buf, len, &ev), 1);
	assert_int_equal(ev.type, EV_GW_ADD);
	len = build_route(buf, RTM_DELROUTE, 0, RT_TABLE_MAIN, "192.168.1.1", 3);
	assert_int_equal(filter_passes(fd, buf, len), 1);
	len = build_route(buf, RTM_NEWROUTE, 24, RT_TABLE_LOCAL, NULL, 3);
	assert_int_equal(filter_passes(fd, buf, len), 1);
	len = build_route(buf, RTM_NEWROUTE, 24, 251, NULL, 3);
	assert_int_equal(filter_passes(fd, buf, len), 1);
	len = build_route(buf, RTM_NEWROUTE, 24, 253, NULL, 3);
	assert_int_equal(filter_passes(fd, buf, len), 1);
	/* A dump's answer (NLM_F_MULTI): one buffer holds many messages and
	 * the filter sees the first only, so it is never dropped. */
	len = build_route(buf, RTM_NEWROUTE, 24, RT_TABLE_COMPAT, "10.66.0.1", 3);
	nlh->nlmsg_flags |= NLM_F_MULTI;
	assert_int_equal(filter_passes(fd, buf, len), 1);
	/* Byte 20 of other messages is no table: a link whose byte 20 (of
	 * its index) is 252, an address, the end of a dump, a short one. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 3;
	ifi->ifi_flags = IFF_UP | IFF_LOWER_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "up0");
	mnl_attr_put_u32(nlh, IFLA_CARRIER_CHANGES, 7);
	((unsigned char *)buf)[20] = RT_TABLE_COMPAT;
	assert_int_equal(filter_passes(fd, buf, nlh->nlmsg_len), 1);
	assert_int_equal(rtnl_parse(buf, nlh->nlmsg_len, &ev), 1);
	assert_int_equal(ev.carrier_changes, 7);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(filter_passes(fd, buf, nlh->nlmsg_len), 1);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
	assert_int_equal(filter_passes(fd, buf, nlh->nlmsg_len), 1);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(filter_passes(fd, buf, nlh->nlmsg_len), 1);
	close(fd[0]);
	close(fd[1]);
}

/* Two keys: A = 00 01 .. 1f, B = 20 21 .. 3f. */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

static int
parse_keys(const char *text, size_t max, size_t *n, struct sk_error *err)
{
	uint8_t keys[8][32];

	return trust_parse_keys("agency.pub", "an agency public key", text,
	    strlen(text), keys, max, n, err);
}

static void
test_trust_parse_keys(void **state)
{
	uint8_t keys[8][32];
	struct sk_error err;
	size_t n;

	(void)state;
	assert_int_equal(trust_parse_keys("k", "a key", "# next key below\n" KEY_A "\n\n" KEY_B,
	    strlen("# next key below\n" KEY_A "\n\n" KEY_B), keys, 8, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0][31], 0x1f);
	assert_int_equal(keys[1][0], 0x20);
	assert_int_equal(parse_keys(KEY_A " \n", 8, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "agency.pub:1: not an agency public key (44 characters of base64)");
	assert_int_equal(parse_keys("# only a comment\n", 8, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "agency.pub: no key in the file, expected an agency public key");
	assert_int_equal(parse_keys("", 8, &n, &err), -EINVAL);
	assert_int_equal(parse_keys(KEY_A "\n" KEY_B "\n", 1, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "agency.pub:2: more keys than the 1 allowed");
	assert_int_equal(parse_keys("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 8, &n, &err), -EINVAL);
	assert_int_equal(parse_keys("\n\n" KEY_A "x\n", 8, &n, &err), -EINVAL);
	assert_string_equal(err.msg, "agency.pub:3: not an agency public key (44 characters of base64)");
}

static void
test_verifier_parse_ok(void **state)
{
	uint8_t dev[32];
	uint64_t serial;

	(void)state;
	assert_int_equal(key_from_b64(dev, KEY_A), 0);
	assert_int_equal(verifier_parse_ok("ok serial 7 device " KEY_A "\n", dev, &serial), 0);
	assert_int_equal(serial, 7);
	assert_int_equal(verifier_parse_ok("ok serial 7 device " KEY_B "\n", dev, &serial), -EINVAL);
	assert_int_equal(verifier_parse_ok("ok serial 0 device " KEY_A "\n", dev, &serial), -EINVAL);
	assert_int_equal(verifier_parse_ok("ok serial 07 device " KEY_A "\n", dev, &serial), -EINVAL);
	assert_int_equal(verifier_parse_ok("ok serial 7 device " KEY_A, dev, &serial), -EINVAL);
	assert_int_equal(verifier_parse_ok("ok serial 7 device " KEY_A "\nx", dev, &serial), -EINVAL);
	assert_int_equal(verifier_parse_ok("x: tampered\n", dev, &serial), -EINVAL);
}

/* A stand-in helper: a shell script given as the helper's path. */
static void
write_helper(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

static void
test_verifier_run(void **state)
{
	char dir[] = "/tmp/sekisho-verifier-XXXXXX", helper[64], got[64], want[512];
	uint8_t keys[2][32], dev[32], big[200000];
	struct bundle_trust t = { (const uint8_t (*)[32])keys, 2, dev, 5, 0 };
	struct sk_error err;
	uint64_t serial = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(helper, sizeof(helper), "%s/helper", dir);
	snprintf(got, sizeof(got), "%s/got", dir);
	assert_int_equal(key_from_b64(keys[0], KEY_A), 0);
	assert_int_equal(key_from_b64(keys[1], KEY_B), 0);
	assert_int_equal(key_from_b64(dev, KEY_B), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	/* The arguments, and every byte piped (more than a pipe holds). */
	snprintf(want, sizeof(want),
	    "echo \"$*\" >%s.args; cat >%s; echo 'ok serial 9 device %s'", got, got, KEY_B);
	write_helper(helper, want);
	assert_int_equal(verifier_run_unconfined(helper, "/x/bundle.new", &t, big, sizeof(big), &serial,
	    &err), 0);
	assert_int_equal(serial, 9);
	f = fopen(got, "rb");
	assert_non_null(f);
	{
		static uint8_t back[sizeof(big) + 1];

		assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(big));
		assert_memory_equal(back, big, sizeof(big));
	}
	fclose(f);
	snprintf(want, sizeof(want), "%s.args", got);
	f = fopen(want, "r");
	assert_non_null(f);
	assert_non_null(fgets(want, sizeof(want), f));
	fclose(f);
	assert_string_equal(want, "verify --name /x/bundle.new --pubkey " KEY_A " --pubkey "
	    KEY_B " --device " KEY_B " --min-serial 5 --signature-only -\n");
	/* A refusal: its one line, as it is. */
	write_helper(helper, "cat >/dev/null; echo '/x/bundle.new: tampered: no' >&2; exit 1");
	assert_int_equal(verifier_run_unconfined(helper, "/x/bundle.new", &t, big, 10, &serial, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "/x/bundle.new: tampered: no");
	/* ok for another device is no ok. */
	write_helper(helper, "cat >/dev/null; echo 'ok serial 9 device " KEY_A "'");
	assert_int_equal(verifier_run_unconfined(helper, "b", &t, big, 10, &serial, &err), -EIO);
	assert_non_null(strstr(err.msg, "gave no valid answer"));
	/* A helper that does not read, crashes or is missing. */
	write_helper(helper, "exit 3");
	assert_int_equal(verifier_run_unconfined(helper, "b", &t, big, sizeof(big), &serial, &err), -EIO);
	assert_non_null(strstr(err.msg, "failed (exit status 3)"));
	unlink(helper);
	assert_int_equal(verifier_run_unconfined(helper, "b", &t, big, 10, &serial, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "b: cannot run the verifying helper "));
	/* A freshness statement: its arguments, and its answer for exactly
	 * the serial asked about. */
	snprintf(want, sizeof(want),
	    "echo \"$*\" >%s.args; cat >/dev/null; echo 'ok fresh serial 5 time 1767229200'", got);
	write_helper(helper, want);
	assert_int_equal(verifier_run_fresh(helper, "s", &t, 5, 1767225600, big, 150,
	    &serial, 0, &err), 0);
	assert_true(serial == 1767229200);
	snprintf(want, sizeof(want), "%s.args", got);
	f = fopen(want, "r");
	assert_non_null(f);
	assert_non_null(fgets(want, sizeof(want), f));
	fclose(f);
	assert_string_equal(want, "verify-fresh --name s --pubkey " KEY_A " --pubkey "
	    KEY_B " --device " KEY_B " --serial 5 --after 1767225600 -\n");
	assert_int_equal(verifier_run_fresh(helper, "s", &t, 6, 0, big, 150, &serial, 0,
	    &err), -EIO);
	assert_non_null(strstr(err.msg, "gave no valid answer"));
	write_helper(helper, "cat >/dev/null; echo 's: stale: replay refused' >&2; exit 1");
	assert_int_equal(verifier_run_fresh(helper, "s", &t, 5, 0, big, 150, &serial, 0,
	    &err), -EINVAL);
	assert_string_equal(err.msg, "s: stale: replay refused");
	unlink(helper);
	unlink(got);
	snprintf(want, sizeof(want), "%s.args", got);
	unlink(want);
	rmdir(dir);
}

static void
test_verifier_parse_fresh_ok(void **state)
{
	uint64_t t = 0;

	(void)state;
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 1767229200\n", 5, &t), 0);
	assert_true(t == 1767229200);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 1767229200\n", 6, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 0\n", 5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 01\n", 5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 1\n\n", 5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 1", 5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time +1\n", 5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 5 time 9223372036854775808\n",
	    5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok fresh serial 55 time 1\n", 5, &t), -EINVAL);
	assert_int_equal(verifier_parse_fresh_ok("ok serial 5 device x\n", 5, &t), -EINVAL);
}

static struct policy *
parse_variant(const char *from, const char *to)
{
	static struct policy p[8];
	static size_t next;
	struct policy *out = &p[next++ % 8];
	struct sk_error err;
	char text[sizeof(policy_text) + 128];
	const char *at = strstr(policy_text, from);
	int n;

	assert_non_null(at);
	n = snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - policy_text), policy_text,
	    to, at + strlen(from));
	if (policy_parse_buf("v.conf", text, (size_t)n, out, &err) < 0)
		fail_msg("%s", err.msg);
	return out;
}

/* policy_text with IPv6: dev6 in the device section, work6 in work's, lg6
 * in lgwan's. */
static struct policy *
parse_variant6(const char *dev6, const char *work6, const char *lg6)
{
	static struct policy p[8];
	static size_t next;
	struct policy *out = &p[next++ % 8];
	struct sk_error err;
	char text[sizeof(policy_text) + 512];
	const char *d = strstr(policy_text, "\tkey-file"), *l = strstr(policy_text, "\tresolver"),
	    *w = strstr(policy_text, "\trouter 172.30.0.1\n");
	int n;

	assert_non_null(d);
	assert_non_null(l);
	assert_non_null(w);
	w += strlen("\trouter 172.30.0.1\n");
	n = snprintf(text, sizeof(text), "%.*s%s%.*s%s%.*s%s%s", (int)(d - policy_text),
	    policy_text, dev6, (int)(l - d), d, lg6, (int)(w - l), l, work6, w);
	if (policy_parse_buf("v6.conf", text, (size_t)n, out, &err) < 0)
		fail_msg("%s", err.msg);
	return out;
}

/* IPv6 on, off, and each of its three addresses: LIVE_V6 alone; prefixes
 * of IPv6 alone (the same addresses) are sets, rules and routes only. */
static void
live_plan_v6(void)
{
	static const char on[] = "\ttunnel-address6 fd00:77::2/128\n";
	static const char work6[] = "\taddress6 fd00:30::2/64\n\trouter6 fd00:30::1\n";
	static const char lg6[] = "\tprefix 2001:db8:10::/48\n";
	struct policy *v6 = parse_variant6(on, work6, lg6);
	struct policy *v6b, *ta, *wa, *ra, *more;

	ta = parse_variant6("\ttunnel-address6 fd00:77::3/128\n", work6, lg6);
	wa = parse_variant6(on, "\taddress6 fd00:30::3/64\n\trouter6 fd00:30::1\n", lg6);
	ra = parse_variant6(on, "\taddress6 fd00:30::2/64\n\trouter6 fd00:30::9\n", lg6);
	more = parse_variant6(on, work6, "\tprefix 2001:db8:10::/48\n\tprefix 2001:db8:20::/48\n");
	v6b = parse_variant6(on, work6, lg6);
	assert_true(v6->has_v6);
	assert_int_equal(live_plan(&pol, v6), LIVE_V6);	/* on */
	assert_int_equal(live_plan(v6, &pol), LIVE_V6);	/* off */
	assert_int_equal(live_plan(v6, v6b), 0);
	assert_int_equal(live_plan(v6, ta), LIVE_V6);
	assert_int_equal(live_plan(v6, wa), LIVE_V6);
	assert_int_equal(live_plan(v6, ra), LIVE_V6);
	assert_int_equal(live_plan(v6, more), 0);
	for (struct policy **p = (struct policy *[]){ v6, v6b, ta, wa, ra, more, NULL };
	    *p != NULL; p++)
		policy_free(*p);
}

static void
test_live_change(void **state)
{
	struct policy *same = parse_variant("serial 42", "serial 43");
	struct policy *more = parse_variant("\tprefix 10.65.0.0/16\n",
	    "\tprefix 10.65.0.0/16\n\tprefix 172.20.0.0/16\n");
	struct policy *less = parse_variant("\tprefix 10.65.0.0/16\n", "");
	struct policy *gw = parse_variant("192.0.2.10:51820", "192.0.2.11:51820");
	struct in_addr a;
	size_t add, wd;

	(void)state;
	assert_int_equal(live_plan(&pol, same), 0);
	assert_int_equal(live_plan(&pol, more), 0);
	assert_int_equal(live_plan(&pol, gw), LIVE_GATEWAYS);
	policy_free(gw);
	/* A second gateway added: the failover order changed. */
	gw = parse_variant("lgwan {", "gateway \"gw-osaka\" {\n\tendpoint 192.0.2.11:51820\n"
	    "\tpublic-key \"AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n}\nlgwan {");
	assert_int_equal(gw->n_gateways, 2);
	assert_int_equal(live_plan(&pol, gw), LIVE_GATEWAYS);
	policy_free(gw);
	gw = parse_variant("10.77.0.2/32", "10.77.0.3/32");
	assert_int_equal(live_plan(&pol, gw), LIVE_TUNNEL_ADDR);
	policy_free(gw);
	gw = parse_variant("address 172.30.0.2/30\n\trouter 172.30.0.1",
	    "address 172.30.0.1/30\n\trouter 172.30.0.2");
	assert_int_equal(live_plan(&pol, gw), LIVE_WORK);
	policy_free(gw);
	/* The key file is read again by the parent: live, by itself. */
	gw = parse_variant("/etc/sekisho/device.key", "/etc/sekisho/other.key");
	assert_int_equal(live_plan(&pol, gw), LIVE_KEY);
	assert_int_equal(live_plan(gw, &pol), LIVE_KEY);
	policy_free(gw);
	live_plan_v6();
	inet_pton(AF_INET, "10.65.0.0", &a);
	assert_true(live_has_prefix(&pol, a, 16));
	assert_false(live_has_prefix(&pol, a, 17));
	assert_false(live_has_prefix(less, a, 16));
	inet_pton(AF_INET, "172.20.0.0", &a);
	assert_true(live_has_prefix(more, a, 16));
	assert_false(live_has_prefix(&pol, a, 16));
	live_count(&pol, more, &add, &wd);
	assert_int_equal(add, 1);
	assert_int_equal(wd, 0);
	live_count(more, less, &add, &wd);
	assert_int_equal(add, 0);
	assert_int_equal(wd, 2);
	live_count(&pol, same, &add, &wd);
	assert_int_equal(add + wd, 0);
	/* the walk answers as the binary search, in order or not */
	{
		struct live_walk w = { more, 0 };

		for (size_t i = 0; i < more->n_lgwan; i++) {
			assert_true(live_walk_has(&w, more->lgwan[i].addr, more->lgwan[i].plen));
			assert_false(live_walk_has(&w, more->lgwan[i].addr,
			    (uint8_t)(more->lgwan[i].plen + 1)));
		}
		inet_pton(AF_INET, "10.64.0.0", &a);	/* back to the start */
		assert_true(live_walk_has(&w, a, 16));
		inet_pton(AF_INET, "172.20.0.0", &a);
		assert_true(live_walk_has(&w, a, 16));
		inet_pton(AF_INET, "192.0.2.0", &a);	/* past the end */
		assert_false(live_walk_has(&w, a, 24));
		w = (struct live_walk){ less, 0 };
		for (size_t i = 0; i < more->n_lgwan; i++)
			assert_int_equal(live_walk_has(&w, more->lgwan[i].addr, more->lgwan[i].plen),
			    live_has_prefix(less, more->lgwan[i].addr, more->lgwan[i].plen));
	}
	policy_free(same);
	policy_free(more);
	policy_free(less);
}

/* A ruleset that failed to load is retried: 1 s, doubling, at most 30 s;
 * a load that succeeds disarms the retry. */
static void
test_rules_retry_backoff(void **state)
{
	static const unsigned int want[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
	struct timers t;

	(void)state;
	timers_on_start(&t, 5000);
	assert_int_equal(t.at[T_RULES], 0);
	for (unsigned int i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(timers_on_rules_failed(&t, 5000, i + 1), want[i]);
		assert_int_equal(t.at[T_RULES], 5000 + want[i]);
	}
	assert_int_equal(timers_on_rules_failed(&t, 5000, 1000), RULES_RETRY_MAX_MS);
	assert_int_equal(timers_due(&t, 5000 + RULES_RETRY_MAX_MS - 1), T_TUNNEL_POLL);
	assert_int_equal(timers_due(&t, 5000 + RULES_RETRY_MAX_MS), T_RULES);
	timers_on_rules_failed(&t, 0, 1);
	timers_on_rules_loaded(&t);
	assert_int_equal(t.at[T_RULES], 0);
}

/* Office mode's vouch is watched until the kernel's deadline (office-vouch
 * after the last verified answer), not outside office mode; systemd's
 * watchdog is fed every half of WATCHDOG_USEC. */
static void
test_vouch_watchdog_timers(void **state)
{
	struct timers t;

	(void)state;
	timers_on_start(&t, 1000);
	assert_int_equal(t.at[T_VOUCH], 0);
	timers_on_vouched(&t, 1000, 1500);
	assert_int_equal(t.at[T_VOUCH], 2500);
	timers_on_not_office(&t);
	assert_int_equal(t.at[T_VOUCH], 0);
	assert_int_equal(t.at[T_WATCHDOG], 0);
	timers_on_watchdog(&t, 1000, 0);
	assert_int_equal(t.at[T_WATCHDOG], 0);
	timers_on_watchdog(&t, 1000, 10000000);
	assert_int_equal(t.at[T_WATCHDOG], 6000);
	assert_int_equal(t.watchdog_ms, 5000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_ruleset),
		cmocka_unit_test(test_blocked_ruleset),
		cmocka_unit_test(test_office_ruleset),
		cmocka_unit_test(test_office_router_timers),
		cmocka_unit_test(test_base_ruleset),
		cmocka_unit_test(test_nft_accepts_rulesets),
		cmocka_unit_test(test_model_mode_switch),
		cmocka_unit_test(test_model_policy_diff),
		cmocka_unit_test(test_model_sections_kept),
		cmocka_unit_test(test_model_read_refuses),
		cmocka_unit_test(test_model_concat_chunks),
		cmocka_unit_test(test_ctl_parse),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_status_gateway),
		cmocka_unit_test(test_status_presence),
		cmocka_unit_test(test_rtnl_parse),
		cmocka_unit_test(test_rtnl_parse_link),
		cmocka_unit_test(test_rtnl_parse_link_bad_name),
		cmocka_unit_test(test_trust_anchor_files),
		cmocka_unit_test(test_rtnl_filter),
		cmocka_unit_test(test_trust_parse_keys),
		cmocka_unit_test(test_verifier_parse_ok),
		cmocka_unit_test(test_verifier_parse_fresh_ok),
		cmocka_unit_test(test_verifier_run),
		cmocka_unit_test(test_live_change),
		cmocka_unit_test(test_rules_retry_backoff),
		cmocka_unit_test(test_vouch_watchdog_timers),
	};
	/* As sekishod does: a verifying helper may stop reading early. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("netvm", tests, setup_policy, teardown_policy);
}
