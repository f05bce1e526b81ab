/* The host's identity: hostname and the loopback interface. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"

#define HOSTNAME_MAX 64

/* Letters, digits, '-' and '.', 1 to 64 of them, not starting with '-' or '.'
 * (a leading '-' reads as an option to every tool that prints it). */
int hostname_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > HOSTNAME_MAX || name[0] == '-' || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

void hostname_setup(void)
{
	char name[HOSTNAME_MAX + 2];
	const char *use = "berth";
	ssize_t n = file_read("/etc/hostname", name, sizeof name);

	if (n >= 0) {
		while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' ' || name[n - 1] == '\t'))
			name[--n] = '\0';
		if (hostname_valid(name))
			use = name;
		else
			warn("/etc/hostname: expected 1 to %d letters, digits, '-' or '.'; using \"berth\"", HOSTNAME_MAX);
	}
	if (sethostname(use, strlen(use)) != 0)
		warn_errno("sethostname %s", use);
}

static int lo_ioctl(int fd, unsigned long req, struct ifreq *ifr, const char *what)
{
	if (ioctl(fd, req, ifr) == 0 || errno == EEXIST)
		return 0;
	warn_errno("lo: %s", what);
	return -1;
}

/* The kernel adds ::1 when lo goes up, but not 127.0.0.1. */
void loopback_up(void)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		warn_errno("lo: socket");
		return;
	}
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lo_ioctl(fd, SIOCSIFADDR, &ifr, "set address 127.0.0.1");
	sin->sin_addr.s_addr = htonl(0xff000000);
	lo_ioctl(fd, SIOCSIFNETMASK, &ifr, "set netmask 255.0.0.0");
	if (lo_ioctl(fd, SIOCGIFFLAGS, &ifr, "get flags") == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		lo_ioctl(fd, SIOCSIFFLAGS, &ifr, "set up");
	}
	close(fd);
}
