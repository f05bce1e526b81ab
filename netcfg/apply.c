/* network.conf applied in the order the kernel needs: every device matched
 * first (by its name before any rename), then renamed, MTU, up and
 * addresses; routes once every address is in place; then DNS and DHCP. */
#include <errno.h>
#include <fnmatch.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>

#include "berth.h"
#include "netcfg.h"

void report(struct run *r, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	warn("%s", msg);
	r->errors++;
}

int root_path(const struct run *r, char *buf, size_t size, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(buf, size, "%s", r->root);
	va_list ap;
	int m;

	if (n >= size)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= size - n ? -1 : 0;
}

static int matches(const struct iface *f, const struct link *l)
{
	if (l->type == ARPHRD_LOOPBACK)
		return 0;
	if (f->match_mac && (!l->has_mac || memcmp(f->mac, l->mac, 6)))
		return 0;
	if (f->match_name[0])
		return fnmatch(f->match_name, l->name, 0) == 0;
	return f->match_mac || !strcmp(f->id, l->name);
}

static const char *mac_text(const unsigned char *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* which devices a block means; a set-name needs exactly one */
static int match_block(struct run *r, struct conf *c, struct iface *f, int *idx)
{
	char mac[18];
	int n = 0;

	for (int i = 0; i < r->nlinks; i++)
		if (matches(f, &r->links[i]))
			idx[n++] = i;
	if (n == 0) {
		if (f->match_mac)
			report(r, "%s:%d: interface %s: no device has mac %s", c->path, f->line, f->id,
			       mac_text(f->mac, mac, sizeof mac));
		else
			report(r, "%s:%d: interface %s: no device named %s", c->path, f->line, f->id,
			       f->match_name[0] ? f->match_name : f->id);
	} else if (n > 1 && f->set_name[0]) {
		report(r, "%s:%d: interface %s: set-name %s but %d devices match; none changed", c->path, f->line,
		       f->id, f->set_name, n);
		n = 0;
	}
	return n;
}

static void link_up(struct run *r, struct iface *f, struct link *l)
{
	char was[IFNAME_LEN] = "";
	int ok = 0;

	if (f->set_name[0] && strcmp(l->name, f->set_name)) {
		/* the kernel renames only a device that is down */
		if ((l->flags & IFF_UP) && nl_link_set(&r->nl, l->index, NULL, 0, 0) != 0)
			report(r, "%s: set down to rename: %s", l->name, strerror(errno));
		if (nl_link_set(&r->nl, l->index, f->set_name, 0, -1) != 0) {
			report(r, "%s: rename to %s: %s", l->name, f->set_name,
			       errno == EEXIST ? "another device has that name" : strerror(errno));
		} else {
			snprintf(was, sizeof was, "%s", l->name);
			snprintf(l->name, sizeof l->name, "%s", f->set_name);
		}
	}
	if (f->mtu && nl_link_set(&r->nl, l->index, NULL, f->mtu, -1) != 0)
		report(r, "%s: mtu %d: %s", l->name, f->mtu, strerror(errno));
	if (nl_link_set(&r->nl, l->index, NULL, 0, 1) != 0)
		report(r, "%s: set up: %s", l->name, strerror(errno));
	else
		l->flags |= IFF_UP;
	for (int i = 0; i < f->naddrs; i++) {
		if (nl_addr_add(&r->nl, l->index, &f->addrs[i]) != 0)
			report(r, "%s: address %s: %s", l->name, f->addrs[i].text, strerror(errno));
		else
			ok++;
	}
	printf("netcfg: %s: up%s%s", l->name, was[0] ? ", renamed from " : "", was);
	if (f->mtu)
		printf(", mtu %d", f->mtu);
	if (f->naddrs)
		printf(", %d of %d addresses", ok, f->naddrs);
	printf("%s%s\n", f->dhcp4 ? ", dhcp4" : "", f->dhcp6 ? ", dhcp6" : "");
}

static void routes(struct run *r, const struct iface *f, const struct link *l)
{
	const char *dev = l ? l->name : "route";
	int oif = l ? l->index : 0;

	for (int i = 0; i < f->ngateways; i++) {
		struct addr any = {.family = f->gateways[i].family};
		if (nl_route_add(&r->nl, &any, &f->gateways[i], -1, oif) != 0)
			report(r, "%s: default route via %s: %s", dev, f->gateways[i].text, strerror(errno));
	}
	for (int i = 0; i < f->nroutes; i++) {
		const struct route *rt = &f->routes[i];
		if (nl_route_add(&r->nl, &rt->dst, &rt->via, rt->metric, oif) != 0)
			report(r, "%s: route %s via %s: %s", dev, rt->dst.text, rt->via.text, strerror(errno));
	}
}

void apply_conf(struct run *r, struct conf *c)
{
	static int idx[IFACES_MAX][LINKS_MAX];
	int nidx[IFACES_MAX];

	for (int i = 0; i < c->nifs; i++)
		nidx[i] = c->ifs[i].bad ? 0 : match_block(r, c, &c->ifs[i], idx[i]);
	for (int i = 0; i < c->nifs; i++)
		for (int j = 0; j < nidx[i]; j++)
			link_up(r, &c->ifs[i], &r->links[idx[i][j]]);
	for (int i = 0; i < c->nifs; i++)
		for (int j = 0; j < nidx[i]; j++)
			routes(r, &c->ifs[i], &r->links[idx[i][j]]);
	routes(r, &c->global, NULL);
	resolv_write(r, c);
	for (int i = 0; i < c->nifs; i++)
		for (int j = 0; j < nidx[i]; j++) {
			if (c->ifs[i].dhcp4)
				dhcp_start(r, r->links[idx[i][j]].name);
			if (c->ifs[i].dhcp6)
				dhcp6_enable(r, r->links[idx[i][j]].name);
		}
	dhcp_wait(r);
}

/* a wired interface: ether with hardware behind it, as sysfs shows (not a
 * bridge, veth, tap or loopback) */
int link_wired(const struct run *r, const struct link *l)
{
	char path[4096];

	return l->type == ARPHRD_ETHER &&
	       root_path(r, path, sizeof path, "/sys/class/net/%s/device", l->name) == 0 && access(path, F_OK) == 0;
}

/* without network.conf: DHCP on every wired interface */
void apply_default(struct run *r)
{
	int n = 0;

	for (int i = 0; i < r->nlinks; i++) {
		struct link *l = &r->links[i];
		if (!link_wired(r, l))
			continue;
		n++;
		if (nl_link_set(&r->nl, l->index, NULL, 0, 1) != 0) {
			report(r, "%s: set up: %s", l->name, strerror(errno));
			continue;
		}
		printf("netcfg: %s: up, dhcp4 (no network.conf)\n", l->name);
		dhcp_start(r, l->name);
	}
	if (!n)
		printf("netcfg: no wired interface found\n");
	dhcp_wait(r);
}
