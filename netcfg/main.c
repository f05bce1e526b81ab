/* netcfg: the network service's first step. Applies /etc/berth/network.conf
 * (renames, MTU, links up, addresses, routes, resolv.conf, DHCP) or, without
 * it, DHCP on every wired interface. --ephemeral and --ephemeral-down are
 * provision's temporary network (ephemeral.c). See README.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "netcfg.h"

#define DHCP_SCRIPT "/usr/share/udhcpc/default.script"

static void usage(void)
{
	die(EXIT_USAGE, "usage: netcfg [--root DIR] [--udhcpc PATH] [--script PATH]\n"
			"       netcfg [--root DIR] [--udhcpc PATH] [--script PATH] --ephemeral [--first] [--timeout S]\n"
			"       netcfg [--root DIR] --ephemeral-down");
}

static void links_list(struct run *r)
{
	if ((r->nlinks = nl_links(&r->nl, r->links, LINKS_MAX)) < 0)
		die_errno(EXIT_SYSTEM, "list network devices");
}

int main(int argc, char **argv)
{
	static struct run run;
	static struct conf conf;
	static char buf[CONF_MAX + 2];
	struct run *r = &run;
	char path[4096], *end;
	ssize_t len;
	enum { APPLY, EPH_UP, EPH_DOWN } mode = APPLY;
	int first = 0, rc;
	long timeout = EPHEMERAL_TIMEOUT;
	struct err e = {0};

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r->root = "";
	r->udhcpc = "udhcpc";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ephemeral"))
			mode = EPH_UP;
		else if (!strcmp(argv[i], "--ephemeral-down"))
			mode = EPH_DOWN;
		else if (!strcmp(argv[i], "--first"))
			first = 1;
		else if (i + 1 >= argc)
			usage();
		else if (!strcmp(argv[i], "--root"))
			r->root = strcmp(argv[++i], "/") ? argv[i] : "";
		else if (!strcmp(argv[i], "--udhcpc"))
			r->udhcpc = argv[++i];
		else if (!strcmp(argv[i], "--script"))
			r->script = argv[++i];
		else if (!strcmp(argv[i], "--timeout")) {
			errno = 0;
			timeout = strtol(argv[++i], &end, 10);
			if (errno || *end || timeout < 1 || timeout > 300)
				die(EXIT_USAGE, "--timeout %s: expected seconds from 1 to 300", argv[i]);
		} else
			usage();
	}
	if ((first || timeout != EPHEMERAL_TIMEOUT) && mode != EPH_UP)
		usage();
	if (!r->script)
		r->script = mode == EPH_UP ? EPHEMERAL_SCRIPT : DHCP_SCRIPT;
	if (root_path(r, path, sizeof path, "/etc/berth/network.conf") != 0)
		die(EXIT_USAGE, "--root %s: path too long", r->root);
	if (nl_open(&r->nl, NETLINK_ROUTE, &e) != 0)
		die(e.code, "%s", e.msg);
	links_list(r);

	/* a temporary network provision left (or is done with) goes first */
	ephemeral_down(r);
	if (mode == EPH_DOWN) {
		nl_close(&r->nl);
		return r->errors ? 1 : 0;
	}
	links_list(r);
	if (mode == EPH_UP) {
		rc = ephemeral_up(r, first, (int)timeout);
		nl_close(&r->nl);
		return rc == 0 ? 0 : 1;
	}

	len = file_read(path, buf, sizeof buf);
	if (len < 0 && errno == ENOENT) {
		apply_default(r);
	} else if (len < 0 || (size_t)len > CONF_MAX) {
		report(r, "%s: %s; DHCP on every wired interface instead", path,
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
