/* The hardware inventory: what sysfs says is on the PCI and USB buses, and
 * what each device is (docs/hw.md). Reading (hw/sekisho-partition/inventory.c) and
 * classifying (hw/sekisho-partition/classify.c) are separate so that the rules can be tested
 * on plain structs, and the reader on fixture trees.
 *
 * Nothing here decides where a device goes: that is hw/sekisho-partition/plan.c. */
#ifndef SK_HW_INVENTORY_H
#define SK_HW_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define HW_NAME_MAX	64	/* bytes of a name, with the NUL */
#define HW_ADDR_MAX	32	/* "0000:00:1f.6", "3-1.4.2" */
#define HW_IFNAME_MAX	16	/* IFNAMSIZ */
#define HW_MAX_USBIFS	32	/* USB_MAXINTERFACES */
#define HW_MAX_NETIFS	8	/* network interfaces kept per device */
#define HW_MAX_DEVICES	1024	/* per bus */
#define HW_WHY_MAX	192

enum hw_bus { HW_BUS_PCI, HW_BUS_USB };

/* Network kinds first: hw_kind_is_network() relies on the order. */
enum hw_kind {
	HW_KIND_ETHERNET,
	HW_KIND_WIFI,
	HW_KIND_WWAN,
	HW_KIND_BLUETOOTH,
	HW_KIND_NETWORK,	/* network-capable, exact kind unclear */
	HW_KIND_CARD_READER,	/* smart card (CCID) */
	HW_KIND_NFC,		/* NFC / FeliCa reader */
	HW_KIND_FINGERPRINT,
	HW_KIND_CAMERA,
	HW_KIND_IR_CAMERA,	/* infrared face camera (Windows Hello) */
	HW_KIND_PLATFORM,	/* bridges, controllers, hubs, input: dom0's */
	HW_KIND_UNKNOWN,	/* nothing the rules know */
	HW_KIND_COUNT
};

enum hw_netif_type { HW_NETIF_ETHER, HW_NETIF_WLAN, HW_NETIF_WWAN };

struct hw_netif {
	char name[HW_IFNAME_MAX];
	enum hw_netif_type type;
};

struct hw_usbif {
	char addr[HW_ADDR_MAX];		/* "1-3:1.0", sanitised */
	uint8_t cls, sub, proto;
	char name[HW_NAME_MAX];		/* iInterface, sanitised; may be "" */
};

/* One device as read from sysfs, then classified. */
struct hw_device {
	enum hw_bus bus;
	char addr[HW_ADDR_MAX];		/* PCI "0000:00:1f.6", USB "1-3.2" */
	uint16_t vendor, product;
	uint32_t pci_class;		/* PCI: 24-bit class code */
	uint8_t cls, sub, proto;	/* USB: bDeviceClass/SubClass/Protocol */
	unsigned int busnum, devnum;	/* USB: xl's hostbus/hostaddr */
	unsigned int nconfigs;		/* USB: bNumConfigurations */
	struct hw_usbif usbifs[HW_MAX_USBIFS];
	size_t n_usbifs;
	struct hw_netif netifs[HW_MAX_NETIFS];
	size_t n_netifs;		/* kept; more may exist */
	int more_netifs;		/* 1 when some were not kept */
	int wwan_port;			/* a kernel wwan device lives under it */
	char product_name[HW_NAME_MAX];	/* USB iProduct, sanitised; may be "" */
	char serial[HW_NAME_MAX];	/* USB iSerialNumber, sanitised; may be "" */

	/* Filled by hw_classify(). */
	enum hw_kind kind;
	int network;			/* network-capable */
	int table_match;		/* kind or name came from the id table */
	char name[HW_NAME_MAX];		/* what to call it */
	char why[HW_WHY_MAX];		/* the evidence for kind/network */
};

struct hw_inventory {
	struct hw_device *dev;		/* PCI first (by address), then USB */
	size_t n;
};

struct hw_table;

/* Reads ROOT/sys/bus/pci/devices and ROOT/sys/bus/usb/devices (root "/"
 * for the running machine) and classifies every device with the table
 * (may be NULL: built-in ids only). 0, or -errno with one line in err:
 * a missing or malformed attribute is an error, never guessed. */
int hw_inventory_read(const char *root, const struct hw_table *tab,
    struct hw_inventory *out, struct sk_error *err);
void hw_inventory_free(struct hw_inventory *inv);

/* Sorts PCI before USB, PCI by address, USB by bus then port path. */
void hw_inventory_sort(struct hw_inventory *inv);

/* Names and parsing of kinds as written in files and output. */
const char *hw_kind_name(enum hw_kind k);
int hw_kind_parse(const char *s, size_t len, enum hw_kind *out);
int hw_kind_is_network(enum hw_kind k);
int hw_kind_is_work(enum hw_kind k);	/* card, NFC, fingerprint, cameras */
const char *hw_bus_name(enum hw_bus b);
/* What a USB class is, for reasons ("smart card (CCID)"). */
const char *hw_usb_class_name(uint8_t cls, uint8_t sub, uint8_t proto);
/* What a 24-bit PCI class code is ("Ethernet controller"). */
const char *hw_pci_class_name(uint32_t cls);

/* Copies untrusted text (USB string descriptors) for display: printable
 * ASCII kept, anything else becomes '?', blanks trimmed, cut to size-1.
 * dst may be src. */
void hw_sanitise(char *dst, size_t size, const char *src, size_t len);
/* The same rule in place, nothing trimmed: each of the len bytes of s that
 * is not printable ASCII (0x20 to 0x7e) becomes '?'. */
void hw_printable(char *s, size_t len);

/* "8086:15fb" into buf (at least 10 bytes). */
const char *hw_id_str(const struct hw_device *d, char *buf, size_t size);

#endif
