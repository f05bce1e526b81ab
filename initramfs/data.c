/* The data partition: on the first boot on a bigger disk, grow it (GPT,
 * then the kernel's view, then ext4, online); check it with e2fsck when
 * the kernel recorded errors in it, format it when it holds nothing at
 * all (a factory reset zeroes it), then mount it on /var. A failure to
 * grow only costs space, so it is a warning; a partition that holds
 * something other than ext4 is never formatted: that is fatal. e2fsck and
 * mke2fs come from the root, which is verified and mounted by now. */
#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "initramfs.h"
#include "spawn.h"

#define DATA_LABEL "berth-data"
#define DATA_MOUNT "/newroot/var"
/* not nosuid: container root filesystems live on /var and keep their setuid bits */
#define DATA_FLAGS MS_NODEV
#define TOOLS "/newroot/usr/sbin"
#define FSCK_LOG "/run/berth/fsck.log"
/* a partition is empty when these many bytes at each end are zero: covers
 * the signatures of ext*, xfs, btrfs, LUKS, LVM, swap, and md/ZFS labels */
#define BLANK_SPAN (1024 * 1024)

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

/* the offset of the first nonzero byte in [start, start + len), or -1 */
static long long first_nonzero(int fd, uint64_t start, uint64_t len)
{
	static unsigned char buf[65536];

	for (uint64_t off = 0; off < len;) {
		size_t want = len - off < sizeof buf ? (size_t)(len - off) : sizeof buf;
		ssize_t n = pread(fd, buf, want, (off_t)(start + off));

		if (n <= 0)
			return n == 0 ? -1 : (long long)(start + off);
		for (ssize_t i = 0; i < n; i++)
			if (buf[i])
				return (long long)(start + off) + i;
		off += (uint64_t)n;
	}
	return -1;
}

int data_plan(const char *dev, int force_fsck, enum data_action *action, struct error *e)
{
	struct ext4_info sb;
	struct error why = { "" };
	struct stat st;
	uint64_t size, span;
	long long at;
	int fd;

	if (ext4_probe(dev, &sb, &why) == 0) {
		int errors = (sb.state & EXT4_STATE_ERRORS) || sb.error_count;

		*action = force_fsck || errors ? DATA_FSCK : DATA_READY;
		return 0;
	}
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_errno(e, "open %s", dev);
	if (fstat(fd, &st) != 0 || (S_ISBLK(st.st_mode) ? ioctl(fd, BLKGETSIZE64, &size) != 0 :
							  (size = (uint64_t)st.st_size, 0))) {
		error_errno(e, "size of %s", dev);
		close(fd);
		return -1;
	}
	span = size < BLANK_SPAN ? size : BLANK_SPAN;
	at = first_nonzero(fd, 0, span);
	if (at < 0)
		at = first_nonzero(fd, size - span, span);
	close(fd);
	if (at >= 0)
		return error_set(e, "%s (%s) holds no ext4 but is not empty (byte %lld is not zero); "
				    "not formatting it: zero it to start afresh",
				 dev, DATA_LABEL, at);
	*action = DATA_FORMAT;
	return 0;
}

/* run a tool from the root with its output in log; its exit status, or -1 */
static int run_tool(char *const argv[], const char *log)
{
	/* mke2fs finds no /etc/mke2fs.conf here and uses its built-in one */
	static char *const env[] = { "PATH=" TOOLS, "E2FSCK_CONFIG=/newroot/etc/e2fsck.conf", NULL };
	char what[300];
	int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600), r;
	struct spawn sp = { .argv = argv, .env = env, .what = what, .fd = { SPAWN_NULL, out, out } };

	if (out < 0)
		return 127;
	snprintf(what, sizeof what, "exec %s", argv[0]);
	r = spawn_run(&sp, -1);
	close(out);
	return r >= SPAWN_SIGNAL ? 128 + r - SPAWN_SIGNAL : r;
}

int data_prepare(const char *dev, const char *tools, const char *log, int force_fsck,
		 struct error *e)
{
	enum data_action action;
	char tool[256];
	int r;

	if (data_plan(dev, force_fsck, &action, e) != 0)
		return -1;
	if (action == DATA_READY)
		return 0;
	if (action == DATA_FORMAT) {
		char *argv[] = { tool, "-q", "-F", "-t", "ext4", "-L", DATA_LABEL, (char *)dev, NULL };

		snprintf(tool, sizeof tool, "%s/mke2fs", tools);
		printf("initramfs: %s (%s) holds no filesystem: formatting it ext4, a first boot\n",
		       DATA_LABEL, dev);
		fflush(stdout);
		r = run_tool(argv, log);
		if (r != 0)
			return error_set(e, "mke2fs %s (%s) failed (exit %d); see %s", dev, DATA_LABEL,
					 r, log);
		return 0;
	}
	/* -y: a container host has nobody at the console to answer; -f: the
	 * superblock says it is not clean, whatever its valid flag says */
	{
		char *argv[] = { tool, "-f", "-y", (char *)dev, NULL };

		snprintf(tool, sizeof tool, "%s/e2fsck", tools);
		printf("initramfs: %s (%s) %s: e2fsck -f -y, output in %s\n", DATA_LABEL, dev,
		       force_fsck ? "check asked for (berth.fsck=force)" : "records filesystem errors",
		       log);
		fflush(stdout);
		r = run_tool(argv, log);
	}
	if (r == 0 || r == 1 || r == 2 || r == 3)
		printf("initramfs: %s: e2fsck %s (exit %d)\n", DATA_LABEL,
		       r ? "fixed the errors" : "found no errors", r);
	else
		warn("%s: e2fsck left errors it could not fix (exit %d); mounting it anyway, see %s",
		     DATA_LABEL, r, log);
	return 0;
}

int data_setup(const struct blockdev *data, int force_fsck, struct error *e)
{
	char dev[96];
	struct error w;
	int r;

	if (snprintf(dev, sizeof dev, "/dev/%s", data->devname) >= (int)sizeof dev)
		return error_set(e, "device name %s too long", data->devname);
	if (partition_grow(data, &w) < 0)
		warn("%s: not grown: %s", DATA_LABEL, w.msg);

	mkdir("/run/berth", 0755);
	if (data_prepare(dev, TOOLS, FSCK_LOG, force_fsck, e) != 0)
		return -1;
	if (mount(dev, DATA_MOUNT, "ext4", DATA_FLAGS, NULL) != 0)
		return error_errno(e, "mount %s (%s) on %s as ext4", dev, DATA_LABEL, DATA_MOUNT);

	{
		char uuid[37];
		int set = ext4_uuid_assign(DATA_MOUNT, uuid, &w);
		if (set < 0)
			warn("%s: %s", DATA_LABEL, w.msg);
		if (set > 0)
			printf("initramfs: %s: this machine's filesystem UUID is %s (the image's was nil)\n", DATA_LABEL,
			       uuid);
	}
	r = ext4_grow_online(DATA_MOUNT, dev, &w);
	if (r < 0)
		warn("%s: filesystem not grown: %s", DATA_LABEL, w.msg);
	else if (r > 0)
		printf("initramfs: ext4 on %s grown to fill the partition\n", dev);

	run_state("data-device", dev);
	return 0;
}
