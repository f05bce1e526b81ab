/* network-config (v1 and v2 subsets) → /etc/berth/network.conf, a line
 * format the network service reads without YAML (README.md). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision.h"

#define NET_MAX 16384

struct out {
	char buf[NET_MAX];
	size_t len;
	int bad;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof o->buf - o->len)
		o->bad = 1;
	else
		o->len += (size_t)n;
}

static int is_ip(const char *s)
{
	unsigned char a[16];
	return s && (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

/* ADDR/PREFIX; a bare address gets the netmask's prefix, or /32 (/128) */
static int cidr(const char *s, const char *netmask, char *out, size_t size)
{
	char ip[64];
	const char *slash = s ? strchr(s, '/') : NULL;
	int v6, prefix;
	unsigned char a[16];

	if (!s || strlen(s) >= sizeof ip)
		return -1;
	snprintf(ip, sizeof ip, "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (!is_ip(ip))
		return -1;
	v6 = strchr(ip, ':') != NULL;
	prefix = v6 ? 128 : 32;
	if (slash) {
		char *end;
		prefix = (int)strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || prefix < 0 || prefix > (v6 ? 128 : 32))
			return -1;
	} else if (netmask) {
		unsigned long m;
		if (inet_pton(AF_INET, netmask, a) != 1)
			return -1;
		m = ((unsigned long)a[0] << 24) | ((unsigned long)a[1] << 16) | ((unsigned long)a[2] << 8) | a[3];
		for (prefix = 0; prefix < 32 && (m & (0x80000000ul >> prefix)); prefix++)
			;
	}
	snprintf(out, size, "%s/%d", ip, prefix);
	return 0;
}

static int is_mac(const char *s)
{
	if (!s || strlen(s) != 17)
		return 0;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return 1;
}

static int is_ifname(const char *s, int glob)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 15 && s[0] != '-' && strspn(s, glob ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-*" :
							      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int is_domain(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* a scalar or a list of scalars, each checked */
static int each(struct prov *p, const struct ynode *n, const char *path, const char *what, int (*ok)(const char *),
		struct out *o, const char *kw)
{
	if (ynull(n))
		return 0;
	if (n->type == Y_SCALAR) {
		/* v1 allows "a b" in one string */
		char buf[512], *save = NULL;
		snprintf(buf, sizeof buf, "%s", n->str);
		for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
			if (!ok(t)) {
				mod_error(p, n, path, "\"%s\": not %s", t, what);
				return -1;
			}
			emit(o, "%s %s\n", kw, t);
		}
		return 0;
	}
	if (n->type != Y_SEQ) {
		mod_error(p, n, path, "expected %s or a list of them", what);
		return -1;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *s = ystr(n->kids[i]);
		if (!s || !ok(s)) {
			mod_error(p, n->kids[i], path, "\"%s\": not %s", s ? s : "", what);
			return -1;
		}
		emit(o, "%s %s\n", kw, s);
	}
	return 0;
}

static int route(struct prov *p, const struct ynode *r, const char *path, const char *to, const char *via,
		 struct out *o)
{
	char dst[80];
	const char *dest = ystr(ymap_get(r, to)), *gw = ystr(ymap_get(r, via));
	const char *mask = ystr(ymap_get(r, "netmask"));
	const struct ynode *pfx = ymap_get(r, "prefix"), *metric = ymap_get(r, "metric");
	long long m = -1, pl;

	if (dest && (!strcmp(dest, "default") || !strcmp(dest, "0.0.0.0/0")))
		dest = "0.0.0.0/0";
	if (dest && pfx && yint(pfx, &pl) == 0 && !strchr(dest, '/')) {
		snprintf(dst, sizeof dst, "%.60s/%lld", dest, pl);
		dest = dst;
	}
	if (cidr(dest, mask, dst, sizeof dst) != 0 || !is_ip(gw) ||
	    (metric && (yint(metric, &m) != 0 || m < 0 || m > 0xffffffffLL))) {
		mod_error(p, r, path, "expected %s (CIDR), %s (an address), optional metric", to, via);
		return -1;
	}
	if (m >= 0)
		emit(o, "route %s via %s metric %lld\n", dst, gw, m);
	else
		emit(o, "route %s via %s\n", dst, gw);
	return 0;
}

static int mtu(struct prov *p, const struct ynode *n, const char *path, struct out *o)
{
	long long v;

	if (ynull(n))
		return 0;
	if (yint(n, &v) != 0 || v < 68 || v > 65535) {
		mod_error(p, n, path, "expected an MTU from 68 to 65535");
		return -1;
	}
	emit(o, "mtu %lld\n", v);
	return 0;
}

static int v1_subnet(struct prov *p, const struct ynode *s, const char *path, struct out *o)
{
	const char *type = ystr(ymap_get(s, "type"));
	const struct ynode *routes;
	char kp[160], addr[80];

	if (!type) {
		mod_error(p, s, path, "type: missing");
		return -1;
	}
	if (!strcmp(type, "dhcp") || !strcmp(type, "dhcp4")) {
		emit(o, "dhcp4\n");
		return 0;
	}
	if (!strcmp(type, "dhcp6")) {
		emit(o, "dhcp6\n");
		return 0;
	}
	if (strcmp(type, "static") && strcmp(type, "static6")) {
		mod_error(p, s, path, "type \"%s\": expected dhcp, dhcp6, static or static6", type);
		return -1;
	}
	snprintf(kp, sizeof kp, "%s.address", path);
	if (cidr(ystr(ymap_get(s, "address")), ystr(ymap_get(s, "netmask")), addr, sizeof addr) != 0) {
		mod_error(p, s, kp, "expected ADDRESS[/PREFIX] (or a netmask)");
		return -1;
	}
	emit(o, "address %s\n", addr);
	snprintf(kp, sizeof kp, "%s.gateway", path);
	if (ymap_get(s, "gateway") && each(p, ymap_get(s, "gateway"), kp, "an address", is_ip, o, "gateway") != 0)
		return -1;
	snprintf(kp, sizeof kp, "%s.dns_nameservers", path);
	if (each(p, ymap_get(s, "dns_nameservers"), kp, "an address", is_ip, o, "nameserver") != 0)
		return -1;
	snprintf(kp, sizeof kp, "%s.dns_search", path);
	if (each(p, ymap_get(s, "dns_search"), kp, "a domain", is_domain, o, "search") != 0)
		return -1;
	routes = ymap_get(s, "routes");
	for (size_t i = 0; routes && routes->type == Y_SEQ && i < routes->n; i++) {
		snprintf(kp, sizeof kp, "%s.routes[%zu]", path, i);
		if (route(p, routes->kids[i], kp, ymap_get(routes->kids[i], "network") ? "network" : "destination",
			  "gateway", o) != 0)
			return -1;
	}
	return 0;
}

static void v1(struct prov *p, const struct ynode *cfg, struct out *o)
{
	const struct ynode *list = ymap_get(cfg, "config");
	struct out iface;

	if (!list || list->type != Y_SEQ) {
		mod_error(p, cfg, "network.config", "expected a list");
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *e = list->kids[i], *subs;
		const char *type = ystr(ymap_get(e, "type")), *name, *mac;
		char path[48], kp[96];
		int ok = 1;

		snprintf(path, sizeof path, "config[%zu]", i);
		iface.len = 0;
		iface.bad = 0;
		if (type && !strcmp(type, "nameserver")) {
			snprintf(kp, sizeof kp, "%s.address", path);
			ok = each(p, ymap_get(e, "address"), kp, "an address", is_ip, &iface, "nameserver") == 0;
			snprintf(kp, sizeof kp, "%s.search", path);
			ok = ok && each(p, ymap_get(e, "search"), kp, "a domain", is_domain, &iface, "search") == 0;
		} else if (type && !strcmp(type, "route")) {
			ok = route(p, e, path, "destination", "gateway", &iface) == 0;
		} else if (type && !strcmp(type, "physical")) {
			name = ystr(ymap_get(e, "name"));
			mac = ystr(ymap_get(e, "mac_address"));
			if (!is_ifname(name, 0) || (mac && !is_mac(mac))) {
				mod_error(p, e, path, "expected name (an interface name) and optional mac_address");
				continue;
			}
			emit(&iface, "interface %s\n", name);
			if (mac)
				emit(&iface, "match mac %s\nset-name %s\n", mac, name);
			else
				emit(&iface, "match name %s\n", name);
			snprintf(kp, sizeof kp, "%s.mtu", path);
			ok = mtu(p, ymap_get(e, "mtu"), kp, &iface) == 0;
			subs = ymap_get(e, "subnets");
			for (size_t j = 0; ok && subs && subs->type == Y_SEQ && j < subs->n; j++) {
				snprintf(kp, sizeof kp, "%s.subnets[%zu]", path, j);
				ok = v1_subnet(p, subs->kids[j], kp, &iface) == 0;
			}
			emit(&iface, "\n");
		} else {
			mod_warn(p, e, path, "type \"%s\" not supported, ignored", type ? type : "");
			continue;
		}
		if (ok && !iface.bad)
			emit(o, "%.*s", (int)iface.len, iface.buf);
	}
}

static void v2(struct prov *p, const struct ynode *cfg, struct out *o)
{
	const struct ynode *eth = ymap_get(cfg, "ethernets");
	struct out iface;

	for (size_t i = 0; i + 1 < cfg->n; i += 2)
		if (ystr(cfg->kids[i]) && strcmp(cfg->kids[i]->str, "ethernets") && strcmp(cfg->kids[i]->str, "version") &&
		    strcmp(cfg->kids[i]->str, "renderer"))
			mod_warn(p, cfg->kids[i], "network", "%s not supported, ignored", cfg->kids[i]->str);
	if (ynull(eth))
		return;
	if (eth->type != Y_MAP) {
		mod_error(p, eth, "network.ethernets", "expected a map");
		return;
	}
	for (size_t i = 0; i + 1 < eth->n; i += 2) {
		const char *id = ystr(eth->kids[i]), *mname, *mmac, *setname;
		const struct ynode *e = eth->kids[i + 1], *match, *n, *ns;
		char path[64], kp[128], addr[80];
		int ok = 1, b;

		snprintf(path, sizeof path, "ethernets.%.32s", id ? id : "?");
		iface.len = 0;
		iface.bad = 0;
		match = ymap_get(e, "match");
		mname = ystr(ymap_get(match, "name"));
		mmac = ystr(ymap_get(match, "macaddress"));
		setname = ystr(ymap_get(e, "set-name"));
		if (!is_ifname(id, 0) || (mname && !is_ifname(mname, 1)) || (mmac && !is_mac(mmac)) ||
		    (setname && !is_ifname(setname, 0)) || e->type != Y_MAP) {
			mod_error(p, e, path, "expected an interface id, match.name, match.macaddress, set-name");
			continue;
		}
		emit(&iface, "interface %s\n", id);
		if (mmac)
			emit(&iface, "match mac %s\n", mmac);
		if (mname || !mmac)
			emit(&iface, "match name %s\n", mname ? mname : id);
		if (setname)
			emit(&iface, "set-name %s\n", setname);
		snprintf(kp, sizeof kp, "%s.mtu", path);
		ok = mtu(p, ymap_get(e, "mtu"), kp, &iface) == 0;
		if (ybool(ymap_get(e, "dhcp4"), &b) == 0 && b)
			emit(&iface, "dhcp4\n");
		if (ybool(ymap_get(e, "dhcp6"), &b) == 0 && b)
			emit(&iface, "dhcp6\n");
		n = ymap_get(e, "addresses");
		for (size_t j = 0; ok && n && n->type == Y_SEQ && j < n->n; j++) {
			snprintf(kp, sizeof kp, "%s.addresses[%zu]", path, j);
			if (cidr(ystr(n->kids[j]), NULL, addr, sizeof addr) != 0 || !strchr(ystr(n->kids[j]), '/')) {
				mod_error(p, n->kids[j], kp, "expected ADDRESS/PREFIX");
				ok = 0;
			} else {
				emit(&iface, "address %s\n", addr);
			}
		}
		snprintf(kp, sizeof kp, "%s.gateway4", path);
		ok = ok && each(p, ymap_get(e, "gateway4"), kp, "an address", is_ip, &iface, "gateway") == 0;
		snprintf(kp, sizeof kp, "%s.gateway6", path);
		ok = ok && each(p, ymap_get(e, "gateway6"), kp, "an address", is_ip, &iface, "gateway") == 0;
		n = ymap_get(e, "routes");
		for (size_t j = 0; ok && n && n->type == Y_SEQ && j < n->n; j++) {
			snprintf(kp, sizeof kp, "%s.routes[%zu]", path, j);
			ok = route(p, n->kids[j], kp, "to", "via", &iface) == 0;
		}
		ns = ymap_get(e, "nameservers");
		snprintf(kp, sizeof kp, "%s.nameservers.addresses", path);
		ok = ok && each(p, ymap_get(ns, "addresses"), kp, "an address", is_ip, &iface, "nameserver") == 0;
		snprintf(kp, sizeof kp, "%s.nameservers.search", path);
		ok = ok && each(p, ymap_get(ns, "search"), kp, "a domain", is_domain, &iface, "search") == 0;
		emit(&iface, "\n");
		if (ok && !iface.bad)
			emit(o, "%.*s", (int)iface.len, iface.buf);
	}
}

void mod_network(struct prov *p)
{
	static struct out o;
	char err[256];
	struct ynode *doc, *cfg;
	const char *cfgstr;
	long long version = 0;

	mod_begin(p, "network");
	if (!p->seed.nc) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (!(doc = yaml_load("network-config", p->seed.nc, p->seed.nclen, err, sizeof err))) {
		if (err[0])
			mod_error(p, NULL, NULL, "%s", err);
		mod_end(p, err[0] ? RES_ERROR : RES_SKIPPED);
		return;
	}
	cfg = ymap_get(doc, "network") ? ymap_get(doc, "network") : doc;
	cfgstr = ystr(ymap_get(cfg, "config"));
	if (cfgstr && !strcmp(cfgstr, "disabled")) {
		mod_note(p, "network: config disabled, DHCP on every wired interface stays");
		ynode_free(doc);
		mod_end(p, RES_SKIPPED);
		return;
	}
	o.len = 0;
	o.bad = 0;
	emit(&o, "# written by provision from network-config; see provision/README.md\n");
	if (cfg->type != Y_MAP || yint(ymap_get(cfg, "version"), &version) != 0 || (version != 1 && version != 2)) {
		mod_error(p, cfg, "network.version", "expected 1 or 2");
		ynode_free(doc);
		mod_end(p, RES_ERROR);
		return;
	}
	if (version == 1)
		v1(p, cfg, &o);
	else
		v2(p, cfg, &o);
	if (o.bad)
		mod_error(p, cfg, "network", "more than %d bytes of configuration", NET_MAX);
	else if (root_write(p, "etc/berth/network.conf", o.buf, o.len, 0644, 0, 0) != 0)
		mod_error(p, NULL, NULL, "write /etc/berth/network.conf: failed");
	ynode_free(doc);
	mod_end(p, RES_OK);
}
