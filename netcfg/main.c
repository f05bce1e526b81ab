/* netcfg: the network service's first step. Applies /etc/berth/network.conf
 * (renames, MTU, links up, addresses, routes, resolv.conf, DHCP) or, without
 * it, DHCP on every wired interface. See README.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "netcfg.h"

static void usage(void)
{
	die(EXIT_USAGE, "usage: netcfg [--root DIR] [--udhcpc PATH]");
}

int main(int argc, char **argv)
{
	static struct run run;
	static struct conf conf;
	static char buf[CONF_MAX + 2];
	struct run *r = &run;
	char path[4096];
	ssize_t len;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r->root = "";
	r->udhcpc = "udhcpc";
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--root"))
			r->root = strcmp(argv[++i], "/") ? argv[i] : "";
		else if (!strcmp(argv[i], "--udhcpc"))
			r->udhcpc = argv[++i];
		else
			usage();
	}
	if (root_path(r, path, sizeof path, "/etc/berth/network.conf") != 0)
		die(EXIT_USAGE, "--root %s: path too long", r->root);
	if (nl_open(&r->nl) != 0)
		die_errno(EXIT_SYSTEM, "netlink socket");
	if ((r->nlinks = nl_links(&r->nl, r->links, LINKS_MAX)) < 0)
		die_errno(EXIT_SYSTEM, "list network devices");

	len = file_read(path, buf, sizeof buf);
	if (len < 0 && errno == ENOENT) {
		apply_default(r);
	} else if (len < 0 || (size_t)len > CONF_MAX) {
		fail(r, "%s: %s; DHCP on every wired interface instead", path,
		     len < 0 ? strerror(errno) : "more than 65536 bytes");
		apply_default(r);
	} else {
		conf_parse(&conf, path, buf, (size_t)len);
		r->errors += conf.errors;
		apply_conf(r, &conf);
	}
	nl_close(&r->nl);
	return r->errors ? 1 : 0;
}
