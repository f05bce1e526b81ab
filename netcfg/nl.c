/* netcfg's rtnetlink requests: a link dump and the link, address and route
 * messages. Building, sending and the acks are lib/netlink.c's; these
 * return the kernel's errno, and the callers name the step in their one
 * line (the kernel's extended-ack text in the struct err is not printed,
 * so the lines stay "<step>: <errno text>"). */
#include <string.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netcfg.h"

#define REQ_MAX 512

struct req {
	struct nlbuf b;
	unsigned char mem[REQ_MAX] __attribute__((aligned(4)));
};

/* a request of type with the fixed header hdr; attributes follow */
static void req_begin(struct req *q, struct nl *nl, int type, int flags, const void *hdr, size_t hdrlen)
{
	nlbuf_init(&q->b, q->mem, sizeof q->mem);
	nlmsg_begin(&q->b, nl, (uint16_t)type, (uint16_t)(NLM_F_REQUEST | flags), hdr, hdrlen);
}

static int req_call(struct nl *nl, struct req *q, const char *what)
{
	struct err e = {0};

	nlmsg_end(&q->b);
	return nl_request(nl, &q->b, what, NULL, 0, 0, &e);
}

struct dump {
	struct link *out;
	int max, n;
};

static void link_add(const struct nlmsghdr *h, void *arg)
{
	struct dump *d = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a;
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
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct dump d = {out, max, 0};
	struct err e = {0};

	req_begin(&q, nl, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof ifi);
	nlmsg_end(&q.b);
	if (nl_dump(nl, &q.b, "RTM_GETLINK", link_add, &d, &e) != 0)
		return -1;
	return d.n;
}

int nl_link_set(struct nl *nl, int index, const char *name, int mtu, int up)
{
	struct req q;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};

	if (up >= 0) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = up ? IFF_UP : 0;
	}
	req_begin(&q, nl, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	if (name)
		nla_put_str(&q.b, IFLA_IFNAME, name);
	if (mtu > 0)
		nla_put_u32(&q.b, IFLA_MTU, (uint32_t)mtu);
	return req_call(nl, &q, "RTM_NEWLINK");
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
	struct ifaddrmsg ifa = {
		.ifa_family = (unsigned char)a->family,
		.ifa_prefixlen = (unsigned char)a->prefix,
		.ifa_index = (unsigned)index,
		.ifa_scope = RT_SCOPE_UNIVERSE,
	};
	size_t len = a->family == AF_INET ? 4 : 16;

	req_begin(&q, nl, cmd, NLM_F_ACK | flags, &ifa, sizeof ifa);
	nla_put(&q.b, IFA_LOCAL, a->a, len);
	nla_put(&q.b, IFA_ADDRESS, a->a, len);
	if (cmd == RTM_NEWADDR && a->family == AF_INET && a->prefix < 31) {
		/* the broadcast address `ip addr add … brd +` would set */
		unsigned char brd[4];
		for (int i = 0; i < 4; i++) {
			int bits = a->prefix - 8 * i;
			unsigned char host = bits >= 8 ? 0 : bits <= 0 ? 0xff : (unsigned char)(0xff >> bits);
			brd[i] = a->a[i] | host;
		}
		nla_put(&q.b, IFA_BROADCAST, brd, 4);
	}
	return req_call(nl, &q, cmd == RTM_NEWADDR ? "RTM_NEWADDR" : "RTM_DELADDR");
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
	size_t len = dst->family == AF_INET ? 4 : 16;
	unsigned char net[16];
	int onlink = all_zero(via->a, len);
	struct rtmsg rt = {
		.rtm_family = (unsigned char)dst->family,
		.rtm_dst_len = (unsigned char)dst->prefix,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = (unsigned char)proto,
		.rtm_scope = cmd == RTM_DELROUTE ? RT_SCOPE_NOWHERE : onlink ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};

	/* the kernel refuses host bits in a destination: clear them */
	memcpy(net, dst->a, len);
	for (size_t i = 0; i < len; i++) {
		int bits = dst->prefix - 8 * (int)i;
		net[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
	}
	req_begin(&q, nl, cmd, NLM_F_ACK | flags, &rt, sizeof rt);
	if (dst->prefix > 0)
		nla_put(&q.b, RTA_DST, net, len);
	if (!onlink)
		nla_put(&q.b, RTA_GATEWAY, via->a, len);
	if (oif > 0)
		nla_put_u32(&q.b, RTA_OIF, (uint32_t)oif);
	if (metric >= 0)
		nla_put_u32(&q.b, RTA_PRIORITY, (uint32_t)metric);
	return req_call(nl, &q, cmd == RTM_NEWROUTE ? "RTM_NEWROUTE" : "RTM_DELROUTE");
}
