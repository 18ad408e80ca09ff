/*
 * The device model and the choice of backend: every verb of wg.h checks
 * its input, then hands over to the kernel (wg_nl.c) or to the userspace
 * UAPI (wg_uapi.c). Starting and waiting for wireguard-go lives here too.
 */
#include "vpn/wg.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/ifname.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"
#include "vpn/wg_nl.h"
#include "vpn/wg_uapi.h"
#include "vpn/wg_userspace.h"


#define WG_USERSPACE_DEFAULT	"wireguard-go"
#define WG_POLL_MS		20
#define WG_REAP_MS		1000

/* ---- the device model ---- */

static int
check_endpoint(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	switch (ss->ss_family) {
	case 0:
		return 0;
	case AF_INET:
		return sin->sin_port != 0 ? 0 : -EINVAL;
	case AF_INET6:
		return sin6->sin6_port != 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static int
check_allowedip(const struct wg_allowedip *a)
{
	if ((a->family == AF_INET && a->cidr <= 32) ||
	    (a->family == AF_INET6 && a->cidr <= 128))
		return 0;
	return -EINVAL;
}

static int
check_peer(const struct wg_peer *p, size_t *total)
{
	size_t i;
	int rc;

	if ((p->flags & ~WG_PEER_FLAGS_ALL) != 0 ||
	    (p->n_allowed != 0 && p->allowed == NULL))
		return -EINVAL;
	if (p->n_allowed > WG_MAX_ALLOWEDIPS - *total)
		return -E2BIG;
	*total += p->n_allowed;
	if ((rc = check_endpoint(&p->endpoint)) != 0)
		return rc;
	for (i = 0; i < p->n_allowed; i++)
		if ((rc = check_allowedip(&p->allowed[i])) != 0)
			return rc;
	return 0;
}

int
wg_device_check(const struct wg_device *dev)
{
	size_t i, total = 0;
	int rc;

	if (!ifname_valid(dev->ifname) ||
	    (dev->flags & ~WG_DEVICE_FLAGS_ALL) != 0 ||
	    (dev->n_peers != 0 && dev->peers == NULL))
		return -EINVAL;
	if (dev->n_peers > WG_MAX_PEERS)
		return -E2BIG;
	for (i = 0; i < dev->n_peers; i++)
		if ((rc = check_peer(&dev->peers[i], &total)) != 0)
			return rc;
	return 0;
}

/* Arrays grow to the next power of two (at least 4), so their capacity
 * follows from their length and needs no field of its own. */
static int
array_reserve(void **arr, size_t n, size_t size)
{
	size_t cap;
	void *p;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	cap = n == 0 ? 4 : 2 * n;
	if ((p = reallocarray(*arr, cap, size)) == NULL)
		return -ENOMEM;
	*arr = p;
	return 0;
}

int
wg_device_add_peer(struct wg_device *dev, struct wg_peer **out)
{
	void *arr = dev->peers;
	int rc;

	if (dev->n_peers >= WG_MAX_PEERS)
		return -E2BIG;
	if ((rc = array_reserve(&arr, dev->n_peers, sizeof(*dev->peers))) != 0)
		return rc;
	dev->peers = arr;
	*out = &dev->peers[dev->n_peers++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

int
wg_peer_add_allowedip(struct wg_peer *p, const struct wg_allowedip *a)
{
	void *arr = p->allowed;
	int rc;

	if (p->n_allowed >= WG_MAX_ALLOWEDIPS)
		return -E2BIG;
	if ((rc = array_reserve(&arr, p->n_allowed, sizeof(*p->allowed))) != 0)
		return rc;
	p->allowed = arr;
	p->allowed[p->n_allowed++] = *a;
	return 0;
}

void
wg_device_free(struct wg_device *dev)
{
	size_t i;

	if (dev == NULL)
		return;
	for (i = 0; i < dev->n_peers; i++)
		free(dev->peers[i].allowed);
	free(dev->peers);
	wipe(dev, sizeof(*dev));
}

/* ---- which backend ---- */

enum wg_backend
wg_backend_of(const char *ifname)
{
	char path[WG_UAPI_PATH_MAX];
	struct stat st;

	if (wg_uapi_sock_path(path, sizeof(path), ifname) == 0 &&
	    stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		return WG_BACKEND_USERSPACE;
	return WG_BACKEND_KERNEL;
}

int
wg_set(const struct wg_device *dev)
{
	int rc;

	if ((rc = wg_device_check(dev)) != 0)
		return rc;
	if (wg_backend_of(dev->ifname) == WG_BACKEND_USERSPACE)
		return wg_uapi_set(dev);
	return wg_nl_set(dev);
}

int
wg_get(const char *ifname, struct wg_device *out)
{
	memset(out, 0, sizeof(*out));
	if (!ifname_valid(ifname))
		return -EINVAL;
	if (wg_backend_of(ifname) == WG_BACKEND_USERSPACE)
		return wg_uapi_get(ifname, out);
	return wg_nl_get(ifname, out);
}

int
wg_delete(const char *ifname)
{
	char path[WG_UAPI_PATH_MAX];
	int rc;

	if (!ifname_valid(ifname))
		return -EINVAL;
	if (wg_backend_of(ifname) == WG_BACKEND_KERNEL)
		return wg_nl_delete(ifname);
	if ((rc = wg_uapi_sock_path(path, sizeof(path), ifname)) != 0)
		return rc;
	return unlink(path) == 0 ? 0 : -errno;
}

/* ---- starting wireguard-go ---- */

/* An empty set answered, not a get: a daemon that runs with 50,000
 * peers would otherwise format them all, and we parse them all, only to
 * learn that it answers (the caller reads the interface next anyway). */
static int
userspace_answers(const char *ifname)
{
	return wg_uapi_probe(ifname, WG_UAPI_TIMEOUT_MS) == 0;
}

/* The same for a program just started, not past deadline: its socket
 * exists (we made it) before it accepts. */
static int
userspace_answers_by(const char *ifname, uint64_t deadline)
{
	uint64_t now = now_ms();

	return wg_uapi_probe(ifname, now < deadline ? (int)(deadline - now) : 1) == 0;
}

/* Confined (wg_userspace.c): its own user, no capability, the TUN device
 * and the UAPI socket opened here and passed. */
static int
userspace_spawn(const char *ifname, uint64_t deadline, pid_t *pid)
{
	const char *prog = WG_USERSPACE_DEFAULT;
#ifdef SEKISHO_TEST_HOOKS
	/* The test build only (build/test/, Makefile): another program in
	 * wireguard-go's place, for the tests of one that fails. The installed
	 * programs (sekishod's and sekisho-gw's root parents) have no such
	 * hook: their environment does not choose what root starts. */
	const char *env = getenv("SEKISHO_WG_USERSPACE");

	if (env != NULL && *env != '\0')
		prog = env;
#endif
	return wg_userspace_spawn(prog, ifname, deadline, pid);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* SIGTERM, a grace period, then SIGKILL; always reaps. */
static void
reap(pid_t pid)
{
	uint64_t deadline = now_ms() + WG_REAP_MS;

	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		sleep_ms(WG_POLL_MS);
	}
}

/* Waits until the new child's socket answers. -ECHILD when the child is
 * gone (then already reaped; also when the caller ignores SIGCHLD, which it
 * must not), -ETIMEDOUT when it never answered. */
static int
userspace_wait(const char *ifname, pid_t pid, uint64_t deadline)
{
	int status = 0;

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) != 0) {
			log_warnx("wg %s: wireguard-go exited before it answered "
			    "(status 0x%x)", ifname, (unsigned)status);
			return -ECHILD;
		}
		if (userspace_answers_by(ifname, deadline))
			return 0;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(WG_POLL_MS);
	}
}

static int
userspace_create(const char *ifname, pid_t *child)
{
	uint64_t deadline;
	pid_t pid;
	int rc;

	if (userspace_answers(ifname))
		return 0;
	/* The whole start, asking its version included, within the time. */
	deadline = now_ms() + WG_CREATE_TIMEOUT_MS;
	if ((rc = userspace_spawn(ifname, deadline, &pid)) != 0)
		return rc;
	rc = userspace_wait(ifname, pid, deadline);
	if (rc == -ETIMEDOUT) {
		log_warnx("wg %s: wireguard-go did not answer within %d ms",
		    ifname, WG_CREATE_TIMEOUT_MS);
		reap(pid);
	}
	if (rc == 0)
		*child = pid;
	return rc;
}

int
wg_create(const char *ifname, enum wg_backend b, pid_t *child)
{
	uint16_t family;

	*child = 0;
	if (!ifname_valid(ifname))
		return -EINVAL;
	switch (b) {
	case WG_BACKEND_KERNEL:
		return wg_nl_create(ifname);
	case WG_BACKEND_USERSPACE:
		return userspace_create(ifname, child);
	case WG_BACKEND_AUTO:
		if (userspace_answers(ifname))
			return 0;
		if (wg_nl_family(&family) == 0)
			return wg_nl_create(ifname);
		return userspace_create(ifname, child);
	}
	return -EINVAL;
}
