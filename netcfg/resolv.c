/* /etc/resolv.conf from the nameservers and search domains of network.conf.
 * A copy in /run/berth/resolv.static lets the DHCP hook put these first and
 * a lease's own after them. Without static ones both are left to DHCP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "netcfg.h"

struct text {
	char buf[4096];
	size_t len;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n < sizeof t->buf) {
		memcpy(t->buf + t->len, s, n + 1);
		t->len += n;
	}
}

/* once each, in the order the file gives them */
static int seen(char (*list)[254], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

void resolv_write(struct run *r, const struct conf *c)
{
	static char dns[DNS_MAX * (IFACES_MAX + 1)][254], search[SEARCH_MAX * (IFACES_MAX + 1)][254];
	char path[4096], dir[4096];
	struct text t = {.len = 0};
	int ndns = 0, nsearch = 0;

	/* the interfaces' first, then the global ones (provision writes those last) */
	for (int i = 0; i <= c->nifs; i++) {
		const struct iface *f = i == c->nifs ? &c->global : &c->ifs[i];
		if (f->bad)
			continue;
		for (int j = 0; j < f->ndns; j++)
			if (!seen(dns, ndns, f->dns[j]))
				snprintf(dns[ndns++], sizeof dns[0], "%s", f->dns[j]);
		for (int j = 0; j < f->nsearch; j++)
			if (!seen(search, nsearch, f->search[j]))
				snprintf(search[nsearch++], sizeof search[0], "%s", f->search[j]);
	}
	if (root_path(r, path, sizeof path, "/run/berth/resolv.static") != 0 ||
	    root_path(r, dir, sizeof dir, "/run/berth") != 0)
		return;
	if (!ndns && !nsearch) {
		unlink(path);
		return;
	}
	put(&t, "# written by netcfg from /etc/berth/network.conf\n");
	/* one search line: a resolver keeps only the last of several */
	if (nsearch) {
		put(&t, "search");
		for (int i = 0; i < nsearch; i++) {
			put(&t, " ");
			put(&t, search[i]);
		}
		put(&t, "\n");
	}
	for (int i = 0; i < ndns; i++) {
		put(&t, "nameserver ");
		put(&t, dns[i]);
		put(&t, "\n");
	}
	if (mkdir_p(dir, 0755) != 0 || file_write_atomic(path, t.buf, t.len, 0644) != 0)
		report(r, "write %s: %s", path, strerror(errno));
	if (root_path(r, path, sizeof path, "/etc/resolv.conf") != 0 ||
	    file_write_atomic(path, t.buf, t.len, 0644) != 0)
		report(r, "write %s: %s", path, strerror(errno));
	else
		printf("netcfg: %s: %d nameservers, %d search domains\n", path, ndns, nsearch);
}
