/* The ESP: EFI/Linux holds the UKIs, and their names are the boot state.
 * Without BERTH_ESP it is found by its partition name and mounted in a
 * mount namespace of this process's own. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "berth.h"
#include "host.h"

/* Mounted in a namespace of its own, nobody else sees the ESP, and an
 * update killed half-way (the pause seam, a power-cut test) leaves no
 * mount behind. */
static int esp_mount(struct update_ctx *c, const char *dev)
{
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		warn_errno("update: make / a private mount");
	if (mkdir_p(c->esp, 0700) != 0)
		return update_err(c, "%s: %s", c->esp, strerror(errno));
	/* dirsync: vfat writes a renamed file's new entry, with its size, before
	 * it removes the old one, so a power cut never leaves neither name */
	if (mount(dev, c->esp, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_DIRSYNC, "umask=0077") != 0)
		return update_err(c, "mount the ESP %s on %s: %s", dev, c->esp, strerror(errno));
	c->esp_mounted = 1;
	return 0;
}

int esp_open(struct update_ctx *c)
{
	const char *env = getenv("BERTH_ESP");
	char dev[UPD_PATH_MAX];

	if (env && *env) {
		upath(c->esp, sizeof c->esp, "%s", env);
	} else {
		if (part_find(c, "esp", dev, sizeof dev) != 0)
			return update_err(c, "no ESP: no partition named esp in /sys/class/block");
		upath(c->esp, sizeof c->esp, "%s/esp", c->run);
		if (esp_mount(c, dev) != 0)
			return 1;
	}
	upath(c->linux_dir, sizeof c->linux_dir, "%s/EFI/Linux", c->esp);
	return esp_scan(c);
}

void esp_close(struct update_ctx *c)
{
	if (c->esp_mounted && umount2(c->esp, 0) != 0)
		warn_errno("update: unmount %s", c->esp);
	c->esp_mounted = 0;
}

static int uki_add(struct update_ctx *c, int dfd, const char *name)
{
	size_t len = strlen(name);
	struct esp_uki *u;
	struct stat sb;
	char base[256];

	if (strncmp(name, "berth-", 6) != 0)
		return 0;
	if (c->nuki == ESP_UKI_MAX)
		return update_err(c, "%s: more than %d berth-*.efi files", c->linux_dir, ESP_UKI_MAX);
	u = &c->uki[c->nuki];
	memset(u, 0, sizeof *u);
	if (len > 8 && strcmp(name + len - 8, ".efi.tmp") == 0)
		u->tmp = 1;
	else if (len <= 4 || strcmp(name + len - 4, ".efi") != 0 || len >= sizeof u->name)
		return 0;
	snprintf(u->name, sizeof u->name, "%s", name);
	snprintf(base, sizeof base, "%.*s", (int)(len - (u->tmp ? 4 : 0)), name);
	u->parsed = uki_name_parse(base, &u->n) == 0;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return update_err(c, "%s/%s: %s", c->linux_dir, name, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return 0;
	u->alloc = (uint64_t)sb.st_blocks * 512;
	c->nuki++;
	return 0;
}

int esp_scan(struct update_ctx *c)
{
	DIR *d = opendir(c->linux_dir);
	struct dirent *e;
	int rc = 0;

	c->nuki = 0;
	if (!d)
		return update_err(c, "ESP: %s: %s", c->linux_dir, strerror(errno));
	while (rc == 0 && (e = readdir(d)))
		rc = uki_add(c, dirfd(d), e->d_name);
	closedir(d);
	return rc;
}

const struct esp_uki *esp_find(const struct update_ctx *c, const char *version)
{
	for (size_t i = 0; i < c->nuki; i++)
		if (c->uki[i].parsed && !c->uki[i].tmp && strcmp(c->uki[i].n.version, version) == 0)
			return &c->uki[i];
	return NULL;
}

static int uki_bad(const struct uki_name *n)
{
	return n->counted && n->left == 0;
}

/* systemd-boot sorts entries with no tries left last, then the newest first */
const struct esp_uki *esp_next(const struct update_ctx *c)
{
	const struct esp_uki *best = NULL;

	for (size_t i = 0; i < c->nuki; i++) {
		const struct esp_uki *u = &c->uki[i];

		if (!u->parsed || u->tmp)
			continue;
		if (!best || uki_bad(&best->n) > uki_bad(&u->n) ||
		    (uki_bad(&best->n) == uki_bad(&u->n) && version_cmp(u->n.version, best->n.version) > 0))
			best = u;
	}
	return best;
}

int esp_fsync_dir(struct update_ctx *c)
{
	int fd = open(c->linux_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return update_err(c, "fsync %s: %s", c->linux_dir, strerror(err));
	}
	close(fd);
	return 0;
}

int esp_rename(struct update_ctx *c, const char *from, const char *to)
{
	char a[UPD_PATH_MAX], b[UPD_PATH_MAX];

	upath(a, sizeof a, "%s/%s", c->linux_dir, from);
	upath(b, sizeof b, "%s/%s", c->linux_dir, to);
	if (rename(a, b) != 0)
		return update_err(c, "rename %s to %s: %s", a, to, strerror(errno));
	/* vfat writes the size into the new directory entry only with the
	 * file's inode: fsync the file too, or a cut leaves it 0 bytes long */
	int fd = open(b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return update_err(c, "fsync %s: %s", b, strerror(err));
	}
	close(fd);
	return esp_fsync_dir(c);
}

int esp_free(struct update_ctx *c, uint64_t *bytes, uint64_t *cluster)
{
	struct statvfs sv;

	if (statvfs(c->linux_dir, &sv) != 0)
		return update_err(c, "statvfs %s: %s", c->linux_dir, strerror(errno));
	*bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	*cluster = sv.f_frsize ? sv.f_frsize : 4096;
	return 0;
}

/* mark the booted UKI bad: +0-N, N the tries it had (done + left) */
int esp_mark_bad(struct update_ctx *c, const struct esp_uki *u, char *name, size_t size)
{
	struct uki_name n = u->n;

	n.done = n.counted ? n.done + n.left : 1;
	if (n.done == 0)
		n.done = 1;
	if (n.done > UKI_COUNT_MAX)
		n.done = UKI_COUNT_MAX;
	n.left = 0;
	n.counted = 1;
	if (uki_name_format(&n, name, size) != 0)
		return update_err(c, "%s: name too long", u->name);
	return esp_rename(c, u->name, name);
}

void uki_state_str(const struct uki_name *n, char *buf, size_t size)
{
	if (!n->counted)
		snprintf(buf, size, "good");
	else if (n->left == 0)
		snprintf(buf, size, "bad");
	else
		snprintf(buf, size, "trial (%u %s left)", n->left, n->left == 1 ? "try" : "tries");
}
