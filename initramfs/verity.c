/* Userspace check of a root slot before it is mapped: does the veritysetup
 * superblock describe the tree the command line expects, and does the
 * top-level hash block hash to the root hash? dm-verity then checks every
 * data block against that tree as it is read. An empty slot, an older image
 * or garbage fails here with one line instead of a corrupt mount later. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs.h"

/* cryptsetup's struct verity_sb, little-endian, 512 bytes */
#define SB_SIGNATURE 0
#define SB_VERSION 8
#define SB_HASH_TYPE 12
#define SB_ALGORITHM 32
#define SB_DATA_BLOCK_SIZE 64
#define SB_HASH_BLOCK_SIZE 68
#define SB_DATA_BLOCKS 72
#define SB_SALT_SIZE 80
#define SB_SALT 88
#define SB_SIZE 512

#define DIGESTS_PER_BLOCK_BITS 7 /* 4096 / 32 = 128 digests per hash block */

static uint64_t le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENXIO; /* past the end of the device */
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static int device_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int superblock_check(const unsigned char *sb, const struct boot_params *p, struct error *e)
{
	uint64_t salt_size = le(sb + SB_SALT_SIZE, 2);

	if (memcmp(sb + SB_SIGNATURE, "verity\0\0", 8) != 0)
		return error_set(e, "no verity superblock at offset %llu",
				 (unsigned long long)p->hash_offset);
	if (le(sb + SB_VERSION, 4) != 1 || le(sb + SB_HASH_TYPE, 4) != 1)
		return error_set(e, "verity superblock version %u, format %u: expected 1 and 1",
				 (unsigned)le(sb + SB_VERSION, 4), (unsigned)le(sb + SB_HASH_TYPE, 4));
	if (memcmp(sb + SB_ALGORITHM, "sha256", 7) != 0)
		return error_set(e, "verity hash algorithm is not sha256");
	if (le(sb + SB_DATA_BLOCK_SIZE, 4) != VERITY_BLOCK || le(sb + SB_HASH_BLOCK_SIZE, 4) != VERITY_BLOCK)
		return error_set(e, "verity block sizes %u/%u: expected 4096/4096",
				 (unsigned)le(sb + SB_DATA_BLOCK_SIZE, 4),
				 (unsigned)le(sb + SB_HASH_BLOCK_SIZE, 4));
	if (le(sb + SB_DATA_BLOCKS, 8) != p->data_blocks)
		return error_set(e, "verity superblock has %llu data blocks, the command line %llu",
				 (unsigned long long)le(sb + SB_DATA_BLOCKS, 8),
				 (unsigned long long)p->data_blocks);
	if (salt_size != p->salt_len || memcmp(sb + SB_SALT, p->salt, p->salt_len) != 0)
		return error_set(e, "verity salt differs from the command line's");
	return 0;
}

int verity_check(int fd, const struct boot_params *p, struct error *e)
{
	static unsigned char block[VERITY_BLOCK];
	unsigned char digest[VERITY_DIGEST];
	uint64_t hash_start = params_hash_start_block(p), hash_blocks = 0, size, top;
	unsigned levels = 0, bits = DIGESTS_PER_BLOCK_BITS;
	struct sha256 s;

	if (read_at(fd, block, SB_SIZE, p->hash_offset) != 0)
		return error_errno(e, "read verity superblock at offset %llu",
				   (unsigned long long)p->hash_offset);
	if (superblock_check(block, p, e) != 0)
		return -1;

	/* the same geometry as dm-verity's constructor: enough levels that the
	 * top one is a single block; the top level is stored first */
	while (bits * levels < 64 && (p->data_blocks - 1) >> (bits * levels))
		levels++;
	for (unsigned i = 0; i < levels; i++) {
		unsigned shift = bits * (i + 1);
		hash_blocks += shift >= 64 ? 1 : (p->data_blocks + (1ull << shift) - 1) >> shift;
	}
	if (device_size(fd, &size) != 0)
		return error_errno(e, "size of the root device");
	if (size / VERITY_BLOCK < hash_start + hash_blocks)
		return error_set(e, "device of %llu bytes ends inside the hash tree (needs %llu)",
				 (unsigned long long)size,
				 (unsigned long long)((hash_start + hash_blocks) * VERITY_BLOCK));

	/* with a single data block there is no tree: the root hash covers it */
	top = levels > 0 ? hash_start : 0;
	if (read_at(fd, block, VERITY_BLOCK, top * VERITY_BLOCK) != 0)
		return error_errno(e, "read top-level hash block %llu", (unsigned long long)top);
	/* format 1 hashes salt || block (format 0, Chrome OS, appends the salt) */
	sha256_init(&s);
	sha256_update(&s, p->salt, p->salt_len);
	sha256_update(&s, block, VERITY_BLOCK);
	sha256_final(&s, digest);
	if (memcmp(digest, p->roothash, VERITY_DIGEST) != 0) {
		char hex[2 * VERITY_DIGEST + 1];

		hex_encode(digest, VERITY_DIGEST, hex);
		return error_set(e, "hash tree root %s does not match roothash", hex);
	}
	return 0;
}

int verity_read_all(const char *node, const struct boot_params *p, struct error *e)
{
	static unsigned char buf[256 * 1024];
	uint64_t total = p->data_blocks * VERITY_BLOCK, off = 0;
	int fd = open(node, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_errno(e, "open %s", node);
	while (off < total) {
		size_t want = total - off < sizeof buf ? (size_t)(total - off) : sizeof buf;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			off += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EIO) {
			/* find the block: the ones before it in this chunk read fine */
			for (uint64_t b = off; b < off + want; b += VERITY_BLOCK)
				if (pread(fd, buf, VERITY_BLOCK, (off_t)b) < 0 && errno == EIO) {
					close(fd);
					return error_set(e, "data block %llu (bytes %llu-%llu) fails "
							    "verification against the hash tree",
							 (unsigned long long)(b / VERITY_BLOCK),
							 (unsigned long long)b,
							 (unsigned long long)(b + VERITY_BLOCK - 1));
				}
		}
		error_errno(e, "read %s at byte %llu", node, (unsigned long long)off);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
