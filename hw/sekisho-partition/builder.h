/* The partition builder's order, apart from Xen (hw/sekisho-partition/xenctl.c carries it
 * out with libxl and xenstore; the unit tests with a fake):
 *
 *   up:     the netvm (created unless it runs), then its readiness: the
 *           netvm writes data/sekisho/armed in its own xenstore directory
 *           once sekishod answers on its control socket, i.e. once its
 *           ruleset is in the kernel. Only then the work domain. A netvm
 *           that reports a failure, dies, or stays silent past the timeout
 *           means no work domain: `up` fails and says why.
 *   down:   work first, then the netvm (work is never left without it).
 *   status: both domains and whether the netvm is armed.
 *
 * Every step prints one line to out ("netvm: created, domain 1"). */
#ifndef SK_HW_BUILDER_H
#define SK_HW_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/util.h"

/* The readiness keys, below /local/domain/<netvm>/. */
#define ARM_DIR		"data/sekisho"
#define ARM_KEY		ARM_DIR "/armed"	/* "1" once armed */
#define ARM_ERROR_KEY	ARM_DIR "/error"	/* why it will not arm */
#define ARM_MSG_MAX	160

enum arm_state { ARM_WAITING, ARM_ARMED, ARM_FAILED, ARM_GONE };

struct xen_ops {
	/* 0 with *domid, -ENOENT when no domain has that name, or -errno. */
	int (*find)(void *ctx, const char *name, uint32_t *domid);
	/* Builds and unpauses the domain of the configuration cfg (an
	 * opaque libxl_domain_config). 0 with *domid, or -errno + err. */
	int (*create)(void *ctx, void *cfg, uint32_t *domid,
	    struct sk_error *err);
	int (*destroy)(void *ctx, uint32_t domid, struct sk_error *err);
	/* The netvm's readiness, waiting at most timeout_ms for it to be
	 * anything but ARM_WAITING. On ARM_FAILED, msg holds the netvm's
	 * reason (printable ASCII). */
	enum arm_state (*arm_wait)(void *ctx, uint32_t domid,
	    uint64_t timeout_ms, char msg[ARM_MSG_MAX]);
	uint64_t (*now_ms)(void *ctx);
	/* The host USB devices passed to a domain now, as bus << 8 | addr:
	 * 0 with *n, or -errno + err. */
	int (*usb_list)(void *ctx, uint32_t domid, uint16_t *have,
	    size_t max, size_t *n, struct sk_error *err);
	/* Passes the host device at bus << 8 | addr to the domain, or takes
	 * it away: 0, or -errno + err. */
	int (*usb_add)(void *ctx, uint32_t domid, uint16_t bus_addr,
	    struct sk_error *err);
	int (*usb_remove)(void *ctx, uint32_t domid, uint16_t bus_addr,
	    struct sk_error *err);
};

struct builder {
	const struct xen_ops *ops;
	void *ctx;
	void *netvm_cfg, *work_cfg;	/* for up */
	uint64_t arm_timeout_ms;
	struct buf *out;
};

/* 0 done, -errno with one line in err (nothing more was started). */
int builder_up(const struct builder *b, struct sk_error *err);
int builder_down(const struct builder *b, struct sk_error *err);
/* 0 when both run and the netvm is armed, -ESRCH otherwise. */
int builder_status(const struct builder *b, struct sk_error *err);

/* usb-attach: makes the USB devices of the domain named work those the
 * plan p gives it (hw_usbpass_sync: the gone ones removed, the new ones
 * added), one line per change. Only ever the domain named work. Work not
 * running: a line, 0. 0, or -errno with one line in err (every change is
 * tried; the first failure is reported). */
struct hw_plan;
int builder_usb_attach(const struct builder *b, const struct hw_plan *p,
    struct sk_error *err);

#endif
