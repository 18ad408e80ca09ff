# sekisho-partition (hw/): hardware inventory from sysfs, the partition plan, and the partition
# builder over libxl (docs/hw.md, docs/xen.md).
HW_SRCS := hw/sekisho-partition/conf.c hw/sekisho-partition/names.c hw/sekisho-partition/devtable.c hw/sekisho-partition/inventory.c hw/sekisho-partition/classify.c \
	hw/sekisho-partition/overrides.c hw/sekisho-partition/plan.c hw/sekisho-partition/render.c hw/sekisho-partition/xlconf.c hw/sekisho-partition/xlcfg.c \
	hw/sekisho-partition/usbpass.c
# libxl and xenstore: the builder and the libxl form of the configurations.
HW_XEN_SRCS := hw/sekisho-partition/xldom.c hw/sekisho-partition/builder.c
XEN_LIBS := -lxenlight -lxenstore -lxentoollog
DEBS += libxen-dev libyajl-dev
# The JSON of `inventory --json` and `plan --json` is json-c's (render.c):
# everything that links HW_SRCS links it.
DEBS += libjson-c-dev
PROGS += sekisho-partition
sekisho-partition_SRCS := hw/sekisho-partition/sekisho-partition.c hw/sekisho-partition/load.c \
	hw/sekisho-partition/cmd_inventory.c hw/sekisho-partition/cmd_plan.c hw/sekisho-partition/cmd_config.c hw/sekisho-partition/cmd_devices.c \
	hw/sekisho-partition/cmd_xen.c hw/sekisho-partition/cmd_usb.c hw/sekisho-partition/xenctl.c \
	$(HW_SRCS) $(HW_XEN_SRCS)
$(B)/sekisho-partition: LDFLAGS += $(XEN_LIBS) -ljson-c
UNITS += test_hw test_hw_xen test_hw_usb
test_hw_SRCS := tests/unit/test_hw.c $(HW_SRCS)
test_hw_usb_SRCS := tests/unit/test_hw_usb.c $(HW_SRCS)
$(B)/unit/test_hw_usb: PKG_LIBS += -ljson-c
test_hw_xen_SRCS := tests/unit/test_hw_xen.c $(HW_SRCS) $(HW_XEN_SRCS)
$(B)/unit/test_hw: PKG_LIBS += -ljson-c
$(B)/unit/test_hw_xen: PKG_LIBS += $(XEN_LIBS) -lyajl -ljson-c
FUZZERS += fuzz_hwconf
fuzz_hwconf_SRCS := tests/fuzz/fuzz_hwconf.c hw/sekisho-partition/conf.c hw/sekisho-partition/names.c \
	hw/sekisho-partition/devtable.c hw/sekisho-partition/overrides.c hw/sekisho-partition/plan.c hw/sekisho-partition/classify.c hw/sekisho-partition/xlconf.c \
	hw/sekisho-partition/xlcfg.c hw/sekisho-partition/usbpass.c
# The sysfs reader on a fuzzed tree, and the plan, tables and JSON after it.
FUZZERS += fuzz_inventory
fuzz_inventory_SRCS := tests/fuzz/fuzz_inventory.c $(HW_SRCS)
$(B)/fuzz/fuzz_inventory: PKG_LIBS += -ljson-c

# The Xen end-to-end test (docs/xen.md): real Xen 4.17 under QEMU (TCG).
DEBS += qemu-system-x86 cpio
.PHONY: check-xen
check-xen: deps
	$(MAKE) tools CFLAGS="$(CFLAGS)"
	tests/xen/check.sh
