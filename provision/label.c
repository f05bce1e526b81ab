/* A filesystem's label read straight from its superblock, so finding the
 * cidata / config-2 seed needs neither blkid nor udev. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "provision.h"

static void trim(char *out, size_t size, const unsigned char *in, size_t n)
{
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\0'))
		n--;
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? (char)in[i] : '?';
	out[n] = '\0';
}

/* returns 0 with type "vfat" or "iso9660" and the label, -1 if neither */
int fs_label(const char *dev, char *type, size_t tsize, char *label, size_t lsize)
{
	unsigned char sb[512], pvd[2048];
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	int rc = -1;

	if (fd < 0)
		return -1;
	/* iso9660: the primary volume descriptor is sector 16 (2048-byte sectors) */
	if (pread(fd, pvd, sizeof pvd, 16 * 2048) == (ssize_t)sizeof pvd && pvd[0] == 1 &&
	    !memcmp(pvd + 1, "CD001", 5)) {
		snprintf(type, tsize, "iso9660");
		trim(label, lsize, pvd + 40, 32);
		rc = 0;
	} else if (pread(fd, sb, sizeof sb, 0) == (ssize_t)sizeof sb && sb[510] == 0x55 && sb[511] == 0xaa) {
		/* FAT32 keeps its extended BPB at 0x40, FAT12/16 at 0x24 */
		if (!memcmp(sb + 0x52, "FAT32", 5) && sb[0x42] == 0x29) {
			snprintf(type, tsize, "vfat");
			trim(label, lsize, sb + 0x47, 11);
			rc = 0;
		} else if (!memcmp(sb + 0x36, "FAT", 3) && sb[0x26] == 0x29) {
			snprintf(type, tsize, "vfat");
			trim(label, lsize, sb + 0x2b, 11);
			rc = 0;
		}
		if (rc == 0 && !strcmp(label, "NO NAME"))
			label[0] = '\0';
	}
	close(fd);
	return rc;
}
