/* libFuzzer target for the initramfs's parsers of untrusted bytes: the
 * kernel command line, the verity superblock of a root slot and the GPT of
 * the disk. The first input byte picks the parser.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib -Iinitramfs \
 *     initramfs/fuzz/fuzz.c initramfs/{params,hex,error,verity,gpt,crc32,sha256,le}.c \
 *     lib/cmdline.c lib/file.c lib/log.c -o out/fuzz-initramfs
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "initramfs.h"

#define DISK_MAX (1u << 20)

static int memfd_with(const uint8_t *data, size_t size, size_t min)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size || ftruncate(fd, (off_t)(size < min ? min : size)) != 0)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_params p;
	struct error e;
	struct gpt_grown g;
	char *s;
	int fd;

	if (size < 1 || size > DISK_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		s = malloc(size);
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		params_from_cmdline(&p, s, &e);
		free(s);
		break;
	case 1:
		/* a slot with a superblock at 4096 claiming one data block */
		memset(&p, 0, sizeof p);
		if (params_from_values(&p, "0000000000000000000000000000000000000000000000000000000000000000",
				       "1", "4096", "-", &e) != 0)
			abort();
		fd = memfd_with(data + 1, size - 1, 0);
		verity_check(fd, &p, &e);
		close(fd);
		break;
	case 2:
		/* grow into a disk twice the size of the input */
		fd = memfd_with(data + 1, size - 1, 2 * (size - 1));
		gpt_grow(fd, 512, 2 * (uint64_t)(size - 1), "berth-data", &g, &e);
		close(fd);
		break;
	}
	return 0;
}
