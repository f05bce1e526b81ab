/* The state behind container networking: the configuration, port specs,
 * and the leases file (one container a line, a file a person can cat),
 * read and written under a lock. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "berth.h"
#include "net.h"

#define LEASES_FILE "leases"
#define LINE_MAX_LEN (NET_NAME_MAX + 64 + NET_PORTS_MAX * 32)

int net_config_default(struct net_config *cfg, struct err *e)
{
	const char *root = env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT);

	memset(cfg, 0, sizeof *cfg);
	memcpy(cfg->bridge, NET_BRIDGE_DEFAULT, sizeof NET_BRIDGE_DEFAULT);
	if (snprintf(cfg->root, sizeof cfg->root, "%s/net", root) >= (int)sizeof cfg->root)
		return fail(e, EXIT_SYSTEM, "BERTH_ROOT too long");
	return net_config_address(cfg, NET_ADDRESS_DEFAULT, e);
}

int net_config_address(struct net_config *cfg, const char *cidr, struct err *e)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	unsigned long prefix;
	uint32_t host, mask;

	if (strlen(cidr) >= sizeof buf || !(slash = strchr(strcpy(buf, cidr), '/')))
		return fail(e, EXIT_SYSTEM, "address \"%s\": expected ADDRESS/PREFIX, e.g. %s", cidr, NET_ADDRESS_DEFAULT);
	*slash = '\0';
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || *end || end == slash + 1 || prefix < 8 || prefix > 30)
		return fail(e, EXIT_SYSTEM, "address \"%s\": expected an IPv4 ADDRESS/PREFIX with a prefix of 8 to 30", cidr);
	host = ntohl(a.s_addr);
	mask = ~0u << (32 - prefix);
	if ((host & ~mask) == 0 || (host & ~mask) == ~mask)
		return fail(e, EXIT_SYSTEM, "address \"%s\": the gateway must be a host address of its subnet", cidr);
	cfg->gateway = host;
	cfg->prefix = (unsigned)prefix;
	return 0;
}

static int port_number(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int net_port_parse(const char *spec, struct port_map *p, struct err *e)
{
	char buf[64], *field[3], *proto, *s;
	size_t n = 0;
	struct in_addr a;

	memset(p, 0, sizeof *p);
	p->proto = IPPROTO_TCP;
	if (strlen(spec) >= sizeof buf)
		return fail(e, EXIT_SYSTEM, "port \"%.64s...\": too long", spec);
	strcpy(buf, spec);
	proto = strchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			p->proto = IPPROTO_UDP;
		else if (strcmp(proto, "tcp") != 0)
			return fail(e, EXIT_SYSTEM, "port \"%s\": protocol must be tcp or udp", spec);
	}
	for (s = buf; n < 3; n++) {
		field[n] = s;
		s = strchr(s, ':');
		if (!s) {
			n++;
			break;
		}
		*s++ = '\0';
	}
	if (s || n < 2)
		return fail(e, EXIT_SYSTEM, "port \"%s\": expected [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]", spec);
	if (n == 3) {
		if (inet_pton(AF_INET, field[0], &a) != 1)
			return fail(e, EXIT_SYSTEM, "port \"%s\": \"%s\" is not an IPv4 address", spec, field[0]);
		p->host_ip = ntohl(a.s_addr);
	}
	if ((field[n - 2][0] && port_number(field[n - 2], &p->host_port) != 0) ||
	    port_number(field[n - 1], &p->container_port) != 0)
		return fail(e, EXIT_SYSTEM, "port \"%s\": ports must be numbers from 1 to 65535", spec);
	return 0;
}

void net_port_format(const struct port_map *p, char *buf, size_t size)
{
	struct in_addr a = { htonl(p->host_ip) };
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof ip);
	snprintf(buf, size, "%s:%u:%u/%s", ip, p->host_port, p->container_port,
		 p->proto == IPPROTO_UDP ? "udp" : "tcp");
}

int net_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NET_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return 0;
	return 1;
}

static int parse_line(char *line, struct net_lease *l, const char *path, unsigned lineno,
		      struct err *e)
{
	char *tok[3 + NET_PORTS_MAX], *save = NULL;
	size_t n = 0;
	struct in_addr a;
	struct err pe;

	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == sizeof tok / sizeof tok[0])
			return fail(e, EXIT_SYSTEM, "%s:%u: more than %d ports", path, lineno, NET_PORTS_MAX);
		tok[n++] = t;
	}
	memset(l, 0, sizeof *l);
	if (n < 3)
		return fail(e, EXIT_SYSTEM, "%s:%u: expected NAME ADDRESS IFNAME [PORT...]", path, lineno);
	if (!net_name_valid(tok[0]))
		return fail(e, EXIT_SYSTEM, "%s:%u: invalid container name", path, lineno);
	if (inet_pton(AF_INET, tok[1], &a) != 1)
		return fail(e, EXIT_SYSTEM, "%s:%u: invalid address", path, lineno);
	if (strlen(tok[2]) >= IFNAMSIZ || strncmp(tok[2], "veth-", 5) != 0)
		return fail(e, EXIT_SYSTEM, "%s:%u: invalid interface name", path, lineno);
	strcpy(l->name, tok[0]);
	l->address = ntohl(a.s_addr);
	strcpy(l->ifname, tok[2]);
	for (size_t i = 3; i < n; i++) {
		if (net_port_parse(tok[i], &l->ports[l->nports], &pe) != 0)
			return fail(e, EXIT_SYSTEM, "%s:%u: %s", path, lineno, pe.msg);
		if (!l->ports[l->nports++].host_port)
			return fail(e, EXIT_SYSTEM, "%s:%u: port \"%s\": no host port", path, lineno, tok[i]);
	}
	return 0;
}

int net_state_open(const struct net_config *cfg, struct net_state *st, struct err *e)
{
	char path[4096], line[LINE_MAX_LEN];
	unsigned lineno = 0;
	FILE *f;

	memset(st, 0, sizeof *st);
	st->lock = -1;
	if (mkdir_p(cfg->root, 0700) != 0)
		return fail(e, EXIT_SYSTEM, "%s: %s", cfg->root, strerror(errno));
	if (snprintf(path, sizeof path, "%s/lock", cfg->root) >= (int)sizeof path)
		return fail(e, EXIT_SYSTEM, "%s: path too long", cfg->root);
	st->lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lock < 0)
		return fail(e, EXIT_SYSTEM, "%s: %s", path, strerror(errno));
	while (flock(st->lock, LOCK_EX) != 0)
		if (errno != EINTR) {
			fail(e, EXIT_SYSTEM, "lock %s: %s", path, strerror(errno));
			goto fail;
		}
	st->leases = calloc(NET_LEASES_MAX, sizeof *st->leases);
	if (!st->leases) {
		fail(e, EXIT_SYSTEM, "leases: %s", strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof path, "%s/%s", cfg->root, LEASES_FILE);
	f = fopen(path, "re");
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		fail(e, EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			fail(e, EXIT_SYSTEM, "%s:%u: line too long", path, lineno);
			fclose(f);
			goto fail;
		}
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (st->n == NET_LEASES_MAX) {
			fail(e, EXIT_SYSTEM, "%s: more than %d leases", path, NET_LEASES_MAX);
			fclose(f);
			goto fail;
		}
		if (parse_line(line, &st->leases[st->n], path, lineno, e) != 0) {
			fclose(f);
			goto fail;
		}
		st->n++;
	}
	if (ferror(f)) {
		fail(e, EXIT_SYSTEM, "read %s: %s", path, strerror(errno));
		fclose(f);
		goto fail;
	}
	fclose(f);
	return 0;
fail:
	net_state_close(st);
	return -1;
}

int net_state_save(const struct net_config *cfg, const struct net_state *st, struct err *e)
{
	char path[4096], port[64];
	size_t cap = 64 + st->n * LINE_MAX_LEN, len = 0;
	char *buf = malloc(cap);
	int r;

	if (!buf)
		return fail(e, EXIT_SYSTEM, "leases: %s", strerror(errno));
	len += (size_t)snprintf(buf, cap, "# NAME ADDRESS IFNAME PORTS (written by berth)\n");
	for (size_t i = 0; i < st->n; i++) {
		const struct net_lease *l = &st->leases[i];
		struct in_addr a = { htonl(l->address) };
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &a, ip, sizeof ip);
		len += (size_t)snprintf(buf + len, cap - len, "%s %s %s", l->name, ip, l->ifname);
		for (size_t j = 0; j < l->nports; j++) {
			net_port_format(&l->ports[j], port, sizeof port);
			len += (size_t)snprintf(buf + len, cap - len, " %s", port);
		}
		len += (size_t)snprintf(buf + len, cap - len, "\n");
	}
	if (snprintf(path, sizeof path, "%s/%s", cfg->root, LEASES_FILE) >= (int)sizeof path) {
		free(buf);
		return fail(e, EXIT_SYSTEM, "%s: path too long", cfg->root);
	}
	r = file_write_atomic(path, buf, len, 0644);
	free(buf);
	if (r != 0)
		return fail(e, EXIT_SYSTEM, "write %s: %s", path, strerror(errno));
	return 0;
}

void net_state_close(struct net_state *st)
{
	free(st->leases);
	st->leases = NULL;
	st->n = 0;
	if (st->lock >= 0)
		close(st->lock);
	st->lock = -1;
}

struct net_lease *net_state_find(struct net_state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->leases[i].name, name) == 0)
			return &st->leases[i];
	return NULL;
}

uint32_t net_state_free_address(const struct net_config *cfg, const struct net_state *st)
{
	uint32_t mask = ~0u << (32 - cfg->prefix);
	uint32_t net = cfg->gateway & mask, last = net | ~mask;

	for (uint32_t a = net + 1; a < last; a++) {
		size_t i;

		if (a == cfg->gateway)
			continue;
		for (i = 0; i < st->n && st->leases[i].address != a; i++)
			;
		if (i == st->n)
			return a;
	}
	return 0;
}
