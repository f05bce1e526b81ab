/* Map the verified root partition through dm-verity with the raw
 * device-mapper ioctls (what dmsetup and libdevmapper do, minus udev). */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "initramfs.h"

#define DM_CONTROL "/dev/mapper/control"
#define DM_CONTROL_MINOR 236 /* misc device 10:236 */
#define UUID_PREFIX "BERTH-VERITY-"

struct dm_request {
	struct dm_ioctl io;
	struct dm_target_spec spec;
	char params[1024];
} __attribute__((aligned(8)));

static void request_init(struct dm_request *r, const char *name, size_t size)
{
	memset(r, 0, sizeof *r);
	r->io.version[0] = DM_VERSION_MAJOR;
	r->io.version[1] = 0;
	r->io.version[2] = 0;
	r->io.data_size = (uint32_t)size;
	r->io.data_start = offsetof(struct dm_request, spec);
	snprintf(r->io.name, sizeof r->io.name, "%s", name);
}

/* devtmpfs normally creates the control node; make it if it did not */
static int control_open(struct error *e)
{
	int fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		mkdir("/dev/mapper", 0755);
		if (mknod(DM_CONTROL, S_IFCHR | 0600, makedev(10, DM_CONTROL_MINOR)) == 0)
			fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		error_errno(e, "open %s (device-mapper in the kernel?)", DM_CONTROL);
	return fd;
}

static void dev_remove(int fd, const char *name)
{
	struct dm_request r;

	request_init(&r, name, sizeof r.io);
	ioctl(fd, DM_DEV_REMOVE, &r.io);
}

uint64_t verity_sectors(const struct boot_params *p)
{
	return p->data_blocks * (VERITY_BLOCK / 512);
}

/* the target's parameters, as `dmsetup table` shows them after "0 <sectors>
 * verity"; without restart, a block that fails is an I/O error */
int verity_table(char *buf, size_t size, dev_t dev, const struct boot_params *p, int restart)
{
	int n = snprintf(buf, size, "1 %u:%u %u:%u %u %u %llu %llu sha256 %s %s%s", major(dev),
			 minor(dev), major(dev), minor(dev), VERITY_BLOCK, VERITY_BLOCK,
			 (unsigned long long)p->data_blocks,
			 (unsigned long long)params_hash_start_block(p), p->roothash_hex, p->salt_hex,
			 restart ? " 1 restart_on_corruption" : "");

	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* load a verity table into name's inactive slot, then resume: the table
 * goes live (DM_DEV_SUSPEND without DM_SUSPEND_FLAG swaps and resumes, and
 * keeps the page cache of the mapped device) */
static int table_swap(int fd, const char *name, dev_t dev, const struct boot_params *p,
		      int restart, dev_t *mapped, struct error *e)
{
	static struct dm_request r;
	size_t plen, size;
	int n;

	request_init(&r, name, 0);
	n = verity_table(r.params, sizeof r.params, dev, p, restart);
	if (n < 0)
		return error_set(e, "device-mapper: verity table too long");
	plen = (size_t)n + 1;
	size = (offsetof(struct dm_request, params) + plen + 7) & ~(size_t)7;
	r.io.data_size = (uint32_t)size;
	r.io.target_count = 1;
	r.io.flags = DM_READONLY_FLAG;
	r.spec.sector_start = 0;
	r.spec.length = verity_sectors(p);
	r.spec.next = 0;
	snprintf(r.spec.target_type, sizeof r.spec.target_type, "verity");
	if (ioctl(fd, DM_TABLE_LOAD, &r.io) != 0)
		return error_errno(e, "device-mapper: load verity table for %s (%u:%u)", name,
				   major(dev), minor(dev));
	request_init(&r, name, sizeof r.io);
	if (ioctl(fd, DM_DEV_SUSPEND, &r.io) != 0)
		return error_errno(e, "device-mapper: resume %s", name);
	if (mapped)
		*mapped = (dev_t)r.io.dev;
	return 0;
}

int dm_verity_create(const char *name, dev_t dev, const struct boot_params *p, int restart,
		     char *node, size_t nodesize, struct error *e)
{
	struct dm_request r;
	dev_t mapped;
	int fd;

	fd = control_open(e);
	if (fd < 0)
		return -1;

	request_init(&r, name, sizeof r.io);
	snprintf(r.io.uuid, sizeof r.io.uuid, UUID_PREFIX "%s", name);
	if (ioctl(fd, DM_DEV_CREATE, &r.io) != 0) {
		error_errno(e, "device-mapper: create %s", name);
		close(fd);
		return -1;
	}
	if (table_swap(fd, name, dev, p, restart, &mapped, e) != 0)
		goto fail;
	close(fd);

	if (snprintf(node, nodesize, "/dev/mapper/%s", name) >= (int)nodesize)
		return error_set(e, "device-mapper: node name too long");
	mkdir("/dev/mapper", 0755);
	unlink(node);
	if (mknod(node, S_IFBLK | 0600, mapped) != 0)
		return error_errno(e, "mknod %s (%u:%u)", node, major(mapped), minor(mapped));
	return 0;
fail:
	dev_remove(fd, name);
	close(fd);
	return -1;
}

int dm_verity_restart_policy(const char *name, dev_t dev, const struct boot_params *p,
			     struct error *e)
{
	int fd = control_open(e), r;

	if (fd < 0)
		return -1;
	r = table_swap(fd, name, dev, p, 1, NULL, e);
	close(fd);
	return r;
}

int dm_remove(const char *name, struct error *e)
{
	int fd = control_open(e);

	if (fd < 0)
		return -1;
	dev_remove(fd, name);
	close(fd);
	return 0;
}
