#include "netvm/sekisho-probe/targets.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/proto/beacon_wire.h"
#include "lib/udp.h"

#define FIELD_MAX	64	/* longer than any field of a good line */
#define BLANKS		" \t\n\v\f\r"

int
probe_target_parse(const char *line, struct probe_target *t, struct sk_error *err)
{
	char f[4][FIELD_MAX], back[BEACON_ADDRSTRLEN];
	struct beacon_addr ba;
	const char *p = line;
	size_t n = 0, len;

	memset(t, 0, sizeof(*t));
	for (;;) {
		p += strspn(p, BLANKS);
		if (*p == '\0')
			break;
		len = strcspn(p, BLANKS);
		if (n == 4)
			return sk_errorf(err, EINVAL, "more than four fields");
		if (len >= FIELD_MAX)
			return sk_errorf(err, EINVAL, "field %zu longer than %d characters",
			    n + 1, FIELD_MAX - 1);
		memcpy(f[n], p, len);
		f[n][len] = '\0';
		n++;
		p += len;
	}
	if (n < 3)
		return sk_errorf(err, EINVAL, "not \"ID ADDRESS:PORT KEY [KEY]\"");
	if (!beacon_id_valid(f[0]))
		return sk_errorf(err, EINVAL, "bad beacon id \"%s\"", f[0]);
	if (beacon_addr_parse(f[1], BEACON_PORT, &ba, NULL) != 0 ||
	    ba.ss.ss_family != AF_INET ||
	    strcmp(beacon_addr_str(&ba, back, sizeof(back)), f[1]) != 0)
		return sk_errorf(err, EINVAL, "beacon %s: bad address \"%s\", expected "
		    "IPV4:PORT", f[0], f[1]);
	for (size_t i = 2; i < n; i++)
		if (beacon_keys_add_b64(&t->keys, f[i]) != 0)
			return sk_errorf(err, EINVAL, "beacon %s: bad key %zu", f[0], i - 1);
	memcpy(t->id, f[0], strlen(f[0]) + 1);
	memcpy(&t->addr, &ba.ss, sizeof(t->addr));
	return 0;
}
