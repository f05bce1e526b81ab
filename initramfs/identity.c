/* The data filesystem's UUID is the machine's, not the image's: every disk
 * flashed from one image starts with the nil UUID (disk.sh makes it with
 * `mke2fs -U clear -O metadata_csum_seed`, so the image stays reproducible),
 * and the first boot that mounts it gives it a random one. The kernel does
 * the rewrite (EXT4_IOC_SETFSUUID, Linux 6.0): the primary superblock and
 * its backups, with their checksums; metadata_csum_seed keeps every other
 * checksum valid. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "initramfs.h"

/* fs/ext4/ext4.h, not in the UAPI: the ioctl's size is that of the header */
struct fsuuid_head {
	uint32_t fsu_len;
	uint32_t fsu_flags;
};
struct fsuuid16 {
	uint32_t fsu_len;
	uint32_t fsu_flags;
	uint8_t fsu_uuid[16];
};
#define EXT4_IOC_GETFSUUID _IOR('f', 44, struct fsuuid_head)
#define EXT4_IOC_SETFSUUID _IOW('f', 44, struct fsuuid_head)

static void uuid_format(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

int ext4_uuid_assign(const char *mountpoint, char uuid[37], struct error *e)
{
	static const uint8_t nil[16];
	struct fsuuid16 fu = { .fsu_len = 16 };
	int fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	uuid[0] = '\0';
	if (fd < 0)
		return error_errno(e, "open %s", mountpoint);
	if (ioctl(fd, EXT4_IOC_GETFSUUID, &fu) != 0) {
		close(fd);
		return error_errno(e, "read the filesystem UUID of %s", mountpoint);
	}
	uuid_format(fu.fsu_uuid, uuid);
	if (memcmp(fu.fsu_uuid, nil, sizeof nil) != 0) {
		close(fd);
		return 0;
	}
	if (getrandom(fu.fsu_uuid, sizeof fu.fsu_uuid, 0) != (ssize_t)sizeof fu.fsu_uuid) {
		close(fd);
		return error_errno(e, "getrandom");
	}
	fu.fsu_uuid[6] = (uint8_t)((fu.fsu_uuid[6] & 0x0f) | 0x40); /* version 4 */
	fu.fsu_uuid[8] = (uint8_t)((fu.fsu_uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	fu.fsu_len = 16;
	fu.fsu_flags = 0;
	r = ioctl(fd, EXT4_IOC_SETFSUUID, &fu);
	close(fd);
	if (r != 0)
		return error_errno(e, "set a filesystem UUID on %s (needs the metadata_csum_seed feature)", mountpoint);
	uuid_format(fu.fsu_uuid, uuid);
	return 1;
}
