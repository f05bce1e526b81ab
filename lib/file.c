/* Files: capped reads, atomic replacement, mkdir -p, rm -r. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "berth.h"

/* read until n bytes or the end: the count, or -1 */
static ssize_t read_upto(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t file_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err;

	if (size == 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read_upto(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

/* the buffer grows with what comes, so a cap of a MiB costs a small file
 * no more than its size */
char *fd_read_alloc(int fd, size_t max, size_t *len)
{
	size_t size = max < 4096 ? max + 1 : 4096, n = 0;
	char *buf = malloc(size + 1), *bigger;
	ssize_t got;
	int err;

	while (buf && (got = read_upto(fd, buf + n, size - n)) >= 0) {
		n += (size_t)got;
		if (n < size) { /* the end */
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		if (size > max) {
			errno = EFBIG;
			break;
		}
		size = size > max / 2 ? max + 1 : size * 2;
		if (!(bigger = realloc(buf, size + 1)))
			break;
		buf = bigger;
	}
	err = errno;
	free(buf);
	errno = err;
	return NULL;
}

char *file_read_at(int dirfd, const char *name, size_t max, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = fd_read_alloc(fd, max, len);
	err = errno;
	close(fd);
	errno = err;
	return buf;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A name for the finished file: linkat of the O_TMPFILE file, or the named
 * temporary opened for it. A name left by a power cut (PID 1 is always pid 1,
 * so PATH.tmp.1 comes back every boot) or planted is only a name: unlink it
 * (never following it) and try once more. */
static int tmp_name_open(const char *tmp, mode_t mode)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, flags, mode);

	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, flags, mode);
	return fd;
}

static int tmp_link(int fd, const char *tmp)
{
	char proc[64];

	for (int tries = 0; tries < 2; tries++) {
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc needs /proc */
		if (linkat(fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno == ENOENT || errno == EPERM) {
			snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
			if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
				return 0;
		}
		if (errno != EEXIST || tries > 0 || unlink(tmp) != 0)
			return -1;
	}
	return -1;
}

int file_replace(const char *path, const void *data, size_t len, mode_t mode, int durable)
{
	char tmp[4096], buf[4096];
	const char *dir;
	int fd, dfd, err, anon = 1;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp ||
	    snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dir = dirname(buf);
	/* unnamed until it is whole; vfat and old kernels have no O_TMPFILE */
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		anon = 0;
		fd = tmp_name_open(tmp, mode);
	}
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || (durable && fsync(fd) != 0) ||
	    (anon && tmp_link(fd, tmp) != 0)) {
		err = errno;
		close(fd);
		if (!anon)
			unlink(tmp);
		errno = err;
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	if (durable) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return file_replace(path, data, len, mode, 1);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* a tree may hold read-only dirs (as root they are no obstacle) and
 * anything a tar can make; never follow a symlink out of it */
int rm_tree_at(int dirfd, const char *name)
{
	struct dirent *d;
	DIR *dir;
	int fd, err = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir))) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (rm_tree_at(fd, d->d_name) < 0 && !err)
			err = errno;
	}
	closedir(dir);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !err)
		err = errno;
	errno = err;
	return err ? -1 : 0;
}
