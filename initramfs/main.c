/* initramfs-init: as PID 1 it boots (boot.c); otherwise it runs one of the
 * subcommands below, which drive the same code on files so the host tests
 * can check it against veritysetup, sfdisk and sha256sum. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "berth.h"
#include "initramfs.h"

static int open_ro(const char *path, struct error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		error_errno(e, "open %s", path);
	return fd;
}

static int cmd_sha256(char **argv, struct error *e)
{
	static unsigned char buf[65536];
	unsigned char digest[32];
	char hex[65];
	struct sha256 s;
	ssize_t n;
	int fd = open_ro(argv[0], e);

	if (fd < 0)
		return -1;
	sha256_init(&s);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(&s, buf, (size_t)n);
	if (n < 0) {
		close(fd);
		return error_errno(e, "read %s", argv[0]);
	}
	close(fd);
	sha256_final(&s, digest);
	hex_encode(digest, sizeof digest, hex);
	printf("%s\n", hex);
	return 0;
}

static int cmd_verity_check(char **argv, struct error *e)
{
	struct boot_params p;
	int fd, r;

	memset(&p, 0, sizeof p);
	if (params_from_values(&p, argv[1], argv[2], argv[3], argv[4], e) != 0)
		return -1;
	fd = open_ro(argv[0], e);
	if (fd < 0)
		return -1;
	r = verity_check(fd, &p, e);
	close(fd);
	if (r == 0)
		printf("ok\n");
	return r;
}

static int cmd_gpt_grow(char **argv, struct error *e)
{
	struct gpt_grown g;
	struct stat st;
	int fd = open(argv[0], O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return error_errno(e, "open %s", argv[0]);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return error_errno(e, "stat %s", argv[0]);
	}
	r = gpt_grow(fd, 512, (uint64_t)st.st_size, argv[1], &g, e);
	close(fd);
	if (r == 0)
		printf("%s: partition %u, LBA %" PRIu64 "-%" PRIu64 "%s\n", argv[1], g.partn,
		       g.first_lba, g.last_lba, g.changed ? "" : " (already at the end of the disk)");
	return r;
}

static int cmd_ext4_probe(char **argv, struct error *e)
{
	struct ext4_info sb;

	if (ext4_probe(argv[0], &sb, e) != 0)
		return -1;
	printf("ext4 blocks=%" PRIu64 " block_size=%u state=%#x errors=%" PRIu32 "\n", sb.blocks,
	       sb.block_size, sb.state, sb.error_count);
	return 0;
}

static int cmd_data_prepare(char **argv, struct error *e)
{
	return data_prepare(argv[0], argv[1], argv[2], strcmp(argv[3], "force") == 0, e);
}

static int cmd_ext4_uuid(char **argv, struct error *e)
{
	char uuid[37];
	int r = ext4_uuid_assign(argv[0], uuid, e);

	if (r < 0)
		return -1;
	printf("%s %s\n", uuid, r ? "set" : "kept");
	return 0;
}

static int cmd_cmdline(char **argv, struct error *e)
{
	struct boot_params p;

	if (params_from_cmdline(&p, argv[0], e) != 0)
		return -1;
	printf("roothash=%s\ndata_blocks=%" PRIu64 "\nhash_offset=%" PRIu64
	       "\nhash_start_block=%" PRIu64 "\nsalt=%s\nroot_timeout=%u\ndebug=%d\n",
	       p.roothash_hex, p.data_blocks, p.hash_offset, params_hash_start_block(&p),
	       p.salt_hex, p.root_timeout, p.debug);
	return 0;
}

static int cmd_verity_table(char **argv, struct error *e)
{
	struct boot_params p;
	unsigned maj, min;
	char table[1024], end;

	if (params_from_cmdline(&p, argv[0], e) != 0)
		return -1;
	if (sscanf(argv[1], "%u:%u%c", &maj, &min, &end) != 2)
		return error_set(e, "%s: expected MAJOR:MINOR", argv[1]);
	if (verity_table(table, sizeof table, makedev(maj, min), &p, 1) < 0)
		return error_set(e, "verity table too long");
	printf("0 %" PRIu64 " verity %s\n", verity_sectors(&p), table);
	return 0;
}

static const struct {
	const char *name;
	int argc;
	const char *usage;
	int (*run)(char **argv, struct error *e);
} commands[] = {
	{ "verity-check", 5, "FILE ROOTHASH DATA_BLOCKS HASH_OFFSET SALT", cmd_verity_check },
	{ "gpt-grow", 2, "IMAGEFILE PARTLABEL", cmd_gpt_grow },
	{ "sha256", 1, "FILE", cmd_sha256 },
	{ "cmdline", 1, "STRING", cmd_cmdline },
	{ "verity-table", 2, "CMDLINE MAJOR:MINOR", cmd_verity_table },
	{ "ext4-probe", 1, "DEVICE", cmd_ext4_probe },
	{ "data-prepare", 4, "DEVICE TOOLDIR LOG auto|force", cmd_data_prepare },
	{ "ext4-uuid", 1, "MOUNTPOINT", cmd_ext4_uuid },
};

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: (as PID 1) %s\n", log_prog());
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(stderr, "       %s %s %s\n", log_prog(), commands[i].name, commands[i].usage);
	_exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	struct error e = { "" };

	/* the kernel hands unknown command-line words to init as arguments */
	if (getpid() == 1)
		boot();
	log_init(argc > 0 ? argv[0] : "initramfs-init");
	if (argc < 2)
		usage();
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (argc - 2 != commands[i].argc)
			usage();
		if (commands[i].run(argv + 2, &e) != 0) {
			fflush(stdout);
			fprintf(stderr, "%s: %s: %s\n", log_prog(), argv[1], e.msg);
			return 1;
		}
		return 0;
	}
	usage();
}
