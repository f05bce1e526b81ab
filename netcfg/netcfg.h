/* netcfg: applies /etc/berth/network.conf (written by provision from
 * network-config) with rtnetlink; see README.md. */
#ifndef NETCFG_H
#define NETCFG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netlink.h"

/* caps: the file is plain text anyone with root may edit */
#define CONF_MAX (64u << 10)
#define LINE_MAX_LEN 512
#define IFACES_MAX 32
#define ADDRS_MAX 16
#define ROUTES_MAX 32
#define GATEWAYS_MAX 4
#define DNS_MAX 8
#define SEARCH_MAX 8
#define LINKS_MAX 256
#define IFNAME_LEN 16 /* IFNAMSIZ: 15 characters and the NUL */

/* an address with its prefix; a route's destination too */
struct addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
	int prefix;
	char text[64]; /* as written, for messages */
};

struct route {
	struct addr dst, via;
	long long metric; /* -1: none */
	int line;
};

struct iface {
	char id[IFNAME_LEN];
	int line;
	char match_name[IFNAME_LEN]; /* a pattern (fnmatch) or "" */
	unsigned char mac[6];
	int match_mac;
	char set_name[IFNAME_LEN];
	int mtu; /* 0: leave it */
	int dhcp4, dhcp6;
	struct addr addrs[ADDRS_MAX];
	int naddrs;
	struct addr gateways[GATEWAYS_MAX];
	int ngateways;
	struct route routes[ROUTES_MAX];
	int nroutes;
	char dns[DNS_MAX][64];
	int ndns;
	char search[SEARCH_MAX][254];
	int nsearch;
	int bad; /* a line of the block was wrong: the block is left out */
};

struct conf {
	const char *path; /* for messages */
	struct iface ifs[IFACES_MAX];
	int nifs;
	struct iface global; /* routes, nameservers, search outside any block */
	int errors;
};

/* conf.c: parse network.conf text; every bad line is one message on stderr
 * naming path:line, and counted in c->errors */
void conf_parse(struct conf *c, const char *path, const char *buf, size_t len);
int addr_parse(const char *s, int need_prefix, struct addr *out);

/* nl.c: rtnetlink requests on lib/netlink.c's socket (nl_open with
 * NETLINK_ROUTE); each returns 0, or -1 with the kernel's errno */
struct link {
	int index;
	char name[IFNAME_LEN];
	unsigned char mac[6];
	int has_mac;
	unsigned short type; /* ARPHRD_* */
	unsigned flags;
	int has_kind; /* IFLA_LINKINFO present: a virtual device */
};
/* every link of this network namespace; the count, or -1 (errno) */
int nl_links(struct nl *nl, struct link *out, int max);
/* name: rename (link must be down); mtu: 0 leaves it; up: -1 leaves it */
int nl_link_set(struct nl *nl, int index, const char *name, int mtu, int up);
int nl_addr_add(struct nl *nl, int index, const struct addr *a);
/* cmd: RTM_NEWADDR or RTM_DELADDR; flags: NLM_F_CREATE with _REPLACE or _EXCL */
int nl_addr(struct nl *nl, int cmd, int flags, int index, const struct addr *a);
/* oif 0: the kernel picks the device from the gateway */
int nl_route_add(struct nl *nl, const struct addr *dst, const struct addr *via, long long metric, int oif);
/* cmd: RTM_NEWROUTE or RTM_DELROUTE; flags: NLM_F_CREATE with _REPLACE or
 * _APPEND; proto: RTPROT_*; a via of 0.0.0.0 or :: is on the link (no gateway) */
int nl_route(struct nl *nl, int cmd, int flags, const struct addr *dst, const struct addr *via, long long metric,
	     int oif, int proto);

/* apply.c: the run, passed explicitly */
struct run {
	const char *root; /* "" for the real root, else a prefix for every file */
	const char *udhcpc;
	const char *script; /* udhcpc's hook */
	struct nl nl;
	struct link links[LINKS_MAX];
	int nlinks;
	int errors;
	/* DHCP clients started, waited for together */
	pid_t dhcp[LINKS_MAX];
	char dhcp_name[LINKS_MAX][IFNAME_LEN];
	int ndhcp;
};
void apply_conf(struct run *r, struct conf *c);
void apply_default(struct run *r);
/* ether with hardware behind it in sysfs: not loopback, bridge, veth, tap */
int link_wired(const struct run *r, const struct link *l);
/* one error line on stderr, counted in r->errors */
void report(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "<root>/<rel>" into buf; -1 when it does not fit */
int root_path(const struct run *r, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* dhcp.c: udhcpc per interface, started together and waited for together */
void dhcp_start(struct run *r, const char *ifname);
void dhcp6_enable(struct run *r, const char *ifname);
void dhcp_wait(struct run *r);

/* ephemeral.c: netcfg --ephemeral, the temporary DHCPv4 network provision
 * brings up for a datasource over HTTP, and --ephemeral-down. Every step is
 * noted in EPHEMERAL_DIR/state (under the root) so exactly that is undone. */
#define EPHEMERAL_DIR "/run/berth/ephemeral-net"
#define EPHEMERAL_SCRIPT "/usr/share/udhcpc/ephemeral.script"
#define EPHEMERAL_TIMEOUT 10
/* 0: at least one lease applied; -1: none (one line naming the interfaces) */
int ephemeral_up(struct run *r, int first, int timeout);
/* undo what the state file lists; nothing to do without one */
void ephemeral_down(struct run *r);

/* resolv.c: /etc/resolv.conf from static nameservers */
void resolv_write(struct run *r, const struct conf *c);

#endif
