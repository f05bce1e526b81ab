/* libFuzzer target for netcfg's network.conf parser (netcfg/conf.c):
 * whatever the bytes, what it keeps is within its caps and well formed.
 *   make out/fuzz/netcfg-libfuzzer   (and out/fuzz/netcfg-main: the corpus, no clang)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "berth.h"
#include "netcfg.h"

static void check_addr(const struct addr *a)
{
	if ((a->family != AF_INET && a->family != AF_INET6) || a->prefix < 0 ||
	    a->prefix > (a->family == AF_INET ? 32 : 128) || !memchr(a->text, '\0', sizeof a->text))
		abort();
}

static void check(const struct iface *f)
{
	if (f->naddrs > ADDRS_MAX || f->nroutes > ROUTES_MAX || f->ngateways > GATEWAYS_MAX ||
	    f->ndns > DNS_MAX || f->nsearch > SEARCH_MAX || strlen(f->id) >= IFNAME_LEN ||
	    strlen(f->set_name) >= IFNAME_LEN || (f->mtu && (f->mtu < 68 || f->mtu > 65535)))
		abort();
	for (int i = 0; i < f->naddrs; i++)
		check_addr(&f->addrs[i]);
	for (int i = 0; i < f->ngateways; i++)
		check_addr(&f->gateways[i]);
	for (int i = 0; i < f->nroutes; i++) {
		check_addr(&f->routes[i].dst);
		check_addr(&f->routes[i].via);
		if (f->routes[i].dst.family != f->routes[i].via.family)
			abort();
	}
	for (int i = 0; i < f->ndns; i++)
		if (strpbrk(f->dns[i], " \t\n#"))
			abort();
	for (int i = 0; i < f->nsearch; i++)
		if (strpbrk(f->search[i], " \t\n#"))
			abort();
}

/* for berth/fuzz/fuzz-main.c: "ok", or "errors" when a line was refused */
const char *fuzz_result = "";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;

	fuzz_result = "too long";
	if (size > CONF_MAX)
		return 0;
	conf_parse(&c, "fuzz", (const char *)data, size);
	fuzz_result = c.errors ? "errors" : "ok";
	if (c.nifs > IFACES_MAX)
		abort();
	for (int i = 0; i < c.nifs; i++)
		check(&c.ifs[i]);
	check(&c.global);
	return 0;
}
