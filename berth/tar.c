/* The tar reader: see tar.h. Offsets in messages are of the entry's first
 * header, so `dd skip=` finds it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "tar.h"

#define BLOCK 512

struct header {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8];
	char typeflag, linkname[100], magic[6], version[2], uname[32], gname[32];
	char devmajor[8], devminor[8], prefix[155], pad[12];
};

/* what pax and GNU headers set for the next entry */
struct pending {
	char *path, *link;
	int has_size, has_uid, has_gid, has_mtime;
	uint64_t size, uid, gid;
	struct timespec mtime;
	size_t nxattrs;
	struct tar_xattr xattrs[TAR_XATTRS_MAX];
};

void tar_init(struct tar *t, struct stream *in, int strict_end, struct err *e)
{
	memset(t, 0, sizeof *t);
	t->in = in;
	t->err = e;
	t->strict_end = strict_end;
}

static void xattrs_free(struct tar_xattr *x, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	*n = 0;
}

static void entry_clear(struct tar_entry *e)
{
	free(e->path);
	free(e->link);
	xattrs_free(e->xattrs, &e->nxattrs);
	memset(e, 0, sizeof *e);
}

void tar_free(struct tar *t) { entry_clear(&t->e); }

static void pending_free(struct pending *p)
{
	free(p->path);
	free(p->link);
	xattrs_free(p->xattrs, &p->nxattrs);
}

static int bad(struct tar *t, uint64_t off, const char *what)
{
	return fail(t->err, 1, "tar: %s (tar offset %llu)", what, (unsigned long long)off);
}

/* read n bytes of the archive; a short read means the archive was cut */
static int take(struct tar *t, void *buf, size_t n, uint64_t off)
{
	int r = stream_full(t->in, buf, n, "tar");

	if (r == 0)
		return bad(t, off, "archive ends in the middle of an entry: truncated");
	if (r < 0)
		return -1;
	t->pos += n;
	return 0;
}

static int skip(struct tar *t, uint64_t n, uint64_t off)
{
	char buf[8192];

	while (n > 0) {
		size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
		if (take(t, buf, k, off) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* an octal field (NUL or space terminated) or GNU base-256 */
static int number(const char *f, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if ((unsigned char)f[0] & 0x80) {
		if ((unsigned char)f[0] != 0x80)
			return -1; /* negative, or more than 64 bits */
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | (unsigned char)f[i];
		}
	} else {
		while (i < len && f[i] == ' ')
			i++;
		for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
			if (v >> 60)
				return -1;
			v = v << 3 | (uint64_t)(f[i] - '0');
		}
		for (; i < len; i++)
			if (f[i] != ' ' && f[i] != '\0')
				return -1;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int checksum_ok(const unsigned char *b)
{
	uint64_t want;
	unsigned long usum = 0;
	long ssum = 0;

	if (number((const char *)b + 148, 8, UINT32_MAX, &want) < 0)
		return 0;
	for (int i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
		usum += c;
		ssum += (signed char)c;
	}
	/* some old writers summed signed chars */
	return usum == want || (unsigned long)ssum == want;
}

static char *field(const char *f, size_t len)
{
	size_t n = strnlen(f, len);
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, f, n);
		s[n] = '\0';
	}
	return s;
}

/* "12.5" as a timespec; pax allows a fraction */
static int pax_time(const char *v, struct timespec *ts)
{
	char *end;
	long long s;
	long ns = 0;

	errno = 0;
	s = strtoll(v, &end, 10);
	if (errno || end == v || s < 0)
		return -1;
	if (*end == '.') {
		long scale = 100000000;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			ns += (*end - '0') * scale;
	}
	if (*end)
		return -1;
	ts->tv_sec = (time_t)s;
	ts->tv_nsec = ns;
	return 0;
}

static int pax_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*out = x;
	return 0;
}

/* one "LEN KEY=VALUE\n" record after another */
static int pax_parse(struct tar *t, char *buf, size_t len, struct pending *p, uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		char *rec = buf + i, *end, *key, *eq, *val;
		size_t reclen = 0, j = 0, vlen;

		while (i + j < len && rec[j] >= '0' && rec[j] <= '9' && j < 8)
			reclen = reclen * 10 + (size_t)(rec[j++] - '0');
		if (j == 0 || i + j >= len || rec[j] != ' ' || reclen <= j + 1 || reclen > len - i ||
		    rec[reclen - 1] != '\n')
			return bad(t, off, "malformed pax extended header record");
		end = rec + reclen - 1;
		*end = '\0';
		key = rec + j + 1;
		eq = memchr(key, '=', (size_t)(end - key));
		if (!eq)
			return bad(t, off, "pax record without '='");
		*eq = '\0';
		val = eq + 1;
		vlen = (size_t)(end - val);
		i += reclen;

		if (strcmp(key, "path") == 0 || strcmp(key, "linkpath") == 0) {
			char **dst = key[0] == 'p' ? &p->path : &p->link;
			if (vlen >= TAR_PATH_MAX || memchr(val, '\0', vlen))
				return bad(t, off, "pax path longer than 4096 bytes or with a NUL");
			free(*dst);
			if (!(*dst = strdup(val)))
				return fail_errno(t->err, "tar");
		} else if (strcmp(key, "size") == 0) {
			if (pax_u64(val, INT64_MAX, &p->size) < 0)
				return bad(t, off, "pax size is not a number");
			p->has_size = 1;
		} else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
			uint64_t *dst = key[0] == 'u' ? &p->uid : &p->gid;
			if (pax_u64(val, UINT32_MAX - 1, dst) < 0)
				return bad(t, off, "pax uid/gid is not a number below 2^32-1");
			*(key[0] == 'u' ? &p->has_uid : &p->has_gid) = 1;
		} else if (strcmp(key, "mtime") == 0) {
			if (pax_time(val, &p->mtime) < 0)
				return bad(t, off, "pax mtime is not a time");
			p->has_mtime = 1;
		} else if (strncmp(key, "SCHILY.xattr.", 13) == 0) {
			struct tar_xattr *x;
			if (p->nxattrs == TAR_XATTRS_MAX)
				return bad(t, off, "more than 64 xattrs on one entry");
			if (vlen > TAR_XATTR_VALUE_MAX || strlen(key + 13) == 0 || strlen(key + 13) > 255)
				return bad(t, off, "xattr name or value too long");
			x = &p->xattrs[p->nxattrs];
			x->name = strdup(key + 13);
			x->value = malloc(vlen ? vlen : 1);
			if (!x->name || !x->value) {
				free(x->name);
				free(x->value);
				return fail_errno(t->err, "tar");
			}
			memcpy(x->value, val, vlen);
			x->len = vlen;
			p->nxattrs++;
		}
		/* atime, ctime, uname, gname, comments and vendor keys: not kept */
	}
	return 0;
}

/* the data of a pax or GNU long-name header, NUL-terminated */
static char *meta_data(struct tar *t, uint64_t size, uint64_t off)
{
	char *buf;

	if (size > TAR_PAX_MAX) {
		bad(t, off, "extended header larger than 1 MiB");
		return NULL;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		fail_errno(t->err, "tar");
		return NULL;
	}
	if (take(t, buf, (size_t)size, off) < 0 || skip(t, (BLOCK - size % BLOCK) % BLOCK, off) < 0) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	return buf;
}

static int is_zero(const unsigned char *b)
{
	for (int i = 0; i < BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

static int finish(struct tar *t, struct pending *p, const struct header *h, uint64_t off)
{
	struct tar_entry *e = &t->e;
	uint64_t v;
	int ustar = memcmp(h->magic, "ustar\0", 6) == 0;

	switch (h->typeflag) {
	case '0': case '\0': case '7': e->type = TAR_FILE; break;
	case '1': e->type = TAR_HARDLINK; break;
	case '2': e->type = TAR_SYMLINK; break;
	case '3': e->type = TAR_CHAR; break;
	case '4': e->type = TAR_BLOCK; break;
	case '5': e->type = TAR_DIR; break;
	case '6': e->type = TAR_FIFO; break;
	default: {
		char what[64];
		snprintf(what, sizeof what, "unsupported entry type '%c'",
			 h->typeflag >= 32 && h->typeflag < 127 ? h->typeflag : '?');
		return bad(t, off, what);
	}
	}
	if (p->path) {
		e->path = p->path;
		p->path = NULL;
	} else if (ustar && h->prefix[0]) {
		char *pre = field(h->prefix, sizeof h->prefix), *name = field(h->name, sizeof h->name);
		if (pre && name && asprintf(&e->path, "%s/%s", pre, name) < 0)
			e->path = NULL;
		free(pre);
		free(name);
	} else {
		e->path = field(h->name, sizeof h->name);
	}
	if (p->link) {
		e->link = p->link;
		p->link = NULL;
	} else {
		e->link = field(h->linkname, sizeof h->linkname);
	}
	if (!e->path || !e->link)
		return fail_errno(t->err, "tar");
	if (e->path[0] == '\0')
		return bad(t, off, "entry without a name");

	if (number(h->mode, sizeof h->mode, 07777777, &v) < 0)
		return bad(t, off, "mode field is not octal");
	e->mode = (mode_t)(v & 07777);
	if (p->has_uid)
		e->uid = (uid_t)p->uid;
	else if (number(h->uid, sizeof h->uid, UINT32_MAX - 1, &v) < 0)
		return bad(t, off, "uid field is not a number");
	else
		e->uid = (uid_t)v;
	if (p->has_gid)
		e->gid = (gid_t)p->gid;
	else if (number(h->gid, sizeof h->gid, UINT32_MAX - 1, &v) < 0)
		return bad(t, off, "gid field is not a number");
	else
		e->gid = (gid_t)v;
	if (p->has_mtime) {
		e->mtime = p->mtime;
	} else if (number(h->mtime, sizeof h->mtime, INT64_MAX, &v) < 0) {
		return bad(t, off, "mtime field is not a number");
	} else {
		e->mtime.tv_sec = (time_t)v;
		e->mtime.tv_nsec = 0;
	}
	if (p->has_size)
		e->size = p->size;
	else if (number(h->size, sizeof h->size, INT64_MAX, &e->size) < 0)
		return bad(t, off, "size field is not a number");
	if (e->type == TAR_CHAR || e->type == TAR_BLOCK) {
		uint64_t ma, mi;
		if (number(h->devmajor, sizeof h->devmajor, 0xfff, &ma) < 0 ||
		    number(h->devminor, sizeof h->devminor, 0xfffff, &mi) < 0)
			return bad(t, off, "device number out of range");
		e->devmajor = (unsigned)ma;
		e->devminor = (unsigned)mi;
	}
	/* only regular files carry data; anything else's size is skipped */
	t->left = e->size;
	t->pad = (BLOCK - e->size % BLOCK) % BLOCK;
	if (e->type != TAR_FILE) {
		if (skip(t, t->left + t->pad, off) < 0)
			return -1;
		t->left = t->pad = 0;
		e->size = 0;
	}
	memcpy(e->xattrs, p->xattrs, p->nxattrs * sizeof p->xattrs[0]);
	e->nxattrs = p->nxattrs;
	p->nxattrs = 0;
	if ((e->type == TAR_HARDLINK || e->type == TAR_SYMLINK) && e->link[0] == '\0')
		return bad(t, off, "link without a target");
	return 1;
}

int tar_next(struct tar *t)
{
	struct pending p = { 0 };
	unsigned char b[BLOCK];
	uint64_t first = 0;
	int have_first = 0, r;

	entry_clear(&t->e);
	if (skip(t, t->left + t->pad, t->pos) < 0)
		return -1;
	t->left = t->pad = 0;
	for (;;) {
		const struct header *h = (const struct header *)b;
		uint64_t off = t->pos, size;

		if (!have_first) {
			first = off;
			have_first = 1;
		}
		r = stream_full(t->in, b, BLOCK, "tar");
		if (r < 0)
			goto out;
		if (r == 0) {
			if (first != off || t->strict_end) {
				r = bad(t, off, "archive ends without its end marker: truncated");
				goto out;
			}
			r = 0;
			goto out;
		}
		t->pos += BLOCK;
		if (is_zero(b)) {
			if (first != off) {
				r = bad(t, off, "end marker after an extended header");
				goto out;
			}
			r = 0; /* the second zero block, if any, is the caller's to drain */
			goto out;
		}
		if (!checksum_ok(b)) {
			r = bad(t, off, "header checksum mismatch");
			goto out;
		}
		if (h->typeflag != 'x' && h->typeflag != 'g' && h->typeflag != 'L' && h->typeflag != 'K') {
			t->e.offset = first;
			r = finish(t, &p, h, first);
			goto out;
		}
		if (number(h->size, sizeof h->size, INT64_MAX, &size) < 0) {
			r = bad(t, off, "size field is not a number");
			goto out;
		}
		char *data = meta_data(t, size, off);
		if (!data) {
			r = -1;
			goto out;
		}
		if (h->typeflag == 'x') {
			r = pax_parse(t, data, (size_t)size, &p, off);
		} else if (h->typeflag == 'L' || h->typeflag == 'K') {
			char **dst = h->typeflag == 'L' ? &p.path : &p.link;
			r = 0;
			if (strlen(data) >= TAR_PATH_MAX) {
				r = bad(t, off, "GNU long name longer than 4096 bytes");
			} else {
				free(*dst);
				*dst = data;
				data = NULL;
			}
		} else {
			r = 0; /* global pax headers: nothing Berth keeps */
		}
		free(data);
		if (r < 0)
			goto out;
	}
out:
	pending_free(&p);
	return r;
}

ssize_t tar_read(struct tar *t, void *buf, size_t n)
{
	if (t->left == 0)
		return 0;
	if (n > t->left)
		n = (size_t)t->left;
	if (take(t, buf, n, t->e.offset) < 0)
		return -1;
	t->left -= n;
	return (ssize_t)n;
}
