/* The rows IT imports, as sekisho-provision's parts hand them to each other:
 * the CSV importers and the directory sync produce them, the registry
 * stores them, the list commands print them. All text is UTF-8 (converted
 * from CP932 at the edge), NUL-terminated, validated before it lands here:
 * no control characters, lengths below the field sizes. */
#ifndef SK_PROV_RECORDS_H
#define SK_PROV_RECORDS_H

#include <stddef.h>

#define REC_ID_MAX	64	/* staff id, device name, group, role */
#define REC_TEXT_MAX	255	/* names, kana, department */
#define REC_PUBKEY_LEN	44	/* base64 WireGuard public key */

/* One member of staff (HR or card-system list, or the directory). */
struct staff_rec {
	char	staff_id[REC_ID_MAX + 1];	/* key; [A-Za-z0-9._-] */
	char	name[REC_TEXT_MAX + 1];		/* kanji, as HR writes it */
	char	kana[REC_TEXT_MAX + 1];		/* reading, may be empty */
	char	dept[REC_TEXT_MAX + 1];		/* may be empty */
	char	role[REC_ID_MAX + 1];		/* may be empty */
	int	disabled;			/* 1: account disabled */
	size_t	line;				/* source line (CSV), 0 if none */
};

/* One laptop (asset list). */
struct device_rec {
	char	name[REC_ID_MAX + 1];		/* key; hostname rules */
	char	group[REC_ID_MAX + 1];		/* may be empty: "default" */
	char	pubkey[REC_PUBKEY_LEN + 1];	/* empty: generate here */
	char	asset[REC_ID_MAX + 1];		/* asset number, may be empty */
	char	user[REC_ID_MAX + 1];		/* staff id, may be empty */
	size_t	line;
};

struct staff_list {
	struct staff_rec *v;
	size_t n, cap;
};

struct device_list {
	struct device_rec *v;
	size_t n, cap;
};

#endif
