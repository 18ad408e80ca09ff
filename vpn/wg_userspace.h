/*
 * Starting the userspace WireGuard implementation (wireguard-go) confined:
 * its own user, no capability, no_new_privs, a seccomp allow-list and
 * Landlock (lib/sandbox.h). It parses every packet from the internet, so
 * it gets nothing it could misuse: we open what needs privileges, the TUN
 * device and the UAPI socket, and pass both (WG_TUN_FD=3, WG_UAPI_FD=4, the
 * way wireguard-go hands them to its own daemon child). wg.c calls it.
 */
#ifndef SK_VPN_WG_USERSPACE_H
#define SK_VPN_WG_USERSPACE_H

#include <stdint.h>
#include <sys/types.h>

/* The TUN flags a passed descriptor must have for the wireguard-go whose
 * `--version` printed text: until v0.0.20230223 it expects a packet
 * information header on every packet (IFF_TUN), later versions none and
 * virtio headers (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, as their own
 * CreateTUN). Text it cannot read: the later ones. Pure. */
#define WG_GO_LAST_PI	20230223UL
unsigned short wg_go_tun_flags(const char *text);

/* Spawns prog for ifname (a new TUN device of that name, its UAPI socket
 * created here: root's, group of the program's user, 0640, since
 * wireguard-go watches it with inotify). Asking prog its version (once
 * per program) ends by deadline (now_ms()) at the latest. 0 with *pid, or
 * -errno. */
int wg_userspace_spawn(const char *prog, const char *ifname, uint64_t deadline,
    pid_t *pid);

#endif
