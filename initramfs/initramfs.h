/* The early /init: find the root slot that verifies, map it with dm-verity,
 * mount root, /var and /etc, switch_root. One concern per file. */
#ifndef INITRAMFS_H
#define INITRAMFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VERITY_BLOCK 4096u
#define VERITY_DIGEST 32u
#define VERITY_SALT_MAX 256u

/* A failure described in one line; functions fill it and return -1, the
 * caller decides whether that ends the boot (boot.c) or the command. */
struct error {
	char msg[768];
};
int error_set(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* as error_set, appending ": <strerror(errno)>" */
int error_errno(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sha256.c */
struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char digest[32]);

/* le.c: n bytes at p, little-endian (GPT, ext4) */
uint64_t get_le(const unsigned char *p, unsigned n);
void put_le(unsigned char *p, unsigned n, uint64_t v);

/* crc32.c: the CRC-32 of GPT (IEEE 802.3, reflected, as zlib's crc32) */
uint32_t crc32_gpt(const void *data, size_t len);

/* hex.c */
void hex_encode(const unsigned char *bin, size_t len, char *out);
/* returns the number of bytes decoded, or -1 on odd length / bad digit / overflow */
ssize_t hex_decode(const char *hex, unsigned char *out, size_t max);
/* strict decimal: digits only, no sign, no overflow */
int parse_u64(const char *s, uint64_t *out);

/* params.c: the verity parameters the UKI's command line carries */
struct boot_params {
	unsigned char roothash[VERITY_DIGEST];
	char roothash_hex[2 * VERITY_DIGEST + 1];
	uint64_t data_blocks;
	uint64_t hash_offset;
	unsigned char salt[VERITY_SALT_MAX];
	size_t salt_len;
	char salt_hex[2 * VERITY_SALT_MAX + 1]; /* "-" when there is none */
	unsigned root_timeout;                  /* seconds */
	int debug;
};
int params_from_values(struct boot_params *p, const char *roothash, const char *data_blocks,
		       const char *hash_offset, const char *salt, struct error *e);
int params_from_cmdline(struct boot_params *p, const char *cmdline, struct error *e);
int params_debug(const char *cmdline);
int params_fsck_force(const char *cmdline);
uint64_t params_hash_start_block(const struct boot_params *p);

/* verity.c: does the hash tree on fd hash up to p->roothash? */
int verity_check(int fd, const struct boot_params *p, struct error *e);

/* dm.c: the verity target for dev, and its length in 512-byte sectors */
int verity_table(char *buf, size_t size, dev_t dev, const struct boot_params *p, int restart);
uint64_t verity_sectors(const struct boot_params *p);
/* map dev (the root partition) as /dev/mapper/<name>; restart: a block that
 * fails verification reboots the machine, else it is an I/O error */
int dm_verity_create(const char *name, dev_t dev, const struct boot_params *p, int restart,
		     char *node, size_t nodesize, struct error *e);
/* swap the live table of name for the same one with restart_on_corruption */
int dm_verity_restart_policy(const char *name, dev_t dev, const struct boot_params *p,
			     struct error *e);
int dm_remove(const char *name, struct error *e);
/* verity.c: read every block of the mapped device once (dm-verity checks
 * each against the tree); the first that fails is named */
int verity_read_all(const char *node, const struct boot_params *p, struct error *e);

/* partlabel.c: block devices as the kernel announces them in sysfs */
struct blockdev {
	char name[64];     /* sysfs name, e.g. vda4 */
	char devname[64];  /* node under /dev */
	char partname[72]; /* PARTLABEL, "" for none */
	char disk[64];     /* sysfs name of the whole disk, "" for a disk */
	unsigned partn;
	dev_t dev;
};
#define BLOCKDEV_MAX 64
int blockdev_scan(struct blockdev *devs, size_t max);
/* wait until a root slot and the data partition exist; on timeout e lists what was seen */
int partitions_wait(struct blockdev *devs, size_t max, size_t *n, unsigned timeout_s,
		    struct error *e);

/* gpt.c: grow partition `label` to the end of the disk, moving the backup GPT */
struct gpt_grown {
	unsigned partn; /* 1-based, as the kernel numbers it */
	uint64_t first_lba, last_lba;
	int changed;
};
int gpt_grow(int fd, unsigned sector, uint64_t disk_bytes, const char *label,
	     struct gpt_grown *out, struct error *e);

/* resize.c: ext4 on the data partition */
struct ext4_info {
	uint64_t blocks;
	unsigned block_size;
	unsigned state;       /* s_state: EXT4_VALID_FS, EXT4_ERROR_FS */
	uint32_t error_count; /* s_error_count: errors the kernel met since the last fsck */
};
#define EXT4_STATE_ERRORS 0x0002
int ext4_probe(const char *dev, struct ext4_info *info, struct error *e);
int ext4_grow_online(const char *mountpoint, const char *dev, struct error *e);

/* data.c: grow the data partition and mount it on /newroot/var */
/* what the data partition needs before it is mounted: nothing, e2fsck (the
 * superblock records errors, or force), or mke2fs (no filesystem at all:
 * its first and last MiB are zero); anything else is refused */
enum data_action { DATA_READY, DATA_FSCK, DATA_FORMAT };
int data_plan(const char *dev, int force_fsck, enum data_action *action, struct error *e);
/* carry the plan out with e2fsck/mke2fs from tools (a directory); their
 * output goes to log. Returns -1 only when the partition is unusable. */
int data_prepare(const char *dev, const char *tools, const char *log, int force_fsck,
		 struct error *e);
int data_setup(const struct blockdev *data, int force_fsck, struct error *e);

/* identity.c: a nil UUID on the mounted ext4 becomes a random one: 1 if
 * it was set now, 0 if it had one already (uuid: the UUID either way) */
int ext4_uuid_assign(const char *mountpoint, char uuid[37], struct error *e);

/* mount.c */
int early_mounts(struct error *e);
int root_mount(const char *node, struct error *e);
int etc_overlay(struct error *e);

/* switchroot.c: never returns on success */
int switch_root(const char *newroot, const char *init, struct error *e);

/* boot.c */
/* write "value\n" to /run/berth/<name>: state a person can cat */
void run_state(const char *name, const char *value);
int console_open(void);
_Noreturn void boot_fail(const struct error *e);
/* berth.debug on the kernel command line */
int params_debug_on(void);

/* fallback.c: no slot verifies under this UKI: mark it bad and boot the
 * other UKI, reboot a trial, or power off; never a boot loop */
_Noreturn void root_unverified(const struct blockdev *devs, size_t n, const struct boot_params *p,
			       const struct error *e);
_Noreturn void boot(void);

#endif
