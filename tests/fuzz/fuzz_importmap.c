/*
 * sekisho-provision's whole import on any bytes: encoding detection (BOM,
 * UTF-8, CP932 through iconv), CSV framing, header mapping, row checks.
 * The first byte picks staff or devices and the forced encoding. What
 * comes out must hold what records.h promises: NUL-terminated, no control
 * characters, keys that pass their validators; and all or nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/reclist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t max)
{
	if (strlen(s) > max || importmap_check_text(s, max) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_report rep;
	enum textenc enc;
	char *copy;
	int rc;

	if (size < 1)
		return 0;
	enc = (enum textenc)((data[0] >> 1) % 3);
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1) {
		struct staff_list l = { 0 };

		rc = importmap_staff("fuzz", copy, size - 1, enc, &l, &rep);
		if (rc < 0 && (l.n != 0 || rep.n_err == 0))
			abort();
		if (rc == 0 && rep.n_err != 0)
			abort();
		for (size_t i = 0; i < l.n; i++) {
			if (importmap_check_staff_id(l.v[i].staff_id) != NULL)
				abort();
			check_text(l.v[i].name, REC_TEXT_MAX);
			check_text(l.v[i].kana, REC_TEXT_MAX);
			check_text(l.v[i].dept, REC_TEXT_MAX);
			check_text(l.v[i].role, REC_ID_MAX);
		}
		reclist_staff_free(&l);
	} else {
		struct device_list l = { 0 };

		rc = importmap_devices("fuzz", copy, size - 1, enc, &l, &rep);
		if (rc < 0 && (l.n != 0 || rep.n_err == 0))
			abort();
		for (size_t i = 0; i < l.n; i++) {
			if (importmap_check_device_name(l.v[i].name) != NULL ||
			    importmap_check_pubkey(l.v[i].pubkey) != NULL)
				abort();
			check_text(l.v[i].asset, REC_ID_MAX);
		}
		reclist_device_free(&l);
	}
	import_report_free(&rep);
	free(copy);
	return 0;
}
