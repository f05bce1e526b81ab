/* Unpacking a layer (OCI image spec, "Applying Changesets") into its own
 * directory, which overlayfs later stacks as a lower dir:
 *  - every path component is opened with openat(O_NOFOLLOW|O_DIRECTORY) from
 *    the layer root, so a symlink in the layer is never followed while
 *    unpacking; ".." components and absolute paths are refused, and so is a
 *    hardlink whose target is not already in this layer;
 *  - ".wh.NAME" becomes what overlayfs calls a whiteout, a 0/0 character
 *    device NAME, and ".wh..wh..opq" the xattr trusted.overlay.opaque="y" on
 *    its directory. Not as root, the opaque mark is user.overlay.opaque (for
 *    a mount with -o userxattr) and the whiteout needs Linux 5.8 or later;
 *    ownership, device nodes and trusted.* / security.* xattrs are skipped.
 *  - xattrs from pax SCHILY.xattr.* are kept, except overlayfs's own
 *    (trusted.overlay.*, user.overlay.*): they would redirect a lookup;
 *  - a parent directory the tar does not list is made as the layers below
 *    show it through overlayfs (mode, owner, xattrs, mtime): an entry
 *    missing from a layer leaves that path unchanged, and overlayfs shows
 *    the topmost copy of a directory. Only where no layer below has it is it
 *    0755 and root's. This is why the store keys a layer by ChainID. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"
#include "tar.h"

#define COMPONENTS_MAX (TAR_PATH_MAX / 2 + 1)
#define DIRS_MAX (1u << 20)
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

struct dirtime {
	char *path;
	struct timespec mtime;
};

struct unpack {
	int root;
	const int *lowers; /* the layers below, nearest first */
	size_t nlowers;
	int as_root;
	const char *what;
	struct tar *t;
	struct err *e;
	struct layer_stats *st;
	size_t ndirs, capdirs;
	struct dirtime *dirs;
	struct layer_implied *implied; /* set: no layers below yet, list what they would give */
	size_t *iseq; /* for each implied directory, how many directories the tar had listed by then */
};

static int entry_fail(struct unpack *u, const char *path, const char *why)
{
	return fail(u->e, 1, "%s: entry \"%.200s\": %s (tar offset %llu)", u->what, path, why,
		    (unsigned long long)u->t->e.offset);
}

static int entry_fail_errno(struct unpack *u, const char *path, const char *op)
{
	int err = errno;
	return fail(u->e, EXIT_SYSTEM, "%s: entry \"%.200s\": %s: %s (tar offset %llu)", u->what, path, op,
		    strerror(err), (unsigned long long)u->t->e.offset);
}

/* split a member name into components; refuse what would leave the root */
static int split(struct unpack *u, char *path, char **comp, size_t *n, const char *orig)
{
	char *save = NULL;

	*n = 0;
	if (path[0] == '/')
		return entry_fail(u, orig, "absolute path: refused");
	for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return entry_fail(u, orig, "\"..\" component: path leaves the layer");
		if (*n == COMPONENTS_MAX)
			return entry_fail(u, orig, "too many components");
		comp[(*n)++] = c;
	}
	return 0;
}

static int overlay_xattr(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

static int opaque(const struct unpack *u, int fd)
{
	char v;

	return fgetxattr(fd, u->as_root ? "trusted.overlay.opaque" : "user.overlay.opaque", &v, 1) == 1 && v == 'y';
}

/* the directory comp[0..n-1] as overlayfs shows the layers below: the
 * nearest layer's copy, unless a nearer one hides it (a whiteout or other
 * non-directory on the path, or an opaque directory without it). An fd of
 * that copy, or -1 if they show no such directory */
static int lower_dir(const struct unpack *u, char **comp, size_t n)
{
	for (size_t l = 0; l < u->nlowers; l++) {
		int fd = dup(u->lowers[l]), hidden = 0;
		size_t i;

		for (i = 0; fd >= 0 && i < n; i++) {
			struct stat sb;
			int next;
			if (fstatat(fd, comp[i], &sb, AT_SYMLINK_NOFOLLOW) < 0) {
				hidden = opaque(u, fd);
				break;
			}
			if (!S_ISDIR(sb.st_mode)) {
				hidden = 1;
				break;
			}
			next = openat(fd, comp[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			close(fd);
			fd = next;
		}
		if (fd >= 0 && i == n)
			return fd;
		if (fd >= 0)
			close(fd);
		if (hidden)
			return -1;
	}
	return -1;
}

static int dir_remember(struct unpack *u, const char *path, struct timespec mtime);

/* a directory made without the tar listing it, left for layer_inherit */
static int implied_add(struct unpack *u, const char *path)
{
	struct layer_implied *im = u->implied;
	size_t len = strlen(path) + 1;

	if (im->n == DIRS_MAX)
		return fail(u->e, 1, "%s: more than %u directories", u->what, DIRS_MAX);
	if (im->len + len > im->cap || !im->n || (im->n & (im->n - 1)) == 0) {
		size_t cap = im->cap ? im->cap : 4096, *ns;
		char *np;
		while (cap < im->len + len)
			cap *= 2;
		if (!(np = realloc(im->paths, cap)))
			return fail_errno(u->e, "%s", u->what);
		im->paths = np;
		im->cap = cap;
		/* room for n up to the next power of two */
		if (!(ns = realloc(u->iseq, 2 * (im->n + 1) * sizeof *ns)))
			return fail_errno(u->e, "%s", u->what);
		u->iseq = ns;
	}
	memcpy(im->paths + im->len, path, len);
	im->len += len;
	u->iseq[im->n++] = u->ndirs;
	return 0;
}

static const struct dirtime *sort_dirs;
static int by_path_then_order(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_dirs[x].path, sort_dirs[y].path);
	return c ? c : (x > y) - (x < y);
}

/* an implied directory the tar listed after it was made has the tar's
 * metadata, not the layers below: it leaves the list. Once, at the end,
 * by a sorted copy of what the tar listed (a tar that lists every
 * directory after its contents implies and then lists them all) */
static int implied_filter(struct unpack *u)
{
	struct layer_implied *im = u->implied;
	size_t *idx = NULL, kept = 0, at = 0, nlen = 0;
	char *np;

	if (!im->n)
		return 0;
	if (u->ndirs && !(idx = malloc(u->ndirs * sizeof *idx)))
		return fail_errno(u->e, "%s", u->what);
	for (size_t i = 0; i < u->ndirs; i++)
		idx[i] = i;
	sort_dirs = u->dirs;
	if (u->ndirs)
		qsort(idx, u->ndirs, sizeof *idx, by_path_then_order);
	if (!(np = malloc(im->len + 1))) {
		free(idx);
		return fail_errno(u->e, "%s", u->what);
	}
	for (size_t i = 0; i < im->n; i++) {
		const char *path = im->paths + at;
		size_t len = strlen(path) + 1, lo = 0, hi = u->ndirs;
		at += len;
		/* the last listing of path, if any */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(u->dirs[idx[mid]].path, path) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && strcmp(u->dirs[idx[lo - 1]].path, path) == 0 && idx[lo - 1] >= u->iseq[i])
			continue;
		memcpy(np + nlen, path, len);
		nlen += len;
		kept++;
	}
	free(idx);
	free(im->paths);
	im->paths = np;
	im->len = nlen;
	im->cap = im->len + 1;
	im->n = kept;
	return 0;
}


/* give fd (a directory this layer made without listing it) what the layers
 * below have for the same path; path is its cleaned name in the layer */
static int dir_inherit(struct unpack *u, int fd, char **comp, size_t n, const char *path, const char *orig)
{
	char names[65536], value[65536]; /* XATTR_LIST_MAX, XATTR_SIZE_MAX */
	struct stat sb;
	ssize_t len;
	int low = lower_dir(u, comp, n), rc = -1;

	/* none below: as mkdir made it (0755, and a setgid parent's group and
	 * bit, as the kernel gives them) */
	if (low < 0)
		return 0;
	if (fstat(low, &sb) < 0 || (u->as_root && fchown(fd, sb.st_uid, sb.st_gid) < 0) ||
	    fchmod(fd, sb.st_mode & 07777) < 0) {
		entry_fail_errno(u, orig, "copy the parent's metadata from the layer below");
		goto out;
	}
	len = flistxattr(low, names, sizeof names);
	if (len < 0 && errno != ENOTSUP) {
		entry_fail_errno(u, orig, "list the parent's xattrs in the layer below");
		goto out;
	}
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1) {
		const char *name = names + off;
		ssize_t vlen;
		if (overlay_xattr(name))
			continue; /* an opaque mark below is no mark here */
		vlen = fgetxattr(low, name, value, sizeof value);
		if (vlen < 0 || (fsetxattr(fd, name, value, (size_t)vlen, 0) < 0 &&
				 (u->as_root || (errno != EPERM && errno != ENOTSUP)))) {
			entry_fail_errno(u, orig, "copy the parent's xattrs from the layer below");
			goto out;
		}
	}
	rc = dir_remember(u, path, sb.st_mtim);
out:
	close(low);
	return rc;
}

/* the directory holding comp[n-1], each component opened without following
 * symlinks; missing directories are made (as the layers below have them)
 * when create is set */
static int open_parent(struct unpack *u, char **comp, size_t n, int create, const char *orig)
{
	int fd = dup(u->root);

	if (fd < 0)
		return entry_fail_errno(u, orig, "dup");
	for (size_t i = 0; i + 1 < n; i++) {
		int next = openat(fd, comp[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			char path[TAR_PATH_MAX];
			size_t len = 0;
			if (mkdirat(fd, comp[i], 0755) < 0) {
				close(fd);
				return entry_fail_errno(u, orig, "mkdir");
			}
			next = openat(fd, comp[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			for (size_t k = 0; k <= i; k++)
				len += (size_t)snprintf(path + len, sizeof path - len, "%s%s", k ? "/" : "", comp[k]);
			if (next >= 0 && (u->implied ? implied_add(u, path) : dir_inherit(u, next, comp, i + 1, path, orig)) < 0) {
				close(next);
				close(fd);
				return -1;
			}
		}
		if (next < 0) {
			int err = errno;
			close(fd);
			if (err == ELOOP || err == ENOTDIR)
				return entry_fail(u, orig, "a parent is a symlink or not a directory: refused");
			if (err == ENOENT)
				return entry_fail(u, orig, "a parent directory is missing");
			errno = err;
			return entry_fail_errno(u, orig, "open parent");
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* fd: the file itself, or -1 to go through dirfd/name without following */
static int xattrs_set(struct unpack *u, int fd, int dirfd, const char *name, const char *orig)
{
	const struct tar_entry *te = &u->t->e;
	char proc[64 + TAR_PATH_MAX];

	snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, name);
	for (size_t i = 0; i < te->nxattrs; i++) {
		const struct tar_xattr *x = &te->xattrs[i];
		int r;
		if (overlay_xattr(x->name))
			return entry_fail(u, orig, "xattr in overlayfs's own namespace: refused");
		r = fd >= 0 ? fsetxattr(fd, x->name, x->value, x->len, 0)
			    : lsetxattr(proc, x->name, x->value, x->len, 0);
		if (r < 0 && !u->as_root && (errno == EPERM || errno == ENOTSUP))
			continue;
		if (r < 0)
			return entry_fail_errno(u, orig, "setxattr");
	}
	return 0;
}

static int dir_remember(struct unpack *u, const char *path, struct timespec mtime)
{
	if (u->ndirs == u->capdirs) {
		size_t cap = u->capdirs ? 2 * u->capdirs : 64;
		struct dirtime *nd;
		if (cap > DIRS_MAX)
			return fail(u->e, 1, "%s: more than %u directories", u->what, DIRS_MAX);
		if (!(nd = realloc(u->dirs, cap * sizeof *nd)))
			return fail_errno(u->e, "%s", u->what);
		u->dirs = nd;
		u->capdirs = cap;
	}
	if (!(u->dirs[u->ndirs].path = strdup(path)))
		return fail_errno(u->e, "%s", u->what);
	u->dirs[u->ndirs++].mtime = mtime;
	return 0;
}

/* directory mtimes last: every entry made inside one changes it. In the
 * order remembered, so a directory the tar lists after making it as a
 * parent gets the tar's mtime */
static void dirs_settle(struct unpack *u)
{
	struct err scratch = { 0 }, *keep = u->e;

	/* a directory a later entry replaced is no error here */
	u->e = &scratch;
	for (size_t i = 0; i < u->ndirs; i++) {
		char *comp[COMPONENTS_MAX];
		size_t n;
		struct timespec ts[2] = { u->dirs[i].mtime, u->dirs[i].mtime };
		char *p = u->dirs[i].path;
		if (split(u, p, comp, &n, "") == 0) {
			int fd = n == 0 ? dup(u->root) : open_parent(u, comp, n, 0, "");
			if (fd >= 0) {
				utimensat(fd, n ? comp[n - 1] : ".", ts, AT_SYMLINK_NOFOLLOW);
				close(fd);
			}
		}
		free(u->dirs[i].path);
	}
	free(u->dirs);
	u->dirs = NULL;
	u->ndirs = 0;
	u->e = keep;
}

/* a sparse file's holes stay holes: seek over them, and set its real size
 * at the end, which may be in one */
static int write_file(struct unpack *u, int dirfd, const char *base, const char *orig)
{
	const struct tar_entry *te = &u->t->e;
	struct timespec ts[2] = { te->mtime, te->mtime };
	char buf[65536];
	ssize_t n;
	int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return entry_fail_errno(u, orig, "create");
	for (;;) {
		uint64_t hole = tar_hole(u->t);
		if (hole) {
			if (lseek(fd, (off_t)hole, SEEK_CUR) < 0) {
				entry_fail_errno(u, orig, "seek over a hole");
				close(fd);
				return -1;
			}
			continue;
		}
		if ((n = tar_read(u->t, buf, sizeof buf)) <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				entry_fail_errno(u, orig, "write");
				close(fd);
				return -1;
			}
			off += w;
		}
	}
	if (n < 0) {
		close(fd);
		return -1;
	}
	if (te->sparse && ftruncate(fd, (off_t)te->size) < 0) {
		entry_fail_errno(u, orig, "set the real size");
		close(fd);
		return -1;
	}
	/* the real size, holes included, as du --apparent-size counts */
	u->st->file_bytes += te->size;
	/* chown first: it clears setuid and setgid, fchmod puts them back */
	if ((u->as_root && fchown(fd, te->uid, te->gid) < 0) || fchmod(fd, te->mode) < 0 ||
	    xattrs_set(u, fd, dirfd, base, orig) < 0 || futimens(fd, ts) < 0) {
		if (!u->e->msg[0])
			entry_fail_errno(u, orig, "set metadata");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int make_dir(struct unpack *u, int dirfd, const char *base, const char *path, const char *orig)
{
	const struct tar_entry *te = &u->t->e;
	int fd;

	int existed = 0;

	if (mkdirat(dirfd, base, 0700) < 0) {
		if (errno != EEXIST)
			return entry_fail_errno(u, orig, "mkdir");
		existed = 1;
	}
	fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return entry_fail_errno(u, orig, "open");
	/* made earlier in this layer (as a parent, with what the layers below
	 * gave it): the entry's xattrs are all it has, as umoci makes it; an
	 * opaque mark stays */
	if (existed) {
		char names[65536];
		ssize_t len = flistxattr(fd, names, sizeof names);
		for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1)
			if (!overlay_xattr(names + off) && fremovexattr(fd, names + off) < 0 && errno != ENODATA) {
				close(fd);
				return entry_fail_errno(u, orig, "remove an xattr the layers below gave it");
			}
	}
	if ((u->as_root && fchown(fd, te->uid, te->gid) < 0) || fchmod(fd, te->mode) < 0 ||
	    xattrs_set(u, fd, dirfd, base, orig) < 0) {
		if (!u->e->msg[0])
			entry_fail_errno(u, orig, "set metadata");
		close(fd);
		return -1;
	}
	close(fd);
	return dir_remember(u, path, te->mtime);
}

static int make_link(struct unpack *u, int dirfd, const char *base, const char *orig)
{
	const struct tar_entry *te = &u->t->e;
	char target[TAR_PATH_MAX], *comp[COMPONENTS_MAX];
	struct stat sb;
	size_t n;
	int tfd, r;

	snprintf(target, sizeof target, "%s", te->link);
	if (target[0] == '/')
		return entry_fail(u, orig, "hardlink to an absolute path: refused");
	if (split(u, target, comp, &n, orig) < 0)
		return -1;
	if (n == 0)
		return entry_fail(u, orig, "hardlink to the layer root: refused");
	tfd = open_parent(u, comp, n, 0, orig);
	if (tfd < 0)
		return -1;
	if (fstatat(tfd, comp[n - 1], &sb, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(sb.st_mode)) {
		close(tfd);
		return entry_fail(u, orig, "hardlink target is not a file in this layer");
	}
	/* flags 0: a link to a symlink is a link to the symlink itself */
	r = linkat(tfd, comp[n - 1], dirfd, base, 0);
	close(tfd);
	if (r < 0)
		return entry_fail_errno(u, orig, "link");
	return 0;
}

static int make_node(struct unpack *u, int dirfd, const char *base, const char *orig)
{
	const struct tar_entry *te = &u->t->e;
	struct timespec ts[2] = { te->mtime, te->mtime };
	mode_t type = te->type == TAR_CHAR ? S_IFCHR : te->type == TAR_BLOCK ? S_IFBLK : S_IFIFO;

	if (type != S_IFIFO && !u->as_root)
		return 0; /* device nodes need root; documented above */
	if (mknodat(dirfd, base, type | 0600, makedev(te->devmajor, te->devminor)) < 0)
		return entry_fail_errno(u, orig, "mknod");
	if ((u->as_root && fchownat(dirfd, base, te->uid, te->gid, AT_SYMLINK_NOFOLLOW) < 0) ||
	    fchmodat(dirfd, base, te->mode, 0) < 0 || xattrs_set(u, -1, dirfd, base, orig) < 0 ||
	    utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return u->e->msg[0] ? -1 : entry_fail_errno(u, orig, "set metadata");
	return 0;
}

static int make_symlink(struct unpack *u, int dirfd, const char *base, const char *orig)
{
	const struct tar_entry *te = &u->t->e;
	struct timespec ts[2] = { te->mtime, te->mtime };

	/* the target is only text here; it is resolved inside the container */
	if (symlinkat(te->link, dirfd, base) < 0)
		return entry_fail_errno(u, orig, "symlink");
	if ((u->as_root && fchownat(dirfd, base, te->uid, te->gid, AT_SYMLINK_NOFOLLOW) < 0) ||
	    utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_fail_errno(u, orig, "set metadata");
	return 0;
}

static int whiteout(struct unpack *u, int dirfd, const char *base, const char *orig)
{
	const char *name = base + strlen(WHITEOUT);
	static const char yes = 'y';

	if (strcmp(base, OPAQUE) == 0) {
		int r = fsetxattr(dirfd, u->as_root ? "trusted.overlay.opaque" : "user.overlay.opaque", &yes, 1, 0);
		return r < 0 ? entry_fail_errno(u, orig, "mark opaque") : 0;
	}
	if (strncmp(name, WHITEOUT, strlen(WHITEOUT)) == 0)
		return 0; /* other .wh..wh. names are AUFS bookkeeping */
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return entry_fail(u, orig, "whiteout without a name");
	if (rm_tree_at(dirfd, name) < 0)
		return entry_fail_errno(u, orig, "remove");
	if (mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return entry_fail_errno(u, orig, u->as_root ? "mknod whiteout"
							   : "mknod whiteout (not root: needs Linux 5.8 or later)");
	return 0;
}

static int entry_apply(struct unpack *u)
{
	const struct tar_entry *te = &u->t->e;
	char path[TAR_PATH_MAX], clean[TAR_PATH_MAX], *comp[COMPONENTS_MAX];
	const char *base;
	struct stat sb;
	size_t n, len = 0;
	int dirfd, r;

	snprintf(path, sizeof path, "%s", te->path);
	if (split(u, path, comp, &n, te->path) < 0)
		return -1;
	/* the cleaned path, for the directory list */
	clean[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(clean + len, sizeof clean - len, "%s%s", i ? "/" : "", comp[i]);
	if (n == 0) {
		/* "./": the layer root itself */
		if (te->type != TAR_DIR)
			return entry_fail(u, te->path, "the layer root must be a directory");
		if ((u->as_root && fchown(u->root, te->uid, te->gid) < 0) || fchmod(u->root, te->mode) < 0)
			return entry_fail_errno(u, te->path, "set metadata");
		return dir_remember(u, "", te->mtime);
	}
	base = comp[n - 1];
	dirfd = open_parent(u, comp, n, 1, te->path);
	if (dirfd < 0)
		return -1;
	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) == 0) {
		r = whiteout(u, dirfd, base, te->path);
		close(dirfd);
		return r;
	}
	/* a later entry replaces an earlier one; a directory stays a directory */
	if (fstatat(dirfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !(S_ISDIR(sb.st_mode) && te->type == TAR_DIR) &&
	    rm_tree_at(dirfd, base) < 0) {
		close(dirfd);
		return entry_fail_errno(u, te->path, "replace");
	}
	switch (te->type) {
	case TAR_FILE: r = write_file(u, dirfd, base, te->path); break;
	case TAR_DIR: r = make_dir(u, dirfd, base, clean, te->path); break;
	case TAR_HARDLINK: r = make_link(u, dirfd, base, te->path); break;
	case TAR_SYMLINK: r = make_symlink(u, dirfd, base, te->path); break;
	default: r = make_node(u, dirfd, base, te->path); break;
	}
	close(dirfd);
	return r;
}

static int unpack_run(struct unpack *u, struct stream *in, int dirfd, int nlowers)
{
	struct tar t;
	char buf[65536];
	ssize_t n;
	int r;

	u->st->file_bytes = 0;
	tar_init(&t, in, 0, u->e);
	u->t = &t;
	/* the layer root too is the one below unless the tar lists "./" */
	if (u->implied)
		r = implied_add(u, "") < 0 ? -1 : 1;
	else
		r = dirfd >= 0 && nlowers > 0 ? dir_inherit(u, dirfd, NULL, 0, "", "./") : 1;
	while (r >= 0 && (r = tar_next(&t)) > 0) {
		if (dirfd < 0) {
			if (t.e.type == TAR_FILE)
				u->st->file_bytes += t.e.size;
		} else if (entry_apply(u) < 0) {
			r = -1;
			break;
		}
	}
	tar_free(&t);
	if (u->implied && r == 0 && implied_filter(u) < 0)
		r = -1;
	free(u->iseq);
	u->iseq = NULL;
	if (dirfd >= 0)
		dirs_settle(u);
	/* the DiffID covers the end marker and any padding after it */
	while (r == 0 && (n = in->read(in, buf, sizeof buf)) != 0)
		if (n < 0)
			r = -1;
	/* a tar or decompression error: say which layer */
	if (r < 0)
		err_prefix(u->e, u->what);
	return r < 0 ? -1 : 0;
}

int layer_unpack(struct stream *in, int dirfd, const int *lowers, size_t nlowers, const char *what,
		 struct layer_stats *st, struct err *e)
{
	struct unpack u = { .root = dirfd, .lowers = lowers, .nlowers = nlowers, .as_root = geteuid() == 0,
			    .what = what, .e = e, .st = st };

	return unpack_run(&u, in, dirfd, (int)nlowers);
}

int layer_unpack_alone(struct stream *in, int dirfd, const char *what, struct layer_stats *st,
		       struct layer_implied *implied, struct err *e)
{
	struct unpack u = { .root = dirfd, .as_root = geteuid() == 0, .what = what, .e = e, .st = st,
			    .implied = implied };

	return unpack_run(&u, in, dirfd, 0);
}

int layer_inherit(int dirfd, const struct layer_implied *implied, const int *lowers, size_t nlowers, const char *what,
		  struct err *e)
{
	struct layer_stats st = { 0 };
	struct tar t = { 0 };
	struct unpack u = { .root = dirfd, .lowers = lowers, .nlowers = nlowers, .as_root = geteuid() == 0,
			    .what = what, .e = e, .st = &st, .t = &t };
	int rc = 0;

	for (size_t off = 0; rc == 0 && off < implied->len; off += strlen(implied->paths + off) + 1) {
		char path[TAR_PATH_MAX], *comp[COMPONENTS_MAX];
		struct stat ps;
		size_t n;
		int parent, fd, low;
		if (snprintf(path, sizeof path, "%s", implied->paths + off) >= (int)sizeof path ||
		    split(&u, path, comp, &n, implied->paths + off) < 0) {
			rc = fail(e, 1, "implied directory \"%.200s\": not a path in the layer", implied->paths + off);
			break;
		}
		/* replaced by a later entry of the layer: nothing to give it */
		parent = n == 0 ? dup(dirfd) : open_parent(&u, comp, n, 0, implied->paths + off);
		if (parent < 0) {
			e->msg[0] = '\0';
			continue;
		}
		fd = n == 0 ? dup(parent) : openat(parent, comp[n - 1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			close(parent);
			continue;
		}
		if ((low = lower_dir(&u, comp, n)) >= 0) {
			close(low);
			rc = dir_inherit(&u, fd, comp, n, implied->paths + off, implied->paths + off);
		} else if (n > 0 && fstat(parent, &ps) == 0 && (ps.st_mode & S_ISGID)) {
			/* none below: as mkdir would have made it under its parent,
			 * which is setgid now (its group and the bit, from the kernel
			 * there) */
			struct stat ds;
			if ((u.as_root && fchown(fd, (uid_t)-1, ps.st_gid) < 0) || fstat(fd, &ds) < 0 ||
			    fchmod(fd, (ds.st_mode & 07777) | S_ISGID) < 0)
				rc = entry_fail_errno(&u, implied->paths + off, "give it its setgid parent's group");
		}
		close(parent);
		close(fd);
	}
	dirs_settle(&u);
	if (rc < 0)
		err_prefix(e, what);
	return rc;
}
