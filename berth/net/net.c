/* Container networking over rtnetlink: the bridge, a veth pair per
 * container with eth0 born inside the container's namespace, addresses,
 * routes; leases in state.c, NAT and published ports in nft.c. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "berth.h"
#include "netlink.h"
#include "nft.h"

#define RT_BUF 4096

static const char *ip_str(uint32_t host, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(host) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* The index and kind ("bridge", "veth", "" for none) of a link by name */
static int link_get(struct nl *nl, const char *name, int *index, char *kind, size_t kind_size,
		    struct err *e)
{
	unsigned char mem[RT_BUF], reply[16384];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlbuf b;
	char what[64];
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	size_t len, off;

	snprintf(what, sizeof what, "RTM_GETLINK %s", name);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
	nla_put_str(&b, IFLA_IFNAME, name);
	nlmsg_end(&b);
	memset(reply, 0, sizeof reply);
	if (nl_request(nl, &b, what, reply, sizeof reply, RTM_NEWLINK, e) != 0)
		return -1;
	len = h->nlmsg_len < sizeof reply ? h->nlmsg_len : sizeof reply;
	if (len < NLMSG_LENGTH(sizeof ifi))
		return fail(e, EXIT_SYSTEM, "%s: no link in the answer", what);
	*index = ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
	if (kind_size)
		kind[0] = '\0';
	off = NLMSG_LENGTH(sizeof ifi);
	while (kind_size && off + NLA_HDRLEN <= len) {
		struct nlattr *a = (struct nlattr *)(reply + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == IFLA_LINKINFO) {
			size_t in = off + NLA_HDRLEN, end = off + a->nla_len;
			while (in + NLA_HDRLEN <= end) {
				struct nlattr *k = (struct nlattr *)(reply + in);
				size_t klen;
				if (k->nla_len < NLA_HDRLEN || in + k->nla_len > end)
					break;
				klen = k->nla_len - NLA_HDRLEN;
				if ((k->nla_type & NLA_TYPE_MASK) == IFLA_INFO_KIND && klen < kind_size) {
					memcpy(kind, reply + in + NLA_HDRLEN, klen);
					kind[klen] = '\0';
				}
				in += NLA_ALIGN(k->nla_len);
			}
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

/* Set a link up by index */
static int link_up(struct nl *nl, int index, const char *name, struct err *e)
{
	unsigned char mem[RT_BUF];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index,
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nlbuf b;
	char what[64];

	snprintf(what, sizeof what, "RTM_NEWLINK %s up", name);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
	nlmsg_end(&b);
	return nl_request(nl, &b, what, NULL, 0, 0, e);
}

/* The host end of a container's pair up, in hairpin mode: a container
 * reaching its own published port through the host's address gets the
 * DNATed packet back out of the bridge port it came in by; without
 * hairpin mode the bridge drops it. */
static int port_up(struct nl *nl, const char *ifname, struct err *e)
{
	unsigned char mem[RT_BUF];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct nlbuf b;
	char what[64];
	size_t info, data;

	snprintf(what, sizeof what, "RTM_NEWLINK %s up hairpin", ifname);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
	nla_put_str(&b, IFLA_IFNAME, ifname);
	info = nla_nest_begin(&b, IFLA_LINKINFO);
	nla_put_str(&b, IFLA_INFO_SLAVE_KIND, "bridge");
	data = nla_nest_begin(&b, IFLA_INFO_SLAVE_DATA);
	nla_put_u8(&b, IFLA_BRPORT_MODE, 1);
	nla_nest_end(&b, data);
	nla_nest_end(&b, info);
	nlmsg_end(&b);
	return nl_request(nl, &b, what, NULL, 0, 0, e);
}

/* nl_request where the kernel's errno ok is no error: its message must not
 * stay in e, where it would stand in for a later, real one */
static int request_unless(struct nl *nl, struct nlbuf *b, const char *what, int ok, struct err *e)
{
	struct err tried = { 0 };

	if (nl_request(nl, b, what, NULL, 0, 0, &tried) == 0 || errno == ok)
		return 0;
	return fail(e, tried.code, "%s", tried.msg);
}

/* Delete a link by name; a link already gone is not an error */
static int link_del(struct nl *nl, const char *name, struct err *e)
{
	unsigned char mem[RT_BUF];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlbuf b;
	char what[64];

	snprintf(what, sizeof what, "RTM_DELLINK %s", name);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
	nla_put_str(&b, IFLA_IFNAME, name);
	nlmsg_end(&b);
	return request_unless(nl, &b, what, ENODEV, e);
}

/* addr/prefix on the link; replaces the same address if it is there */
static int addr_add(struct nl *nl, int index, const char *ifname, uint32_t addr,
		    unsigned prefix, struct err *e)
{
	unsigned char mem[RT_BUF];
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
				 .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)index };
	uint32_t brd = addr | ~(~0u << (32 - prefix));
	struct nlbuf b;
	char what[96], ip[INET_ADDRSTRLEN];

	snprintf(what, sizeof what, "RTM_NEWADDR %s %s/%u", ifname, ip_str(addr, ip), prefix);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
		    &ifa, sizeof ifa);
	nla_put_be32(&b, IFA_LOCAL, addr);
	nla_put_be32(&b, IFA_ADDRESS, addr);
	nla_put_be32(&b, IFA_BROADCAST, brd);
	nlmsg_end(&b);
	return nl_request(nl, &b, what, NULL, 0, 0, e);
}

static int route_default(struct nl *nl, uint32_t gw, struct err *e)
{
	unsigned char mem[RT_BUF];
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN,
			     .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
			     .rtm_type = RTN_UNICAST };
	struct nlbuf b;
	char what[64], ip[INET_ADDRSTRLEN];

	snprintf(what, sizeof what, "RTM_NEWROUTE default via %s", ip_str(gw, ip));
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
		    &rtm, sizeof rtm);
	nla_put_be32(&b, RTA_GATEWAY, gw);
	nlmsg_end(&b);
	return nl_request(nl, &b, what, NULL, 0, 0, e);
}

/* The bridge (made if missing), its address, up; IPv4 forwarding on.
 * Returns the bridge's index, or -1. */
static int bridge_ensure(struct nl *nl, const struct net_config *cfg, struct err *e)
{
	unsigned char mem[RT_BUF];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlbuf b;
	char what[64], kind[32];
	size_t info;
	int index, fd;

	snprintf(what, sizeof what, "RTM_NEWLINK %s", cfg->bridge);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		    &ifi, sizeof ifi);
	nla_put_str(&b, IFLA_IFNAME, cfg->bridge);
	info = nla_nest_begin(&b, IFLA_LINKINFO);
	nla_put_str(&b, IFLA_INFO_KIND, "bridge");
	nla_nest_end(&b, info);
	nlmsg_end(&b);
	if (request_unless(nl, &b, what, EEXIST, e) != 0)
		return -1;
	if (link_get(nl, cfg->bridge, &index, kind, sizeof kind, e) != 0)
		return -1;
	if (strcmp(kind, "bridge") != 0)
		return fail(e, EXIT_SYSTEM, "%s exists and is not a bridge (%s)", cfg->bridge, *kind ? kind : "no kind");
	if (addr_add(nl, index, cfg->bridge, cfg->gateway, cfg->prefix, e) != 0 ||
	    link_up(nl, index, cfg->bridge, e) != 0)
		return -1;
	/* per network namespace: the one this process lives in */
	fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1\n", 2) != 2) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return fail(e, EXIT_SYSTEM, "/proc/sys/net/ipv4/ip_forward: %s", strerror(err));
	}
	close(fd);
	return index;
}

/* veth-<8 hex of the name's FNV-1a>, salted past names other leases hold */
static void veth_name(const struct net_state *st, const char *name, char out[IFNAMSIZ])
{
	for (uint32_t salt = 0;; salt++) {
		uint32_t h = 2166136261u;
		size_t i;

		for (const char *p = name; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		for (i = 0; i < 4; i++)
			h = (h ^ ((salt >> (8 * i)) & 0xff)) * 16777619u;
		snprintf(out, IFNAMSIZ, "veth-%08x", h);
		for (i = 0; i < st->n && strcmp(st->leases[i].ifname, out) != 0; i++)
			;
		if (i == st->n)
			return;
	}
}

/* The veth pair in one request: the host end on the bridge, the peer
 * created directly inside the container's namespace as eth0, so there is
 * never a moment with a stray peer in the host's namespace to clean up. */
static int veth_create(struct nl *nl, const char *ifname, int master, int nsfd,
		       struct err *e)
{
	unsigned char mem[RT_BUF];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlbuf b;
	char what[64];
	size_t info, data, peer;

	snprintf(what, sizeof what, "RTM_NEWLINK %s", ifname);
	nlbuf_init(&b, mem, sizeof mem);
	nlmsg_begin(&b, nl, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		    &ifi, sizeof ifi);
	nla_put_str(&b, IFLA_IFNAME, ifname);
	nla_put_u32(&b, IFLA_MASTER, (uint32_t)master);
	info = nla_nest_begin(&b, IFLA_LINKINFO);
	nla_put_str(&b, IFLA_INFO_KIND, "veth");
	data = nla_nest_begin(&b, IFLA_INFO_DATA);
	peer = nla_nest_begin(&b, VETH_INFO_PEER);
	nla_put_raw(&b, &ifi, sizeof ifi);
	nla_put_str(&b, IFLA_IFNAME, "eth0");
	nla_put_u32(&b, IFLA_NET_NS_FD, (uint32_t)nsfd);
	nla_nest_end(&b, peer);
	nla_nest_end(&b, data);
	nla_nest_end(&b, info);
	nlmsg_end(&b);
	return nl_request(nl, &b, what, NULL, 0, 0, e);
}

/* Inside the container: eth0 with its address and up, lo up, the default
 * route via the bridge */
static int container_configure(int nsfd, const struct net_config *cfg, uint32_t addr,
			       struct err *e)
{
	struct nl nl;
	int index, r;

	if (nl_open_netns(&nl, NETLINK_ROUTE, nsfd, e) != 0)
		return -1;
	r = link_get(&nl, "eth0", &index, NULL, 0, e) != 0 ||
	    addr_add(&nl, index, "eth0", addr, cfg->prefix, e) != 0 ||
	    link_up(&nl, index, "eth0", e) != 0 ||
	    link_up(&nl, 1, "lo", e) != 0 ||
	    route_default(&nl, cfg->gateway, e) != 0 ? -1 : 0;
	nl_close(&nl);
	return r;
}

static int netns_open(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), type;

	if (fd < 0)
		return fail(e, EXIT_SYSTEM, "network namespace %s: %s", path, strerror(errno));
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return fail(e, EXIT_SYSTEM, "%s: not a network namespace", path);
	}
	return fd;
}

static int ports_overlap(const struct port_map *a, const struct port_map *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (a->host_ip == b->host_ip || a->host_ip == 0 || b->host_ip == 0);
}

/* a port to be picked (not yet a fixed one) */
static int port_open(const struct port_map *p)
{
	return p->host_port == 0 || p->host_port_last > p->host_port;
}

/* the lease or the earlier port of this list that already publishes p */
static const char *port_owner(const struct net_state *st, const struct port_map *ports, size_t n,
			      const struct port_map *p)
{
	for (size_t j = 0; j < n; j++)
		if (&ports[j] != p && !port_open(&ports[j]) && ports_overlap(p, &ports[j]))
			return "";
	for (size_t l = 0; l < st->n; l++)
		for (size_t j = 0; j < st->leases[l].nports; j++)
			if (ports_overlap(p, &st->leases[l].ports[j]))
				return st->leases[l].name;
	return NULL;
}

/* 1 unless a host process has the port: the DNAT rule would hide it from
 * the outside, so a picked port must be one the host could bind now */
static int port_bindable(const struct port_map *p)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(p->host_port),
				 .sin_addr.s_addr = htonl(p->host_ip) };
	int fd = socket(AF_INET, (p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int ok;

	if (fd < 0)
		return 1;
	ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 || errno != EADDRINUSE;
	close(fd);
	return ok;
}

/* the fixed ports must be free; then each open one gets the first free
 * port of its range, in order, as Docker's allocator does */
static int ports_resolve(const struct net_state *st, struct port_map *ports, size_t n, struct err *e)
{
	char spec[64];
	const char *owner;

	for (size_t i = 0; i < n; i++) {
		if (port_open(&ports[i]))
			continue;
		net_port_format(&ports[i], spec, sizeof spec);
		for (size_t j = 0; j < i; j++)
			if (!port_open(&ports[j]) && ports_overlap(&ports[i], &ports[j]))
				return fail(e, EXIT_SYSTEM, "port %s: given twice", spec);
		if ((owner = port_owner(st, ports, 0, &ports[i])))
			return fail(e, EXIT_SYSTEM, "port %s: already published by %s", spec, owner);
	}
	for (size_t i = 0; i < n; i++) {
		struct port_map *p = &ports[i];
		unsigned lo = p->host_port ? p->host_port : NET_EPHEMERAL_FIRST;
		unsigned hi = p->host_port ? p->host_port_last : NET_EPHEMERAL_LAST;

		if (!port_open(p))
			continue;
		for (p->host_port_last = 0, p->host_port = (uint16_t)lo;; p->host_port++) {
			if (!port_owner(st, ports, n, p) && port_bindable(p))
				break;
			if (p->host_port >= hi) {
				p->host_port = 0;
				net_port_format(p, spec, sizeof spec);
				return fail(e, EXIT_SYSTEM, "port %s: no free host port in %u-%u", spec, lo, hi);
			}
		}
	}
	return 0;
}

int net_bridge_up(const struct net_config *cfg, struct err *e)
{
	struct net_state st;
	struct nl nl;
	int r;

	if (net_state_open(cfg, &st, e) != 0)
		return -1;
	if (nl_open(&nl, NETLINK_ROUTE, e) != 0) {
		net_state_close(&st);
		return -1;
	}
	r = bridge_ensure(&nl, cfg, e) < 0 || nft_rebuild(cfg, st.leases, st.n, e) != 0 ? -1 : 0;
	nl_close(&nl);
	net_state_close(&st);
	return r;
}

int net_attach(const struct net_config *cfg, const char *name, const char *netns_path,
	       const struct port_map *ports, size_t nports, struct net_lease *out,
	       struct err *e)
{
	struct net_state st;
	struct net_lease *l;
	struct err ignored;
	struct nl nl = { .fd = -1 };
	int nsfd = -1, master, r = -1;

	if (!net_name_valid(name))
		return fail(e, EXIT_SYSTEM, "\"%s\": not a valid container name", name);
	if (nports > NET_PORTS_MAX)
		return fail(e, EXIT_SYSTEM, "%s: more than %d published ports", name, NET_PORTS_MAX);
	nsfd = netns_open(netns_path, e);
	if (nsfd < 0)
		return -1;
	if (net_state_open(cfg, &st, e) != 0) {
		close(nsfd);
		return -1;
	}
	if (net_state_find(&st, name)) {
		fail(e, EXIT_SYSTEM, "%s: already attached", name);
		goto out;
	}
	if (st.n == NET_LEASES_MAX) {
		fail(e, EXIT_SYSTEM, "more than %d containers attached", NET_LEASES_MAX);
		goto out;
	}
	l = &st.leases[st.n];
	memset(l, 0, sizeof *l);
	memcpy(l->ports, ports, nports * sizeof *ports);
	l->nports = nports;
	if (ports_resolve(&st, l->ports, nports, e) != 0)
		goto out;
	strcpy(l->name, name);
	l->address = net_state_free_address(cfg, &st);
	if (!l->address) {
		fail(e, EXIT_SYSTEM, "no free address left in the subnet of %s", cfg->bridge);
		goto out;
	}
	veth_name(&st, name, l->ifname);

	if (nl_open(&nl, NETLINK_ROUTE, e) != 0)
		goto out;
	master = bridge_ensure(&nl, cfg, e);
	if (master < 0 || veth_create(&nl, l->ifname, master, nsfd, e) != 0)
		goto out;
	/* from here on, a failure deletes the pair (both ends go with one) */
	if (container_configure(nsfd, cfg, l->address, e) != 0 ||
	    port_up(&nl, l->ifname, e) != 0 ||
	    nft_rebuild(cfg, st.leases, st.n + 1, e) != 0) {
		link_del(&nl, l->ifname, &ignored);
		goto out;
	}
	st.n++;
	if (net_state_save(cfg, &st, e) != 0) {
		link_del(&nl, l->ifname, &ignored);
		nft_rebuild(cfg, st.leases, st.n - 1, &ignored);
		goto out;
	}
	if (out)
		*out = *l;
	r = 0;
out:
	nl_close(&nl);
	net_state_close(&st);
	close(nsfd);
	return r;
}

int net_detach(const struct net_config *cfg, const char *name, struct err *e)
{
	struct net_state st;
	struct net_lease *l;
	struct nl nl;
	int r = -1;

	if (net_state_open(cfg, &st, e) != 0)
		return -1;
	l = net_state_find(&st, name);
	if (!l) {
		fail(e, EXIT_SYSTEM, "%s: not attached", name);
		net_state_close(&st);
		return -1;
	}
	if (nl_open(&nl, NETLINK_ROUTE, e) != 0) {
		net_state_close(&st);
		return -1;
	}
	if (link_del(&nl, l->ifname, e) == 0) {
		/* the address is free once the veth is gone; the table follows */
		memmove(l, l + 1, (size_t)(st.leases + st.n - (l + 1)) * sizeof *l);
		st.n--;
		if (net_state_save(cfg, &st, e) == 0 && nft_rebuild(cfg, st.leases, st.n, e) == 0)
			r = 0;
	}
	nl_close(&nl);
	net_state_close(&st);
	return r;
}

int net_publish(const struct net_config *cfg, struct err *e)
{
	struct net_state st;
	int r;

	if (net_state_open(cfg, &st, e) != 0)
		return -1;
	r = nft_rebuild(cfg, st.leases, st.n, e);
	net_state_close(&st);
	return r;
}

int net_teardown_all(const struct net_config *cfg, struct err *e)
{
	struct net_state st;
	struct nl nl;
	int r = 0;

	if (net_state_open(cfg, &st, e) != 0)
		return -1;
	if (nl_open(&nl, NETLINK_ROUTE, e) != 0) {
		net_state_close(&st);
		return -1;
	}
	if (nft_delete(e) != 0)
		r = -1;
	for (size_t i = 0; i < st.n; i++)
		if (link_del(&nl, st.leases[i].ifname, e) != 0)
			r = -1;
	if (link_del(&nl, cfg->bridge, e) != 0)
		r = -1;
	if (r == 0) {
		st.n = 0;
		r = net_state_save(cfg, &st, e);
	}
	nl_close(&nl);
	net_state_close(&st);
	return r;
}
