/*
 * From the bytes of an IT officer's CSV file to validated rows: decode
 * (textenc.h), frame (csv.h), map the header row by name, validate every
 * row. All or nothing: a file with one bad row returns no rows at all, and
 * every problem found (up to IMPORT_ERRORS_MAX) is reported, not only the
 * first, each as one line
 *
 *     FILE:LINE: FIELD: PROBLEM
 *
 * LINE is the physical line where the record starts (a quoted name with a
 * line break in it moves the next record's line on). FIELD is the
 * canonical column name, followed by the file's own header in parentheses
 * when that differs: "staff.csv:7: staff_id (職員番号): empty". The exact
 * texts (tests/unit/test_importmap.c holds every one):
 *
 *   "empty"                                   required field empty
 *   "too long (N bytes, at most M)"
 *   "control character"                       C0, DEL, C1, U+2028/2029
 *   "duplicate, first on line N"              key seen before in the file
 *   "bad staff id (letters, digits, '.', '_', '-')"
 *   "bad device name (hostname: letters, digits, '-', at most 63, no '-' at either end)"
 *   "bad group name (letters, digits, '.', '_', '-')"
 *   "bad WireGuard public key (base64 of 32 bytes)"
 *   "bad disabled value (1/0, yes/no, true/false, 無効/有効)"
 *   "N fields, the header has M"              (FIELD is "row" here)
 *
 * File-level problems: "FILE:LINE: invalid CP932 byte sequence" (or
 * UTF-8), the CSV framing errors of csv.h, "FILE: empty file (no header
 * row)", "FILE:1: missing required column(s): staff_id, name",
 * "FILE:1: columns \"氏名\" and \"名前\" are both name". Unknown columns
 * are ignored and listed once as a note:
 * "FILE:1: note: ignored column(s): 備考, 内線".
 * Rows whose every field is empty (Excel writes ",,,," for blank rows)
 * are skipped silently. Cells are trimmed of blanks at either end, and a
 * cell of apostrophes followed by '=', '+', '-' or '@' loses its first
 * apostrophe (the guard table.h's CSV output adds against spreadsheet
 * formulas), so a list written with --csv reads back unchanged.
 *
 * Header names are matched after normalising: full-width ASCII to ASCII,
 * the ideographic space to a space, ASCII lower case, spaces, '_' and '-'
 * removed, leading/trailing white space dropped. Accepted names:
 *   staff:  staff_id  職員番号 職員ID 職員コード 社員番号 staff id, staffid, id
 *           name      氏名 名前 職員名 name, full name
 *           kana      カナ フリガナ ふりがな 氏名カナ カナ氏名 kana, furigana
 *           dept      所属 部署 所属部署 課 department, dept
 *           role      役職 職位 role, title
 *           disabled  無効 停止 disabled
 *   device: name      端末名 ホスト名 コンピュータ名 コンピューター名 機器名 PC名
 *                     name, hostname, host, computer name, device
 *           group     グループ 端末グループ group
 *           pubkey    公開鍵 WireGuard公開鍵 pubkey, public key, wireguard key
 *           asset     資産番号 管理番号 asset, asset number, asset tag
 *           user      利用者 使用者 職員番号 user, staff id
 * Required: staff_id and name for staff; name for devices.
 */
#ifndef SK_PROV_IMPORTMAP_H
#define SK_PROV_IMPORTMAP_H

#include <stddef.h>
#include <stdio.h>

#include "provisioning/sekisho-provision/records.h"
#include "provisioning/sekisho-provision/textenc.h"

#define IMPORT_ERRORS_MAX	100	/* errors kept; the rest are counted */
#define IMPORT_ROWS_MAX		200000	/* data rows in one file */

enum import_kind {
	IMPORT_STAFF,
	IMPORT_DEVICES,
};

/* What an import said: errors (the import returned nothing) and notes. */
struct import_report {
	char		**err;		/* lines without "\n", malloc'd */
	size_t		 n_err;
	size_t		 more_err;	/* errors beyond IMPORT_ERRORS_MAX */
	char		**note;
	size_t		 n_note;
	enum textenc	 used;		/* the encoding found or forced */
	size_t		 rows;		/* data rows read (blank ones not counted) */
};

/*
 * Decodes, frames, maps and validates data[0..len) (the file's raw bytes;
 * name is used in messages). 0 with *out filled (in file order, line set)
 * or -EINVAL with *out empty and rep->err holding every problem (-ENOMEM
 * likewise, with one line). *out must be empty (zeroed) on entry; rep is
 * initialised here and freed with import_report_free().
 */
int importmap_staff(const char *name, const char *data, size_t len,
    enum textenc enc, struct staff_list *out, struct import_report *rep);
int importmap_devices(const char *name, const char *data, size_t len,
    enum textenc enc, struct device_list *out, struct import_report *rep);
/* The same, reading the file first (csv_file_read's limits); name = path.
 * A file that cannot be read: -errno, its one line in rep->err. */
int importmap_staff_file(const char *path, enum textenc enc,
    struct staff_list *out, struct import_report *rep);
int importmap_devices_file(const char *path, enum textenc enc,
    struct device_list *out, struct import_report *rep);

/* Notes then errors, one per line, then "... and N more errors". */
void import_report_print(const struct import_report *rep, FILE *f);
void import_report_free(struct import_report *rep);

/*
 * The validators the importer uses, for the commands that take one value
 * on the command line (device add NAME, card assign USER): NULL if s is
 * acceptable, else the problem text exactly as listed above (a static
 * string). They check length and control characters too.
 */
const char *importmap_check_staff_id(const char *s);
const char *importmap_check_device_name(const char *s);
const char *importmap_check_group(const char *s);
const char *importmap_check_pubkey(const char *s);	/* "" is allowed */
/* Free text of at most max bytes (name, kana, dept, asset). */
const char *importmap_check_text(const char *s, size_t max);

/* The canonical field a header names for this kind ("staff_id", "name",
 * ...), or NULL when it is not one we know. For tests and --help. */
const char *importmap_header_field(enum import_kind kind, const char *header);

#endif
