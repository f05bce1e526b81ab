/* rtnetlink for netcfg: a link dump and three requests (link, address, route),
 * each built in a fixed buffer and answered by an ack. lib/netlink.c is the
 * supervisor's (nf_tables batches, other namespaces); this needs far less. */
#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netcfg.h"

#define REQ_MAX 512
#define RECV_MAX 32768

struct req {
	struct nlmsghdr h;
	unsigned char body[REQ_MAX];
};

int nl_open(struct nl *nl)
{
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -1;
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

static void *req_begin(struct req *q, struct nl *nl, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(q, 0, sizeof *q);
	q->h.nlmsg_type = type;
	q->h.nlmsg_flags = NLM_F_REQUEST | flags;
	q->h.nlmsg_seq = ++nl->seq;
	q->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	return NLMSG_DATA(&q->h);
}

/* every attribute here is small and fixed; the buffer holds them all */
static void attr(struct req *q, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)&q->h + NLMSG_ALIGN(q->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	q->h.nlmsg_len = (uint32_t)(NLMSG_ALIGN(q->h.nlmsg_len) + RTA_ALIGN(a->rta_len));
}

static int nl_send(struct nl *nl, struct req *q)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};

	if (sendto(nl->fd, q, q->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	return 0;
}

/* read replies to seq until its ack (or a dump's end); each other message
 * goes to fn. 0, or -1 with the kernel's errno */
static int nl_wait(struct nl *nl, uint32_t seq, void (*fn)(struct nlmsghdr *, void *), void *arg)
{
	static unsigned char buf[RECV_MAX] __attribute__((aligned(4)));

	for (;;) {
		ssize_t got = recv(nl->fd, buf, sizeof buf, 0);
		struct nlmsghdr *h;
		int n;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		n = (int)got;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e)) {
					errno = EPROTO;
					return -1;
				}
				if (e->error == 0)
					return 0;
				errno = -e->error;
				return -1;
			}
			if (fn)
				fn(h, arg);
		}
	}
}

static int nl_call(struct nl *nl, struct req *q)
{
	q->h.nlmsg_flags |= NLM_F_ACK;
	if (nl_send(nl, q) != 0)
		return -1;
	return nl_wait(nl, q->h.nlmsg_seq, NULL, NULL);
}

struct dump {
	struct link *out;
	int max, n;
};

static void link_add(struct nlmsghdr *h, void *arg)
{
	struct dump *d = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *a;
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *ifi);
	struct link *l;

	if (h->nlmsg_type != RTM_NEWLINK || len < 0 || d->n == d->max)
		return;
	l = &d->out[d->n];
	memset(l, 0, sizeof *l);
	l->index = ifi->ifi_index;
	l->type = ifi->ifi_type;
	l->flags = ifi->ifi_flags;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t plen = RTA_PAYLOAD(a);
		if (a->rta_type == IFLA_IFNAME && plen > 0 && plen <= IFNAME_LEN) {
			memcpy(l->name, RTA_DATA(a), plen);
			l->name[IFNAME_LEN - 1] = '\0';
		} else if (a->rta_type == IFLA_ADDRESS && plen == 6) {
			memcpy(l->mac, RTA_DATA(a), 6);
			l->has_mac = 1;
		} else if (a->rta_type == IFLA_LINKINFO) {
			l->has_kind = 1;
		}
	}
	if (l->name[0])
		d->n++;
}

int nl_links(struct nl *nl, struct link *out, int max)
{
	struct req q;
	struct ifinfomsg *ifi = req_begin(&q, nl, RTM_GETLINK, NLM_F_DUMP, sizeof *ifi);
	struct dump d = {out, max, 0};

	ifi->ifi_family = AF_UNSPEC;
	if (nl_send(nl, &q) != 0 || nl_wait(nl, q.h.nlmsg_seq, link_add, &d) != 0)
		return -1;
	return d.n;
}

int nl_link_set(struct nl *nl, int index, const char *name, int mtu, int up)
{
	struct req q;
	struct ifinfomsg *ifi = req_begin(&q, nl, RTM_NEWLINK, 0, sizeof *ifi);
	uint32_t m = (uint32_t)mtu;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	if (up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (name)
		attr(&q, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu > 0)
		attr(&q, IFLA_MTU, &m, sizeof m);
	return nl_call(nl, &q);
}

/* REPLACE: running again (a service restart) is not an error */
int nl_addr_add(struct nl *nl, int index, const struct addr *a)
{
	return nl_addr(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, index, a);
}

/* RTM_NEWADDR or RTM_DELADDR; flags: NLM_F_CREATE with _REPLACE or _EXCL */
int nl_addr(struct nl *nl, int cmd, int flags, int index, const struct addr *a)
{
	struct req q;
	struct ifaddrmsg *ifa = req_begin(&q, nl, (uint16_t)cmd, (uint16_t)flags, sizeof *ifa);
	size_t len = a->family == AF_INET ? 4 : 16;

	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = (unsigned char)a->prefix;
	ifa->ifa_index = (unsigned)index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	attr(&q, IFA_LOCAL, a->a, len);
	attr(&q, IFA_ADDRESS, a->a, len);
	if (cmd == RTM_NEWADDR && a->family == AF_INET && a->prefix < 31) {
		/* the broadcast address `ip addr add … brd +` would set */
		unsigned char brd[4];
		for (int i = 0; i < 4; i++) {
			int bits = a->prefix - 8 * i;
			unsigned char host = bits >= 8 ? 0 : bits <= 0 ? 0xff : (unsigned char)(0xff >> bits);
			brd[i] = a->a[i] | host;
		}
		attr(&q, IFA_BROADCAST, brd, 4);
	}
	return nl_call(nl, &q);
}

int nl_route_add(struct nl *nl, const struct addr *dst, const struct addr *via, long long metric, int oif)
{
	return nl_route(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, dst, via, metric, oif, RTPROT_STATIC);
}

static int all_zero(const unsigned char *a, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i])
			return 0;
	return 1;
}

/* RTM_NEWROUTE or RTM_DELROUTE in the main table; flags: NLM_F_CREATE with
 * _REPLACE or _APPEND; a gateway of 0.0.0.0 (or ::) means on the link */
int nl_route(struct nl *nl, int cmd, int flags, const struct addr *dst, const struct addr *via, long long metric,
	     int oif, int proto)
{
	struct req q;
	struct rtmsg *rt = req_begin(&q, nl, (uint16_t)cmd, (uint16_t)flags, sizeof *rt);
	size_t len = dst->family == AF_INET ? 4 : 16;
	uint32_t prio = (uint32_t)metric, ifindex = (uint32_t)oif;
	unsigned char net[16];
	int onlink = all_zero(via->a, len);

	rt->rtm_family = (unsigned char)dst->family;
	rt->rtm_dst_len = (unsigned char)dst->prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = (unsigned char)proto;
	rt->rtm_scope = cmd == RTM_DELROUTE ? RT_SCOPE_NOWHERE : onlink ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	/* the kernel refuses host bits in a destination: clear them */
	memcpy(net, dst->a, len);
	for (size_t i = 0; i < len; i++) {
		int bits = dst->prefix - 8 * (int)i;
		net[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
	}
	if (dst->prefix > 0)
		attr(&q, RTA_DST, net, len);
	if (!onlink)
		attr(&q, RTA_GATEWAY, via->a, len);
	if (oif > 0)
		attr(&q, RTA_OIF, &ifindex, sizeof ifindex);
	if (metric >= 0)
		attr(&q, RTA_PRIORITY, &prio, sizeof prio);
	return nl_call(nl, &q);
}
