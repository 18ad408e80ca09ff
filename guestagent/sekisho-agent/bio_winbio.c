/*
 * The biometric interface on the Windows Biometric Framework (bio.h).
 * Windows keeps the fingerprint templates itself (Windows Hello, the
 * system pool); what the agent keeps in its template file is the identity
 * the framework answers for a finger: the Windows account's SID. Enrolling
 * (bio_enroll) asks the framework who this finger is and records that
 * identity for the staff ID; verifying (bio_verify) asks again and
 * compares. The match happens on the laptop, as with libfprint.
 *
 * File: "sekisho-winbio v1 <hex SID>\n", written 0600-equivalent in the
 * user's own directory. winbio.dll is loaded at run time
 * (wincompat/winbio.h says why).
 */
#include "guestagent/sekisho-agent/bio.h"

#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "guestagent/sekisho-agent/wincompat/winbio.h"
#include "lib/encode.h"
#include "lib/util.h"

#define MAGIC		"sekisho-winbio v1 "
#define LINE_MAX_	(sizeof(MAGIC) + 2 * SK_WINBIO_SID_MAX + 2)

struct winbio {
	HMODULE			dll;
	winbio_open_fn		open;
	winbio_identify_fn	identify;
	winbio_close_fn		close;
	WINBIO_SESSION_HANDLE	session;
};

static int
wb_open(struct winbio *w, char *detail, size_t size)
{
	HRESULT hr;

	memset(w, 0, sizeof(*w));
	if ((w->dll = LoadLibraryExA("winbio.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32)) == NULL)
		return BIO_E_NO_DEVICE;
	w->open = (winbio_open_fn)(void (*)(void))GetProcAddress(w->dll, "WinBioOpenSession");
	w->identify = (winbio_identify_fn)(void (*)(void))GetProcAddress(w->dll, "WinBioIdentify");
	w->close = (winbio_close_fn)(void (*)(void))GetProcAddress(w->dll, "WinBioCloseSession");
	if (w->open == NULL || w->identify == NULL || w->close == NULL) {
		FreeLibrary(w->dll);
		return BIO_E_NO_DEVICE;
	}
	hr = w->open(WINBIO_TYPE_FINGERPRINT, WINBIO_POOL_SYSTEM, WINBIO_FLAG_DEFAULT,
	    NULL, 0, WINBIO_DB_DEFAULT, &w->session);
	if (FAILED(hr)) {
		snprintf(detail, size, "WinBioOpenSession: 0x%08lX", (unsigned long)hr);
		FreeLibrary(w->dll);
		return BIO_E_NO_DEVICE;
	}
	return BIO_OK;
}

static void
wb_close(struct winbio *w)
{
	(void)w->close(w->session);
	FreeLibrary(w->dll);
}

/*
 * Who the next finger is, as hex of its SID; retried on a bad capture
 * while time is left. BIO_OK with *known 0 when the framework knows no
 * such finger.
 */
static int
identify(unsigned timeout_s, void (*on_ready)(void), char *hex, size_t hexsize,
    int *known, char *detail, size_t size)
{
	struct winbio w;
	WINBIO_IDENTITY id;
	WINBIO_UNIT_ID unit;
	WINBIO_BIOMETRIC_SUBTYPE sub;
	WINBIO_REJECT_DETAIL rej;
	uint64_t deadline;
	HRESULT hr;
	int e;

	if ((e = wb_open(&w, detail, size)) != BIO_OK)
		return e;
	if (on_ready != NULL)
		on_ready();
	deadline = now_ms() + (uint64_t)timeout_s * 1000;
	*known = 0;
	for (;;) {
		memset(&id, 0, sizeof(id));
		hr = w.identify(w.session, &unit, &id, &sub, &rej);
		if (hr == WINBIO_E_BAD_CAPTURE && now_ms() < deadline)
			continue;
		break;
	}
	wb_close(&w);
	if (hr == WINBIO_E_UNKNOWN_ID || hr == WINBIO_E_NO_MATCH)
		return BIO_OK;
	if (hr == WINBIO_E_BAD_CAPTURE)
		return BIO_E_TIMEOUT;
	if (FAILED(hr)) {
		snprintf(detail, size, "WinBioIdentify: 0x%08lX", (unsigned long)hr);
		return BIO_E_FAIL;
	}
	if (id.Type != WINBIO_ID_TYPE_SID || id.Value.AccountSid.Size == 0 ||
	    id.Value.AccountSid.Size > SK_WINBIO_SID_MAX ||
	    hexsize < 2 * (size_t)id.Value.AccountSid.Size + 1) {
		snprintf(detail, size, "the framework answered no account");
		return BIO_E_FAIL;
	}
	if (hex_encode(hex, hexsize, id.Value.AccountSid.Data, id.Value.AccountSid.Size) < 0) {
		snprintf(detail, size, "the framework answered no account");
		return BIO_E_FAIL;
	}
	*known = 1;
	return BIO_OK;
}

int
bio_enroll(const char *template_path, const char *user, unsigned timeout_s,
    void (*on_ready)(void), char *detail, size_t detail_size)
{
	char hex[2 * SK_WINBIO_SID_MAX + 1], tmp[MAX_PATH + 8];
	FILE *f;
	int e, known;

	(void)user;	/* the file's name carries the staff ID (login.c) */
	e = identify(timeout_s, on_ready, hex, sizeof(hex), &known, detail, detail_size);
	if (e != BIO_OK)
		return e;
	if (!known) {
		snprintf(detail, detail_size,
		    "Windows knows no such finger: enrol it in Windows Hello first");
		return BIO_E_FAIL;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", template_path) >= sizeof(tmp) ||
	    (f = fopen(tmp, "wbx")) == NULL) {
		snprintf(detail, detail_size, "cannot write %s", template_path);
		return BIO_E_FAIL;
	}
	if (fprintf(f, "%s%s\n", MAGIC, hex) < 0 || fclose(f) != 0 ||
	    !MoveFileExA(tmp, template_path, MOVEFILE_REPLACE_EXISTING)) {
		(void)DeleteFileA(tmp);
		snprintf(detail, detail_size, "cannot write %s", template_path);
		return BIO_E_FAIL;
	}
	return BIO_OK;
}

int
bio_verify(const char *template_path, unsigned timeout_s, void (*on_ready)(void),
    int *matched, char *detail, size_t detail_size)
{
	char line[LINE_MAX_ + 1], hex[2 * SK_WINBIO_SID_MAX + 1];
	size_t n;
	FILE *f;
	int e, known;

	*matched = 0;
	if ((f = fopen(template_path, "rb")) == NULL)
		return BIO_E_NO_PRINT;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	if (n < sizeof(MAGIC) || memcmp(line, MAGIC, sizeof(MAGIC) - 1) != 0 ||
	    line[n - 1] != '\n')
		return BIO_E_NO_PRINT;
	line[n - 1] = '\0';
	e = identify(timeout_s, on_ready, hex, sizeof(hex), &known, detail, detail_size);
	if (e != BIO_OK)
		return e;
	*matched = known && strcmp(hex, line + sizeof(MAGIC) - 1) == 0;
	return BIO_OK;
}
