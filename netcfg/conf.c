/* network.conf: one setting per line, blocks begun by `interface` and ended
 * by a blank line (format in provision/README.md). Checked as strictly as
 * provision writes it: a person may have edited it since. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "netcfg.h"

#define TOKENS_MAX 10

static const char IFNAME_CHARS[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
static const char DOMAIN_CHARS[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";

struct parser {
	struct conf *c;
	struct iface *cur; /* the open block, or &c->global */
	int line;
};

static void bad(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct parser *ps, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ps->cur && ps->cur != &ps->c->global) {
		if (!ps->cur->bad)
			warn("%s:%d: %s (interface %s left out)", ps->c->path, ps->line, msg, ps->cur->id);
		else
			warn("%s:%d: %s", ps->c->path, ps->line, msg);
		ps->cur->bad = 1;
	} else {
		warn("%s:%d: %s (line ignored)", ps->c->path, ps->line, msg);
	}
	ps->c->errors++;
}

static int is_ifname(const char *s, int glob)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAME_LEN || s[0] == '-' || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(IFNAME_CHARS, s[i]) && !(glob && (s[i] == '*' || s[i] == '?')))
			return 0;
	return 1;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	if (strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		char hex[3] = {s[3 * i], s[3 * i + 1], 0};
		char *end;
		if ((i < 5 && s[3 * i + 2] != ':') || !strchr("0123456789abcdefABCDEF", hex[0]) ||
		    !strchr("0123456789abcdefABCDEF", hex[1]))
			return -1;
		mac[i] = (unsigned char)strtoul(hex, &end, 16);
	}
	return 0;
}

/* ADDR, or ADDR/PREFIX when need_prefix (a bare route destination is a host) */
int addr_parse(const char *s, int need_prefix, struct addr *out)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);

	memset(out, 0, sizeof *out);
	if (iplen == 0 || iplen >= sizeof ip || strlen(s) >= sizeof out->text)
		return -1;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (inet_pton(AF_INET, ip, out->a) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, out->a) == 1)
		out->family = AF_INET6;
	else
		return -1;
	out->prefix = out->family == AF_INET ? 32 : 128;
	if (slash) {
		char *end;
		long v;
		if (!slash[1] || !strchr("0123456789", slash[1]))
			return -1;
		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (errno || *end || v < 0 || v > out->prefix)
			return -1;
		out->prefix = (int)v;
	} else if (need_prefix) {
		return -1;
	}
	snprintf(out->text, sizeof out->text, "%s", s);
	return 0;
}

static int number(const char *s, long long min, long long max, long long *out)
{
	char *end;

	if (!*s || !strchr("0123456789", *s))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end || *out < min || *out > max ? -1 : 0;
}

static void kw_route(struct parser *ps, char **t, int n)
{
	struct iface *f = ps->cur;
	struct route *r;
	long long m = -1;

	if ((n != 4 && n != 6) || strcmp(t[2], "via") || (n == 6 && strcmp(t[4], "metric"))) {
		bad(ps, "expected: route DEST/PREFIX via GATEWAY [metric N]");
		return;
	}
	if (f->nroutes == ROUTES_MAX) {
		bad(ps, "more than %d routes", ROUTES_MAX);
		return;
	}
	r = &f->routes[f->nroutes];
	if (!strcmp(t[1], "default"))
		t[1] = strchr(t[3], ':') ? "::/0" : "0.0.0.0/0";
	if (addr_parse(t[1], 0, &r->dst) != 0) {
		bad(ps, "route \"%s\": not an address with a prefix", t[1]);
		return;
	}
	if (addr_parse(t[3], 0, &r->via) != 0 || strchr(t[3], '/')) {
		bad(ps, "route via \"%s\": not an address", t[3]);
		return;
	}
	if (r->dst.family != r->via.family) {
		bad(ps, "route %s via %s: IPv4 and IPv6 mixed", t[1], t[3]);
		return;
	}
	if (n == 6 && number(t[5], 0, 0xffffffffLL, &m) != 0) {
		bad(ps, "metric \"%s\": expected a number from 0 to 4294967295", t[5]);
		return;
	}
	r->metric = m;
	r->line = ps->line;
	f->nroutes++;
}

static int is_nameserver(const char *s)
{
	struct addr a;

	return addr_parse(s, 0, &a) == 0 && !strchr(s, '/');
}

static int is_domain(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 253 && strspn(s, DOMAIN_CHARS) == len;
}

/* a keyword followed by one or more words, each checked before any is
 * kept, appended to a list of at most max entries of each bytes */
struct word_list {
	const char *kw, *word, *is_not, *plural;
	int (*ok)(const char *);
	int max;
	size_t each;
};

static void kw_words(struct parser *ps, char **t, int n, const struct word_list *w, char *list, int *count)
{
	for (int i = 1; i < n; i++) {
		if (!w->ok(t[i])) {
			bad(ps, "%s \"%.64s\": not %s", w->kw, t[i], w->is_not);
			return;
		}
	}
	if (n < 2)
		bad(ps, "expected: %s %s", w->kw, w->word);
	for (int i = 1; i < n; i++) {
		if (*count == w->max) {
			bad(ps, "more than %d %s", w->max, w->plural);
			return;
		}
		snprintf(list + (size_t)(*count)++ * w->each, w->each, "%s", t[i]);
	}
}

static void kw_nameserver(struct parser *ps, char **t, int n)
{
	static const struct word_list w = {"nameserver", "ADDRESS...", "an address", "nameservers",
					   is_nameserver, DNS_MAX, sizeof ps->cur->dns[0]};

	kw_words(ps, t, n, &w, ps->cur->dns[0], &ps->cur->ndns);
}

static void kw_search(struct parser *ps, char **t, int n)
{
	static const struct word_list w = {"search", "DOMAIN...", "a domain name", "search domains",
					   is_domain, SEARCH_MAX, sizeof ps->cur->search[0]};

	kw_words(ps, t, n, &w, ps->cur->search[0], &ps->cur->nsearch);
}

static void kw_interface(struct parser *ps, char **t, int n)
{
	struct conf *c = ps->c;
	struct iface *f;

	if (n != 2 || !is_ifname(t[1], 0)) {
		ps->cur = &c->global;
		bad(ps, "expected: interface NAME (up to 15 of a-z A-Z 0-9 _ . -); block ignored");
		ps->cur = NULL; /* the block's lines are skipped */
		return;
	}
	if (c->nifs == IFACES_MAX) {
		ps->cur = &c->global;
		bad(ps, "more than %d interfaces; block ignored", IFACES_MAX);
		ps->cur = NULL;
		return;
	}
	f = &c->ifs[c->nifs++];
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", t[1]);
	f->line = ps->line;
	ps->cur = f;
}

/* one line, split into words; comments already gone */
static void line(struct parser *ps, char **t, int n)
{
	struct iface *f = ps->cur;
	const char *kw = t[0];
	int global = f == &ps->c->global;
	long long v;

	if (!strcmp(kw, "interface")) {
		kw_interface(ps, t, n);
		return;
	}
	if (!f)
		return; /* inside a block whose interface line was bad */
	if (!strcmp(kw, "route")) {
		kw_route(ps, t, n);
	} else if (!strcmp(kw, "nameserver")) {
		kw_nameserver(ps, t, n);
	} else if (!strcmp(kw, "search")) {
		kw_search(ps, t, n);
	} else if (global && (!strcmp(kw, "match") || !strcmp(kw, "set-name") || !strcmp(kw, "mtu") ||
			      !strcmp(kw, "dhcp4") || !strcmp(kw, "dhcp6") || !strcmp(kw, "address") ||
			      !strcmp(kw, "gateway"))) {
		bad(ps, "%s outside an interface block", kw);
	} else if (!strcmp(kw, "match")) {
		if (n == 3 && !strcmp(t[1], "mac")) {
			if (parse_mac(t[2], f->mac) != 0)
				bad(ps, "match mac \"%.32s\": expected xx:xx:xx:xx:xx:xx", t[2]);
			f->match_mac = 1;
		} else if (n == 3 && !strcmp(t[1], "name")) {
			if (!is_ifname(t[2], 1))
				bad(ps, "match name \"%.32s\": not an interface name or pattern", t[2]);
			else
				snprintf(f->match_name, sizeof f->match_name, "%s", t[2]);
		} else {
			bad(ps, "expected: match mac MAC, or match name NAME");
		}
	} else if (!strcmp(kw, "set-name")) {
		if (n != 2 || !is_ifname(t[1], 0))
			bad(ps, "expected: set-name NAME (up to 15 of a-z A-Z 0-9 _ . -)");
		else
			snprintf(f->set_name, sizeof f->set_name, "%s", t[1]);
	} else if (!strcmp(kw, "mtu")) {
		if (n != 2 || number(t[1], 68, 65535, &v) != 0)
			bad(ps, "mtu: expected a number from 68 to 65535");
		else
			f->mtu = (int)v;
	} else if (!strcmp(kw, "dhcp4") || !strcmp(kw, "dhcp6")) {
		if (n != 1)
			bad(ps, "%s takes no value", kw);
		else if (kw[4] == '4')
			f->dhcp4 = 1;
		else
			f->dhcp6 = 1;
	} else if (!strcmp(kw, "address")) {
		if (n != 2 || f->naddrs == ADDRS_MAX || addr_parse(t[1], 1, &f->addrs[f->naddrs]) != 0)
			bad(ps, "address: expected ADDRESS/PREFIX (at most %d)", ADDRS_MAX);
		else
			f->naddrs++;
	} else if (!strcmp(kw, "gateway")) {
		if (n != 2 || f->ngateways == GATEWAYS_MAX || strchr(t[1], '/') ||
		    addr_parse(t[1], 0, &f->gateways[f->ngateways]) != 0)
			bad(ps, "gateway: expected an address (at most %d)", GATEWAYS_MAX);
		else
			f->ngateways++;
	} else {
		bad(ps, "unknown setting \"%.32s\"", kw);
	}
}

void conf_parse(struct conf *c, const char *path, const char *buf, size_t len)
{
	struct parser ps = {.c = c};
	size_t i = 0;

	memset(c, 0, sizeof *c);
	c->path = path;
	ps.cur = &c->global;
	while (i < len) {
		char text[LINE_MAX_LEN + 1], *t[TOKENS_MAX], *save = NULL, *w;
		size_t eol = i, n;
		int nt = 0;

		while (eol < len && buf[eol] != '\n')
			eol++;
		n = eol - i;
		ps.line++;
		if (n > LINE_MAX_LEN) {
			bad(&ps, "line longer than %d bytes", LINE_MAX_LEN);
			i = eol + 1;
			continue;
		}
		memcpy(text, buf + i, n);
		text[n] = '\0';
		i = eol + 1;
		if (memchr(text, '\0', n)) {
			bad(&ps, "a NUL byte");
			continue;
		}
		/* only a truly blank line ends a block: comments may sit inside */
		if (strspn(text, " \t\r") == n) {
			ps.cur = &c->global;
			continue;
		}
		text[strcspn(text, "#\r")] = '\0';
		for (w = strtok_r(text, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			if (nt == TOKENS_MAX) {
				nt = -1;
				break;
			}
			t[nt++] = w;
		}
		if (nt == 0)
			continue;
		if (nt < 0) {
			bad(&ps, "more than %d words", TOKENS_MAX);
			continue;
		}
		line(&ps, t, nt);
	}
}
