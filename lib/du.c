/* du: the bytes a tree takes on disk, for berth system df and image prune. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"

/* A file with n links counts 1/n of its blocks: over a tree that holds
 * every link (a layer's hard links stay inside it) the sum is exact, and no
 * table of inodes is needed */
uint64_t du_at(int dirfd, const char *name)
{
	struct stat sb;
	struct dirent *d;
	uint64_t sum;
	DIR *dir;
	int fd;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (uint64_t)sb.st_blocks * 512 / (sb.st_nlink > 1 && !S_ISDIR(sb.st_mode) ? sb.st_nlink : 1);
	if (!S_ISDIR(sb.st_mode))
		return sum;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return sum;
	}
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			sum += du_at(fd, d->d_name);
	closedir(dir);
	return sum;
}
