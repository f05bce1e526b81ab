/* libFuzzer target for netcfg's network.conf parser (netcfg/conf.c):
 * whatever the bytes, what it keeps is within its caps and well formed.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib -Inetcfg \
 *     netcfg/fuzz/fuzz.c netcfg/conf.c lib/log.c -o out/fuzz-netcfg
 * -DFUZZ_MAIN adds a main() that runs each file named on the command line.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;

	if (size > CONF_MAX)
		return 0;
	conf_parse(&c, "fuzz", (const char *)data, size);
	if (c.nifs > IFACES_MAX)
		abort();
	for (int i = 0; i < c.nifs; i++)
		check(&c.ifs[i]);
	check(&c.global);
	return 0;
}

#ifdef FUZZ_MAIN
int main(int argc, char **argv)
{
	static char buf[CONF_MAX + 1];

	log_init("netcfg-fuzz");
	for (int i = 1; i < argc; i++) {
		ssize_t n;
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die_errno(1, "open %s", argv[i]);
		n = read(fd, buf, sizeof buf);
		close(fd);
		if (n < 0)
			die_errno(1, "read %s", argv[i]);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)n);
		fprintf(stderr, "netcfg-fuzz: %s: ok\n", argv[i]);
	}
	return 0;
}
#endif
