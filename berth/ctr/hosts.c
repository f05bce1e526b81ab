/* A container's /etc/hosts ($BERTH_ROOT/containers/NAME/hosts, bind-mounted
 * over the image's): localhost, the container's own name, its extra_hosts,
 * and for a container of a compose project, every other container of the
 * project that has an address: by service name, container name and its
 * aliases. Service discovery is these files kept current: when a
 * container of a project gets an address (at every start: a restart may
 * bring a new one) or loses it, every container of the project gets its
 * file written again, under the network's lock, from the leases (the one
 * record of who has which address; a state file may lag).
 *
 * Why files, not a DNS responder: every libc reads /etc/hosts at each
 * lookup, so a name follows a new address at once; nothing runs, so there
 * is no memory per network and no port 53 on the host; and what a
 * container sees is a file a person can cat. What a responder would give
 * and this does not: round robin over replicas (Berth runs one container
 * per service) and names for a program that caches an address itself.
 *
 * A file is rewritten in place (a rename would leave the container with
 * the old inode), in one write, never shorter than before (a comment pads
 * it), so a reader sees the old lines or the new ones, not an empty or
 * half file. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "net.h"

#define HOSTS_MAX 16384
#define PROJECT_LABEL "com.docker.compose.project"
#define SERVICE_LABEL "com.docker.compose.service"
#define ALIASES_LABEL "berth.aliases"

struct peer {
	char name[CTR_NAME_MAX];
	char addr[INET_ADDRSTRLEN];
	struct container_def *def;
	size_t ndefs;
};

static void peers_free(struct peer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		compose_free(v[i].def, v[i].ndefs);
	free(v);
}

/* the names a peer answers to: its service, its container name, aliases */
static int names_add(char *buf, size_t size, int n, const struct peer *pe)
{
	const char *svc = compose_label(pe->def, SERVICE_LABEL), *al = compose_label(pe->def, ALIASES_LABEL);
	int k = snprintf(buf + n, size - (size_t)n, "%s\t%s%s%s", pe->addr, svc ? svc : "", svc ? " " : "", pe->name);

	if (k < 0 || (size_t)k >= size - (size_t)n)
		return -1;
	n += k;
	for (const char *a = al; a && *a;) {
		size_t l = strcspn(a, ",");
		k = snprintf(buf + n, size - (size_t)n, " %.*s", (int)l, a);
		if (k < 0 || (size_t)k >= size - (size_t)n)
			return -1;
		n += k;
		a += l + (a[l] == ',');
	}
	if ((size_t)n + 1 >= size)
		return -1;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* the file's text for d (named name, at address addr, NULL without one) */
static int hosts_text(const struct container_def *d, const char *name, const char *addr, const struct peer *peers,
		      size_t npeers, char *buf, size_t size)
{
	const char *svc = compose_label(d, SERVICE_LABEL);
	int n = snprintf(buf, size, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");

	if (addr)
		n += snprintf(buf + n, size - (size_t)n, "%s\t%s%s%s\n", addr, d->hostname ? d->hostname : name,
			      svc && (!d->hostname || strcmp(svc, d->hostname)) ? " " : "",
			      svc && (!d->hostname || strcmp(svc, d->hostname)) ? svc : "");
	/* extra_hosts, after the container's own; host-gateway is the host
	 * as the container reaches it: the bridge's address, or loopback
	 * on the host's network */
	for (size_t i = 0; i < d->extra_hosts.n && n > 0 && (size_t)n < size; i++) {
		const char *kv = d->extra_hosts.v[i], *eq = strchr(kv, '=');
		char gw[INET_ADDRSTRLEN] = "127.0.0.1";
		const char *ip = eq + 1;
		int k;
		if (strcmp(ip, "host-gateway") == 0) {
			struct net_config nc;
			struct err ne = { 0 };
			if (d->network_mode == NETWORK_BRIDGE && net_config_default(&nc, &ne) == 0) {
				struct in_addr a = { htonl(nc.gateway) };
				inet_ntop(AF_INET, &a, gw, sizeof gw);
			}
			ip = gw;
		}
		k = snprintf(buf + n, size - (size_t)n, "%s\t%.*s\n", ip, (int)(eq - kv), kv);
		if (k < 0 || (size_t)k >= size - (size_t)n)
			return -1;
		n += k;
	}
	if (n < 0 || (size_t)n >= size)
		return -1;
	if (npeers) {
		int k = snprintf(buf + n, size - (size_t)n, "# the project %s\n", compose_label(d, PROJECT_LABEL));
		if (k < 0 || (size_t)k >= size - (size_t)n)
			return -1;
		n += k;
	}
	for (size_t i = 0; i < npeers; i++)
		if (strcmp(peers[i].name, name) != 0 && (n = names_add(buf, size, n, &peers[i])) < 0)
			return -1;
	return n;
}

/* in place, one write, never shorter: padded with a comment to the old
 * length */
static int write_in_place(const char *path, char *buf, size_t len, size_t size)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644), r = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size > len && (size_t)st.st_size < size) {
		size_t old = (size_t)st.st_size;
		buf[len++] = '#';
		while (len + 1 < old)
			buf[len++] = ' ';
		buf[len++] = '\n';
	}
	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		r = -1;
	else if (fstat(fd, &st) == 0 && (size_t)st.st_size > len && ftruncate(fd, (off_t)len) != 0)
		r = -1;
	close(fd);
	return r;
}

/* the project's containers with a lease, their definitions loaded */
static int peers_of(const struct ctr_paths *p, const char *project, const struct net_state *ns, struct peer **out,
		    size_t *nout)
{
	struct peer *v = calloc(ns->n + 1, sizeof *v);
	size_t n = 0;

	if (!v)
		return -1;
	for (size_t i = 0; i < ns->n; i++) {
		const struct net_lease *l = &ns->leases[i];
		struct peer *pe = &v[n];
		const char *proj;
		struct in_addr a = { htonl(l->address) };
		if (strlen(l->name) >= sizeof pe->name)
			continue;
		if (ctr_def_load(p, l->name, &pe->def, &pe->ndefs) != 0) {
			compose_free(pe->def, pe->ndefs);
			pe->def = NULL;
			pe->ndefs = 0;
			continue;
		}
		proj = compose_label(pe->def, PROJECT_LABEL);
		if (!proj || strcmp(proj, project) != 0) {
			compose_free(pe->def, pe->ndefs);
			pe->def = NULL;
			pe->ndefs = 0;
			continue;
		}
		memcpy(pe->name, l->name, strlen(l->name) + 1);
		inet_ntop(AF_INET, &a, pe->addr, sizeof pe->addr);
		n++;
	}
	*out = v;
	*nout = n;
	return 0;
}

int ctr_hosts_write(const struct ctr_paths *p, const char *name, const struct container_def *d, const char *addr)
{
	char path[CTR_PATH_MAX], *buf = malloc(HOSTS_MAX);
	const char *project = compose_label(d, PROJECT_LABEL);
	struct peer *peers = NULL;
	size_t npeers = 0;
	struct net_config nc;
	struct net_state ns = { .lock = -1 };
	struct err e = { 0 };
	int n, r = 0;

	if (!buf)
		return -1;
	/* the project's others, read from the leases under the network's lock,
	 * which is held while every file of the project is written */
	if (project && d->network_mode == NETWORK_BRIDGE) {
		if (net_config_default(&nc, &e) < 0 || net_state_open(&nc, &ns, &e) < 0) {
			warn("%s: the project's names: %s", name, e.msg);
			project = NULL;
		} else if (peers_of(p, project, &ns, &peers, &npeers) < 0) {
			net_state_close(&ns);
			free(buf);
			return -1;
		}
	}
	ctr_path(path, sizeof path, "%s/containers/%s/hosts", p->root, name);
	n = hosts_text(d, name, addr, peers, npeers, buf, HOSTS_MAX - 256);
	if (n < 0 || write_in_place(path, buf, (size_t)n, HOSTS_MAX) < 0) {
		warn("%s: write %s: %s", name, path, n < 0 ? "more names than fit" : strerror(errno));
		r = -1;
	}
	/* and every other file of the project, with this one's address (or
	 * without it, when it has gone) */
	for (size_t i = 0; project && i < npeers; i++) {
		struct stat st;
		if (strcmp(peers[i].name, name) == 0)
			continue;
		ctr_path(path, sizeof path, "%s/containers/%s/hosts", p->root, peers[i].name);
		if (lstat(path, &st) != 0)
			continue;
		n = hosts_text(peers[i].def, peers[i].name, peers[i].addr, peers, npeers, buf, HOSTS_MAX - 256);
		if (n < 0 || write_in_place(path, buf, (size_t)n, HOSTS_MAX) < 0)
			warn("%s: write %s: %s", name, path, n < 0 ? "more names than fit" : strerror(errno));
	}
	if (project && d->network_mode == NETWORK_BRIDGE && ns.lock >= 0)
		net_state_close(&ns);
	peers_free(peers, npeers);
	free(buf);
	return r;
}
