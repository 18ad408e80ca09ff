/* sekisho-partition: what its subcommands share (hw/sekisho-partition/sekisho-partition.c
 * holds the table of subcommands; one hw/cmd_*.c file per subcommand). */
#ifndef SK_HW_PARTITION_H
#define SK_HW_PARTITION_H

#include "hw/sekisho-partition/devtable.h"
#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/usbpass.h"
#include "lib/buf.h"

#include "lib/cli.h"	/* EXIT_OK, EXIT_FAIL, EXIT_USAGE */

/* The global options, given before the subcommand. */
struct partition_opts {
	const char *prog;
	const char *sysfs;	/* root of the sysfs tree, "/" by default */
	const char *devices;	/* devices file, or NULL */
	const char *overrides;	/* overrides file, or NULL */
	const char *domains;	/* domains file, or NULL */
	const char *usb;	/* work USB file, or NULL */
};

/* What every subcommand reads: the id table, the inventory, the overrides. */
struct partition_input {
	struct hw_table tab;
	struct hw_inventory inv;
	struct hw_overrides ov;
	int have_ov;
	struct hw_usbpass usb;	/* the work USB file */
	int have_usb;
};

/* Reads the devices file, sysfs and the overrides file. EXIT_OK, or
 * EXIT_FAIL after printing the one error line on stderr. */
int partition_load(const struct partition_opts *o, struct partition_input *in);
void partition_input_free(struct partition_input *in);

/* The plan of in: the rules, the overrides, then the work USB file when
 * one was given (work keeps only the USB devices it names). EXIT_OK, or
 * EXIT_FAIL after printing the one error line on stderr. */
int partition_plan(struct partition_input *in, struct hw_plan *plan);

/* Parses the subcommand's arguments when its only option is --json:
 * EXIT_OK, or EXIT_USAGE after printing the usage. */
int partition_json_flag(const struct partition_opts *o, int argc, char *argv[],
    int *json);

/* Writes b to stdout: EXIT_OK, or EXIT_FAIL with a message. */
int partition_output(const struct partition_opts *o, const struct buf *b);

/* 1 when ROOT/sys/hypervisor/type says "xen"; partition_no_xen prints
 * that it is not and returns EXIT_USAGE. */
int partition_on_xen(const struct partition_opts *o);
int partition_no_xen(const struct partition_opts *o, const char *cmd);

int inventory_main(void *ctx, int argc, char *argv[]);
int plan_main(void *ctx, int argc, char *argv[]);
int config_main(void *ctx, int argc, char *argv[]);
int devices_main(void *ctx, int argc, char *argv[]);
int up_main(void *ctx, int argc, char *argv[]);
int down_main(void *ctx, int argc, char *argv[]);
int status_main(void *ctx, int argc, char *argv[]);
int usb_ids_main(void *ctx, int argc, char *argv[]);
int usb_attach_main(void *ctx, int argc, char *argv[]);

#endif
