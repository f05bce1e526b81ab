/* DHCP through busybox's udhcpc: one per interface, all started before any
 * is waited for, so several interfaces cost the time of the slowest. With
 * -b each returns once it has a lease or has given up and gone to the
 * background (it keeps renewing there). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "netcfg.h"
#include "spawn.h"

static int running(const char *pidfile)
{
	char buf[32];
	long pid;

	if (file_read(pidfile, buf, sizeof buf) <= 0)
		return 0;
	pid = strtol(buf, NULL, 10);
	return pid > 0 && kill((pid_t)pid, 0) == 0 ? (int)pid : 0;
}

void dhcp_start(struct run *r, const char *ifname)
{
	char pidfile[4096], what[4200];
	char *argv[] = { (char *)r->udhcpc, "-b", "-S", "-t", "10", "-T", "2", "-A", "5", "-i", (char *)ifname,
		"-p", pidfile, "-s", (char *)r->script, NULL };
	struct spawn sp = { .argv = argv, .what = what, .flags = SPAWN_SEARCH };
	pid_t pid;
	int old;

	if (r->ndhcp == LINKS_MAX)
		return;
	if (root_path(r, pidfile, sizeof pidfile, "/run/udhcpc.%s.pid", ifname) != 0) {
		report(r, "%s: pid file path too long", ifname);
		return;
	}
	if ((old = running(pidfile))) {
		printf("netcfg: %s: udhcpc already running (pid %d)\n", ifname, old);
		return;
	}
	snprintf(what, sizeof what, "%s: %s: exec %s", log_prog(), ifname, r->udhcpc);
	pid = spawn_start(&sp);
	if (pid < 0) {
		report(r, "%s: fork udhcpc: %s", ifname, strerror(errno));
		return;
	}
	r->dhcp[r->ndhcp] = pid;
	snprintf(r->dhcp_name[r->ndhcp], IFNAME_LEN, "%s", ifname);
	r->ndhcp++;
}

void dhcp_wait(struct run *r)
{
	for (int i = 0; i < r->ndhcp; i++) {
		int st = spawn_wait(r->dhcp[i], -1);

		if (st >= SPAWN_SIGNAL)
			report(r, "%s: udhcpc killed by signal %d", r->dhcp_name[i], st - SPAWN_SIGNAL);
		else if (st > 0)
			report(r, "%s: udhcpc exited with status %d", r->dhcp_name[i], st);
	}
	r->ndhcp = 0;
}

/* The image has no DHCPv6 client. Router advertisements still give
 * addresses (SLAAC) once accepted, also with forwarding on (containers):
 * accept_ra 2 says so. */
void dhcp6_enable(struct run *r, const char *ifname)
{
	char path[128];
	int fd;

	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/accept_ra", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, "2\n", 2) != 0) {
		report(r, "%s: dhcp6: accept router advertisements (%s): %s", ifname, path, strerror(errno));
	} else {
		printf("netcfg: %s: dhcp6: no DHCPv6 client in the image; addresses from router advertisements\n",
		       ifname);
	}
	if (fd >= 0)
		close(fd);
}
