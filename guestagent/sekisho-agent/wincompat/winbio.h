/*
 * The part of the Windows Biometric Framework (winbio.h, winbio_types.h,
 * winbio_err.h of the Windows SDK) that bio_winbio.c uses. Debian 12's
 * mingw-w64 headers carry no winbio.h and its import libraries no
 * libwinbio.a, so the few types and constants are declared here, as the
 * SDK documents them, and winbio.dll is loaded at run time (a Windows
 * without the service, or Wine, has no such DLL: BIO_E_NO_DEVICE).
 */
#ifndef SK_WINCOMPAT_WINBIO_H
#define SK_WINCOMPAT_WINBIO_H

#include <windows.h>

typedef ULONG32 WINBIO_SESSION_HANDLE;
typedef ULONG32 WINBIO_UNIT_ID;
typedef ULONG32 WINBIO_BIOMETRIC_TYPE;
typedef ULONG32 WINBIO_POOL_TYPE;
typedef ULONG32 WINBIO_SESSION_FLAGS;
typedef ULONG32 WINBIO_REJECT_DETAIL;
typedef UCHAR WINBIO_BIOMETRIC_SUBTYPE;

#define WINBIO_TYPE_FINGERPRINT		0x00000008u
#define WINBIO_POOL_SYSTEM		1u
#define WINBIO_FLAG_DEFAULT		0u
#define WINBIO_DB_DEFAULT		((GUID *)1)

#define WINBIO_ID_TYPE_NULL		0u
#define WINBIO_ID_TYPE_WILDCARD		1u
#define WINBIO_ID_TYPE_GUID		2u
#define WINBIO_ID_TYPE_SID		3u
#define SK_WINBIO_SID_MAX		68	/* SECURITY_MAX_SID_SIZE */

typedef struct {
	ULONG32	Type;
	union {
		ULONG32	Null;
		ULONG32	Wildcard;
		GUID	TemplateGuid;
		struct {
			ULONG32	Size;
			UCHAR	Data[SK_WINBIO_SID_MAX];
		} AccountSid;
	} Value;
} WINBIO_IDENTITY;

/* winbio_err.h */
#define WINBIO_E_UNKNOWN_ID		((HRESULT)0x80098003L)
#define WINBIO_E_NO_MATCH		((HRESULT)0x80098005L)
#define WINBIO_E_BAD_CAPTURE		((HRESULT)0x80098008L)

typedef HRESULT (WINAPI *winbio_open_fn)(WINBIO_BIOMETRIC_TYPE, WINBIO_POOL_TYPE,
    WINBIO_SESSION_FLAGS, WINBIO_UNIT_ID *, SIZE_T, GUID *, WINBIO_SESSION_HANDLE *);
typedef HRESULT (WINAPI *winbio_identify_fn)(WINBIO_SESSION_HANDLE, WINBIO_UNIT_ID *,
    WINBIO_IDENTITY *, WINBIO_BIOMETRIC_SUBTYPE *, WINBIO_REJECT_DETAIL *);
typedef HRESULT (WINAPI *winbio_close_fn)(WINBIO_SESSION_HANDLE);

#endif
