/* Files under the target root. Every component is opened with
 * O_NOFOLLOW|O_DIRECTORY from the root's fd, so a symlink planted anywhere
 * on the path (user-data can create them) never redirects a write. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "provision.h"

/* split path into its directory part and base name; refuse "..", "." and empty */
static int split(const char *path, char *dir, size_t dsize, const char **base)
{
	const char *slash;

	while (*path == '/')
		path++;
	slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	if (!**base || !strcmp(*base, ".") || !strcmp(*base, "..")) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)(*base - path) >= dsize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(*base - path));
	dir[*base - path] = '\0';
	return 0;
}

int root_dir(struct prov *p, const char *path, int create, mode_t mode)
{
	char buf[4096], *save = NULL, *comp;
	int fd = dup(p->rootfd);

	if (fd < 0)
		return -1;
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	for (comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, mode) != 0 && errno != EEXIST) {
				close(fd);
				return -1;
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		close(fd);
		if (next < 0)
			return -1; /* ELOOP or ENOTDIR: a symlink or a file in the way */
		fd = next;
	}
	return fd;
}

/* the directory that holds path's last component (*base), opened below
 * the root; missing ones made 0755 when create */
static int parent_open(struct prov *p, const char *path, int create, const char **base)
{
	char dir[4096];

	if (split(path, dir, sizeof dir, base) != 0)
		return -1;
	return root_dir(p, dir, create, 0755);
}

/* owner and mode are set on the temporary file before any content is in
 * it; the rename replaces the name, never what a symlink points to */
int root_write(struct prov *p, const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	char dir[4096], tmp[300];
	const char *base;
	struct stat st;
	int dfd, fd, err;

	if (split(path, dir, sizeof dir, &base) != 0)
		return -1;
	if (strlen(base) > 200) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = root_dir(p, dir, 1, 0755)) < 0)
		return -1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		close(dfd);
		errno = S_ISLNK(st.st_mode) ? ELOOP : S_ISDIR(st.st_mode) ? EISDIR : EEXIST;
		return -1;
	}
	snprintf(tmp, sizeof tmp, ".%s.provision.%ld.%u", base, (long)getpid(), p->tmpseq++);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		close(dfd);
		errno = err;
		return -1;
	}
	if ((uid != (uid_t)-1 && fchown(fd, uid, gid) != 0) || fchmod(fd, mode) != 0 ||
	    write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		err = errno;
		close(fd);
		unlinkat(dfd, tmp, 0);
		close(dfd);
		errno = err;
		return -1;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, base) != 0) {
		err = errno;
		unlinkat(dfd, tmp, 0);
		close(dfd);
		errno = err;
		return -1;
	}
	fsync(dfd);
	close(dfd);
	return 0;
}

int root_read(struct prov *p, const char *path, size_t cap, char **out, size_t *len)
{
	const char *base;
	char *buf;
	int dfd, err;

	if ((dfd = parent_open(p, path, 0, &base)) < 0)
		return -1;
	buf = file_read_at(dfd, base, cap, len);
	err = errno;
	close(dfd);
	errno = err;
	if (!buf)
		return -1;
	*out = buf;
	return 0;
}

int root_unlink(struct prov *p, const char *path)
{
	const char *base;
	int dfd, rc, err;

	if ((dfd = parent_open(p, path, 0, &base)) < 0)
		return -1;
	rc = unlinkat(dfd, base, 0);
	err = errno;
	close(dfd);
	errno = err;
	return rc;
}

int root_exists(struct prov *p, const char *path)
{
	const char *base;
	struct stat st;
	int dfd, rc;

	if ((dfd = parent_open(p, path, 0, &base)) < 0)
		return 0;
	rc = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	return rc;
}

/* mkdir (or reuse) a directory and set its owner and mode, never following;
 * missing parents are made 0755 root-owned */
int root_mkdir_owned(struct prov *p, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	const char *base;
	int dfd, fd, rc;

	if ((dfd = parent_open(p, path, 1, &base)) < 0)
		return -1;
	if (mkdirat(dfd, base, 0700) != 0 && errno != EEXIST) {
		close(dfd);
		return -1;
	}
	fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -1;
	rc = fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0 ? 0 : -1;
	close(fd);
	return rc;
}
