/* The verity parameters on the kernel command line. The UKI's signed
 * command line is the only trust anchor, so every value is checked before
 * it reaches a device-mapper table. */
#include <string.h>

#include "berth.h"
#include "initramfs.h"

#define KEY_ROOTHASH "roothash"
#define KEY_BLOCKS "berth.verity_data_blocks"
#define KEY_OFFSET "berth.verity_hash_offset"
#define KEY_SALT "berth.verity_salt"
#define KEY_TIMEOUT "berth.root_timeout"
#define KEY_DEBUG "berth.debug"

#define ROOT_TIMEOUT_DEFAULT 10u
#define ROOT_TIMEOUT_MAX 3600u

/* bare berth.debug or berth.debug=1; berth.debug=0 is off */
int params_debug(const char *cmdline)
{
	char v[8];

	return cmdline_get(cmdline, KEY_DEBUG, v, sizeof v) == 1 && (v[0] == '\0' || strcmp(v, "1") == 0);
}

/* berth.fsck=force: check the data partition even when it records no errors */
int params_fsck_force(const char *cmdline)
{
	char v[8];

	return cmdline_get(cmdline, "berth.fsck", v, sizeof v) == 1 && strcmp(v, "force") == 0;
}

int params_from_values(struct boot_params *p, const char *roothash, const char *data_blocks,
		       const char *hash_offset, const char *salt, struct error *e)
{
	ssize_t n;

	if (strlen(roothash) != 2 * VERITY_DIGEST ||
	    hex_decode(roothash, p->roothash, sizeof p->roothash) != VERITY_DIGEST)
		return error_set(e, "%s: expected 64 hex digits (a sha256 digest)", KEY_ROOTHASH);
	hex_encode(p->roothash, VERITY_DIGEST, p->roothash_hex);

	if (parse_u64(data_blocks, &p->data_blocks) != 0 || p->data_blocks == 0 ||
	    p->data_blocks > UINT64_MAX / VERITY_BLOCK / 2)
		return error_set(e, "%s: expected a positive decimal count of 4096-byte blocks",
				 KEY_BLOCKS);

	if (parse_u64(hash_offset, &p->hash_offset) != 0 || p->hash_offset % VERITY_BLOCK != 0 ||
	    p->hash_offset > UINT64_MAX / 2)
		return error_set(e, "%s: expected a decimal byte offset, a multiple of 4096",
				 KEY_OFFSET);
	if (p->hash_offset < p->data_blocks * VERITY_BLOCK)
		return error_set(e, "%s: %llu is inside the %llu data blocks (%s)", KEY_OFFSET,
				 (unsigned long long)p->hash_offset,
				 (unsigned long long)p->data_blocks, KEY_BLOCKS);

	if (strcmp(salt, "-") == 0) {
		p->salt_len = 0;
		strcpy(p->salt_hex, "-");
	} else {
		n = hex_decode(salt, p->salt, sizeof p->salt);
		if (n <= 0)
			return error_set(e, "%s: expected '-' or 1 to 256 bytes in hex", KEY_SALT);
		p->salt_len = (size_t)n;
		hex_encode(p->salt, p->salt_len, p->salt_hex);
	}
	return 0;
}

/* a required key: missing and too long are different mistakes */
static int required(const char *cmdline, const char *key, char *val, size_t size, struct error *e)
{
	int r = cmdline_get(cmdline, key, val, size);

	if (r < 0)
		return error_set(e, "%s: value too long", key);
	if (r == 0 || val[0] == '\0')
		return error_set(e, "%s: missing from the kernel command line", key);
	return 0;
}

int params_from_cmdline(struct boot_params *p, const char *cmdline, struct error *e)
{
	char hash[80], blocks[32], offset[32], salt[2 * VERITY_SALT_MAX + 8], timeout[16];
	uint64_t t;
	int r;

	memset(p, 0, sizeof *p);
	p->debug = params_debug(cmdline);
	if (required(cmdline, KEY_ROOTHASH, hash, sizeof hash, e) != 0 ||
	    required(cmdline, KEY_BLOCKS, blocks, sizeof blocks, e) != 0 ||
	    required(cmdline, KEY_OFFSET, offset, sizeof offset, e) != 0 ||
	    required(cmdline, KEY_SALT, salt, sizeof salt, e) != 0)
		return -1;
	if (params_from_values(p, hash, blocks, offset, salt, e) != 0)
		return -1;

	p->root_timeout = ROOT_TIMEOUT_DEFAULT;
	r = cmdline_get(cmdline, KEY_TIMEOUT, timeout, sizeof timeout);
	if (r != 0) {
		if (r < 0 || parse_u64(timeout, &t) != 0 || t == 0 || t > ROOT_TIMEOUT_MAX)
			return error_set(e, "%s: expected whole seconds from 1 to %u", KEY_TIMEOUT,
					 ROOT_TIMEOUT_MAX);
		p->root_timeout = (unsigned)t;
	}
	return 0;
}

/* veritysetup writes a one-block superblock at the hash offset; the tree follows it */
uint64_t params_hash_start_block(const struct boot_params *p)
{
	return p->hash_offset / VERITY_BLOCK + 1;
}
