/* netcfg --ephemeral: the temporary network provision needs for a
 * datasource over HTTP (EC2's IMDS, a NoCloud seedfrom URL) before the
 * network service starts, like cloud-init's ephemeral DHCP. busybox udhcpc
 * in one-shot mode (-n -q) on every wired interface at once, bounded in
 * time; its hook (ephemeral.script) only writes the lease down, and netcfg
 * applies it here with rtnetlink, noting each step in a state file.
 * --ephemeral-down undoes exactly those steps: routes, addresses, then the
 * links it set up. provision runs it when done; the network service's netcfg
 * runs it first too, so a provision that died leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "berth.h"
#include "netcfg.h"
#include "spawn.h"

#define UNDO_MAX 256
#define LEASE_ROUTES_MAX 16
#define STATE_MAX (64u << 10)

enum { U_LINK, U_ADDR, U_ROUTE };
/* one step to undo: a link set up, an address, a route (dst via gw) */
struct undo {
	int kind;
	int index;
	char name[IFNAME_LEN];
	struct addr a, via;
};
struct undo_list {
	struct undo u[UNDO_MAX];
	int n;
};

struct lease {
	struct addr ip; /* with the prefix */
	struct addr router;
	int has_router;
	struct addr dst[LEASE_ROUTES_MAX], gw[LEASE_ROUTES_MAX]; /* option 121 */
	int nroutes;
};

struct client {
	struct link *l;
	pid_t pid;
	int running, leased;
	char lease[4096];
};

static int eph_path(const struct run *r, char *buf, size_t size, const char *file)
{
	return root_path(r, buf, size, EPHEMERAL_DIR "%s%s", file ? "/" : "", file ? file : "");
}

/* the whole list, rewritten after every step (a tmpfs file, a few lines) */
static void state_save(struct run *r, const struct undo_list *ul)
{
	static char buf[UNDO_MAX * 160];
	char path[4096], dir[4096];
	size_t len = 0;

	if (eph_path(r, path, sizeof path, "state") != 0 || eph_path(r, dir, sizeof dir, NULL) != 0)
		return;
	if (ul->n == 0) {
		unlink(path);
		return;
	}
	len += (size_t)snprintf(buf, sizeof buf, "# netcfg --ephemeral: undone by netcfg --ephemeral-down\n");
	for (int i = 0; i < ul->n && len < sizeof buf; i++) {
		const struct undo *u = &ul->u[i];
		if (u->kind == U_LINK)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "link %d %s\n", u->index, u->name);
		else if (u->kind == U_ADDR)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "addr %d %s %s\n", u->index, u->name,
						u->a.text);
		else
			len += (size_t)snprintf(buf + len, sizeof buf - len, "route %d %s %s %s\n", u->index, u->name,
						u->a.text, u->via.text);
	}
	if (len >= sizeof buf || mkdir_p(dir, 0700) != 0 || file_write_atomic(path, buf, len, 0600) != 0)
		report(r, "%s: %s", path, len >= sizeof buf ? "too long" : strerror(errno));
}

static struct undo *undo_add(struct undo_list *ul, int kind, const struct link *l)
{
	struct undo *u;

	if (ul->n == UNDO_MAX)
		return NULL;
	u = &ul->u[ul->n++];
	memset(u, 0, sizeof *u);
	u->kind = kind;
	u->index = l->index;
	snprintf(u->name, sizeof u->name, "%s", l->name);
	return u;
}

/* the state file back into a list; lines that do not parse are skipped */
static void state_load(struct run *r, struct undo_list *ul)
{
	static char buf[STATE_MAX + 2];
	char path[4096], *save = NULL;
	ssize_t len;

	ul->n = 0;
	if (eph_path(r, path, sizeof path, "state") != 0 || (len = file_read(path, buf, sizeof buf)) <= 0)
		return;
	for (char *line = strtok_r(buf, "\n", &save); line && ul->n < UNDO_MAX; line = strtok_r(NULL, "\n", &save)) {
		char kind[8], name[IFNAME_LEN], a[64], via[64];
		struct undo *u = &ul->u[ul->n];
		int index, n = sscanf(line, "%7s %d %15s %63s %63s", kind, &index, name, a, via);

		memset(u, 0, sizeof *u);
		u->index = index;
		snprintf(u->name, sizeof u->name, "%s", name);
		if (n == 3 && !strcmp(kind, "link"))
			u->kind = U_LINK;
		else if (n == 4 && !strcmp(kind, "addr") && addr_parse(a, 1, &u->a) == 0)
			u->kind = U_ADDR;
		else if (n == 5 && !strcmp(kind, "route") && addr_parse(a, 1, &u->a) == 0 &&
			 addr_parse(via, 0, &u->via) == 0)
			u->kind = U_ROUTE;
		else
			continue;
		if (index > 0)
			ul->n++;
	}
}

static int gone(int err)
{
	return err == ENODEV || err == ESRCH || err == EADDRNOTAVAIL || err == ENOENT;
}

/* undo in reverse: routes, addresses, then links down; one line per device */
static void undo_all(struct run *r, struct undo_list *ul)
{
	for (int i = ul->n - 1; i >= 0; i--) {
		struct undo *u = &ul->u[i];
		int rc = u->kind == U_ROUTE ? nl_route(&r->nl, RTM_DELROUTE, 0, &u->a, &u->via, -1, u->index, RTPROT_DHCP) :
			 u->kind == U_ADDR  ? nl_addr(&r->nl, RTM_DELADDR, 0, u->index, &u->a) :
					      nl_link_set(&r->nl, u->index, NULL, 0, 0);
		if (rc != 0 && !gone(errno))
			report(r, "%s: ephemeral %s%s%s: %s", u->name,
			       u->kind == U_ROUTE ? "route " : u->kind == U_ADDR ? "address " : "link: set down",
			       u->a.text, u->kind == U_LINK ? "" : ": remove", strerror(errno));
	}
	for (int i = 0; i < ul->n; i++) {
		int addrs = 0, routes = 0, down = 0, first = 1;
		for (int j = 0; j < ul->n; j++) {
			if (ul->u[j].index != ul->u[i].index)
				continue;
			first &= j >= i;
			addrs += ul->u[j].kind == U_ADDR;
			routes += ul->u[j].kind == U_ROUTE;
			down |= ul->u[j].kind == U_LINK;
		}
		if (!first)
			continue;
		printf("netcfg: %s: ephemeral network removed (%d address%s, %d route%s%s)\n", ul->u[i].name, addrs,
		       addrs == 1 ? "" : "es", routes, routes == 1 ? "" : "s", down ? ", link down" : "");
	}
	ul->n = 0;
	state_save(r, ul);
}

void ephemeral_down(struct run *r)
{
	static struct undo_list ul;
	char dir[4096];

	state_load(r, &ul);
	undo_all(r, &ul);
	if (eph_path(r, dir, sizeof dir, NULL) == 0)
		rmdir(dir);
}

/* the hook's file: "ip A", "mask N", "router A …", "staticroutes D/N G …" */
static int lease_read(const char *path, struct lease *ls)
{
	char buf[4096], *save = NULL;
	int mask = -1;

	memset(ls, 0, sizeof *ls);
	if (file_read(path, buf, sizeof buf) <= 0)
		return -1;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL, *key = strtok_r(line, " ", &s2), *v = strtok_r(NULL, " ", &s2);
		if (!key || !v)
			continue;
		if (!strcmp(key, "ip")) {
			if (addr_parse(v, 0, &ls->ip) != 0 || ls->ip.family != AF_INET || strchr(v, '/'))
				return -1;
		} else if (!strcmp(key, "mask")) {
			char *end;
			long m = strtol(v, &end, 10);
			if (*end || m < 1 || m > 32)
				return -1;
			mask = (int)m;
		} else if (!strcmp(key, "router")) {
			ls->has_router = addr_parse(v, 0, &ls->router) == 0 && ls->router.family == AF_INET &&
					 !strchr(v, '/');
		} else if (!strcmp(key, "staticroutes")) {
			for (char *g; v && (g = strtok_r(NULL, " ", &s2)); v = strtok_r(NULL, " ", &s2)) {
				int k = ls->nroutes;
				if (k == LEASE_ROUTES_MAX || addr_parse(v, 1, &ls->dst[k]) != 0 ||
				    addr_parse(g, 0, &ls->gw[k]) != 0 || ls->dst[k].family != AF_INET ||
				    ls->gw[k].family != AF_INET)
					break;
				ls->nroutes++;
			}
		}
	}
	if (!ls->ip.family || mask < 0)
		return -1;
	ls->ip.prefix = mask;
	snprintf(ls->ip.text + strlen(ls->ip.text), sizeof ls->ip.text - strlen(ls->ip.text), "/%d", mask);
	return 0;
}

static int same_subnet(const struct addr *a, const struct addr *b)
{
	for (int i = 0; i < 4; i++) {
		int bits = a->prefix - 8 * i;
		unsigned char m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
		if ((a->a[i] & m) != (b->a[i] & m))
			return 0;
	}
	return 1;
}

/* APPEND: a second lease's default route goes after the first one's; a
 * route that was already there is not this run's to remove */
static int route_add(struct run *r, struct undo_list *ul, const struct link *l, const struct addr *dst,
		     const struct addr *via)
{
	struct undo *u;

	if (nl_route(&r->nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND, dst, via, -1, l->index, RTPROT_DHCP) != 0) {
		if (errno == EEXIST)
			return 0;
		report(r, "%s: ephemeral route %s via %s: %s", l->name, dst->text, via->text, strerror(errno));
		return -1;
	}
	if ((u = undo_add(ul, U_ROUTE, l))) {
		u->a = *dst;
		u->via = *via;
	}
	state_save(r, ul);
	return 0;
}

/* the address, then the routes: option 121's when the server sent them
 * (RFC 3442: the router option is ignored then), else a default route via
 * the router, with a route to the router on the link when it lies outside
 * the subnet (a /32 lease) */
static int lease_apply(struct run *r, struct undo_list *ul, const struct link *l, const struct lease *ls)
{
	struct addr any, onlink, dst;
	struct undo *u;

	/* EXCL: an address that was already there is not this run's either */
	if (nl_addr(&r->nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, l->index, &ls->ip) == 0) {
		if ((u = undo_add(ul, U_ADDR, l)))
			u->a = ls->ip;
		state_save(r, ul);
	} else if (errno != EEXIST) {
		report(r, "%s: ephemeral address %s: %s", l->name, ls->ip.text, strerror(errno));
		return -1;
	}
	addr_parse("0.0.0.0/0", 1, &any);
	addr_parse("0.0.0.0", 0, &onlink);
	for (int i = 0; i < ls->nroutes; i++)
		route_add(r, ul, l, &ls->dst[i], &ls->gw[i]);
	if (!ls->nroutes && ls->has_router) {
		if (!same_subnet(&ls->ip, &ls->router)) {
			dst = ls->router;
			snprintf(dst.text + strlen(dst.text), sizeof dst.text - strlen(dst.text), "/32");
			route_add(r, ul, l, &dst, &onlink);
		}
		route_add(r, ul, l, &any, &ls->router);
	}
	if (ls->nroutes)
		printf("netcfg: %s: ephemeral lease %s, %d static routes\n", l->name, ls->ip.text, ls->nroutes);
	else
		printf("netcfg: %s: ephemeral lease %s via %s\n", l->name, ls->ip.text,
		       ls->has_router ? ls->router.text : "no router");
	return 0;
}

/* udhcpc -n -q: one lease or give up; its chatter is not the console's */
static pid_t client_start(struct run *r, struct client *c, int timeout)
{
	char tries[16], lease[sizeof c->lease + 16];
	char *argv[] = { (char *)r->udhcpc, "-f", "-n", "-q", "-t", tries, "-T", "1", "-i", c->l->name, "-s",
		(char *)r->script, NULL };
	char *env[] = { lease, NULL };
	struct spawn sp = { .argv = argv, .env_add = env, .fd = { SPAWN_NULL, SPAWN_NULL, SPAWN_NULL },
		.flags = SPAWN_SEARCH };
	pid_t pid;

	snprintf(tries, sizeof tries, "%d", timeout);
	snprintf(lease, sizeof lease, "NETCFG_LEASE=%s", c->lease);
	fflush(stdout);
	fflush(stderr);
	pid = spawn_start(&sp);
	if (pid < 0)
		report(r, "%s: fork udhcpc: %s", c->l->name, strerror(errno));
	return pid;
}

/* a client that ended: its lease applied when it has one */
static void client_done(struct run *r, struct undo_list *ul, struct client *c, int st)
{
	struct lease ls;

	c->running = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		report(r, "%s: cannot run %s", c->l->name, r->udhcpc);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (lease_read(c->lease, &ls) != 0)
			report(r, "%s: udhcpc's hook %s left no usable lease in %s", c->l->name, r->script, c->lease);
		else
			c->leased = lease_apply(r, ul, c->l, &ls) == 0;
	}
	unlink(c->lease);
}

int ephemeral_up(struct run *r, int first, int timeout)
{
	static struct undo_list ul;
	static struct client cl[LINKS_MAX];
	static char names[LINKS_MAX * (IFNAME_LEN + 2)];
	char dir[4096];
	int n = 0, running = 0, leased = 0, kept;
	long deadline;

	ul.n = 0;
	names[0] = '\0';
	if (eph_path(r, dir, sizeof dir, NULL) != 0 || mkdir_p(dir, 0700) != 0) {
		report(r, "ephemeral DHCP: %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < r->nlinks && n < LINKS_MAX; i++) {
		struct link *l = &r->links[i];
		struct client *c = &cl[n];
		if (!link_wired(r, l))
			continue;
		memset(c, 0, sizeof *c);
		c->l = l;
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", n ? ", " : "", l->name);
		n++;
		if (snprintf(c->lease, sizeof c->lease, "%s/%s.lease", dir, l->name) >= (int)sizeof c->lease)
			continue;
		unlink(c->lease);
		if (!(l->flags & IFF_UP)) {
			if (nl_link_set(&r->nl, l->index, NULL, 0, 1) != 0) {
				report(r, "%s: set up: %s", l->name, strerror(errno));
				continue;
			}
			undo_add(&ul, U_LINK, l);
			state_save(r, &ul);
		}
		if ((c->pid = client_start(r, c, timeout)) > 0) {
			c->running = 1;
			running++;
		}
	}
	if (!n) {
		report(r, "ephemeral DHCP: no wired interface");
		rmdir(dir);
		return -1;
	}
	deadline = now_ms() + timeout * 1000L;
	while (running && !(first && leased) && now_ms() < deadline) {
		poll(NULL, 0, 20);
		for (int i = 0; i < n; i++) {
			int st;
			if (!cl[i].running || waitpid(cl[i].pid, &st, WNOHANG) != cl[i].pid)
				continue;
			running--;
			client_done(r, &ul, &cl[i], st);
			leased += cl[i].leased;
			if (first && leased)
				break;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!cl[i].running)
			continue;
		kill(cl[i].pid, SIGKILL);
		while (waitpid(cl[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
		unlink(cl[i].lease);
	}
	/* links that got nothing go down again now */
	kept = 0;
	for (int i = 0; i < ul.n; i++) {
		int keep = 1;
		for (int k = 0; k < n && ul.u[i].kind == U_LINK; k++)
			if (cl[k].l->index == ul.u[i].index && !cl[k].leased) {
				if (nl_link_set(&r->nl, ul.u[i].index, NULL, 0, 0) != 0 && !gone(errno))
					report(r, "%s: set down: %s", ul.u[i].name, strerror(errno));
				keep = 0;
			}
		if (keep)
			ul.u[kept++] = ul.u[i];
	}
	ul.n = kept;
	state_save(r, &ul);
	if (!leased) {
		report(r, "ephemeral DHCP: no lease on %s within %d s", names, timeout);
		rmdir(dir);
		return -1;
	}
	return 0;
}
