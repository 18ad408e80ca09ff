#include "policy/render/fw_office.h"

#include "policy/render/mode.h"
#include "policy/policy.h"

#define OFFICE_PATH_MASK	0xffff	/* FW_SVC_PATH_MASK: the path part of a mark */

void
fw_render_office_l2(const struct fw_params *p, struct buf *o)
{
	const uint8_t *m = p->router_mac;

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
	}
	buf_printf(o, "\tchain egress {\n"
	    "\t\ttype filter hook egress device \"%s\" priority filter; policy accept;\n"
	    "\t\tmeta mark and 0x%x == 0x%x %scounter drop\n\t}\n}\n", p->uplink,
	    OFFICE_PATH_MASK, SK_MARK_OFFICE,
	    p->mode == MODE_OFFICE ? "ether daddr != @office_router " : "");
}
