/* The directory sync's configuration parser (ldapsync_conf.c) on any
 * bytes: no crash; an accepted file has its required keys and prints. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provisioning/sekisho-provision/ldapsync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldapsync_conf c;
	struct sk_error err;
	char *copy = malloc(size ? size : 1);
	FILE *devnull;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (ldapsync_conf_parse("fuzz", copy, size, &c, &err) == 0) {
		if (c.url[0] == '\0' || c.base[0] == '\0' ||
		    c.attr[LDAPSYNC_STAFF_ID][0] == '\0' ||
		    c.attr[LDAPSYNC_NAME][0] == '\0' ||
		    c.page_size < 1 || c.page_size > LDAPSYNC_PAGE_MAX)
			abort();
		if ((devnull = fopen("/dev/null", "w")) != NULL) {
			ldapsync_conf_print(&c, devnull);
			fclose(devnull);
		}
	} else if (strlen(err.msg) == 0)
		abort();
	free(copy);
	return 0;
}
