/* The mounts of the early boot, in the order the boot needs them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "berth.h"
#include "initramfs.h"

#define NEWROOT "/newroot"
#define ETC_STATE NEWROOT BERTH_ROOT_DEFAULT "/etc"

static const struct early_mount {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
} early[] = {
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
};

/* /dev comes first so that the console can report whatever fails next */
int early_mounts(struct error *e)
{
	for (size_t i = 0; i < sizeof early / sizeof early[0]; i++) {
		const struct early_mount *m = &early[i];

		mkdir(m->target, 0755);
		if (mount(m->source, m->target, m->type, m->flags, m->data) != 0 &&
		    !(errno == EBUSY && i == 0)) /* a kernel that mounts devtmpfs itself */
			return error_errno(e, "mount %s on %s", m->type, m->target);
		if (i == 0)
			console_open();
	}
	return 0;
}

/* the root image may be erofs or squashfs; the kernel does not probe */
int root_mount(const char *node, struct error *e)
{
	static const char *const types[] = { "erofs", "squashfs" };
	int errs[2];

	mkdir(NEWROOT, 0755);
	for (size_t i = 0; i < 2; i++) {
		if (mount(node, NEWROOT, types[i], MS_RDONLY, NULL) == 0)
			return 0;
		errs[i] = errno;
	}
	return error_set(e, "mount %s on " NEWROOT " read-only: erofs: %s; squashfs: %s", node,
			 strerror(errs[0]), strerror(errs[1]));
}

/* /etc from the image, with changes (provisioning, passwords) kept on /var;
 * /home and /root are empty directories in the image with /var/home and
 * /var/roothome bound onto them: real directories, not symlinks, so that
 * programs that refuse to follow symlinks (provisioning) can walk them */
int etc_overlay(struct error *e)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ NEWROOT BERTH_ROOT_DEFAULT, 0755 },
		{ ETC_STATE "/upper", 0755 },
		{ ETC_STATE "/work", 0700 },
		{ NEWROOT "/var/home", 0755 },
		{ NEWROOT "/var/roothome", 0700 },
		{ NEWROOT "/var/tmp", 01777 },
	};
	struct statvfs v;
	static const char *const binds[][2] = {
		{ NEWROOT "/var/home", NEWROOT "/home" },
		{ NEWROOT "/var/roothome", NEWROOT "/root" },
	};

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdir_p(dirs[i].path, dirs[i].mode) != 0)
			return error_errno(e, "mkdir %s", dirs[i].path);
	/* mkdir's mode went through the umask: sticky /var/tmp needs chmod */
	if (chmod(NEWROOT "/var/tmp", 01777) != 0)
		return error_errno(e, "chmod " NEWROOT "/var/tmp");
	for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++)
		if (mount(binds[i][0], binds[i][1], NULL, MS_BIND, NULL) != 0)
			return error_errno(e, "bind %s on %s", binds[i][0], binds[i][1]);
	if (mount("overlay", NEWROOT "/etc", "overlay", MS_NODEV,
		  "lowerdir=" NEWROOT "/etc,upperdir=" ETC_STATE "/upper,workdir=" ETC_STATE "/work") != 0)
		return error_errno(e, "mount overlay on " NEWROOT "/etc (upper " ETC_STATE "/upper)");
	/* overlayfs mounts read-only when it cannot make its work dir (a full /var) */
	if (statvfs(NEWROOT "/etc", &v) == 0 && (v.f_flag & ST_RDONLY))
		warn("/etc is read-only this boot: the overlay could not write to "
		     BERTH_ROOT_DEFAULT "/etc (is /var full?)");
	return 0;
}
