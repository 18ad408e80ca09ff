/*
 * The one interface-name check of the project. A name passes only if it
 * is a Linux interface name (1 to IFNAMSIZ-1 bytes, not "." or "..") made
 * of ASCII letters, digits, '-', '_' and '.': nothing that nftables text,
 * a path, the UAPI socket's name or a log line could read as syntax. Names
 * from the kernel, the command line, the policy and the registry all go
 * through it before they are used.
 */
#ifndef SK_IFNAME_H
#define SK_IFNAME_H

/* Linux's IFNAMSIZ (a fixed part of its ABI), here without <net/if.h> so
 * that the check builds anywhere (the Windows agent names uplinks too). */
#define IFNAME_SIZE	16

/* 1 if s is a plain interface name, 0 if not. */
int ifname_valid(const char *s);

#endif
