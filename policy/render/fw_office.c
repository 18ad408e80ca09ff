#include "policy/render/fw_office.h"

#include "policy/render/mode.h"
#include "policy/policy.h"

#define OFFICE_PATH_MASK	0xffff	/* FW_SVC_PATH_MASK: the path part of a mark */

void
fw_render_office_l2(const struct fw_params *p, struct buf *o)
{
	const uint8_t *m = p->router_mac;
	/* router-arp off: no liveness asked, none required (fw_office.h) */
	int arp = p->pol != NULL && p->pol->router_arp_ms != 0;
	int alive = p->mode == MODE_OFFICE && m != NULL && arp;

	/* Created empty if absent, so that the delete never fails. */
	buf_printf(o, "table netdev %s\ndelete table netdev %s\n", FW_OFFICE_TABLE,
	    FW_OFFICE_TABLE);
	if (p->pol == NULL || p->uplink == NULL)
		return;
	buf_printf(o, "table netdev %s {\n", FW_OFFICE_TABLE);
	if (p->mode == MODE_OFFICE) {
		buf_printf(o, "\tset office_router {\n\t\ttype ether_addr\n");
		if (m != NULL)
			buf_printf(o, "\t\telements = { %02x:%02x:%02x:%02x:%02x:%02x }\n",
			    m[0], m[1], m[2], m[3], m[4], m[5]);
		buf_printf(o, "\t}\n");
		if (arp)
			buf_printf(o, "\tset router_alive {\n\t\ttype ether_addr\n"
			    "\t\tflags timeout\n\t}\n");
	}
	if (alive) {
		buf_printf(o, "\tchain ingress {\n"
		    "\t\ttype filter hook ingress device \"%s\" priority filter; policy accept;\n"
		    "\t\tether saddr %02x:%02x:%02x:%02x:%02x:%02x arp operation reply "
		    "arp saddr ether %02x:%02x:%02x:%02x:%02x:%02x "
		    "update @router_alive { ether saddr timeout %ums }\n\t}\n", p->uplink,
		    m[0], m[1], m[2], m[3], m[4], m[5], m[0], m[1], m[2], m[3], m[4], m[5],
		    p->pol->router_alive_ms);
	}
	buf_printf(o, "\tchain egress {\n"
	    "\t\ttype filter hook egress device \"%s\" priority filter; policy accept;\n"
	    "\t\tmeta mark and 0x%x == 0x%x %scounter drop\n", p->uplink,
	    OFFICE_PATH_MASK, SK_MARK_OFFICE,
	    p->mode == MODE_OFFICE ? "ether daddr != @office_router " : "");
	if (p->mode == MODE_OFFICE && arp)
		buf_printf(o, "\t\tmeta mark and 0x%x == 0x%x ether daddr != @router_alive "
		    "counter drop\n", OFFICE_PATH_MASK, SK_MARK_OFFICE);
	buf_printf(o, "\t}\n}\n");
}
