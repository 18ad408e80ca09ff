/* Names of kinds, buses and classes as written in files and output, and
 * the sanitising of text that comes from devices. */
#include "hw/sekisho-partition/inventory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[HW_KIND_COUNT] = {
	[HW_KIND_ETHERNET] = "ethernet",
	[HW_KIND_WIFI] = "wifi",
	[HW_KIND_WWAN] = "wwan",
	[HW_KIND_BLUETOOTH] = "bluetooth",
	[HW_KIND_NETWORK] = "network",
	[HW_KIND_CARD_READER] = "card-reader",
	[HW_KIND_NFC] = "nfc",
	[HW_KIND_FINGERPRINT] = "fingerprint",
	[HW_KIND_CAMERA] = "camera",
	[HW_KIND_IR_CAMERA] = "ir-camera",
	[HW_KIND_PLATFORM] = "platform",
	[HW_KIND_UNKNOWN] = "unknown",
};

const char *
hw_kind_name(enum hw_kind k)
{
	if ((unsigned)k >= HW_KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

int
hw_kind_parse(const char *s, size_t len, enum hw_kind *out)
{
	size_t i;

	for (i = 0; i < HW_KIND_COUNT; i++)
		if (strlen(kind_names[i]) == len &&
		    memcmp(kind_names[i], s, len) == 0) {
			*out = (enum hw_kind)i;
			return 0;
		}
	return -EINVAL;
}

int
hw_kind_is_network(enum hw_kind k)
{
	return k <= HW_KIND_NETWORK;
}

int
hw_kind_is_work(enum hw_kind k)
{
	return k >= HW_KIND_CARD_READER && k <= HW_KIND_IR_CAMERA;
}

const char *
hw_bus_name(enum hw_bus b)
{
	return b == HW_BUS_PCI ? "pci" : "usb";
}

void
hw_printable(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
}

void
hw_sanitise(char *dst, size_t size, const char *src, size_t len)
{
	size_t n;

	if (size == 0)
		return;
	while (len > 0 && (*src == ' ' || *src == '\t')) {
		src++;
		len--;
	}
	n = len < size - 1 ? len : size - 1;
	memmove(dst, src, n);
	hw_printable(dst, n);
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

const char *
hw_id_str(const struct hw_device *d, char *buf, size_t size)
{
	snprintf(buf, size, "%04x:%04x", d->vendor, d->product);
	return buf;
}

/* ---- class names, for reasons ---- */

const char *
hw_usb_class_name(uint8_t cls, uint8_t sub, uint8_t proto)
{
	switch (cls) {
	case 0x01: return "audio";
	case 0x02:
		switch (sub) {
		case 0x02: return "CDC ACM serial/modem";
		case 0x06: return "CDC ECM Ethernet";
		case 0x0c: return "CDC EEM Ethernet";
		case 0x0d: return "CDC NCM Ethernet";
		case 0x0e: return "CDC MBIM mobile broadband";
		default: return "CDC communications";
		}
	case 0x03: return "HID input";
	case 0x06: return "still image";
	case 0x07: return "printer";
	case 0x08: return "mass storage";
	case 0x09: return "hub";
	case 0x0a: return "CDC data";
	case 0x0b: return "smart card (CCID)";
	case 0x0d: return "content security";
	case 0x0e: return "video";
	case 0x0f: return "personal healthcare";
	case 0x10: return "audio/video";
	case 0x11: return "billboard";
	case 0xdc: return "diagnostic";
	case 0xe0:
		if (sub == 0x01 && (proto == 0x01 || proto == 0x04))
			return "Bluetooth";
		if (sub == 0x01 && proto == 0x03)
			return "RNDIS";
		return "wireless controller";
	case 0xef:
		if (sub == 0x04)
			return "RNDIS";
		return "miscellaneous";
	case 0xfe:
		if (sub == 0x01)
			return "firmware update (DFU)";
		return "application-specific";
	case 0xff: return "vendor-specific";
	default: return "unassigned class";
	}
}

static const struct {
	uint16_t cls;		/* base and subclass */
	const char *name;
} pci_sub[] = {
	{ 0x0106, "SATA controller" }, { 0x0108, "NVMe controller" },
	{ 0x0200, "Ethernet controller" }, { 0x0280, "Network controller" },
	{ 0x0300, "VGA controller" }, { 0x0403, "Audio device" },
	{ 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" },
	{ 0x0604, "PCI bridge" }, { 0x0700, "Serial controller" },
	{ 0x0703, "Modem" }, { 0x0780, "Communication controller" },
	{ 0x0805, "SD host controller" }, { 0x0880, "System peripheral" },
	{ 0x0c03, "USB controller" }, { 0x0c05, "SMBus controller" },
	{ 0x0c80, "Serial bus controller" }, { 0x0d11, "Bluetooth controller" },
	{ 0x0d20, "802.11a controller" }, { 0x0d21, "802.11b controller" },
	{ 0x0d40, "Cellular modem" }, { 0x0d41, "Cellular modem with Ethernet" },
	{ 0x1180, "Signal processing controller" },
};

static const char *const pci_base[] = {
	"Unclassified device", "Storage controller", "Network controller",
	"Display controller", "Multimedia controller", "Memory controller",
	"Bridge", "Communication controller", "System peripheral",
	"Input device controller", "Docking station", "Processor",
	"Serial bus controller", "Wireless controller",
	"Intelligent controller", "Satellite controller",
	"Encryption controller", "Signal processing controller",
	"Processing accelerator", "Non-essential instrumentation",
};

const char *
hw_pci_class_name(uint32_t cls)
{
	size_t i;

	for (i = 0; i < nitems(pci_sub); i++)
		if (pci_sub[i].cls == (cls >> 8))
			return pci_sub[i].name;
	if ((cls >> 16) < nitems(pci_base))
		return pci_base[cls >> 16];
	return "Unassigned class";
}
