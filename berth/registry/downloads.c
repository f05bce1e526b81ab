/* berth image prune's share of downloads/: what pulls left there (the
 * blobs of one that failed before the load, a power cut's .partial files,
 * a killed pull's layout) goes, but only while no pull runs: each holds
 * downloads/ under a shared flock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "berth.h"
#include "registry.h"

/* everything in the directory fd but keep (which is emptied instead): the
 * directories a pull opens stay, so one that waited for the lock goes on */
static int empty_dir(int fd, const char *keep)
{
	struct dirent *d;
	int dfd = dup(fd), err = 0;
	DIR *dir = dfd < 0 ? NULL : fdopendir(dfd);

	if (!dir) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	while ((d = readdir(dir))) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (keep && strcmp(d->d_name, keep) == 0) {
			int sub = openat(fd, keep, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || empty_dir(sub, NULL) < 0)
				err = err ? err : errno;
			if (sub >= 0)
				close(sub);
			continue;
		}
		if (rm_tree_at(fd, d->d_name) < 0 && !err)
			err = errno;
	}
	closedir(dir);
	errno = err;
	return err ? -1 : 0;
}

int registry_downloads_prune(struct err *e)
{
	char d[4096];
	int fd, rc = 0;

	snprintf(d, sizeof d, "%s/downloads", env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT));
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : fail_errno(e, "%s", d);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		rc = errno == EWOULDBLOCK ? 1 : fail_errno(e, "%s", d);
	else if (empty_dir(fd, "sha256") < 0)
		rc = fail_errno(e, "%s", d);
	close(fd);
	return rc;
}
