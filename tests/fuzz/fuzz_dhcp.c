/* libFuzzer harness: sekisho-dhcpd's codec, DHCPv4 and DHCPv6, on any
 * bytes Windows might send (netvm/sekisho-dhcpd/dhcp_codec.h). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netvm/sekisho-dhcpd/dhcp_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DHCP6_MAX > DHCP4_MAX ? DHCP6_MAX : DHCP4_MAX];
	struct dhcpd_conf c = { .lease = DHCP_LEASE, .has_v6 = 1, .plen6 = 64,
	    .mac = { 2, 0, 0, 0, 0, 1 } };
	struct dhcp4_dest to;
	uint8_t ra[64];
	int n;

	inet_pton(AF_INET, "172.30.0.2", &c.addr);
	inet_pton(AF_INET, "172.30.0.1", &c.router);
	inet_pton(AF_INET, "255.255.255.252", &c.mask);
	inet_pton(AF_INET6, "fd00:5e::2", &c.addr6);
	inet_pton(AF_INET6, "fd00:5e::1", &c.router6);
	n = dhcp4_answer(&c, data, size, out, &to);
	if (n > DHCP4_MAX)
		__builtin_trap();
	n = dhcp6_answer(&c, data, size, out);
	if (n > DHCP6_MAX)
		__builtin_trap();
	if (ra_build(&c, ra) > sizeof(ra))
		__builtin_trap();
	return 0;
}
