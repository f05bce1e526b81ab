/* The tar reader: see lib/tar.h. Offsets in messages are of the entry's first
 * header, so `dd skip=` finds it.
 * GNU tar's pax sparse files (its manual, "GNU sparse formats"): 0.0 lists
 * the map as repeated GNU.sparse.offset/GNU.sparse.numbytes records, 0.1 as
 * GNU.sparse.map=off,len,..., both with the real size in GNU.sparse.size;
 * 1.0 says GNU.sparse.major=1, GNU.sparse.minor=0 and GNU.sparse.realsize
 * and puts the map before the data: decimal numbers one a line (a count,
 * then offset and length pairs), padded to a block. 0.1 and 1.0 store the
 * entry as GNUSparseFile.<pid>/NAME with the real name in GNU.sparse.name. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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
	/* GNU.sparse.*: any seen, the version, real size, name and a pax map */
	int sparse, has_major, has_minor, has_realsize, has_numblocks;
	int has_map;          /* 1: GNU.sparse.offset records (0.0), 2: GNU.sparse.map */
	int want_len;         /* 0.0: an offset waits for its numbytes */
	uint64_t major, minor, realsize, numblocks;
	const char *sparse_why;
	char *sparse_name;
	size_t nchunks, capchunks;
	struct tar_chunk *chunks;
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
	free(e->chunks);
	xattrs_free(e->xattrs, &e->nxattrs);
	memset(e, 0, sizeof *e);
}

void tar_free(struct tar *t) { entry_clear(&t->e); }

static void pending_free(struct pending *p)
{
	free(p->path);
	free(p->link);
	free(p->sparse_name);
	free(p->chunks);
	xattrs_free(p->xattrs, &p->nxattrs);
}

static int bad(struct tar *t, uint64_t off, const char *what)
{
	return fail(t->err, 1, "tar: %s (tar offset %llu)", what, (unsigned long long)off);
}

/* the same, naming the entry */
static int __attribute__((format(printf, 4, 5)))
bad_entry(struct tar *t, uint64_t off, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return fail(t->err, 1, "tar: entry \"%.200s\": %s (tar offset %llu)", path, what, (unsigned long long)off);
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

/* GNU.sparse.* records are checked as they come but refused only by
 * finish(), which knows the entry's name: p->sparse_why keeps the first
 * problem. -1 only when the host fails (out of memory). */
static int sparse_bad(struct pending *p, const char *why)
{
	if (!p->sparse_why)
		p->sparse_why = why;
	return 0;
}

/* one more chunk of a pax sparse map, its length still to come */
static int chunk_add(struct tar *t, struct pending *p, uint64_t off)
{
	if (p->nchunks == p->capchunks) {
		size_t cap = p->capchunks ? 2 * p->capchunks : 16;
		struct tar_chunk *nc;
		if (p->nchunks == TAR_CHUNKS_MAX)
			return sparse_bad(p, "sparse map of more than 65536 chunks");
		if (cap > TAR_CHUNKS_MAX)
			cap = TAR_CHUNKS_MAX;
		if (!(nc = realloc(p->chunks, cap * sizeof *nc)))
			return fail_errno(t->err, "tar");
		p->chunks = nc;
		p->capchunks = cap;
	}
	p->chunks[p->nchunks++] = (struct tar_chunk){ off, 0 };
	return 0;
}

/* 0.1's GNU.sparse.map: "off,len,off,len..." */
static int sparse_map_pax(struct tar *t, struct pending *p, const char *v, size_t vlen)
{
	const char *s = v;
	size_t i = 0;

	if (memchr(v, '\0', vlen))
		return sparse_bad(p, "GNU.sparse.map with a NUL");
	for (; *s && !p->sparse_why; i++) {
		char num[21];
		size_t n = strspn(s, "0123456789");
		uint64_t x;
		if (n == 0 || n >= sizeof num)
			return sparse_bad(p, "GNU.sparse.map is not comma-separated decimal numbers");
		memcpy(num, s, n);
		num[n] = '\0';
		if (pax_u64(num, INT64_MAX, &x) < 0)
			return sparse_bad(p, "GNU.sparse.map number out of range");
		s += n;
		if (*s == ',' && *++s == '\0')
			return sparse_bad(p, "GNU.sparse.map ends in a comma");
		if (*s && s[-1] != ',')
			return sparse_bad(p, "GNU.sparse.map is not comma-separated decimal numbers");
		if (i % 2 == 1)
			p->chunks[p->nchunks - 1].len = x;
		else if (chunk_add(t, p, x) < 0)
			return -1;
	}
	if (i % 2)
		return sparse_bad(p, "GNU.sparse.map has an offset without its length");
	return 0;
}

/* a GNU.sparse.* record, key without the prefix */
static int sparse_key(struct tar *t, struct pending *p, const char *key, const char *val, size_t vlen)
{
	uint64_t v;

	p->sparse = 1;
	if (p->sparse_why)
		return 0;
	if (strcmp(key, "name") == 0) {
		if (vlen >= TAR_PATH_MAX || memchr(val, '\0', vlen))
			return sparse_bad(p, "GNU.sparse.name longer than 4096 bytes or with a NUL");
		free(p->sparse_name);
		if (!(p->sparse_name = strdup(val)))
			return fail_errno(t->err, "tar");
	} else if (strcmp(key, "major") == 0 || strcmp(key, "minor") == 0) {
		if (pax_u64(val, UINT32_MAX, &v) < 0)
			return sparse_bad(p, "GNU.sparse.major or GNU.sparse.minor is not a number");
		*(key[1] == 'a' ? &p->major : &p->minor) = v;
		*(key[1] == 'a' ? &p->has_major : &p->has_minor) = 1;
	} else if (strcmp(key, "realsize") == 0 || strcmp(key, "size") == 0) {
		if (pax_u64(val, INT64_MAX, &p->realsize) < 0)
			return sparse_bad(p, "GNU.sparse real size is not a number below 2^63");
		p->has_realsize = 1;
	} else if (strcmp(key, "numblocks") == 0) {
		if (pax_u64(val, INT64_MAX, &p->numblocks) < 0)
			return sparse_bad(p, "GNU.sparse.numblocks is not a number");
		p->has_numblocks = 1;
	} else if (strcmp(key, "offset") == 0 || strcmp(key, "numbytes") == 0) {
		/* 0.0: each offset, then its length */
		int is_off = key[0] == 'o';
		if (pax_u64(val, INT64_MAX, &v) < 0)
			return sparse_bad(p, "GNU.sparse.offset or GNU.sparse.numbytes is not a number below 2^63");
		if (p->has_map == 2)
			return sparse_bad(p, "both GNU.sparse.map and GNU.sparse.offset/numbytes");
		if (is_off == p->want_len)
			return sparse_bad(p, "GNU.sparse.offset and GNU.sparse.numbytes out of turn");
		p->has_map = 1;
		p->want_len = is_off;
		if (!is_off)
			p->chunks[p->nchunks - 1].len = v;
		else if (chunk_add(t, p, v) < 0)
			return -1;
	} else if (strcmp(key, "map") == 0) {
		if (p->has_map)
			return sparse_bad(p, "more than one sparse map in the pax header");
		p->has_map = 2;
		return sparse_map_pax(t, p, val, vlen);
	}
	/* other keys: a format Berth does not know says so in major/minor */
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
		} else if (strncmp(key, "GNU.sparse.", 11) == 0) {
			if (sparse_key(t, p, key + 11, val, vlen) < 0)
				return -1;
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

/* 1.0's map, at the start of the entry's data: a count, then offset and
 * length pairs, decimal, one a line, padded to a block; *used is its size */
static int sparse_map_data(struct tar *t, uint64_t stored, uint64_t *used, uint64_t off)
{
	struct tar_entry *e = &t->e;
	unsigned char b[BLOCK];
	uint64_t v = 0, want = 1, got = 0;
	size_t i = BLOCK;
	int digits = 0;

	while (got < want) {
		unsigned char c;
		if (i == BLOCK) {
			if (*used + BLOCK > stored)
				return bad_entry(t, off, e->path, "sparse map runs past the entry's %llu bytes of data",
						 (unsigned long long)stored);
			if (*used + BLOCK > TAR_SPARSE_MAP_MAX)
				return bad_entry(t, off, e->path, "sparse map longer than %u bytes", TAR_SPARSE_MAP_MAX);
			if (take(t, b, BLOCK, off) < 0)
				return -1;
			*used += BLOCK;
			i = 0;
		}
		c = b[i++];
		if (c >= '0' && c <= '9') {
			if (v > ((uint64_t)INT64_MAX - (uint64_t)(c - '0')) / 10)
				return bad_entry(t, off, e->path, "sparse map number out of range");
			v = v * 10 + (c - '0');
			digits++;
			continue;
		}
		if (c == '\0' && digits == 0)
			return bad_entry(t, off, e->path, "sparse map ends after %llu of its %llu numbers",
					 (unsigned long long)got, (unsigned long long)want);
		if (c != '\n' || digits == 0)
			return bad_entry(t, off, e->path, "sparse map is not decimal numbers, one a line");
		if (got == 0) {
			if (v > TAR_CHUNKS_MAX)
				return bad_entry(t, off, e->path, "sparse map of %llu chunks, more than %u",
						 (unsigned long long)v, TAR_CHUNKS_MAX);
			if (v && !(e->chunks = calloc((size_t)v, sizeof *e->chunks)))
				return fail_errno(t->err, "tar");
			e->nchunks = (size_t)v;
			want = 1 + 2 * v;
		} else if (got % 2) {
			e->chunks[got / 2].off = v;
		} else {
			e->chunks[got / 2 - 1].len = v;
		}
		got++;
		v = 0;
		digits = 0;
	}
	/* the rest of the block is padding */
	return 0;
}

/* a sparse file: its version known, its map in order and inside its real
 * size, and what the map says is stored is what is stored */
static int sparse_setup(struct tar *t, struct pending *p, uint64_t off)
{
	struct tar_entry *e = &t->e;
	uint64_t stored = e->size, used = 0, end = 0, sum = 0;
	int v1 = p->has_major && p->major == 1;

	if (p->sparse_why)
		return bad_entry(t, off, e->path, "%s", p->sparse_why);
	if (e->type != TAR_FILE)
		return bad_entry(t, off, e->path, "GNU.sparse keys on an entry that is not a regular file");
	if (p->has_major != p->has_minor)
		return bad_entry(t, off, e->path, "GNU sparse format with only one of GNU.sparse.major and .minor");
	if (p->has_major && !(p->major == 1 && p->minor == 0) && !(p->major == 0 && p->minor <= 1))
		return bad_entry(t, off, e->path, "GNU sparse format %llu.%llu: not supported (only 0.0, 0.1 and 1.0)",
				 (unsigned long long)p->major, (unsigned long long)p->minor);
	if (!p->has_realsize)
		return bad_entry(t, off, e->path, "GNU sparse file without its real size "
				 "(GNU.sparse.realsize or GNU.sparse.size)");
	if (v1 && p->has_map)
		return bad_entry(t, off, e->path, "GNU sparse 1.0 file with a map in its pax header");
	if (!v1 && !p->has_map)
		return bad_entry(t, off, e->path, "GNU sparse file without a map");
	if (p->want_len)
		return bad_entry(t, off, e->path, "GNU.sparse.offset without its GNU.sparse.numbytes");
	if (!v1 && p->has_numblocks && p->numblocks != p->nchunks)
		return bad_entry(t, off, e->path, "GNU.sparse.numblocks says %llu chunks, the map has %zu",
				 (unsigned long long)p->numblocks, p->nchunks);
	e->sparse = 1;
	e->chunks = p->chunks;
	e->nchunks = p->nchunks;
	p->chunks = NULL;
	p->nchunks = p->capchunks = 0;
	if (v1 && sparse_map_data(t, stored, &used, off) < 0)
		return -1;
	for (size_t i = 0; i < e->nchunks; i++) {
		const struct tar_chunk *c = &e->chunks[i];
		if (c->off < end)
			return bad_entry(t, off, e->path, "sparse chunk %zu (offset %llu) overlaps or precedes the one before",
					 i, (unsigned long long)c->off);
		if (c->off > p->realsize || c->len > p->realsize - c->off)
			return bad_entry(t, off, e->path,
					 "sparse chunk %zu (offset %llu, %llu bytes) runs past the real size %llu", i,
					 (unsigned long long)c->off, (unsigned long long)c->len,
					 (unsigned long long)p->realsize);
		end = c->off + c->len;
		sum += c->len;
	}
	if (sum != stored - used)
		return bad_entry(t, off, e->path, "sparse map holds %llu bytes of data, the entry stores %llu",
				 (unsigned long long)sum, (unsigned long long)(stored - used));
	e->size = p->realsize;
	t->left = sum;
	t->at = 0;
	t->chunk = 0;
	return 0;
}

static int finish(struct tar *t, struct pending *p, const struct header *h, uint64_t off)
{
	struct tar_entry *e = &t->e;
	uint64_t v;
	int ustar = memcmp(h->magic, "ustar\0", 6) == 0;

	/* 0.1 and 1.0 sparse files: the real name, not GNUSparseFile.<pid>/NAME */
	if (p->sparse_name) {
		e->path = p->sparse_name;
		p->sparse_name = NULL;
	} else if (p->path) {
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
	switch (h->typeflag) {
	case '0': case '\0': case '7': e->type = TAR_FILE; break;
	case '1': e->type = TAR_HARDLINK; break;
	case '2': e->type = TAR_SYMLINK; break;
	case '3': e->type = TAR_CHAR; break;
	case '4': e->type = TAR_BLOCK; break;
	case '5': e->type = TAR_DIR; break;
	case '6': e->type = TAR_FIFO; break;
	case 'S':
		return bad_entry(t, off, e->path,
				 "unsupported entry type 'S', an old GNU sparse file: write it with tar --format=posix");
	default:
		return bad_entry(t, off, e->path, "unsupported entry type '%c'",
				 h->typeflag >= 32 && h->typeflag < 127 ? h->typeflag : '?');
	}

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
	if (p->sparse && sparse_setup(t, p, off) < 0)
		return -1;
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

int tar_skip(struct tar *t)
{
	if (skip(t, t->left + t->pad, t->pos) < 0)
		return -1;
	t->left = t->pad = 0;
	return 0;
}

int tar_next(struct tar *t)
{
	struct pending p = { 0 };
	unsigned char b[BLOCK];
	uint64_t first = 0;
	int have_first = 0, r;

	entry_clear(&t->e);
	if (tar_skip(t) < 0)
		return -1;
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
		if (off == first)
			t->e.typeflag = h->typeflag;
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

/* a sparse file's chunks that end at or before the read position */
static void chunks_pass(struct tar *t)
{
	const struct tar_entry *e = &t->e;

	while (t->chunk < e->nchunks && t->at >= e->chunks[t->chunk].off + e->chunks[t->chunk].len)
		t->chunk++;
}

/* where the hole at the read position ends; t->at if data comes next */
static uint64_t hole_end(struct tar *t)
{
	const struct tar_entry *e = &t->e;

	chunks_pass(t);
	if (t->chunk == e->nchunks)
		return e->size;
	return e->chunks[t->chunk].off > t->at ? e->chunks[t->chunk].off : t->at;
}

uint64_t tar_hole(struct tar *t)
{
	uint64_t end, len;

	if (!t->e.sparse)
		return 0;
	end = hole_end(t);
	len = end - t->at;
	t->at = end;
	return len;
}

ssize_t tar_read(struct tar *t, void *buf, size_t n)
{
	if (t->e.sparse) {
		uint64_t end = hole_end(t);
		if (t->at >= t->e.size)
			return 0;
		if (end > t->at) {
			if (n > end - t->at)
				n = (size_t)(end - t->at);
			memset(buf, 0, n);
			t->at += n;
			return (ssize_t)n;
		}
		/* in a chunk: its data is next in the archive */
		end = t->e.chunks[t->chunk].off + t->e.chunks[t->chunk].len;
		if (n > end - t->at)
			n = (size_t)(end - t->at);
		if (take(t, buf, n, t->e.offset) < 0)
			return -1;
		t->left -= n;
		t->at += n;
		return (ssize_t)n;
	}
	if (t->left == 0)
		return 0;
	if (n > t->left)
		n = (size_t)t->left;
	if (take(t, buf, n, t->e.offset) < 0)
		return -1;
	t->left -= n;
	return (ssize_t)n;
}
