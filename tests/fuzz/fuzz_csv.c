/*
 * sekisho-provision's CSV reader on any bytes: no crash, no read past the
 * buffer, every field within the limits; and the property that writing a
 * record read and reading it back gives the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "provisioning/sekisho-provision/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r, back;
	struct csv_record rec, rec2;
	struct sk_error err;
	char *copy = malloc(size ? size : 1);

	if (copy == NULL)
		return 0;
	/* A copy of exactly size bytes, so ASan sees any overread. */
	memcpy(copy, data, size);
	csv_reader_init(&r, "fuzz", copy, size);
	while (csv_read(&r, &rec, &err) == 1) {
		struct buf b;
		size_t total = 0;

		if (rec.n == 0 || rec.n > CSV_FIELDS_MAX)
			abort();
		buf_init(&b);
		for (size_t i = 0; i < rec.n; i++) {
			if (rec.len[i] > CSV_FIELD_MAX || rec.field[i][rec.len[i]] != '\0')
				abort();
			total += rec.len[i] + 1;
			if (i > 0)
				buf_printf(&b, ",");
			csv_write_field(&b, rec.field[i], rec.len[i]);
		}
		if (total > CSV_RECORD_MAX)
			abort();
		buf_printf(&b, "\r\n");
		if (b.oom)
			abort();
		csv_reader_init(&back, "back", b.p, b.len);
		if (csv_read(&back, &rec2, &err) != 1 || rec2.n != rec.n)
			abort();
		for (size_t i = 0; i < rec.n; i++)
			if (rec2.len[i] != rec.len[i] ||
			    memcmp(rec2.field[i], rec.field[i], rec.len[i]) != 0)
				abort();
		if (csv_read(&back, &rec2, &err) != 0)
			abort();
		csv_reader_free(&back);
		buf_free(&b);
	}
	csv_reader_free(&r);
	free(copy);
	return 0;
}
