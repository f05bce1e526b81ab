/* Docker Compose service syntax to struct container_def. One table row per
 * key; each handler checks its value's type and says what it expected. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "model.h"

struct ctx {
	const char *file;
	int errors;
	const char *name; /* the container's, while its service is parsed */
};

/* ---- small helpers ---- */

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int strv_push(struct strv *s, const char *str)
{
	char **v = realloc(s->v, (s->n + 2) * sizeof *v);

	if (!v)
		return -1;
	s->v = v;
	if (!(v[s->n] = strdup(str)))
		return -1;
	v[++s->n] = NULL;
	return 0;
}

void compose_vdiag(const char *file, int line, const char *fmt, va_list ap)
{
	if (file && line)
		fprintf(stderr, "%s:%d: ", file, line);
	else if (file)
		fprintf(stderr, "%s: ", file);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void diag(struct ctx *c, int is_error, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag(struct ctx *c, int is_error, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	compose_vdiag(c->file, line, fmt, ap);
	va_end(ap);
	if (is_error)
		c->errors++;
}

/* key paths are for messages: a long one is cut, not an error */
#define KP 256
static void kp(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kp(char *dst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, KP, fmt, ap);
	va_end(ap);
}

/* at a node: its own file, which after a merge, extends or include may be
 * another than the one being read */
static void diag_at(struct ctx *c, int is_error, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag_at(struct ctx *c, int is_error, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	compose_vdiag(n->src ? n->src : c->file, n->line, fmt, ap);
	va_end(ap);
	if (is_error)
		c->errors++;
}

#define ERR(c, n, ...) diag_at((c), 1, (n), __VA_ARGS__)
#define WARN(c, n, ...) diag_at((c), 0, (n), __VA_ARGS__)

/* a value quoted for a message: printable, at most 64 bytes */
static const char *shown(const struct ynode *n, char buf[80])
{
	size_t j = 0;

	if (n->type != Y_SCALAR)
		return n->type == Y_MAP ? "a mapping" : "a list";
	buf[j++] = '"';
	for (size_t i = 0; i < n->len && j < 70; i++)
		buf[j++] = isprint((unsigned char)n->str[i]) ? n->str[i] : '?';
	if (n->len > 68)
		j = 67, buf[j++] = '.', buf[j++] = '.', buf[j++] = '.';
	buf[j++] = '"';
	buf[j] = 0;
	return buf;
}

static const char *kind_name(const struct ynode *n)
{
	return n->type == Y_MAP ? "a mapping" : n->type == Y_SEQ ? "a list" : "a scalar";
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* compose's booleans: a YAML 1.1 boolean (lib/yaml-tree.h: yes/no/on/off/y/n
 * too), or the string "true" or "false", which its schema's boolean|string
 * allows. 0/1 in *b, -1 if not a boolean. */
static int y_bool(const struct ynode *n, int *b)
{
	if (ybool(n, b) == 0)
		return 0;
	if (n->type != Y_SCALAR || n->plain)
		return -1;
	if (strcmp(n->str, "true") == 0)
		return *b = 1, 0;
	if (strcmp(n->str, "false") == 0)
		return *b = 0, 0;
	return -1;
}

/* compose's integers: a YAML 1.1 int (0644 is octal, 0x1F hex, '_'
 * separators), or a string of decimal digits ("100", or a plain 08 that is
 * no YAML int: read as compose-go reads a string, base 10) */
static int y_int(const struct ynode *n, long long *v)
{
	char *end;

	if (yint(n, v) == 0)
		return 0;
	if (n->type != Y_SCALAR || n->len == 0 || n->len > 20)
		return -1;
	for (size_t i = 0; i < n->len; i++)
		if (!isdigit((unsigned char)n->str[i]) && !(i == 0 && (n->str[i] == '-' || n->str[i] == '+')))
			return -1;
	errno = 0;
	*v = strtoll(n->str, &end, 10);
	return errno || *end || end == n->str ? -1 : 0;
}

/* scalar text, whatever YAML 1.1 would resolve it to: compose stringifies */
static const char *y_str(struct ctx *c, const struct ynode *n, const char *path)
{
	if (n->type != Y_SCALAR || ynull(n)) {
		ERR(c, n, "%s: expected a string, got %s", path,
		    ynull(n) ? "null" : kind_name(n));
		return NULL;
	}
	return n->str;
}

static int set_str(struct ctx *c, const struct ynode *n, const char *path, char **dst)
{
	const char *s = y_str(c, n, path);

	if (!s)
		return -1;
	free(*dst);
	if (!(*dst = strdup(s)))
		return -1;
	return 0;
}

/* A mapping's pairs (merge keys were applied when the tree was built:
 * lib/yaml-tree.h). Duplicate keys are an error. The vector holds borrowed
 * pointers: key, value, key, value... */
struct pairs {
	const struct ynode **kv;
	size_t n;
};

static int pairs_has(const struct pairs *p, const char *key)
{
	for (size_t i = 0; i < p->n; i += 2)
		if (strcmp(p->kv[i]->str, key) == 0)
			return 1;
	return 0;
}

static int pairs_add(struct pairs *p, const struct ynode *k, const struct ynode *v)
{
	const struct ynode **kv = realloc(p->kv, (p->n + 2) * sizeof *kv);

	if (!kv)
		return -1;
	p->kv = kv;
	kv[p->n++] = k;
	kv[p->n++] = v;
	return 0;
}

/* the pairs of mapping m; nothing to free on -1 */
static int map_pairs(struct ctx *c, const struct ynode *m, const char *path, struct pairs *p)
{
	p->kv = NULL;
	p->n = 0;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i];

		if (k->type != Y_SCALAR) {
			ERR(c, k, "%s: expected a string key, got %s", path, kind_name(k));
			goto fail;
		}
		if (pairs_has(p, k->str)) {
			ERR(c, k, "%s%sduplicate key \"%s\"", path, *path ? ": " : "", k->str);
			goto fail;
		}
		if (pairs_add(p, k, m->kids[i + 1]) != 0)
			goto fail;
	}
	return 0;
fail:
	free(p->kv);
	p->kv = NULL;
	p->n = 0;
	return -1;
}

static int need_kind(struct ctx *c, const struct ynode *n, enum ytype k, const char *path)
{
	static const char *const what[] = { "a scalar", "a list", "a mapping" };

	if (n->type == k)
		return 0;
	ERR(c, n, "%s: expected %s, got %s", path, what[k], kind_name(n));
	return -1;
}

/* ---- shell words, names, caps ---- */

int compose_shell_split(const char *s, struct strv *out)
{
	size_t len = strlen(s);
	char *w = malloc(len + 1);
	int in_word = 0;

	if (!w)
		return -1;
	out->v = NULL;
	out->n = 0;
	for (size_t i = 0, j = 0;; i++) {
		char ch = s[i];

		if (ch == 0 || ch == ' ' || ch == '\t' || ch == '\n') {
			if (in_word) {
				w[j] = 0;
				if (strv_push(out, w) != 0)
					goto fail;
				j = 0;
				in_word = 0;
			}
			if (ch == 0)
				break;
			continue;
		}
		in_word = 1;
		if (ch == '\'') {
			for (i++; s[i] && s[i] != '\''; i++)
				w[j++] = s[i];
			if (!s[i])
				goto fail;
		} else if (ch == '"') {
			for (i++; s[i] && s[i] != '"'; i++) {
				if (s[i] == '\\' && s[i + 1] && strchr("\"\\$`\n", s[i + 1]))
					i++;
				w[j++] = s[i];
			}
			if (!s[i])
				goto fail;
		} else if (ch == '\\') {
			if (!s[i + 1])
				goto fail;
			w[j++] = s[++i];
		} else {
			w[j++] = ch;
		}
	}
	free(w);
	return 0;
fail:
	free(w);
	strv_free(out);
	return -1;
}

int compose_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63 || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return 0;
	return 1;
}

int compose_name_from_path(const char *path, char *name, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
		len -= 4;
	if (len >= size)
		return -1;
	memcpy(name, base, len);
	name[len] = 0;
	return compose_valid_name(name) ? 0 : -1;
}

const char *const compose_cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE", NULL
};

int compose_cap_normalize(const char *in, char *out, size_t size)
{
	size_t j = 0;

	if (strcasecmp(in, "ALL") == 0) {
		if (size < 4)
			return -1;
		strcpy(out, "ALL");
		return 0;
	}
	if (strncasecmp(in, "CAP_", 4) != 0) {
		if (size < 5)
			return -1;
		memcpy(out, "CAP_", 4);
		j = 4;
	}
	for (; *in; in++) {
		if (j + 1 >= size)
			return -1;
		out[j++] = (char)toupper((unsigned char)*in);
	}
	out[j] = 0;
	return in_list(out, compose_cap_names) ? 0 : -1;
}

/* ---- signals ---- */

/* Linux's numbers, as Docker names them (SIGIOT, SIGPOLL, SIGCLD aliases) */
static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 }, { "TRAP", 5 }, { "ABRT", 6 },
	{ "IOT", 6 }, { "BUS", 7 }, { "FPE", 8 }, { "KILL", 9 }, { "USR1", 10 }, { "SEGV", 11 },
	{ "USR2", 12 }, { "PIPE", 13 }, { "ALRM", 14 }, { "TERM", 15 }, { "STKFLT", 16 },
	{ "CHLD", 17 }, { "CLD", 17 }, { "CONT", 18 }, { "STOP", 19 }, { "TSTP", 20 },
	{ "TTIN", 21 }, { "TTOU", 22 }, { "URG", 23 }, { "XCPU", 24 }, { "XFSZ", 25 },
	{ "VTALRM", 26 }, { "PROF", 27 }, { "WINCH", 28 }, { "IO", 29 }, { "POLL", 29 },
	{ "PWR", 30 }, { "SYS", 31 },
};

/* glibc's and Docker's SIGRTMIN, not musl's (35): the number goes to a
 * process in the container, whatever libc it was built with */
#define SIG_RTMIN 34
#define SIG_RTMAX 64

int compose_signal_parse(const char *s)
{
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtol(s, &end, 10);
		return !*end && !errno && v >= 1 && v <= SIG_RTMAX ? (int)v : 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return signal_names[i].sig;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		int max = toupper((unsigned char)s[3]) == 'A';
		const char *n = s + 5;

		if (!*n)
			return max ? SIG_RTMAX : SIG_RTMIN;
		if (*n != (max ? '-' : '+') || !isdigit((unsigned char)n[1]) || strlen(n + 1) > 2)
			return 0;
		v = strtol(n + 1, &end, 10);
		if (*end || v > SIG_RTMAX - SIG_RTMIN)
			return 0;
		return max ? SIG_RTMAX - (int)v : SIG_RTMIN + (int)v;
	}
	return 0;
}

const char *compose_signal_name(int sig, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (signal_names[i].sig == sig) {
			snprintf(buf, size, "SIG%s", signal_names[i].name);
			return buf;
		}
	if (sig == SIG_RTMIN)
		snprintf(buf, size, "SIGRTMIN");
	else if (sig > SIG_RTMIN && sig <= SIG_RTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIG_RTMIN);
	else
		snprintf(buf, size, "%d", sig);
	return buf;
}

/* ---- values with units ---- */

/* "30s", "1m30s", "500ms", "1h" (Go durations, as compose) to ms */
static int parse_duration(const char *s, long long *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "ms", 1 }, { "s", 1e3 }, { "m", 6e4 },
		      { "h", 3.6e6 } };
	double total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v;
		size_t best = 0, bestlen = 0;

		if (!isdigit((unsigned char)*s) && *s != '.')
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].unit);

			if (strncmp(s, units[i].unit, l) == 0 && l > bestlen)
				best = i, bestlen = l;
		}
		if (!bestlen)
			return -1;
		total += v * units[best].ms;
		s += bestlen;
	}
	if (total > 1e15)
		return -1;
	*ms = llround(total);
	return 0;
}

/* "512m", "1g", "1.5G", "1024", "100kb" (docker's RAMInBytes) */
static int parse_bytes(const char *s, long long *bytes)
{
	char *end;
	double v, mult = 1;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 0:
		break;
	case 'b':
		end++;
		goto tail;
	case 'k':
		mult = 1024.0;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		if (tolower((unsigned char)*end) == 'i')
			end++;
		if (tolower((unsigned char)*end) == 'b')
			end++;
	}
tail:
	if (*end || v * mult > 9e18)
		return -1;
	*bytes = (long long)(v * mult);
	return 0;
}

/* ---- keys ---- */

typedef int key_fn(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path);

static int k_image(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	if (set_str(c, v, path, &d->image) != 0)
		return -1;
	if (!*d->image) {
		ERR(c, v, "%s: expected an image reference, got \"\"", path);
		return -1;
	}
	return 0;
}

/* command and entrypoint: a string split into words like compose does, or
 * a list taken as is; null is "not set" */
static int words(struct ctx *c, const struct ynode *v, const char *path, struct strv *dst, int *has)
{
	char b[80];

	if (ynull(v))
		return 0;
	strv_free(dst);
	*has = 1;
	if (v->type == Y_SCALAR) {
		if (compose_shell_split(v->str, dst) != 0) {
			ERR(c, v, "%s: %s: expected shell words (unbalanced quote?)", path, shown(v, b));
			return -1;
		}
		return 0;
	}
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		char p[KP];

		kp(p, "%s[%zu]", path, i);
		const char *s = y_str(c, v->kids[i], p);
		if (!s || strv_push(dst, s) != 0)
			return -1;
	}
	return 0;
}

static int k_command(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return words(c, v, path, &d->command, &d->has_command);
}

static int k_entrypoint(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return words(c, v, path, &d->entrypoint, &d->has_entrypoint);
}

static int env_key_ok(const char *k, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (k[i] == '=' || k[i] == 0 || isspace((unsigned char)k[i]))
			return 0;
	return 1;
}

/* set KEY=VALUE, replacing an earlier KEY in place */
static int env_set(struct strv *env, const char *key, size_t klen, const char *val)
{
	size_t vlen = strlen(val);
	char *kv = malloc(klen + vlen + 2);

	if (!kv)
		return -1;
	memcpy(kv, key, klen);
	kv[klen] = '=';
	memcpy(kv + klen + 1, val, vlen + 1);
	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=') {
			free(env->v[i]);
			env->v[i] = kv;
			return 0;
		}
	}
	if (strv_push(env, kv) != 0) {
		free(kv);
		return -1;
	}
	free(kv);
	return 0;
}

/* values are secrets more often than not: messages never show them */
static int k_environment(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	if (v->type == Y_MAP) {
		struct pairs p;
		int r = 0;

		if (map_pairs(c, v, path, &p) != 0)
			return -1;
		for (size_t i = 0; i < p.n && r == 0; i += 2) {
			const struct ynode *k = p.kv[i], *val = p.kv[i + 1];

			if (!env_key_ok(k->str, k->len)) {
				ERR(c, k, "%s: \"%s\": expected a variable name", path, k->str);
				r = -1;
			} else if (ynull(val)) {
				WARN(c, k, "%s.%s: no value (not set: there is no host environment to take it from)",
				     path, k->str);
			} else if (val->type != Y_SCALAR) {
				ERR(c, val, "%s.%s: expected a string value, got %s", path, k->str, kind_name(val));
				r = -1;
			} else {
				r = env_set(&d->env, k->str, k->len, val->str);
			}
		}
		free(p.kv);
		return r;
	}
	if (need_kind(c, v, Y_SEQ, path) != 0) {
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->kids[i];
		const char *eq;

		if (it->type != Y_SCALAR || ynull(it)) {
			ERR(c, it, "%s[%zu]: expected KEY=VALUE, got %s", path, i,
			    ynull(it) ? "null" : kind_name(it));
			return -1;
		}
		eq = strchr(it->str, '=');
		if (!env_key_ok(it->str, eq ? (size_t)(eq - it->str) : it->len)) {
			ERR(c, it, "%s[%zu]: expected KEY=VALUE with a variable name", path, i);
			return -1;
		}
		if (!eq) {
			WARN(c, it, "%s[%zu]: \"%s\" has no value (not set: there is no host environment to take it from)",
			     path, i, it->str);
			continue;
		}
		if (env_set(&d->env, it->str, (size_t)(eq - it->str), eq + 1) != 0)
			return -1;
	}
	return 0;
}

/* read an env_file: KEY=VALUE lines, # comments, blank lines; one pair of
 * surrounding quotes is removed as compose does; nothing is expanded */
static int env_file_read(struct ctx *c, struct container_def *d, const struct ynode *at,
			 const char *path, const char *name, int required)
{
	char full[PATH_MAX], *buf = NULL, *line, *next;
	struct ctx fc = { .errors = 0 };
	struct stat st;
	size_t len = 0;
	int fd, lineno = 0, r = 0;

	if (name[0] == '/' || !strchr(c->file, '/')) {
		if (snprintf(full, sizeof full, "%s", name) >= (int)sizeof full)
			goto toolong;
	} else {
		int dirlen = (int)(strrchr(c->file, '/') - c->file);

		if (snprintf(full, sizeof full, "%.*s/%s", dirlen, c->file, name) >= (int)sizeof full)
			goto toolong;
	}
	/* O_NONBLOCK: a fifo named here must not hang the caller in open */
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && !required)
			return 0;
		ERR(c, at, "%s: %s: %s", path, full, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > COMPOSE_ENV_FILE_MAX_BYTES) {
		ERR(c, at, "%s: %s: expected a regular file of at most %d bytes", path, full,
		    COMPOSE_ENV_FILE_MAX_BYTES);
		close(fd);
		return -1;
	}
	buf = fd_read_alloc(fd, COMPOSE_ENV_FILE_MAX_BYTES, &len);
	close(fd);
	if (!buf) {
		ERR(c, at, "%s: %s: %s", path, full, strerror(errno));
		return -1;
	}
	fc.file = full;
	for (line = buf; line && r == 0; line = next) {
		char *eq, *val, *end;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		end = line + strlen(line);
		if (end > line && end[-1] == '\r')
			*--end = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		eq = strchr(line, '=');
		if (!eq) {
			if (env_key_ok(line, strlen(line))) {
				diag(&fc, 0, lineno, "\"%s\" has no value (not set)", line);
				continue;
			}
			diag(&fc, 1, lineno, "expected KEY=VALUE");
			r = -1;
			break;
		}
		if (!env_key_ok(line, (size_t)(eq - line))) {
			diag(&fc, 1, lineno, "expected KEY=VALUE with a variable name");
			r = -1;
			break;
		}
		val = eq + 1;
		end = val + strlen(val);
		if (end - val >= 2 && (*val == '"' || *val == '\'') && end[-1] == *val) {
			end[-1] = 0;
			val++;
		}
		r = env_set(&d->env, line, (size_t)(eq - line), val);
	}
	free(buf);
	if (fc.errors) {
		ERR(c, at, "%s: %s has errors", path, full);
		return -1;
	}
	return r;
toolong:
	ERR(c, at, "%s: path too long", path);
	return -1;
}

static int k_env_file(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	if (v->type == Y_SCALAR) {
		const char *s = y_str(c, v, path);
		return s ? env_file_read(c, d, v, path, s, 1) : -1;
	}
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->kids[i];
		char p[KP];
		int required = 1;

		kp(p, "%s[%zu]", path, i);
		if (it->type == Y_MAP) {
			struct pairs pr;
			const char *file = NULL;
			int r = 0;

			if (map_pairs(c, it, p, &pr) != 0)
				return -1;
			for (size_t j = 0; j < pr.n && r == 0; j += 2) {
				const char *k = pr.kv[j]->str;

				if (strcmp(k, "path") == 0)
					r = (file = y_str(c, pr.kv[j + 1], p)) ? 0 : -1;
				else if (strcmp(k, "required") == 0 && y_bool(pr.kv[j + 1], &required) != 0) {
					ERR(c, pr.kv[j + 1], "%s.required: expected true or false", p);
					r = -1;
				} else if (strcmp(k, "required") != 0 && strcmp(k, "format") != 0)
					WARN(c, pr.kv[j], "unknown key \"%s.%s\" (ignored)", p, k);
			}
			free(pr.kv);
			if (r == 0 && !file) {
				ERR(c, it, "%s: expected a path", p);
				r = -1;
			}
			if (r != 0 || env_file_read(c, d, it, p, file, required) != 0)
				return -1;
			continue;
		}
		const char *s = y_str(c, it, p);
		if (!s || env_file_read(c, d, it, p, s, 1) != 0)
			return -1;
	}
	return 0;
}

static int port_num(const char *s, size_t len, unsigned *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int ip_ok(const char *ip)
{
	unsigned char b[16];

	return inet_pton(AF_INET, ip, b) == 1 || inet_pton(AF_INET6, ip, b) == 1;
}

/* "80" or "8000-8002" */
static int port_range(const char *s, unsigned *lo, unsigned *hi)
{
	const char *dash = strchr(s, '-');

	if (!dash) {
		if (port_num(s, strlen(s), lo) != 0)
			return -1;
		*hi = *lo;
		return 0;
	}
	if (port_num(s, (size_t)(dash - s), lo) != 0 || port_num(dash + 1, strlen(dash + 1), hi) != 0 ||
	    *hi < *lo)
		return -1;
	return 0;
}

/* "80", "8080:80", "127.0.0.1:8080:80", "127.0.0.1::80", "[::1]:8080:80", each
 * with an optional "/tcp" or "/udp", and ranges as Docker has them:
 * "8000-8002:80-82" (port by port), "80-82" (an ephemeral port each),
 * "8000-8010:80" (any free one of the host range). Up to max ports into
 * out[]; the count in *n. -1 if malformed, -2 if more than max. */
static int port_short(const char *s, struct port *out, size_t max, size_t *n)
{
	char buf[128], *slash, *last, *hp;
	struct port p = { .proto = "tcp" };
	unsigned clo, chi, hlo = 0, hhi = 0;

	*n = 0;
	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/'))) {
		*slash++ = 0;
		if (strcmp(slash, "tcp") != 0 && strcmp(slash, "udp") != 0)
			return -1;
		strcpy(p.proto, slash);
	}
	last = strrchr(buf, ':');
	if (!last) {
		hp = NULL;
		last = buf - 1;
	} else {
		*last = 0;
		hp = strrchr(buf, ':');
		if (buf[0] == '[') {
			char *close = strchr(buf, ']');

			if (!close || close[1] != ':')
				return -1;
			*close = 0;
			hp = close + 1;
			if (strlen(buf + 1) >= sizeof p.host_ip || !ip_ok(buf + 1))
				return -1;
			strcpy(p.host_ip, buf + 1);
		} else if (hp) {
			*hp = 0;
			if (strlen(buf) >= sizeof p.host_ip || !ip_ok(buf))
				return -1;
			strcpy(p.host_ip, buf);
		} else {
			hp = buf - 1;
		}
		hp++;
		/* "IP::80" names no host port; ":80" is not a port spec */
		if (*hp == 0 && hp == buf)
			return -1;
		if (*hp && port_range(hp, &hlo, &hhi) != 0)
			return -1;
	}
	if (port_range(last + 1, &clo, &chi) != 0)
		return -1;
	if (hlo && hhi > hlo && chi == clo) {
		p.host_port = hlo;
		p.host_port_end = hhi;
		p.container_port = clo;
		if (max < 1)
			return -2;
		out[(*n)++] = p;
		return 0;
	}
	if (hlo && hhi - hlo != chi - clo)
		return -1;
	if (chi - clo + 1 > max)
		return -2;
	for (unsigned c = clo; c <= chi; c++) {
		p.container_port = c;
		p.host_port = hlo ? hlo + (c - clo) : 0;
		out[(*n)++] = p;
	}
	return 0;
}

static int port_long(struct ctx *c, const struct ynode *v, const char *path, struct port *p)
{
	struct pairs pr;
	int r = 0;
	char b[80];

	strcpy(p->proto, "tcp");
	if (map_pairs(c, v, path, &pr) != 0)
		return -1;
	for (size_t i = 0; i < pr.n && r == 0; i += 2) {
		const struct ynode *k = pr.kv[i], *val = pr.kv[i + 1];
		const char *s = val->type == Y_SCALAR ? val->str : "";

		if (strcmp(k->str, "target") == 0) {
			if (val->type != Y_SCALAR || port_num(s, strlen(s), &p->container_port) != 0) {
				ERR(c, val, "%s.target: %s: expected a port number 1-65535", path, shown(val, b));
				r = -1;
			}
		} else if (strcmp(k->str, "published") == 0) {
			unsigned lo, hi;

			if (val->type != Y_SCALAR || port_range(s, &lo, &hi) != 0) {
				ERR(c, val, "%s.published: %s: expected a port number 1-65535 or a range like 8000-8010",
				    path, shown(val, b));
				r = -1;
			} else {
				p->host_port = lo;
				p->host_port_end = hi > lo ? hi : 0;
			}
		} else if (strcmp(k->str, "host_ip") == 0) {
			if (val->type != Y_SCALAR || strlen(s) >= sizeof p->host_ip || !ip_ok(s)) {
				ERR(c, val, "%s.host_ip: %s: expected an IP address", path, shown(val, b));
				r = -1;
			} else {
				strcpy(p->host_ip, s);
			}
		} else if (strcmp(k->str, "protocol") == 0) {
			if (val->type != Y_SCALAR || (strcmp(s, "tcp") && strcmp(s, "udp"))) {
				ERR(c, val, "%s.protocol: %s: expected tcp or udp", path, shown(val, b));
				r = -1;
			} else {
				strcpy(p->proto, s);
			}
		} else if (strcmp(k->str, "mode") != 0 && strcmp(k->str, "name") != 0 &&
			   strcmp(k->str, "app_protocol") != 0) {
			WARN(c, k, "unknown key \"%s.%s\" (ignored)", path, k->str);
		}
	}
	free(pr.kv);
	if (r == 0 && !p->container_port) {
		ERR(c, v, "%s: expected a target port", path);
		r = -1;
	}
	return r;
}

static int k_ports(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	free(d->ports);
	d->nports = 0;
	if (!(d->ports = calloc(COMPOSE_MAX_PORTS, sizeof *d->ports)))
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->kids[i];
		char pth[KP], b[80];
		size_t n = 0;
		int r = -1;

		kp(pth, "%s[%zu]", path, i);
		if (it->type == Y_MAP) {
			if (d->nports < COMPOSE_MAX_PORTS) {
				if (port_long(c, it, pth, &d->ports[d->nports]) != 0)
					return -1;
				n = 1;
				r = 0;
			} else {
				r = -2;
			}
		} else if (it->type == Y_SCALAR) {
			r = port_short(it->str, d->ports + d->nports, COMPOSE_MAX_PORTS - d->nports, &n);
		}
		if (r == -2) {
			ERR(c, it, "%s: more than %d ports (a range counts each of its ports)", pth, COMPOSE_MAX_PORTS);
			return -1;
		}
		if (r != 0) {
			ERR(c, it, "%s: %s: expected [IP:][HOST:]CONTAINER port numbers[/tcp|/udp]", pth,
			    shown(it, b));
			return -1;
		}
		d->nports += n;
	}
	return 0;
}

static int abs_path_ok(const char *s)
{
	return s[0] == '/' && !strstr(s, "/../") && strcmp(s + strlen(s) - (strlen(s) >= 3 ? 3 : 0), "/..") != 0;
}

/* source "./x", "/x" or a volume name -> the volume's host path */
static int volume_source(struct ctx *c, const char *src, struct volume *vol)
{
	char full[PATH_MAX];

	if (src[0] == '/' || src[0] == '.' || src[0] == '~') {
		if (src[0] == '~')
			return -1;
		if (src[0] == '.') {
			/* relative to the definition's directory, as compose does */
			const char *slash = strrchr(c->file, '/');
			char cwd[PATH_MAX] = "";
			int dirlen = slash ? (int)(slash - c->file) : 0;

			if (c->file[0] != '/' && !getcwd(cwd, sizeof cwd))
				return -1;
			while (src[0] == '.' && src[1] == '/')
				src += 2;
			if (strcmp(src, ".") == 0)
				src = "";
			if (snprintf(full, sizeof full, "%s%s%.*s%s%s", cwd, *cwd && dirlen ? "/" : "",
				     dirlen, c->file, *src ? "/" : "", src) >= (int)sizeof full)
				return -1;
			src = full;
		}
		vol->source = strdup(src);
		return vol->source ? 0 : -1;
	}
	if (!compose_valid_name(src))
		return -1;
	/* a named volume lives on the host in the data root's volumes/NAME */
	if (snprintf(full, sizeof full, "%s/volumes/%s", env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT), src) >=
	    (int)sizeof full)
		return -1;
	vol->name = strdup(src);
	vol->source = strdup(full);
	return vol->name && vol->source ? 0 : -1;
}

/* an anonymous volume ("- /data", or the long form without a source): a
 * volume of this container's own, VOLUME_DIR/NAME-anon-<16 hex of the
 * target's FNV-1a>, kept while the container is, as docker keeps one until
 * `rm -v` (`berth compose down -v` removes it) */
static int volume_anonymous(const char *name, const char *target, struct volume *vol)
{
	char vname[128], full[PATH_MAX];
	unsigned long long h = 14695981039346656037ULL;

	for (const unsigned char *t = (const unsigned char *)target; *t; t++)
		h = (h ^ *t) * 1099511628211ULL;
	snprintf(vname, sizeof vname, "%s-anon-%016llx", name, h);
	if (snprintf(full, sizeof full, "%s/volumes/%s", env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT), vname) >=
	    (int)sizeof full)
		return -1;
	vol->name = strdup(vname);
	vol->source = strdup(full);
	vol->target = strdup(target);
	return vol->name && vol->source && vol->target ? 0 : -1;
}

static int volume_short(struct ctx *c, const char *s, struct volume *vol)
{
	char buf[PATH_MAX], *f[3];
	size_t nf = 0;

	if (strlen(s) >= sizeof buf)
		return -1;
	if (!strchr(s, ':'))
		return abs_path_ok(s) ? volume_anonymous(c->name, s, vol) : -1;
	strcpy(buf, s);
	for (char *p = buf, *tok; nf < 3 && (tok = strsep(&p, ":"));)
		f[nf++] = tok;
	if (nf < 2 || strchr(s + (f[nf - 1] - buf), ':'))
		return -1;
	if (nf == 3) {
		char *opt, *p = f[2];

		while ((opt = strsep(&p, ","))) {
			if (strcmp(opt, "ro") == 0)
				vol->read_only = 1;
			else if (strcmp(opt, "rw") == 0)
				vol->read_only = 0;
			else if (strcmp(opt, "z") && strcmp(opt, "Z") && strcmp(opt, "cached") &&
				 strcmp(opt, "delegated") && strcmp(opt, "consistent") && strcmp(opt, "nocopy"))
				return -1;
		}
	}
	if (!abs_path_ok(f[1]) || volume_source(c, f[0], vol) != 0)
		return -1;
	vol->target = strdup(f[1]);
	return vol->target ? 0 : -1;
}

static int volume_long(struct ctx *c, const struct ynode *v, const char *path, struct volume *vol)
{
	struct pairs pr;
	const char *type = "volume", *src = NULL, *dst = NULL;
	int r = 0;
	char b[80];

	if (map_pairs(c, v, path, &pr) != 0)
		return -1;
	for (size_t i = 0; i < pr.n && r == 0; i += 2) {
		const struct ynode *k = pr.kv[i], *val = pr.kv[i + 1];
		char p[KP];

		kp(p, "%s.%s", path, k->str);
		if (strcmp(k->str, "type") == 0) {
			r = (type = y_str(c, val, p)) ? 0 : -1;
			if (r == 0 && strcmp(type, "bind") && strcmp(type, "volume")) {
				ERR(c, val, "%s: %s: expected bind or volume", p, shown(val, b));
				r = -1;
			}
		} else if (strcmp(k->str, "source") == 0) {
			r = (src = y_str(c, val, p)) ? 0 : -1;
		} else if (strcmp(k->str, "target") == 0) {
			r = (dst = y_str(c, val, p)) ? 0 : -1;
		} else if (strcmp(k->str, "read_only") == 0) {
			if (y_bool(val, &vol->read_only) != 0) {
				ERR(c, val, "%s: %s: expected true or false", p, shown(val, b));
				r = -1;
			}
		} else if (strcmp(k->str, "bind") && strcmp(k->str, "volume") && strcmp(k->str, "consistency")) {
			WARN(c, k, "unknown key \"%s\" (ignored)", p);
		}
	}
	free(pr.kv);
	if (r != 0)
		return -1;
	if (dst && abs_path_ok(dst) && !src && strcmp(type, "volume") == 0)
		return volume_anonymous(c->name, dst, vol);
	if (!src || !dst || !abs_path_ok(dst)) {
		ERR(c, v, "%s: expected source and an absolute target", path);
		return -1;
	}
	if ((strcmp(type, "bind") == 0) != (src[0] == '/' || src[0] == '.') ||
	    volume_source(c, src, vol) != 0) {
		ERR(c, v, "%s.source: \"%s\": expected %s", path, src,
		    strcmp(type, "bind") == 0 ? "a host path" : "a volume name");
		return -1;
	}
	return (vol->target = strdup(dst)) ? 0 : -1;
}

static void volumes_free(struct container_def *d)
{
	for (size_t i = 0; i < d->nvolumes; i++) {
		free(d->volumes[i].source);
		free(d->volumes[i].name);
		free(d->volumes[i].target);
	}
	free(d->volumes);
	d->volumes = NULL;
	d->nvolumes = 0;
}

static int tmpfs_add(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path);
static int size_of(const struct ynode *v, long long *out);

/* {type: tmpfs, target, read_only, tmpfs: {size, mode}}: a tmpfs: entry */
static int volume_tmpfs(struct ctx *c, struct container_def *d, const struct ynode *it, const char *path)
{
	const struct ynode *t = ymap_get(it, "tmpfs"), *ro = ymap_get(it, "read_only");
	const char *target = ystr(ymap_get(it, "target"));
	char spec[PATH_MAX], b[80];
	size_t o;
	int rdonly = 0;
	long long size = 0, mode = -1;

	if (!target || !abs_path_ok(target)) {
		ERR(c, it, "%s.target: expected an absolute path", path);
		return -1;
	}
	if (ro && y_bool(ro, &rdonly) != 0) {
		ERR(c, ro, "%s.read_only: %s: expected true or false", path, shown(ro, b));
		return -1;
	}
	for (size_t i = 0; t && t->type == Y_MAP && i + 1 < t->n; i += 2) {
		const char *k = ystr(t->kids[i]);
		const struct ynode *v = t->kids[i + 1];
		if (k && strcmp(k, "size") == 0 && size_of(v, &size) == 0 && size > 0)
			continue;
		if (k && strcmp(k, "mode") == 0 && ymode(v, &mode) == 0)
			continue;
		ERR(c, t->kids[i], "%s.tmpfs.%s: expected size: SIZE or mode: OCTAL", path, k ? k : "?");
		return -1;
	}
	for (size_t i = 0; i + 1 < it->n; i += 2) {
		const char *k = ystr(it->kids[i]);
		if (k && strcmp(k, "type") && strcmp(k, "target") && strcmp(k, "read_only") && strcmp(k, "tmpfs"))
			WARN(c, it->kids[i], "unknown key \"%s.%s\" (ignored)", path, k);
	}
	o = (size_t)snprintf(spec, sizeof spec, "%s", target);
	if (size > 0 || mode >= 0 || rdonly)
		o += (size_t)snprintf(spec + o, sizeof spec - o, ":");
	if (size > 0)
		o += (size_t)snprintf(spec + o, sizeof spec - o, "size=%lld,", size);
	if (mode >= 0)
		o += (size_t)snprintf(spec + o, sizeof spec - o, "mode=%llo,", mode);
	if (rdonly)
		o += (size_t)snprintf(spec + o, sizeof spec - o, "ro,");
	if (o > 0 && spec[o - 1] == ',')
		spec[o - 1] = '\0';
	struct ynode n = { .type = Y_SCALAR, .str = spec, .len = strlen(spec), .line = it->line, .src = it->src };
	return tmpfs_add(c, d, &n, path);
}

static int k_volumes(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	volumes_free(d);
	if (!(d->volumes = calloc(v->n ? v->n : 1, sizeof *d->volumes)))
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->kids[i];
		struct volume *vol = &d->volumes[i];
		char pth[KP], b[80];
		int r;

		kp(pth, "%s[%zu]", path, i);
		if (it->type == Y_MAP && ystr(ymap_get(it, "type")) && strcmp(ystr(ymap_get(it, "type")), "tmpfs") == 0) {
			if (volume_tmpfs(c, d, it, pth) != 0)
				return -1;
			continue;
		}
		d->nvolumes++;
		if (it->type == Y_MAP) {
			r = volume_long(c, it, pth, vol);
		} else if ((r = it->type == Y_SCALAR ? volume_short(c, it->str, vol) : -1) != 0) {
			ERR(c, it, "%s: %s: expected SOURCE:TARGET[:ro|rw] with an absolute TARGET and a host path or volume name as SOURCE",
			    pth, shown(it, b));
		}
		if (r != 0)
			return -1;
	}
	return 0;
}

static int k_restart(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];
	int off;

	/* "restart: no" is the YAML 1.1 boolean false */
	if (v->type == Y_SCALAR && v->plain && ybool(v, &off) == 0 && !off) {
		d->restart = RESTART_NO;
		return 0;
	}
	if (v->type == Y_SCALAR) {
		if (strcmp(v->str, "no") == 0)
			return d->restart = RESTART_NO, 0;
		if (strcmp(v->str, "always") == 0)
			return d->restart = RESTART_ALWAYS, 0;
		if (strcmp(v->str, "unless-stopped") == 0)
			return d->restart = RESTART_UNLESS_STOPPED, 0;
		if (strncmp(v->str, "on-failure", 10) == 0) {
			const char *n = v->str + 10;

			d->restart = RESTART_ON_FAILURE;
			d->restart_max = 0;
			if (!*n)
				return 0;
			if (*n++ == ':' && *n && strlen(n) <= 6 && strspn(n, "0123456789") == strlen(n)) {
				d->restart_max = atoi(n);
				return 0;
			}
		}
	}
	ERR(c, v, "%s: %s: expected no, always, on-failure[:N] or unless-stopped", path, shown(v, b));
	return -1;
}

static int k_mem_limit(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	/* a YAML 1.1 int is bytes; any other scalar is compose's size string */
	if (v->type != Y_SCALAR || (yint(v, &d->mem_limit) != 0 && parse_bytes(v->str, &d->mem_limit) != 0) ||
	    d->mem_limit < 0) {
		ERR(c, v, "%s: %s: expected a size like 512m, 1g or a number of bytes", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_cpus(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80], *end;
	/* a YAML 1.1 number, or a string holding one ("0.5": compose's
	 * number|string) */
	int ok = yfloat(v, &d->cpus) == 0;

	if (!ok && v->type == Y_SCALAR && v->len) {
		d->cpus = strtod(v->str, &end);
		ok = !*end;
	}
	if (!ok || !(d->cpus >= 0.01) || d->cpus > 4096) {
		ERR(c, v, "%s: %s: expected a number of CPUs like 0.5 or 2", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_pids_limit(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (y_int(v, &d->pids_limit) != 0 || d->pids_limit < -1) {
		ERR(c, v, "%s: %s: expected a number of processes, or -1 for no limit", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_user(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	const char *colon;
	char b[80];

	if (set_str(c, v, path, &d->user) != 0)
		return -1;
	colon = strchr(d->user, ':');
	if (!*d->user || d->user[0] == ':' || (colon && (!colon[1] || strchr(colon + 1, ':'))) ||
	    strpbrk(d->user, " \t\n/")) {
		ERR(c, v, "%s: %s: expected USER or USER:GROUP (names or numbers)", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_working_dir(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (set_str(c, v, path, &d->working_dir) != 0)
		return -1;
	if (d->working_dir[0] != '/') {
		ERR(c, v, "%s: %s: expected an absolute path", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_read_only(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (y_bool(v, &d->read_only) != 0) {
		ERR(c, v, "%s: %s: expected true or false", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int caps(struct ctx *c, const struct ynode *v, const char *path, struct strv *dst)
{
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	strv_free(dst);
	for (size_t i = 0; i < v->n; i++) {
		char cap[40], b[80];

		if (v->kids[i]->type != Y_SCALAR ||
		    compose_cap_normalize(v->kids[i]->str, cap, sizeof cap) != 0) {
			ERR(c, v->kids[i], "%s[%zu]: %s: expected a capability name like NET_ADMIN or ALL",
			    path, i, shown(v->kids[i], b));
			return -1;
		}
		if (strv_push(dst, cap) != 0)
			return -1;
	}
	return 0;
}

static int k_cap_add(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return caps(c, v, path, &d->cap_add);
}

static int k_cap_drop(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return caps(c, v, path, &d->cap_drop);
}

static int k_network_mode(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (v->type == Y_SCALAR && strcmp(v->str, "host") == 0)
		d->network_mode = NETWORK_HOST;
	else if (v->type == Y_SCALAR && strcmp(v->str, "bridge") == 0)
		d->network_mode = NETWORK_BRIDGE;
	else if (v->type == Y_SCALAR && strcmp(v->str, "none") == 0)
		d->network_mode = NETWORK_NONE;
	else {
		ERR(c, v, "%s: %s: expected host, bridge or none", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_pull_policy(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (v->type == Y_SCALAR && (strcmp(v->str, "missing") == 0 || strcmp(v->str, "if_not_present") == 0))
		d->pull = PULL_MISSING;
	else if (v->type == Y_SCALAR && strcmp(v->str, "always") == 0)
		d->pull = PULL_ALWAYS;
	else if (v->type == Y_SCALAR && strcmp(v->str, "never") == 0)
		d->pull = PULL_NEVER;
	else if (v->type == Y_SCALAR && strcmp(v->str, "build") == 0) {
		ERR(c, v, "%s: build: Berth builds no images; use missing, always or never", path);
		return -1;
	} else if (v->type == Y_SCALAR && (strcmp(v->str, "daily") == 0 || strcmp(v->str, "weekly") == 0 ||
					   strncmp(v->str, "every_", 6) == 0)) {
		ERR(c, v, "%s: %s: pulls by the image's age are not supported; use missing, always or never", path,
		    shown(v, b));
		return -1;
	} else {
		ERR(c, v, "%s: %s: expected missing, always, never or if_not_present", path, shown(v, b));
		return -1;
	}
	return 0;
}

/* the durations of healthcheck and stop_grace_period */
static int health_duration(struct ctx *c, const struct ynode *v, const char *path, long long *ms)
{
	char b[80];

	if (v->type != Y_SCALAR || parse_duration(v->str, ms) != 0) {
		ERR(c, v, "%s: %s: expected a duration like 30s, 1m30s or 500ms", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int health_test(struct ctx *c, struct healthcheck *h, const struct ynode *v, const char *path)
{
	char b[80];

	strv_free(&h->test);
	if (v->type == Y_SCALAR && !ynull(v)) {
		h->kind = HEALTH_SHELL;
		return strv_push(&h->test, v->str);
	}
	if (v->type != Y_SEQ || v->n == 0 || v->kids[0]->type != Y_SCALAR) {
		ERR(c, v, "%s: %s: expected a command string or [\"CMD\", ...], [\"CMD-SHELL\", \"...\"], [\"NONE\"]",
		    path, shown(v, b));
		return -1;
	}
	const char *first = v->kids[0]->str;
	if (strcmp(first, "NONE") == 0 && v->n == 1) {
		h->kind = HEALTH_NONE;
		return 0;
	}
	if (strcmp(first, "CMD-SHELL") == 0 && v->n == 2 && v->kids[1]->type == Y_SCALAR) {
		h->kind = HEALTH_SHELL;
		return strv_push(&h->test, v->kids[1]->str);
	}
	if (strcmp(first, "CMD") == 0 && v->n >= 2) {
		h->kind = HEALTH_CMD;
		for (size_t i = 1; i < v->n; i++) {
			char p[KP];

			kp(p, "%s[%zu]", path, i);
			const char *s = y_str(c, v->kids[i], p);
			if (!s || strv_push(&h->test, s) != 0)
				return -1;
		}
		return 0;
	}
	ERR(c, v, "%s: expected [\"CMD\", ARGS...], [\"CMD-SHELL\", \"COMMAND\"] or [\"NONE\"]", path);
	return -1;
}

static int k_healthcheck(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	struct healthcheck *h = &d->health;
	struct pairs pr;
	int r = 0, disable = 0;

	if (need_kind(c, v, Y_MAP, path) != 0)
		return -1;
	if (map_pairs(c, v, path, &pr) != 0)
		return -1;
	for (size_t i = 0; i < pr.n; i += 2) {
		const struct ynode *k = pr.kv[i], *val = pr.kv[i + 1];
		char p[KP], b[80];
		long long n;

		kp(p, "%s.%s", path, k->str);
		if (strcmp(k->str, "test") == 0)
			r |= health_test(c, h, val, p);
		else if (strcmp(k->str, "interval") == 0)
			r |= health_duration(c, val, p, &h->interval_ms);
		else if (strcmp(k->str, "timeout") == 0)
			r |= health_duration(c, val, p, &h->timeout_ms);
		else if (strcmp(k->str, "start_period") == 0)
			r |= health_duration(c, val, p, &h->start_period_ms);
		else if (strcmp(k->str, "retries") == 0) {
			if (y_int(val, &n) != 0 || n < 0 || n > 1000000) {
				ERR(c, val, "%s: %s: expected a number of retries", p, shown(val, b));
				r = -1;
			} else {
				h->retries = (int)n;
			}
		} else if (strcmp(k->str, "disable") == 0) {
			if (y_bool(val, &disable) != 0) {
				ERR(c, val, "%s: %s: expected true or false", p, shown(val, b));
				r = -1;
			}
		} else {
			WARN(c, k, "unknown key \"%s\" (ignored)", p);
		}
	}
	free(pr.kv);
	if (r == 0 && disable) {
		h->kind = HEALTH_NONE;
		strv_free(&h->test);
	}
	return r;
}

static int k_stop_signal(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (v->type != Y_SCALAR || !(d->stop_signal = compose_signal_parse(v->str))) {
		ERR(c, v, "%s: %s: expected a signal like SIGTERM, USR1 or a number 1-64", path, shown(v, b));
		return -1;
	}
	return 0;
}

static int k_stop_grace_period(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return health_duration(c, v, path, &d->stop_grace_ms);
}

static int depend_add(struct container_def *d, const char *name, const char *cond)
{
	struct depend *dep = realloc(d->depends, (d->ndepends + 1) * sizeof *dep);

	if (!dep)
		return -1;
	d->depends = dep;
	dep[d->ndepends].service = strdup(name);
	dep[d->ndepends].condition = strdup(cond);
	d->ndepends++;
	return dep[d->ndepends - 1].service && dep[d->ndepends - 1].condition ? 0 : -1;
}

static int k_depends_on(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	static const char *const conds[] = { "service_started", "service_healthy",
					     "service_completed_successfully", NULL };
	char b[80];

	if (v->type == Y_SEQ) {
		for (size_t i = 0; i < v->n; i++) {
			if (v->kids[i]->type != Y_SCALAR || !compose_valid_name(v->kids[i]->str)) {
				ERR(c, v->kids[i], "%s[%zu]: %s: expected a container name", path, i,
				    shown(v->kids[i], b));
				return -1;
			}
			if (depend_add(d, v->kids[i]->str, "service_started") != 0)
				return -1;
		}
		return 0;
	}
	if (need_kind(c, v, Y_MAP, path) != 0)
		return -1;
	struct pairs pr;
	int r = 0;
	if (map_pairs(c, v, path, &pr) != 0)
		return -1;
	for (size_t i = 0; i < pr.n && r == 0; i += 2) {
		const struct ynode *k = pr.kv[i], *val = pr.kv[i + 1];
		const char *cond = "service_started";
		char p[KP];

		kp(p, "%s.%s", path, k->str);
		if (!compose_valid_name(k->str)) {
			ERR(c, k, "%s: \"%s\": expected a container name", path, k->str);
			r = -1;
			break;
		}
		if (val->type == Y_MAP) {
			for (size_t j = 0; j + 1 < val->n && r == 0; j += 2) {
				const struct ynode *kk = val->kids[j], *vv = val->kids[j + 1];

				if (kk->type == Y_SCALAR && strcmp(kk->str, "condition") == 0) {
					if (vv->type != Y_SCALAR || !in_list(vv->str, conds)) {
						ERR(c, vv, "%s.condition: %s: expected service_started, service_healthy or service_completed_successfully",
						    p, shown(vv, b));
						r = -1;
					} else {
						cond = vv->str;
					}
				} else if (kk->type != Y_SCALAR ||
					   (strcmp(kk->str, "restart") && strcmp(kk->str, "required"))) {
					WARN(c, kk, "unknown key \"%s.%s\" (ignored)", p,
					     kk->type == Y_SCALAR ? kk->str : "?");
				}
			}
		} else if (!ynull(val)) {
			ERR(c, val, "%s: expected a mapping with condition:, got %s", p, kind_name(val));
			r = -1;
		}
		if (r == 0)
			r = depend_add(d, k->str, cond);
	}
	free(pr.kv);
	return r;
}

/* one KEY VALUE pair of a map or list key, for kv_items */
typedef int (*kv_add_fn)(struct ctx *c, struct container_def *d, const struct ynode *at, const char *path,
			 const char *key, size_t klen, const char *val);

/* {KEY: VALUE} or [KEY<sep>VALUE] (seps: the separators, the first found
 * in that order splits an item; bare: an item without one is KEY with an
 * empty value), each pair to add; what names the item form for messages */
static int kv_items(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path, const char *seps,
		    int bare, kv_add_fn add, const char *what)
{
	char p[KP];

	if (v->type == Y_MAP) {
		struct pairs pr;
		int r = 0;
		if (map_pairs(c, v, path, &pr) != 0)
			return -1;
		for (size_t i = 0; i < pr.n && r == 0; i += 2) {
			const struct ynode *val = pr.kv[i + 1];
			kp(p, "%s.%s", path, pr.kv[i]->str);
			if (val->type != Y_SCALAR || (!ynull(val) && !ystr(val))) {
				ERR(c, val, "%s: expected a value", p);
				r = -1;
				break;
			}
			r = add(c, d, pr.kv[i], p, pr.kv[i]->str, strlen(pr.kv[i]->str), ynull(val) ? "" : ystr(val));
		}
		free(pr.kv);
		return r;
	}
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = ystr(v->kids[i]), *sep = NULL;
		kp(p, "%s[%zu]", path, i);
		for (const char *x = seps; s && *x && !sep; x++)
			sep = strchr(s, *x);
		if (!s || v->kids[i]->type != Y_SCALAR || !*s || (!sep && !bare)) {
			ERR(c, v->kids[i], "%s: expected %s", p, what);
			return -1;
		}
		if (add(c, d, v->kids[i], p, s, sep ? (size_t)(sep - s) : strlen(s), sep ? sep + 1 : "") != 0)
			return -1;
	}
	return 0;
}

/* a string or a list of strings, each checked by ok (0 = fine) */
static int str_or_list(struct ctx *c, const struct ynode *v, const char *path, struct strv *out,
		       int (*ok)(const char *), const char *what)
{
	char p[KP], b[80];
	size_t n = v->type == Y_SEQ ? v->n : 1;

	if (v->type != Y_SCALAR && v->type != Y_SEQ)
		return need_kind(c, v, Y_SEQ, path);
	for (size_t i = 0; i < n; i++) {
		const struct ynode *it = v->type == Y_SEQ ? v->kids[i] : v;
		const char *s = ystr(it);
		if (v->type == Y_SEQ)
			kp(p, "%s[%zu]", path, i);
		else
			kp(p, "%s", path);
		if (!s || it->type != Y_SCALAR || ok(s) != 0) {
			ERR(c, it, "%s: %s: expected %s", p, it->type == Y_SCALAR ? shown(it, b) : "a list", what);
			return -1;
		}
		if (strv_push(out, s) != 0)
			return -1;
	}
	return 0;
}

static int addr_check(const char *s) { return ip_ok(s) ? 0 : -1; }

static int domain_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < 254 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n ? 0
													  : -1;
}

static int word_ok(const char *s) { return *s && !strpbrk(s, " \t\n") ? 0 : -1; }

static int k_dns(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return str_or_list(c, v, path, &d->dns, addr_check, "an IP address");
}

static int k_dns_search(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return str_or_list(c, v, path, &d->dns_search, domain_ok, "a domain");
}

static int k_dns_opt(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return str_or_list(c, v, path, &d->dns_opt, word_ok, "a resolver option such as ndots:2");
}

/* one extra_hosts entry: NAME:IP, NAME=IP (IPv6 may be in brackets), or IP
 * host-gateway (the host, as seen from the container) */
static int extra_host(struct ctx *c, struct container_def *d, const struct ynode *at, const char *path,
		      const char *name, size_t nlen, const char *ip)
{
	char n[256], a[64], kv[320];
	size_t il = strlen(ip);

	if (il >= 2 && ip[0] == '[' && ip[il - 1] == ']') {
		ip++;
		il -= 2;
	}
	if (nlen == 0 || nlen >= sizeof n || il >= sizeof a)
		goto bad;
	memcpy(n, name, nlen);
	n[nlen] = '\0';
	memcpy(a, ip, il);
	a[il] = '\0';
	if (domain_ok(n) != 0 || (strcmp(a, "host-gateway") != 0 && !ip_ok(a)))
		goto bad;
	snprintf(kv, sizeof kv, "%s=%s", n, a);
	return strv_push(&d->extra_hosts, kv);
bad:
	ERR(c, at, "%s: expected HOST:IP or HOST=IP (IP an address or host-gateway)", path);
	return -1;
}

static int k_extra_hosts(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	/* "=" first: an IPv6 address has ':' in it */
	return kv_items(c, d, v, path, "=:", 0, extra_host, "HOST:IP or HOST=IP (IP an address or host-gateway)");
}

const char *compose_label(const struct container_def *d, const char *key)
{
	size_t k = strlen(key);

	for (size_t i = 0; i < d->labels.n; i++)
		if (strncmp(d->labels.v[i], key, k) == 0 && d->labels.v[i][k] == '=')
			return d->labels.v[i] + k + 1;
	return NULL;
}

static int label_add(struct ctx *c, struct container_def *d, const struct ynode *at, const char *path, const char *key,
		     size_t klen, const char *val)
{
	if (klen == 0 || memchr(key, '=', klen)) {
		ERR(c, at, "%s: a label's name is not empty and has no '='", path);
		return -1;
	}
	return env_set(&d->labels, key, klen, val);
}

/* labels: {KEY: VALUE} or [KEY=VALUE] (KEY alone: empty): metadata, kept
 * and shown */
static int k_labels(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return kv_items(c, d, v, path, "=", 1, label_add, "KEY=VALUE");
}

/* expose: ports other containers may reach without a published one. On
 * Berth's networks every port of a container is reachable by the others
 * already: kept as metadata, checked as compose does */
static int k_expose(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char p[KP], b[80];

	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = ystr(v->kids[i]);
		char *end;
		unsigned long lo, hi;
		kp(p, "%s[%zu]", path, i);
		if (!s || v->kids[i]->type != Y_SCALAR)
			goto bad;
		lo = hi = strtoul(s, &end, 10);
		if (end == s)
			goto bad;
		if (*end == '-') {
			const char *h = end + 1;
			hi = strtoul(h, &end, 10);
			if (end == h)
				goto bad;
		}
		if (*end && strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 && strcmp(end, "/sctp") != 0)
			goto bad;
		if (lo < 1 || hi > 65535 || hi < lo)
			goto bad;
		if (strv_push(&d->expose, s) != 0)
			return -1;
		continue;
	bad:
		ERR(c, v->kids[i], "%s: %s: expected PORT[-PORT][/tcp|/udp]", p,
		    v->kids[i]->type == Y_SCALAR ? shown(v->kids[i], b) : "a list or mapping");
		return -1;
	}
	return 0;
}

/* pid: host and ipc: host share the host's namespace (docker's --pid and
 * --ipc); another container's is not supported yet */
static int ns_key(struct ctx *c, const struct ynode *v, const char *path, int *host, int ipc)
{
	char b[80];
	const char *s = ystr(v);

	if (s && v->type == Y_SCALAR && strcmp(s, "host") == 0) {
		*host = 1;
		return 0;
	}
	if (s && v->type == Y_SCALAR && ipc && (strcmp(s, "private") == 0 || strcmp(s, "shareable") == 0))
		return 0;
	if (s && v->type == Y_SCALAR && (strncmp(s, "service:", 8) == 0 || strncmp(s, "container:", 10) == 0))
		ERR(c, v, "%s: %s: sharing another container's namespace is not supported", path, shown(v, b));
	else
		ERR(c, v, "%s: %s: expected host%s", path, shown(v, b), ipc ? ", private or shareable" : "");
	return -1;
}

static int k_pid(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return ns_key(c, v, path, &d->pid_host, 0);
}

static int k_ipc(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return ns_key(c, v, path, &d->ipc_host, 1);
}

/* a size: a YAML 1.1 int is bytes, any other scalar compose's "512m" */
static int size_of(const struct ynode *v, long long *out)
{
	return v->type == Y_SCALAR && (yint(v, out) == 0 || parse_bytes(v->str, out) == 0) && *out >= 0 ? 0 : -1;
}

/* logging: each container's output goes to svlogd, in /var/log/berth/NAME:
 * the json-file and local drivers' max-size and max-file map onto its
 * rotation; another driver would send it somewhere Berth does not */
static int k_logging(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	const struct ynode *drv, *opts;
	char p[KP], b[80];

	if (need_kind(c, v, Y_MAP, path) != 0)
		return -1;
	drv = ymap_get(v, "driver");
	if (drv && (!ystr(drv) || (strcmp(ystr(drv), "json-file") != 0 && strcmp(ystr(drv), "local") != 0))) {
		ERR(c, drv, "%s.driver: %s: Berth keeps a container's output with svlogd (/var/log/berth/NAME); "
		    "json-file and local map onto it, another driver is refused", path, shown(drv, b));
		return -1;
	}
	for (size_t i = 0; i + 1 < v->n; i += 2)
		if (strcmp(v->kids[i]->str, "driver") != 0 && strcmp(v->kids[i]->str, "options") != 0)
			WARN(c, v->kids[i], "unknown key \"%s.%s\" (ignored)", path, v->kids[i]->str);
	if (!(opts = ymap_get(v, "options")))
		return 0;
	if (need_kind(c, opts, Y_MAP, path) != 0)
		return -1;
	for (size_t i = 0; i + 1 < opts->n; i += 2) {
		const char *k = opts->kids[i]->str;
		const struct ynode *val = opts->kids[i + 1];
		long long n;
		kp(p, "%s.options.%s", path, k);
		if (strcmp(k, "max-size") == 0) {
			if (size_of(val, &d->log_max_size) != 0 || d->log_max_size < 4096) {
				ERR(c, val, "%s: %s: expected a size of at least 4k, like 10m", p, shown(val, b));
				return -1;
			}
		} else if (strcmp(k, "max-file") == 0) {
			/* compose gives it as a string: "3" */
			const char *sv = ystr(val);
			char *end = NULL;
			n = sv ? strtoll(sv, &end, 10) : 0;
			if (!sv || !*sv || *end || n < 1 || n > 1000) {
				ERR(c, val, "%s: %s: expected a number of files, 1 to 1000", p, shown(val, b));
				return -1;
			}
			d->log_max_file = (int)n;
		} else {
			WARN(c, opts->kids[i], "%s: not applied (svlogd rotates by max-size and max-file)", p);
		}
	}
	return 0;
}

/* security_opt: no-new-privileges is what Berth always sets; any option
 * that would loosen or change confinement is refused, not dropped */
static int k_security_opt(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char p[KP], b[80];

	(void)d;
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = ystr(v->kids[i]);
		kp(p, "%s[%zu]", path, i);
		if (!s || v->kids[i]->type != Y_SCALAR) {
			ERR(c, v->kids[i], "%s: expected an option such as no-new-privileges:true", p);
			return -1;
		}
		if (strcmp(s, "no-new-privileges") == 0 || strcmp(s, "no-new-privileges:true") == 0 ||
		    strcmp(s, "no-new-privileges=true") == 0)
			continue;
		if (strncmp(s, "no-new-privileges", 17) == 0)
			ERR(c, v->kids[i], "%s: %s: Berth always sets no_new_privs: refused", p, shown(v->kids[i], b));
		else if (strncmp(s, "seccomp", 7) == 0)
			ERR(c, v->kids[i], "%s: %s: Berth's seccomp profile is always on, and another is not taken: refused", p,
			    shown(v->kids[i], b));
		else if (strncmp(s, "apparmor", 8) == 0 || strncmp(s, "label", 5) == 0)
			ERR(c, v->kids[i], "%s: %s: Berth has no AppArmor or SELinux: refused", p, shown(v->kids[i], b));
		else
			ERR(c, v->kids[i], "%s: %s: not an option Berth applies: refused", p, shown(v->kids[i], b));
		return -1;
	}
	return 0;
}

static int k_shm_size(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];

	if (size_of(v, &d->shm_size) != 0 || d->shm_size == 0) {
		ERR(c, v, "%s: %s: expected a size like 64m or 1g", path, shown(v, b));
		return -1;
	}
	return 0;
}

/* tmpfs: PATH, or a list of them; PATH:OPTIONS as docker's --tmpfs */
static int tmpfs_add(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	static const char *const flags[] = { "exec", "noexec", "ro", "rw", "nosuid", "suid", "nodev", "dev", NULL };
	const char *s = ystr(v), *colon;
	char b[80], opts[256];

	if (!s || v->type != Y_SCALAR || s[0] != '/') {
		ERR(c, v, "%s: %s: expected an absolute path[:options]", path, v->type == Y_SCALAR ? shown(v, b) : "");
		return -1;
	}
	colon = strchr(s, ':');
	if (colon) {
		char *save = NULL;
		if (snprintf(opts, sizeof opts, "%s", colon + 1) >= (int)sizeof opts)
			goto bad;
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			long long n;
			size_t k = 0;
			while (flags[k] && strcmp(flags[k], o) != 0)
				k++;
			if (flags[k])
				continue;
			if (strncmp(o, "size=", 5) == 0 && parse_bytes(o + 5, &n) == 0)
				continue;
			if (strncmp(o, "mode=", 5) == 0 && o[5] && strspn(o + 5, "01234567") == strlen(o + 5))
				continue;
			if ((strncmp(o, "uid=", 4) == 0 || strncmp(o, "gid=", 4) == 0) && o[4] &&
			    strspn(o + 4, "0123456789") == strlen(o + 4))
				continue;
			goto bad;
		}
	}
	return strv_push(&d->tmpfs, s);
bad:
	ERR(c, v, "%s: %s: options are size=N[k|m|g], mode=OCTAL, uid=N, gid=N, exec, ro", path, shown(v, b));
	return -1;
}

static int k_tmpfs(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char p[KP];

	if (v->type == Y_SCALAR)
		return tmpfs_add(c, d, v, path);
	if (need_kind(c, v, Y_SEQ, path) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		kp(p, "%s[%zu]", path, i);
		if (tmpfs_add(c, d, v->kids[i], p) != 0)
			return -1;
	}
	return 0;
}

/* deploy: of compose's (swarm's) deployment settings, one container has
 * resources: limits (memory, cpus, pids, as mem_limit, cpus, pids_limit)
 * and reservations.memory; replicas: 1 is what it is. The rest is a
 * cluster's: a warning each, or an error where the workload would go
 * without what it asked for (a device such as a GPU) */
static int k_deploy(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	struct pairs pr;
	char p[KP], b[80];
	int r = 0;

	if (need_kind(c, v, Y_MAP, path) != 0 || map_pairs(c, v, path, &pr) != 0)
		return -1;
	for (size_t i = 0; i < pr.n && r == 0; i += 2) {
		const char *k = pr.kv[i]->str;
		const struct ynode *val = pr.kv[i + 1];
		kp(p, "%s.%s", path, k);
		if (strcmp(k, "replicas") == 0) {
			long long n;
			if (y_int(val, &n) != 0 || n != 1) {
				ERR(c, val, "%s: %s: a definition is one container: replicas: 1", p, shown(val, b));
				r = -1;
			}
		} else if (strcmp(k, "resources") == 0) {
			const struct ynode *lim = ymap_get(val, "limits"), *res = ymap_get(val, "reservations"), *x;
			char q[KP];
			if (need_kind(c, val, Y_MAP, p) != 0) {
				r = -1;
				break;
			}
			for (size_t j = 0; j + 1 < val->n; j += 2)
				if (strcmp(val->kids[j]->str, "limits") != 0 && strcmp(val->kids[j]->str, "reservations") != 0)
					WARN(c, val->kids[j], "unknown key \"%s.%s\" (ignored)", p, val->kids[j]->str);
			if (lim && need_kind(c, lim, Y_MAP, p) == 0) {
				for (size_t j = 0; j + 1 < lim->n && r == 0; j += 2) {
					const char *lk = lim->kids[j]->str;
					x = lim->kids[j + 1];
					kp(q, "%s.limits.%s", p, lk);
					if (strcmp(lk, "memory") == 0)
						r = k_mem_limit(c, d, x, q);
					else if (strcmp(lk, "cpus") == 0)
						r = k_cpus(c, d, x, q);
					else if (strcmp(lk, "pids") == 0)
						r = k_pids_limit(c, d, x, q);
					else
						WARN(c, lim->kids[j], "unknown key \"%s\" (ignored)", q);
				}
			} else if (lim) {
				r = -1;
			}
			if (r == 0 && res && need_kind(c, res, Y_MAP, p) == 0) {
				for (size_t j = 0; j + 1 < res->n && r == 0; j += 2) {
					const char *rk = res->kids[j]->str;
					x = res->kids[j + 1];
					kp(q, "%s.reservations.%s", p, rk);
					if (strcmp(rk, "memory") == 0) {
						if (size_of(x, &d->mem_reservation) != 0) {
							ERR(c, x, "%s: %s: expected a size like 512m, 1g or a number of bytes", q,
							    shown(x, b));
							r = -1;
						}
					} else if (strcmp(rk, "devices") == 0 || strcmp(rk, "generic_resources") == 0) {
						ERR(c, res->kids[j], "%s: device reservations (GPUs and others) are not supported: "
						    "the container would run without them", q);
						r = -1;
					} else if (strcmp(rk, "cpus") == 0) {
						WARN(c, res->kids[j], "%s: a CPU reservation is a cluster's scheduling hint: not applied", q);
					} else {
						WARN(c, res->kids[j], "unknown key \"%s\" (ignored)", q);
					}
				}
			} else if (res && r == 0) {
				r = -1;
			}
		} else {
			WARN(c, pr.kv[i], "%s: a cluster's deployment setting (swarm): not applied", p);
		}
	}
	free(pr.kv);
	return r;
}

/* hostname: a name as RFC 1123 has it (labels of letters, digits and '-',
 * joined by '.'), 63 bytes at most, as the kernel's UTS name holds */
static int k_hostname(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	char b[80];
	const char *s;
	size_t n;

	if (set_str(c, v, path, &d->hostname) != 0)
		return -1;
	s = d->hostname;
	n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			n = 0;
	if (n == 0 || n > 63 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.' || strstr(s, "..")) {
		ERR(c, v, "%s: %s: expected a host name (letters, digits, '-' and '.', at most 63 bytes)", path,
		    shown(v, b));
		return -1;
	}
	return 0;
}

/* the kernel's namespaced sysctls, as docker allows them: a container's own
 * (its IPC, UTS or network namespace), never the host's */
static int sysctl_namespaced(const char *k)
{
	static const char *const prefixes[] = { "kernel.shm", "kernel.msg", "fs.mqueue.", "net.", NULL };

	if (strcmp(k, "kernel.sem") == 0 || strcmp(k, "kernel.domainname") == 0 || strcmp(k, "kernel.hostname") == 0)
		return 1;
	for (size_t i = 0; prefixes[i]; i++)
		if (strncmp(k, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static int sysctl_add(struct ctx *c, struct container_def *d, const struct ynode *at, const char *path,
		      const char *key, size_t klen, const char *val)
{
	char k[128], kv[512];

	if (klen == 0 || klen >= sizeof k || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789._-/") < klen) {
		ERR(c, at, "%s: expected KEY=VALUE with a sysctl name (net.core.somaxconn)", path);
		return -1;
	}
	memcpy(k, key, klen);
	k[klen] = '\0';
	for (char *p = k; *p; p++)
		if (*p == '/')
			*p = '.';
	if (!sysctl_namespaced(k)) {
		ERR(c, at, "%s: %s: not a namespaced sysctl (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*): "
		    "it would change the host, refused", path, k);
		return -1;
	}
	if (strncmp(k, "net.", 4) == 0 && d->network_mode == NETWORK_HOST) {
		ERR(c, at, "%s: %s: the container shares the host's network (network_mode: host): refused", path, k);
		return -1;
	}
	if (strlen(val) > 256 || strchr(val, '\n')) {
		ERR(c, at, "%s: %s: a value of at most 256 bytes on one line", path, k);
		return -1;
	}
	snprintf(kv, sizeof kv, "%s=%s", k, val);
	/* a later one for the same key wins */
	for (size_t i = 0; i < d->sysctls.n; i++)
		if (strncmp(d->sysctls.v[i], kv, strlen(k) + 1) == 0) {
			char *nv = strdup(kv);
			if (!nv)
				return -1;
			free(d->sysctls.v[i]);
			d->sysctls.v[i] = nv;
			return 0;
		}
	return strv_push(&d->sysctls, kv);
}

/* sysctls: {KEY: VALUE} or [KEY=VALUE] */
static int k_sysctls(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	return kv_items(c, d, v, path, "=", 0, sysctl_add, "KEY=VALUE");
}

static const char *const ulimit_names[] = { "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
					    "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending",
					    "stack", NULL };

/* ulimits: NAME: N (soft and hard), or NAME: {soft: N, hard: N}; -1 is
 * unlimited */
static int k_ulimits(struct ctx *c, struct container_def *d, const struct ynode *v, const char *path)
{
	struct pairs pr;
	char p[KP], b[80];
	int r = 0;

	if (need_kind(c, v, Y_MAP, path) != 0 || map_pairs(c, v, path, &pr) != 0)
		return -1;
	free(d->ulimits);
	d->nulimits = 0;
	if (!(d->ulimits = calloc(pr.n / 2 + 1, sizeof *d->ulimits))) {
		free(pr.kv);
		return -1;
	}
	for (size_t i = 0; i < pr.n && r == 0; i += 2) {
		const struct ynode *val = pr.kv[i + 1];
		struct ulimit *u = &d->ulimits[d->nulimits];
		size_t k = 0;
		kp(p, "%s.%s", path, pr.kv[i]->str);
		while (ulimit_names[k] && strcmp(ulimit_names[k], pr.kv[i]->str) != 0)
			k++;
		if (!ulimit_names[k]) {
			ERR(c, pr.kv[i], "%s: not a limit (nofile, nproc, memlock, core, stack, ...)", p);
			r = -1;
			break;
		}
		snprintf(u->name, sizeof u->name, "%s", ulimit_names[k]);
		if (val->type == Y_MAP) {
			const struct ynode *so = ymap_get(val, "soft"), *ha = ymap_get(val, "hard");
			if (!so || !ha || y_int(so, &u->soft) != 0 || y_int(ha, &u->hard) != 0) {
				ERR(c, val, "%s: expected {soft: N, hard: N}", p);
				r = -1;
				break;
			}
		} else if (y_int(val, &u->soft) == 0) {
			u->hard = u->soft;
		} else {
			ERR(c, val, "%s: %s: expected a number, or {soft: N, hard: N}", p, shown(val, b));
			r = -1;
			break;
		}
		if (u->soft < -1 || u->hard < -1 || (u->hard != -1 && (u->soft == -1 || u->soft > u->hard))) {
			ERR(c, val, "%s: soft %lld and hard %lld: soft may not exceed hard (-1 is unlimited)", p, u->soft,
			    u->hard);
			r = -1;
			break;
		}
		d->nulimits++;
	}
	free(pr.kv);
	return r;
}

static const struct key {
	const char *name;
	key_fn *parse;
} keys[] = {
	{ "image", k_image },
	{ "command", k_command },
	{ "entrypoint", k_entrypoint },
	/* env_file before environment whatever the order in the file:
	 * environment wins, as in compose */
	{ "env_file", k_env_file },
	{ "environment", k_environment },
	{ "ports", k_ports },
	{ "volumes", k_volumes },
	{ "restart", k_restart },
	{ "mem_limit", k_mem_limit },
	{ "cpus", k_cpus },
	{ "pids_limit", k_pids_limit },
	{ "user", k_user },
	{ "working_dir", k_working_dir },
	{ "read_only", k_read_only },
	{ "cap_add", k_cap_add },
	{ "cap_drop", k_cap_drop },
	{ "network_mode", k_network_mode },
	{ "pull_policy", k_pull_policy },
	{ "healthcheck", k_healthcheck },
	{ "stop_signal", k_stop_signal },
	{ "stop_grace_period", k_stop_grace_period },
	{ "depends_on", k_depends_on },
	{ "hostname", k_hostname },
	/* after network_mode: a net.* sysctl needs a network of its own */
	{ "sysctls", k_sysctls },
	{ "ulimits", k_ulimits },
	{ "tmpfs", k_tmpfs },
	{ "security_opt", k_security_opt },
	{ "labels", k_labels },
	{ "dns", k_dns },
	{ "dns_search", k_dns_search },
	{ "dns_opt", k_dns_opt },
	{ "extra_hosts", k_extra_hosts },
	{ "pid", k_pid },
	{ "logging", k_logging },
	{ "ipc", k_ipc },
	{ "expose", k_expose },
	{ "shm_size", k_shm_size },
	/* after mem_limit, cpus and pids_limit: the deploy limits win */
	{ "deploy", k_deploy },
};

#define NKEYS (sizeof keys / sizeof keys[0])

static void def_clear(struct container_def *d)
{
	free(d->name);
	free(d->file);
	free(d->image);
	strv_free(&d->command);
	strv_free(&d->entrypoint);
	strv_free(&d->env);
	free(d->ports);
	volumes_free(d);
	free(d->user);
	free(d->working_dir);
	strv_free(&d->cap_add);
	strv_free(&d->cap_drop);
	strv_free(&d->health.test);
	for (size_t i = 0; i < d->ndepends; i++) {
		free(d->depends[i].service);
		free(d->depends[i].condition);
	}
	free(d->depends);
	free(d->hostname);
	strv_free(&d->tmpfs);
	strv_free(&d->labels);
	strv_free(&d->dns);
	strv_free(&d->dns_search);
	strv_free(&d->dns_opt);
	strv_free(&d->extra_hosts);
	strv_free(&d->expose);
	strv_free(&d->sysctls);
	free(d->ulimits);
	memset(d, 0, sizeof *d);
}

void compose_free(struct container_def *defs, size_t ndefs)
{
	for (size_t i = 0; i < ndefs; i++)
		def_clear(&defs[i]);
	free(defs);
}

/* this machine's architecture as compose's platform names it */
static const char *machine_arch(void)
{
	struct utsname u;

	return uname(&u) == 0 && strcmp(u.machine, "aarch64") == 0 ? "arm64" : "amd64";
}

/* keys that are not a container's settings but say where it cannot run
 * here: refused with the reason, not ignored. 1 if key was one of them */
static int service_refused(struct ctx *c, const struct ynode *k, const struct ynode *v, const struct ynode *body,
			   const char *path)
{
	char sh[80];
	const char *s = ystr(v);

	if (strcmp(k->str, "build") == 0) {
		const char *image = ystr(ymap_get(body, "image"));
		if (image)
			WARN(c, k, "%s: this host does not build images: the image \"%s\" is used (build it elsewhere and "
			     "push it to a registry)", path, image);
		else
			ERR(c, k, "%s: this host does not build images: build it elsewhere, push it to a registry and "
			    "name it with image:", path);
		return 1;
	}
	if (strcmp(k->str, "platform") == 0) {
		char want[32];
		snprintf(want, sizeof want, "linux/%s", machine_arch());
		if (!s || (strcmp(s, want) != 0 && strcmp(s, machine_arch()) != 0 &&
			   !(strcmp(machine_arch(), "amd64") == 0 && strcmp(s, "linux/x86_64") == 0)))
			ERR(c, v, "%s: %s: this host runs %s images only", path, shown(v, sh), want);
		return 1;
	}
	if (strcmp(k->str, "runtime") == 0) {
		if (!s || (strcmp(s, "runc") != 0 && strcmp(s, "crun") != 0))
			ERR(c, v, "%s: %s: Berth runs containers with crun (an OCI runtime as runc is) only", path,
			    shown(v, sh));
		return 1;
	}
	return 0;
}

/* one service body; 0 if it is usable */
static int service_parse(struct ctx *c, const char *name, const struct ynode *body,
			 const char *prefix, struct container_def *d)
{
	struct pairs pr;
	int errors = c->errors, found[NKEYS] = { 0 };

	memset(d, 0, sizeof *d);
	d->health.kind = HEALTH_UNSET;
	d->health.interval_ms = d->health.timeout_ms = d->health.start_period_ms = -1;
	d->health.retries = -1;
	d->stop_grace_ms = -1;
	d->line = body->line;
	c->name = name;
	if (!(d->name = strdup(name)) || !(d->file = strdup(c->file)))
		return -1;
	if (body->type != Y_MAP) {
		ERR(c, body, "%s%sexpected a mapping of service keys, got %s", prefix,
		    *prefix ? ": " : "", ynull(body) ? "null" : kind_name(body));
		return -1;
	}
	if (map_pairs(c, body, prefix, &pr) != 0)
		return -1;
	for (size_t i = 0; i < pr.n; i += 2) {
		size_t k;

		for (k = 0; k < NKEYS; k++)
			if (strcmp(pr.kv[i]->str, keys[k].name) == 0)
				break;
		if (k < NKEYS) {
			found[k] = (int)i + 1;
		} else if (strncmp(pr.kv[i]->str, "x-", 2) != 0) {
			char path[KP];
			kp(path, "%s%s%s", prefix, *prefix ? "." : "", pr.kv[i]->str);
			if (service_refused(c, pr.kv[i], pr.kv[i + 1], body, path))
				continue;
			WARN(c, pr.kv[i], "unknown key \"%s%s%s\" (ignored)", prefix, *prefix ? "." : "",
			     pr.kv[i]->str);
		}
	}
	/* in table order, so env_file is read before environment */
	for (size_t k = 0; k < NKEYS; k++) {
		char path[KP];

		if (!found[k])
			continue;
		kp(path, "%s%s%s", prefix, *prefix ? "." : "", keys[k].name);
		keys[k].parse(c, d, pr.kv[found[k]], path);
	}
	free(pr.kv);
	if (c->errors == errors && !d->image)
		ERR(c, body, "%s%sno image: key", prefix, *prefix ? ": " : "");
	return c->errors == errors ? 0 : -1;
}

static int defs_add(struct container_def **defs, size_t *n, struct container_def *d)
{
	struct container_def *a = realloc(*defs, (*n + 1) * sizeof *a);

	if (!a)
		return -1;
	*defs = a;
	a[(*n)++] = *d;
	return 0;
}

/* ---- interpolation (the compose specification's "Interpolation") ----
 * Every value (not a key) may name variables: ${VAR}, $VAR, ${VAR:-default}
 * (unset or empty), ${VAR-default} (unset), ${VAR:?error}, ${VAR?error},
 * ${VAR:+alternative}, ${VAR+alternative}; $$ is a '$'. A default, error
 * or alternative may itself name variables. Values come from berth's
 * environment, then from .env beside the file. An unset variable without
 * a default is a warning and an empty string, as compose makes it. */
#define INTERP_DEPTH 8
#define INTERP_MAX (64 * 1024)

struct sbuf {
	char *p;
	size_t n, cap;
	int full;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (b->n + n + 1 > INTERP_MAX) {
		b->full = 1;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *np;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(np = realloc(b->p, cap))) {
			b->full = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int name_start(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; }
static int name_char(char ch) { return name_start(ch) || (ch >= '0' && ch <= '9'); }

/* the environment's value of name[0..n-1], else .env's, else NULL */
static const char *var_get(const struct strv *dotenv, const char *name, size_t n)
{
	char key[256];
	const char *v = NULL;

	if (n >= sizeof key)
		return NULL;
	memcpy(key, name, n);
	key[n] = '\0';
	if ((v = getenv(key)))
		return v;
	for (size_t i = 0; i < dotenv->n; i++)
		if (strncmp(dotenv->v[i], key, n) == 0 && dotenv->v[i][n] == '=')
			v = dotenv->v[i] + n + 1;
	return v;
}

static int interp(struct ctx *c, const struct ynode *at, const char *path, const struct strv *dv, const char *s,
		  size_t len, struct sbuf *out, int depth);

/* the value is not shown: it may be a password */
static int interp_bad(struct ctx *c, const struct ynode *at, const char *path, const char *where)
{
	ERR(c, at, "%s: invalid interpolation at byte %zu of the value: a '$' starts ${VAR}, $VAR or $$ (write $$ for "
	    "a '$')", path, (size_t)(where - at->str) + 1);
	return -1;
}

/* ${...}: body[0..n-1] is what is between the braces */
static int interp_braced(struct ctx *c, const struct ynode *at, const char *path, const struct strv *dv,
			 const char *body, size_t n, struct sbuf *out, int depth)
{
	size_t k = 0;
	const char *val, *word;
	size_t wlen;
	int colon = 0;
	char op = 0;

	if (n == 0 || !name_start(body[0]))
		return interp_bad(c, at, path, body - 2);
	while (k < n && name_char(body[k]))
		k++;
	val = var_get(dv, body, k);
	if (k < n) {
		if (body[k] == ':') {
			colon = 1;
			k++;
		}
		if (k >= n || !strchr("-?+", body[k]))
			return interp_bad(c, at, path, body - 2);
		op = body[k++];
	}
	word = body + k;
	wlen = n - k;
	if (!op) {
		if (!val)
			WARN(c, at, "%s: variable %.*s is not set: an empty string", path, (int)k, body);
		sb_add(out, val ? val : "", val ? strlen(val) : 0);
		return 0;
	}
	{
		size_t nl = (size_t)(colon ? k - 2 : k - 1);
		int unset = !val || (colon && !*val);
		if (op == '-') {
			if (!unset) {
				sb_add(out, val, strlen(val));
				return 0;
			}
			return interp(c, at, path, dv, word, wlen, out, depth + 1);
		}
		if (op == '+')
			return unset ? 0 : interp(c, at, path, dv, word, wlen, out, depth + 1);
		/* '?': required */
		if (!unset) {
			sb_add(out, val, strlen(val));
			return 0;
		}
		{
			struct sbuf msg = { 0 };
			int r = interp(c, at, path, dv, word, wlen, &msg, depth + 1);
			if (r == 0)
				ERR(c, at, "%s: required variable %.*s is %s%s%s", path, (int)nl, body,
				    val ? "empty" : "not set", msg.n ? ": " : "", msg.n ? msg.p : "");
			free(msg.p);
			return -1;
		}
	}
}

static int interp(struct ctx *c, const struct ynode *at, const char *path, const struct strv *dv, const char *s,
		  size_t len, struct sbuf *out, int depth)
{
	if (depth > INTERP_DEPTH) {
		ERR(c, at, "%s: interpolation nested more than %d deep", path, INTERP_DEPTH);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		size_t j;
		if (s[i] != '$') {
			for (j = i; j < len && s[j] != '$'; j++)
				;
			sb_add(out, s + i, j - i);
			i = j;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '$') {
			sb_add(out, "$", 1);
			i += 2;
		} else if (i + 1 < len && s[i + 1] == '{') {
			int open = 1;
			for (j = i + 2; j < len && open; j++) {
				if (s[j] == '$' && j + 1 < len && s[j + 1] == '{') {
					open++;
					j++;
				} else if (s[j] == '}') {
					open--;
				}
			}
			if (open)
				return interp_bad(c, at, path, s + i);
			if (interp_braced(c, at, path, dv, s + i + 2, j - 1 - (i + 2), out, depth) < 0)
				return -1;
			i = j;
		} else if (i + 1 < len && name_start(s[i + 1])) {
			const char *val;
			for (j = i + 1; j < len && name_char(s[j]); j++)
				;
			val = var_get(dv, s + i + 1, j - i - 1);
			if (!val)
				WARN(c, at, "%s: variable %.*s is not set: an empty string", path, (int)(j - i - 1), s + i + 1);
			sb_add(out, val ? val : "", val ? strlen(val) : 0);
			i = j;
		} else {
			return interp_bad(c, at, path, s + i);
		}
	}
	return 0;
}

/* every scalar value below n, in place; path is n's key path */
static void interp_tree(struct ctx *c, struct ynode *n, const char *path, const struct strv *dv)
{
	char sub[KP];

	if (n->type == Y_SCALAR) {
		struct sbuf out = { 0 };
		if (!n->str || !memchr(n->str, '$', n->len))
			return;
		if (interp(c, n, path, dv, n->str, n->len, &out, 0) == 0) {
			if (out.full)
				ERR(c, n, "%s: more than %d bytes once interpolated", path, INTERP_MAX);
			else {
				free(n->str);
				n->str = out.p ? out.p : strdup("");
				n->len = out.n;
				out.p = NULL;
				/* a string now, as compose-go has it: "" is empty, not
				 * null, and a typed key reads "true" or "80" as it
				 * reads them quoted */
				n->plain = 0;
			}
		}
		free(out.p);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == Y_MAP) {
			if (i % 2 == 0)
				continue;
			kp(sub, "%s%s%s", path, path[0] ? "." : "", ystr(n->kids[i - 1]) ? ystr(n->kids[i - 1]) : "?");
		} else {
			kp(sub, "%s[%zu]", path, i);
		}
		interp_tree(c, n->kids[i], sub, dv);
	}
}

/* .env beside the file: KEY=VALUE lines, as env_file reads them */
static int dotenv_read(struct ctx *c, const struct ynode *root, struct strv *out)
{
	struct container_def tmp;
	int r;

	memset(&tmp, 0, sizeof tmp);
	r = env_file_read(c, &tmp, root, ".env", ".env", 0);
	*out = tmp.env;
	return r;
}

int compose_parse(const char *file, const char *name_hint, const char *buf, size_t len,
		  struct container_def **defs, size_t *ndefs)
{
	struct ctx c = { .file = file };
	struct ynode *root;
	const struct ynode *services = NULL;
	char err[1024];
	struct container_def d;

	*defs = NULL;
	*ndefs = 0;
	if (len > COMPOSE_MAX_BYTES) {
		fprintf(stderr, "%s: larger than %d bytes\n", file, COMPOSE_MAX_BYTES);
		return 1;
	}
	if (!(root = yaml_load(file, buf, len, err, sizeof err)) && err[0]) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!root || ynull(root)) {
		fprintf(stderr, "%s:1: empty definition\n", file);
		ynode_free(root);
		return 1;
	}
	{
		struct strv dotenv = { 0 };
		if (dotenv_read(&c, root, &dotenv) == 0)
			interp_tree(&c, root, "", &dotenv);
		strv_free(&dotenv);
		if (c.errors) {
			ynode_free(root);
			return c.errors;
		}
	}
	if (root->type == Y_MAP) {
		for (size_t i = 0; i + 1 < root->n; i += 2)
			if (root->kids[i]->type == Y_SCALAR && strcmp(root->kids[i]->str, "services") == 0)
				services = root->kids[i + 1];
	}
	if (!services) {
		if (!name_hint || !compose_valid_name(name_hint)) {
			fprintf(stderr, "%s:1: a container name is made of letters, digits, '_', '.', '-' (from the file name)\n",
				file);
			ynode_free(root);
			return 1;
		}
		if (service_parse(&c, name_hint, root, "", &d) == 0 && defs_add(defs, ndefs, &d) == 0)
			goto out;
		def_clear(&d);
		if (!c.errors)
			c.errors++;
		goto out;
	}
	/* a full compose file: each service; other top-level sections are
	 * compose's project-wide settings, which Berth has no use for */
	for (size_t i = 0; i + 1 < root->n; i += 2) {
		const struct ynode *k = root->kids[i];
		static const char *const quiet[] = { "services", "version", "name", "volumes", NULL };

		if (k->type == Y_SCALAR && !in_list(k->str, quiet) && strncmp(k->str, "x-", 2) != 0)
			WARN(&c, k, "unknown key \"%s\" (ignored)", k->str);
	}
	if (need_kind(&c, services, Y_MAP, "services") != 0)
		goto out;
	struct pairs pr;
	if (map_pairs(&c, services, "services", &pr) == 0) {
		for (size_t i = 0; i < pr.n; i += 2) {
			const char *name = pr.kv[i]->str;
			char prefix[KP];

			kp(prefix, "services.%s", name);
			if (!compose_valid_name(name)) {
				ERR(&c, pr.kv[i], "services: \"%s\": expected a container name (letters, digits, '_', '.', '-')",
				    name);
				continue;
			}
			int before = c.errors;
			if (service_parse(&c, name, pr.kv[i + 1], prefix, &d) == 0 &&
			    defs_add(defs, ndefs, &d) == 0)
				continue;
			def_clear(&d);
			if (c.errors == before)
				c.errors++;
		}
	}
	free(pr.kv);
out:
	ynode_free(root);
	return c.errors;
}

int compose_load(const char *path, struct container_def **defs, size_t *ndefs)
{
	char name[64], *buf;
	struct stat st;
	size_t len = 0;
	int fd, r;

	*defs = NULL;
	*ndefs = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > COMPOSE_MAX_BYTES) {
		fprintf(stderr, "%s: expected a regular file of at most %d bytes\n", path, COMPOSE_MAX_BYTES);
		close(fd);
		return -1;
	}
	buf = fd_read_alloc(fd, COMPOSE_MAX_BYTES, &len);
	close(fd);
	if (!buf) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (compose_name_from_path(path, name, sizeof name) != 0)
		name[0] = 0;
	r = compose_parse(path, name, buf, len, defs, ndefs);
	free(buf);
	return r;
}

/* ---- for project.c (model.h) ---- */

int compose_interp(const char *file, struct ynode *root, const struct strv *vars)
{
	struct ctx c = { .file = file };

	interp_tree(&c, root, "", vars);
	return c.errors;
}

int compose_service_def(const char *file, const char *name, const struct ynode *body, const char *prefix,
			struct container_def *d)
{
	struct ctx c = { .file = file };
	int r = service_parse(&c, name, body, prefix, d);

	if (r != 0) {
		def_clear(d);
		return c.errors ? c.errors : 1;
	}
	return 0;
}

void compose_def_clear(struct container_def *d)
{
	def_clear(d);
}

int compose_env_file(const char *file, const struct ynode *at, const char *path, const char *name, int required,
		     struct strv *env)
{
	struct ctx c = { .file = file };
	struct container_def tmp;
	int r;

	memset(&tmp, 0, sizeof tmp);
	tmp.env = *env;
	r = env_file_read(&c, &tmp, at, path, name, required);
	*env = tmp.env;
	return r;
}
