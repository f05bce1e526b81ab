/* Partitions by name (PARTNAME in /sys/class/block/X/uevent, the GPT
 * partition label), and the slot devices. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "host.h"

#define SYS_BLOCK "/sys/class/block"

/* the disk a partition belongs to: the sysfs parent directory's name */
static int disk_of(const char *name, char *disk, size_t size)
{
	char link[UPD_PATH_MAX], real[PATH_MAX], *slash;

	upath(link, sizeof link, SYS_BLOCK "/%s", name);
	if (!realpath(link, real) || !(slash = strrchr(real, '/')))
		return -1;
	*slash = '\0';
	slash = strrchr(real, '/');
	return snprintf(disk, size, "%s", slash ? slash + 1 : real) < (int)size ? 0 : -1;
}

/* the value of KEY= in a uevent file's text */
static int uevent_get(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end;

		if (strncmp(l, key, klen) != 0 || l[klen] != '=')
			continue;
		l += klen + 1;
		end = strchr(l, '\n');
		if (!end)
			end = l + strlen(l);
		if ((size_t)(end - l) >= size)
			return -1;
		memcpy(out, l, (size_t)(end - l));
		out[end - l] = '\0';
		return 0;
	}
	return -1;
}

/* the disk the booted root came from, "" if $BERTH_RUN/root-device is absent */
static void booted_disk(const struct update_ctx *c, char *disk, size_t size)
{
	char path[UPD_PATH_MAX], dev[256], *nl, *base;

	disk[0] = '\0';
	upath(path, sizeof path, "%s/root-device", c->run);
	if (file_read(path, dev, sizeof dev) <= 0)
		return;
	if ((nl = strchr(dev, '\n')))
		*nl = '\0';
	base = strrchr(dev, '/');
	if (disk_of(base ? base + 1 : dev, disk, size) != 0)
		disk[0] = '\0';
}

int part_find(const struct update_ctx *c, const char *partname, char *dev, size_t size)
{
	char want[64], disk[64], path[UPD_PATH_MAX], text[4096], label[128], name[128];
	DIR *d = opendir(SYS_BLOCK);
	struct dirent *e;
	int rc = -1;

	if (!d)
		return -1;
	booted_disk(c, want, sizeof want);
	while (rc != 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		upath(path, sizeof path, SYS_BLOCK "/%s/uevent", e->d_name);
		if (file_read(path, text, sizeof text) < 0 ||
		    uevent_get(text, "PARTNAME", label, sizeof label) != 0 || strcmp(label, partname) != 0 ||
		    uevent_get(text, "DEVNAME", name, sizeof name) != 0)
			continue;
		if (want[0] && (disk_of(e->d_name, disk, sizeof disk) != 0 || strcmp(disk, want) != 0))
			continue;
		if (snprintf(dev, size, "/dev/%s", name) < (int)size)
			rc = 0;
	}
	closedir(d);
	return rc;
}

int slot_device(struct update_ctx *c, char slot, char *dev, size_t size)
{
	const char *env = getenv(slot == 'a' ? "BERTH_SLOT_A" : "BERTH_SLOT_B");
	char label[32];

	if (env && *env) {
		if (snprintf(dev, size, "%s", env) >= (int)size)
			return update_err(c, "BERTH_SLOT_%c: too long", slot == 'a' ? 'A' : 'B');
		return 0;
	}
	snprintf(label, sizeof label, "berth-root-%c", slot);
	if (part_find(c, label, dev, size) != 0)
		return update_err(c, "slot %c: no partition named %s in " SYS_BLOCK, slot, label);
	return 0;
}

int dev_size(const char *dev, uint64_t *size)
{
	struct stat sb;
	int fd, rc;

	if (stat(dev, &sb) != 0)
		return -1;
	if (S_ISREG(sb.st_mode)) {
		*size = (uint64_t)sb.st_size;
		return 0;
	}
	if (!S_ISBLK(sb.st_mode)) {
		errno = ENOTBLK;
		return -1;
	}
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = ioctl(fd, BLKGETSIZE64, size);
	close(fd);
	return rc == 0 ? 0 : -1;
}
