/* ext4 on the data partition: read its superblock before mounting (the
 * size, and whether the kernel recorded errors in it) and grow it online
 * once the partition has grown. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "initramfs.h"

#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, uint64_t) /* fs/ext4/ext4.h, not in the UAPI */
#endif

/* ext4 superblock, 1024 bytes into the device, little-endian */
#define SB_OFFSET 1024
#define SB_BLOCKS_LO 0x04
#define SB_LOG_BLOCK_SIZE 0x18
#define SB_MAGIC 0x38
#define SB_STATE 0x3a
#define SB_INCOMPAT 0x60
#define SB_BLOCKS_HI 0x150
#define SB_ERROR_COUNT 0x194
#define SB_LEN 0x200
#define EXT4_MAGIC 0xef53
#define INCOMPAT_64BIT 0x80

int ext4_probe(const char *dev, struct ext4_info *info, struct error *e)
{
	unsigned char sb[SB_LEN];
	uint64_t log;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return error_errno(e, "open %s", dev);
	n = pread(fd, sb, sizeof sb, SB_OFFSET);
	close(fd);
	if (n != (ssize_t)sizeof sb)
		return error_errno(e, "read ext4 superblock of %s", dev);
	if (get_le(sb + SB_MAGIC, 2) != EXT4_MAGIC)
		return error_set(e, "%s holds no ext4 filesystem", dev);
	log = get_le(sb + SB_LOG_BLOCK_SIZE, 4);
	if (log > 6)
		return error_set(e, "%s: ext4 block size 1024<<%llu is not plausible", dev,
				 (unsigned long long)log);
	info->block_size = 1024u << log;
	info->blocks = get_le(sb + SB_BLOCKS_LO, 4);
	if (get_le(sb + SB_INCOMPAT, 4) & INCOMPAT_64BIT)
		info->blocks |= get_le(sb + SB_BLOCKS_HI, 4) << 32;
	info->state = (unsigned)get_le(sb + SB_STATE, 2);
	info->error_count = (uint32_t)get_le(sb + SB_ERROR_COUNT, 4);
	return 0;
}

int ext4_grow_online(const char *mountpoint, const char *dev, struct error *e)
{
	struct ext4_info sb;
	uint64_t part_bytes, want;
	int fd, r;

	if (ext4_probe(dev, &sb, e) != 0)
		return -1;
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, "open %s", dev);
	r = ioctl(fd, BLKGETSIZE64, &part_bytes);
	close(fd);
	if (r != 0)
		return error_errno(e, "size of %s", dev);
	want = part_bytes / sb.block_size;
	if (want <= sb.blocks)
		return 0;
	fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, "open %s", mountpoint);
	r = ioctl(fd, EXT4_IOC_RESIZE_FS, &want);
	close(fd);
	if (r != 0)
		return error_errno(e, "grow ext4 on %s from %llu to %llu blocks", dev,
				   (unsigned long long)sb.blocks, (unsigned long long)want);
	return 1;
}
