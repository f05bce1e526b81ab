/* The temporary network a datasource over HTTP needs (EC2's IMDS, a NoCloud
 * seedfrom URL): provision runs before the network service, so only lo is
 * up. Like cloud-init's ephemeral DHCP, and only when the kernel has no
 * route to the datasource, `netcfg --ephemeral` runs DHCPv4 on the wired
 * interfaces (bounded: 10 s); `netcfg --ephemeral-down` removes exactly
 * what it added once provisioning is done, so the network service starts
 * from a clean state. netcfg owns the rtnetlink code and the udhcpc runs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "provision.h"
#include "spawn.h"

#define NETCFG_BIN "/usr/bin/netcfg"
/* TEST-NET-1: a hostname's route is whether there is a default route */
#define ANY_REMOTE "192.0.2.1"

/* the host of http://HOST[:PORT]/… ([v6] without its brackets) */
static void url_host(const char *url, char *host, size_t size)
{
	const char *h = strstr(url, "://") ? strstr(url, "://") + 3 : url;
	size_t n;

	if (*h == '[') {
		h++;
		n = strcspn(h, "]");
	} else {
		n = strcspn(h, ":/");
	}
	snprintf(host, size, "%.*s", (int)n, h);
}

/* a UDP connect() sends nothing: it only asks the kernel for a route */
static int routable(const char *host)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(80)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
	struct sockaddr *sa = (struct sockaddr *)&in4;
	socklen_t len = sizeof in4;
	int fd, rc;

	if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&in6;
		len = sizeof in6;
	} else if (inet_pton(AF_INET, host, &in4.sin_addr) != 1) {
		inet_pton(AF_INET, ANY_REMOTE, &in4.sin_addr);
	}
	if ((fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	rc = connect(fd, sa, len);
	close(fd);
	return rc == 0;
}

static int netcfg(struct prov *p, const char *mode, int first)
{
	const char *bin = getenv("BERTH_PROVISION_NETCFG");
	char *argv[8], what[4200];
	struct spawn sp = { .argv = argv, .what = what };
	int argc = 0;
	pid_t pid;

	if (!bin || !*bin)
		bin = NETCFG_BIN;
	sp.path = bin;
	argv[argc++] = "netcfg";
	if (strcmp(p->root, "/")) {
		argv[argc++] = "--root";
		argv[argc++] = (char *)p->root;
	}
	argv[argc++] = (char *)mode;
	if (first)
		argv[argc++] = "--first";
	argv[argc] = NULL;
	snprintf(what, sizeof what, "provision: exec %s", bin);
	fflush(stdout);
	fflush(stderr);
	if ((pid = spawn_start(&sp)) < 0) {
		warn_errno("fork %s", bin);
		return -1;
	}
	return spawn_wait(pid, -1) == 0 ? 0 : -1;
}

int net_for(struct prov *p, const char *what, const char *url, int first)
{
	char host[256];

	url_host(url, host, sizeof host);
	if (p->net_up || routable(host))
		return 0;
	printf("provision: %s: no route to %s; temporary DHCP on the wired interfaces\n", what, host);
	p->net_up = 1;
	return netcfg(p, "--ephemeral", first);
}

void net_release(struct prov *p)
{
	if (!p->net_up)
		return;
	p->net_up = 0;
	netcfg(p, "--ephemeral-down", 0);
}
