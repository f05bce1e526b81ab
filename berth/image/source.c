/* What `berth load` reads from: an OCI layout directory, or a tar archive of
 * one (oci-archive) or of `docker save` output. An archive is indexed once
 * and its members are then read in place, so nothing is extracted. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"
#include "tar.h"

#define MEMBERS_MAX 65536
#define LINK_HOPS 8

struct member {
	char *name;
	char *link;   /* symlink target (relative to the member's dir) or hardlink target */
	enum tar_type type;
	uint64_t off, size;
};

/* "./a//b/./c" -> "a/b/c"; -1 if it climbs out with ".." */
static int path_clean(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in) {
		const char *end = strchrnul(in, '/');
		size_t len = (size_t)(end - in);
		if (len == 0 || (len == 1 && in[0] == '.')) {
			/* nothing */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			if (n == 0)
				return -1;
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			if (n + len + 2 > size)
				return -1;
			if (n)
				out[n++] = '/';
			memcpy(out + n, in, len);
			n += len;
		}
		in = *end ? end + 1 : end;
	}
	out[n] = '\0';
	return 0;
}

static int archive_index(struct source *src, struct err *e)
{
	struct range_stream rs;
	struct stat sb;
	struct tar t;
	int r;

	if (fstat(src->fd, &sb) < 0)
		return fail_errno(e, "%s", src->path);
	range_stream_init(&rs, src->fd, 0, (uint64_t)sb.st_size, e);
	tar_init(&t, &rs.s, 1, e);
	while ((r = tar_next(&t)) > 0) {
		char clean[TAR_PATH_MAX];
		struct member *m, *nm;
		if (t.e.type != TAR_FILE && t.e.type != TAR_SYMLINK && t.e.type != TAR_HARDLINK)
			continue;
		/* members are read in place, and a sparse one's bytes are not its content */
		if (t.e.sparse) {
			r = fail(e, 1, "archive member \"%.200s\": a sparse file, which Berth does not read from an "
				 "image archive: write the archive without --sparse (tar offset %llu)",
				 t.e.path, (unsigned long long)t.e.offset);
			break;
		}
		if (path_clean(t.e.path, clean, sizeof clean) < 0 || !clean[0])
			continue; /* never looked up: a member's name is always clean */
		if (src->n == MEMBERS_MAX) {
			r = fail(e, 1, "archive has more than %d members", MEMBERS_MAX);
			break;
		}
		nm = realloc(src->m, (src->n + 1) * sizeof *nm);
		if (!nm) {
			r = fail_errno(e, "%s", src->path);
			break;
		}
		src->m = nm;
		m = &src->m[src->n];
		m->name = strdup(clean);
		m->link = strdup(t.e.link);
		m->type = t.e.type;
		m->off = t.pos;
		m->size = t.e.size;
		if (!m->name || !m->link) {
			free(m->name);
			free(m->link);
			r = fail_errno(e, "%s", src->path);
			break;
		}
		src->n++;
	}
	tar_free(&t);
	return r < 0 ? -1 : 0;
}

int source_open(struct source *src, const char *path, struct err *e)
{
	unsigned char magic[4] = { 0 };
	struct stat sb;

	memset(src, 0, sizeof *src);
	src->path = path;
	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0 || fstat(src->fd, &sb) < 0)
		return fail(e, errno == ENOENT || errno == EACCES || errno == ELOOP ? 1 : EXIT_SYSTEM,
			    "cannot open: %s", strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		src->is_dir = 1;
		return 0;
	}
	if (!S_ISREG(sb.st_mode))
		return fail(e, 1, "not a directory or an archive file");
	if (pread(src->fd, magic, sizeof magic, 0) == sizeof magic &&
	    ((magic[0] == 0x1f && magic[1] == 0x8b) || (magic[0] == 0x28 && magic[1] == 0xb5)))
		return fail(e, 1, "a compressed archive: decompress it first (byte 0)");
	return archive_index(src, e);
}

void source_close(struct source *src)
{
	for (size_t i = 0; i < src->n; i++) {
		free(src->m[i].name);
		free(src->m[i].link);
	}
	free(src->m);
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
}

static const struct member *member_find(struct source *src, const char *name)
{
	char cur[TAR_PATH_MAX], next[2 * TAR_PATH_MAX + 2];

	if (path_clean(name, cur, sizeof cur) < 0)
		return NULL;
	for (int hop = 0; hop <= LINK_HOPS; hop++) {
		const struct member *m = NULL;
		/* the last of several members of one name wins, as with tar -x */
		for (size_t i = src->n; i-- > 0;)
			if (strcmp(src->m[i].name, cur) == 0) {
				m = &src->m[i];
				break;
			}
		if (!m || m->type == TAR_FILE)
			return m;
		if (m->type == TAR_HARDLINK || m->link[0] == '/') {
			snprintf(next, sizeof next, "%s", m->link);
		} else {
			const char *slash = strrchr(cur, '/');
			snprintf(next, sizeof next, "%.*s%s", slash ? (int)(slash - cur + 1) : 0, cur, m->link);
		}
		if (path_clean(next, cur, sizeof cur) < 0)
			return NULL;
	}
	return NULL;
}

/* a member of a directory, resolved as if the directory were / */
static int dir_open(struct source *src, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	struct stat sb;
	int fd = (int)syscall(SYS_openat2, src->fd, name, &how, sizeof how);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	return fd;
}

int source_has(struct source *src, const char *name)
{
	int fd;

	if (!src->is_dir)
		return member_find(src, name) != NULL;
	fd = dir_open(src, name);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* the stream reads the source's fd, or the member's own for a directory:
 * the caller closes r->fd when it differs from src->fd */
int source_member(struct source *src, const char *name, struct range_stream *r, uint64_t *size, struct err *e)
{
	const struct member *m;
	struct stat sb;
	int fd;

	if (src->is_dir) {
		fd = dir_open(src, name);
		if (fd < 0 || fstat(fd, &sb) < 0)
			return fail(e, errno == ENOENT || errno == EISDIR ? 1 : EXIT_SYSTEM, "%s (%s)",
				    errno == ENOENT ? "missing file" : strerror(errno), name);
		*size = (uint64_t)sb.st_size;
		range_stream_init(r, fd, 0, *size, e);
		return 0;
	}
	m = member_find(src, name);
	if (!m)
		return fail(e, 1, "missing from the archive (%s)", name);
	*size = m->size;
	range_stream_init(r, src->fd, m->off, m->size, e);
	return 0;
}
