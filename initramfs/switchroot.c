/* switch_root as busybox and systemd do it: free the initramfs (its memory
 * is not released otherwise), move the new root over "/" and chroot into
 * it. The new root is then a real mount, so containers can pivot_root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "initramfs.h"

/* Dangerous: recursive delete. Only files on the initramfs's own device are
 * removed; the new root and anything mounted elsewhere have another st_dev. */
static void delete_contents(int dirfd, dev_t rootdev)
{
	struct dirent *de;
	DIR *d = fdopendir(dirfd);

	if (!d) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != rootdev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				continue;
			delete_contents(fd, rootdev);
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, de->d_name, 0);
		}
	}
	closedir(d);
}

int switch_root(const char *newroot, const char *init, struct error *e)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys", "/run" };
	char path[256], initpath[256];
	struct stat root, nr;
	struct statfs sfs;
	int fd;

	if (snprintf(initpath, sizeof initpath, "%s%s", newroot, init) >= (int)sizeof initpath)
		return error_set(e, "path too long");
	/* lstat: an absolute symlink would resolve against the initramfs */
	if (lstat(initpath, &nr) != 0)
		return error_errno(e, "%s in the root image", init);
	if (stat("/", &root) != 0 || stat(newroot, &nr) != 0)
		return error_errno(e, "stat / and %s", newroot);
	if (root.st_dev == nr.st_dev)
		return error_set(e, "%s is not a mount point", newroot);
	if (statfs("/", &sfs) != 0 || (sfs.f_type != RAMFS_MAGIC && sfs.f_type != TMPFS_MAGIC))
		return error_set(e, "/ is not the initramfs (ramfs or tmpfs); refusing to delete it");

	for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
		snprintf(path, sizeof path, "%s%s", newroot, moved[i]);
		if (mount(moved[i], path, NULL, MS_MOVE, NULL) != 0)
			return error_errno(e, "move %s to %s", moved[i], path);
	}
	if (chdir(newroot) != 0)
		return error_errno(e, "chdir %s", newroot);

	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		delete_contents(fd, root.st_dev);

	if (mount(".", "/", NULL, MS_MOVE, NULL) != 0)
		return error_errno(e, "move %s to /", newroot);
	if (chroot(".") != 0 || chdir("/") != 0)
		return error_errno(e, "chroot into the new root");

	console_open();
	execv(init, (char *const[]){ (char *)init, NULL });
	return error_errno(e, "exec %s", init);
}
