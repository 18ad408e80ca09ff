# hw/: hardware inventory from sysfs, the partition plan, and the partition
# builder over libxl (docs/hw.md, docs/xen.md).
HW_SRCS := hw/conf.c hw/names.c hw/devtable.c hw/inventory.c hw/classify.c \
	hw/overrides.c hw/plan.c hw/render.c hw/xlconf.c hw/xlcfg.c
# libxl and xenstore: the builder and the libxl form of the configurations.
HW_XEN_SRCS := hw/xldom.c hw/builder.c
XEN_LIBS := -lxenlight -lxenstore -lxentoollog
DEBS += libxen-dev libyajl-dev
PROGS += sekisho-partition
sekisho-partition_SRCS := hw/sekisho-partition.c hw/load.c \
	hw/cmd_inventory.c hw/cmd_plan.c hw/cmd_config.c hw/cmd_devices.c \
	hw/cmd_xen.c hw/xenctl.c \
	$(HW_SRCS) $(HW_XEN_SRCS)
$(B)/sekisho-partition: LDFLAGS += $(XEN_LIBS)
UNITS += test_hw test_hw_xen
test_hw_SRCS := tests/unit/test_hw.c $(HW_SRCS)
test_hw_xen_SRCS := tests/unit/test_hw_xen.c $(HW_SRCS) $(HW_XEN_SRCS)
$(B)/unit/test_hw_xen: PKG_LIBS += $(XEN_LIBS) -lyajl
FUZZERS += fuzz_hwconf
fuzz_hwconf_SRCS := tests/fuzz/fuzz_hwconf.c hw/conf.c hw/names.c \
	hw/devtable.c hw/overrides.c hw/plan.c hw/classify.c hw/xlconf.c \
	hw/xlcfg.c

# The Xen end-to-end test (docs/xen.md): real Xen 4.17 under QEMU (TCG).
DEBS += qemu-system-x86 cpio
.PHONY: check-xen
check-xen: deps
	$(MAKE) tools CFLAGS="$(CFLAGS)"
	tests/xen/check.sh
