# hw/: hardware inventory from sysfs and the partition plan (docs/hw.md).
HW_SRCS := hw/conf.c hw/names.c hw/devtable.c hw/inventory.c hw/classify.c \
	hw/overrides.c hw/plan.c hw/render.c hw/xlconf.c hw/xlcfg.c
PROGS += sekisho-partition
sekisho-partition_SRCS := hw/sekisho-partition.c hw/load.c \
	hw/cmd_inventory.c hw/cmd_plan.c hw/cmd_config.c hw/cmd_devices.c \
	hw/cmd_xen.c \
	$(HW_SRCS)
UNITS += test_hw
test_hw_SRCS := tests/unit/test_hw.c $(HW_SRCS)
FUZZERS += fuzz_hwconf
fuzz_hwconf_SRCS := tests/fuzz/fuzz_hwconf.c hw/conf.c hw/names.c \
	hw/devtable.c hw/overrides.c hw/plan.c hw/classify.c hw/xlconf.c \
	hw/xlcfg.c
