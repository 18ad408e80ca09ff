/* The services of the mode in force as three sets per family and three
 * rules (fw_svc.c), so work's every packet costs the same three lookups
 * whatever the number of services and prefixes. */
#ifndef SK_FW_SVC_H
#define SK_FW_SVC_H

#include "lib/buf.h"
#include "policy/render/fw_render.h"

struct policy_rule;

#define FW_SVC_CLASS_SHIFT	16	/* class number above the path mark */
#define FW_SVC_MAX_CLASSES	0xffff
#define FW_SVC_PATH_MASK	0xffff

/* 1 if rule r applies in the mode p renders. */
int fw_svc_active(const struct fw_params *p, const struct policy_rule *r);
/* 1 if IPv6 from work is forwarded in this mode (remote, policy has_v6). */
int fw_svc_v6(const struct fw_params *p);
/* The set declarations (nothing without services); -1 out of memory. */
int fw_svc_sets(const struct fw_params *p, struct buf *o);
/* The forward chain's accepts towards out. */
void fw_svc_rules(const struct fw_params *p, struct buf *o, const char *out);

#endif
