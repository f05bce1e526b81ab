/* Find partitions by PARTLABEL without udev: the kernel publishes PARTNAME
 * in each block device's uevent file, and devtmpfs makes the node. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "initramfs.h"

#define SYS_BLOCK "/sys/class/block"
#define POLL_MS 50

static void field(const char *uevent, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	out[0] = '\0';
	for (const char *p = uevent; *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			len -= klen + 1;
			if (len >= size)
				len = size - 1;
			memcpy(out, p + klen + 1, len);
			out[len] = '\0';
			return;
		}
		p += len + (end ? 1 : 0);
	}
}

/* the sysfs link of a partition ends in .../block/<disk>/<part> */
static void parent_disk(const char *name, char *disk, size_t size)
{
	char path[256], target[512];
	ssize_t n;
	char *last, *prev;

	disk[0] = '\0';
	snprintf(path, sizeof path, SYS_BLOCK "/%s", name);
	n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	last = strrchr(target, '/');
	if (!last)
		return;
	*last = '\0';
	prev = strrchr(target, '/');
	if (snprintf(disk, size, "%s", prev ? prev + 1 : target) >= (int)size)
		disk[0] = '\0';
}

int blockdev_scan(struct blockdev *devs, size_t max)
{
	char path[320], uevent[1024], num[16];
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(SYS_BLOCK);

	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		struct blockdev *b = &devs[n];
		unsigned maj, min;

		if (de->d_name[0] == '.')
			continue;
		memset(b, 0, sizeof *b);
		if (snprintf(b->name, sizeof b->name, "%s", de->d_name) >= (int)sizeof b->name ||
		    snprintf(path, sizeof path, SYS_BLOCK "/%s/uevent", de->d_name) >= (int)sizeof path ||
		    file_read(path, uevent, sizeof uevent) < 0)
			continue;
		field(uevent, "DEVNAME", b->devname, sizeof b->devname);
		field(uevent, "PARTNAME", b->partname, sizeof b->partname);
		field(uevent, "MAJOR", num, sizeof num);
		maj = (unsigned)strtoul(num, NULL, 10);
		field(uevent, "MINOR", num, sizeof num);
		min = (unsigned)strtoul(num, NULL, 10);
		b->dev = makedev(maj, min);
		field(uevent, "PARTN", num, sizeof num);
		b->partn = (unsigned)strtoul(num, NULL, 10);
		if (b->devname[0] == '\0')
			continue;
		if (b->partn > 0)
			parent_disk(b->name, b->disk, sizeof b->disk);
		n++;
	}
	closedir(d);
	return (int)n;
}

static int have(const struct blockdev *devs, size_t n, const char *label)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(devs[i].partname, label) == 0)
			return 1;
	return 0;
}

int partitions_wait(struct blockdev *devs, size_t max, size_t *n, unsigned timeout_s,
		    struct error *e)
{
	double deadline = boottime_seconds() + timeout_s;
	const struct timespec poll = { 0, POLL_MS * 1000000L };
	size_t len;
	int r;

	for (;;) {
		r = blockdev_scan(devs, max);
		*n = r > 0 ? (size_t)r : 0;
		if ((have(devs, *n, "berth-root-a") || have(devs, *n, "berth-root-b")) &&
		    have(devs, *n, "berth-data"))
			return 0;
		if (boottime_seconds() >= deadline)
			break;
		nanosleep(&poll, NULL);
	}
	error_set(e, "no berth-root-a/berth-root-b and berth-data partitions after %u s; block devices seen:",
		  timeout_s);
	len = strlen(e->msg);
	if (*n == 0)
		snprintf(e->msg + len, sizeof e->msg - len, " none");
	for (size_t i = 0; i < *n && len < sizeof e->msg; i++) {
		snprintf(e->msg + len, sizeof e->msg - len, " %s(%s)", devs[i].name,
			 devs[i].partname[0] ? devs[i].partname : "-");
		len = strlen(e->msg);
	}
	return -1;
}
