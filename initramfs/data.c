/* The data partition: on the first boot on a bigger disk, grow it (GPT,
 * then the kernel's view, then ext4, online); then mount it on /var. A
 * failure to grow only costs space, so it is a warning; no filesystem at
 * all means the disk is not a Berth disk any more, which is fatal. */
#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "initramfs.h"

#define DATA_LABEL "berth-data"
#define DATA_MOUNT "/newroot/var"
/* not nosuid: container root filesystems live on /var and keep their setuid bits */
#define DATA_FLAGS MS_NODEV

static int disk_node(const char *disk, char *node, size_t size)
{
	char path[160], uevent[1024], *p, *end;

	if (snprintf(path, sizeof path, "/sys/class/block/%s/uevent", disk) >= (int)sizeof path ||
	    file_read(path, uevent, sizeof uevent) < 0)
		return -1;
	p = strstr(uevent, "DEVNAME=");
	if (!p)
		return -1;
	p += strlen("DEVNAME=");
	end = strchr(p, '\n');
	if (end)
		*end = '\0';
	return snprintf(node, size, "/dev/%s", p) >= (int)size ? -1 : 0;
}

/* rewrite the GPT, then tell the kernel: the partition is in use by nobody
 * yet, and BLKPG_RESIZE_PARTITION avoids a reboot to re-read the table */
static int partition_grow(const struct blockdev *data, struct error *e)
{
	struct gpt_grown g;
	struct blkpg_partition part;
	struct blkpg_ioctl_arg arg;
	char disk[96];
	uint64_t bytes;
	int sector, fd;

	if (data->disk[0] == '\0' || disk_node(data->disk, disk, sizeof disk) != 0)
		return error_set(e, "no whole-disk device for %s", data->name);
	fd = open(disk, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, "open %s", disk);
	if (ioctl(fd, BLKSSZGET, &sector) != 0 || ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
		error_errno(e, "size of %s", disk);
		close(fd);
		return -1;
	}
	if (gpt_grow(fd, (unsigned)sector, bytes, DATA_LABEL, &g, e) != 0) {
		close(fd);
		return -1;
	}
	if (!g.changed) {
		close(fd);
		return 0;
	}
	memset(&part, 0, sizeof part);
	part.start = (long long)(g.first_lba * (unsigned)sector);
	part.length = (long long)((g.last_lba - g.first_lba + 1) * (unsigned)sector);
	part.pno = (int)g.partn;
	memset(&arg, 0, sizeof arg);
	arg.op = BLKPG_RESIZE_PARTITION;
	arg.datalen = sizeof part;
	arg.data = &part;
	if (ioctl(fd, BLKPG, &arg) != 0) {
		error_errno(e, "GPT of %s grown, but the kernel refused the new size of partition %u",
			    disk, g.partn);
		close(fd);
		return -1;
	}
	close(fd);
	printf("initramfs: %s grown to %llu MiB\n", data->devname,
	       (unsigned long long)(part.length >> 20));
	return 1;
}

int data_setup(const struct blockdev *data, struct error *e)
{
	char dev[96];
	uint64_t blocks;
	unsigned bsize;
	struct error w;
	int r;

	if (snprintf(dev, sizeof dev, "/dev/%s", data->devname) >= (int)sizeof dev)
		return error_set(e, "device name %s too long", data->devname);
	if (partition_grow(data, &w) < 0)
		warn("%s: not grown: %s", DATA_LABEL, w.msg);

	if (ext4_probe(dev, &blocks, &bsize, e) != 0) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n,
			 " (%s must hold the ext4 the disk image ships; the initramfs cannot format it)",
			 DATA_LABEL);
		return -1;
	}
	if (mount(dev, DATA_MOUNT, "ext4", DATA_FLAGS, NULL) != 0)
		return error_errno(e, "mount %s (%s) on %s as ext4", dev, DATA_LABEL, DATA_MOUNT);

	r = ext4_grow_online(DATA_MOUNT, dev, &w);
	if (r < 0)
		warn("%s: filesystem not grown: %s", DATA_LABEL, w.msg);
	else if (r > 0)
		printf("initramfs: ext4 on %s grown to fill the partition\n", dev);

	run_state("data-device", dev);
	return 0;
}
