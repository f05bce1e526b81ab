/* berth net: the container-networking calls of the runtime, one subcommand
 * each, for tests and for a person debugging a host. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "berth.h"
#include "cli.h"
#include "net.h"

static const char *const subcommands = "setup, attach NAME NETNS, detach NAME, publish or teardown";

int cmd_net(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bridge", required_argument, NULL, 'b' },
		{ "address", required_argument, NULL, 'a' },
		{ "publish", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct net_config cfg;
	struct port_map ports[NET_PORTS_MAX];
	struct net_lease lease;
	struct err e = { 0 };
	size_t nports = 0;
	const char *sub;
	char *pos[2];
	int npos = 0, c, r;

	if (argc < 2)
		usage_error("net", "expected one of %s", subcommands);
	sub = argv[1];
	if (net_config_default(&cfg, &e) != 0)
		die(EXIT_USAGE, "%s", e.msg);
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while (optind < argc) {
		c = getopt_long(argc, argv, "+b:a:p:", longopts, NULL);
		if (c == -1) {
			if (npos == 2)
				usage_error("net", "%s: too many arguments", sub);
			pos[npos++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'b':
			if (strlen(optarg) >= sizeof cfg.bridge || !*optarg)
				usage_error("net", "--bridge: a name of 1 to %zu characters", sizeof cfg.bridge - 1);
			strcpy(cfg.bridge, optarg);
			break;
		case 'a':
			if (net_config_address(&cfg, optarg, &e) != 0)
				usage_error("net", "--address: %s", e.msg);
			break;
		case 'p':
			if (nports == NET_PORTS_MAX)
				usage_error("net", "more than %d ports", NET_PORTS_MAX);
			if (net_port_parse(optarg, &ports[nports++], &e) != 0)
				usage_error("net", "%s", e.msg);
			break;
		default:
			usage_error("net", "unknown option \"%s\"", argv[optind - 1]);
		}
	}

	if (nports && strcmp(sub, "attach") != 0)
		usage_error("net", "-p belongs to attach");
	if (strcmp(sub, "setup") == 0 && npos == 0)
		r = net_bridge_up(&cfg, &e);
	else if (strcmp(sub, "attach") == 0 && npos == 2) {
		r = net_attach(&cfg, pos[0], pos[1], ports, nports, &lease, &e);
		if (r == 0) {
			struct in_addr a = { htonl(lease.address) };
			char ip[INET_ADDRSTRLEN];
			printf("%s %s/%u %s\n", lease.name, inet_ntop(AF_INET, &a, ip, sizeof ip),
			       cfg.prefix, lease.ifname);
		}
	} else if (strcmp(sub, "detach") == 0 && npos == 1)
		r = net_detach(&cfg, pos[0], &e);
	else if (strcmp(sub, "publish") == 0 && npos == 0)
		r = net_publish(&cfg, &e);
	else if (strcmp(sub, "teardown") == 0 && npos == 0)
		r = net_teardown_all(&cfg, &e);
	else
		usage_error("net", "expected one of %s", subcommands);
	if (r != 0) {
		warn("%s", e.msg);
		return EXIT_SYSTEM;
	}
	return 0;
}
