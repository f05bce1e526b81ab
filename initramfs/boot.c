/* The boot itself, as PID 1 from the initramfs. Two-phase failure policy:
 * every step either works or ends the boot with one line naming what
 * failed; then, without berth.debug, a reboot after 10 s so that
 * systemd-boot's boot counting can fall back to the previous UKI. A root
 * that does not verify goes through fallback.c instead, which never loops. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "initramfs.h"

#define NEWROOT "/newroot"
#define INIT "/sbin/init"
#define DEBUG_SHELL "/bin/sh"
#define REBOOT_DELAY 10
#define DM_NAME "root"

static const struct slot {
	const char *label, *letter;
} slots[] = {
	{ "berth-root-a", "a" },
	{ "berth-root-b", "b" },
};

int console_open(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		dup2(fd, i); /* dup2 clears O_CLOEXEC on the copies */
	if (fd > 2)
		close(fd);
	return 0;
}

void run_state(const char *name, const char *value)
{
	char path[128], line[256];
	int n = snprintf(line, sizeof line, "%s\n", value);

	if (snprintf(path, sizeof path, "/run/berth/%s", name) >= (int)sizeof path || n < 0 ||
	    (size_t)n >= sizeof line)
		return;
	mkdir("/run/berth", 0755);
	if (file_write_atomic(path, line, (size_t)n, 0644) != 0)
		warn_errno("write %s", path);
}

/* only berth.debug on the (signed) command line opens a shell */
int params_debug_on(void)
{
	char cmdline[4096];

	return cmdline_read(cmdline, sizeof cmdline) == 0 && params_debug(cmdline);
}

_Noreturn void boot_fail(const struct error *e)
{
	fflush(stdout);
	warn("%s", e->msg);
	if (params_debug_on()) {
		if (access(DEBUG_SHELL, X_OK) == 0) {
			warn("berth.debug: starting " DEBUG_SHELL);
			execv(DEBUG_SHELL, (char *const[]){ "sh", NULL });
			warn_errno("exec " DEBUG_SHELL);
		}
		warn("berth.debug: halted, no shell in this initramfs");
		for (;;)
			pause();
	}
	warn("rebooting in %d s", REBOOT_DELAY);
	sleep(REBOOT_DELAY);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* The first slot that verifies wins, a then b: its hash tree must hash up
 * to roothash, then every data block is read once through dm-verity
 * (without a reboot on failure, so that a bad block is named and the next
 * slot tried); only then does the mapping get restart_on_corruption for
 * the rest of the boot. A flipped byte anywhere in the root stops the boot
 * here, before any service runs, and the page cache is warm for what follows. */
static const struct blockdev *root_find(const struct blockdev *devs, size_t n,
					const struct boot_params *p, const char **letter,
					char *mapped, size_t mapped_size, struct error *e)
{
	char node[96], tried[sizeof e->msg];
	size_t len = 0;
	struct error why;

	tried[0] = '\0';
	for (size_t s = 0; s < sizeof slots / sizeof slots[0]; s++) {
		for (size_t i = 0; i < n; i++) {
			int fd, r;

			if (strcmp(devs[i].partname, slots[s].label) != 0)
				continue;
			snprintf(node, sizeof node, "/dev/%s", devs[i].devname);
			fd = open(node, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				error_errno(&why, "open");
			} else {
				r = verity_check(fd, p, &why);
				close(fd);
				if (r == 0 && dm_verity_create(DM_NAME, devs[i].dev, p, 0, mapped,
							       mapped_size, &why) == 0) {
					struct error gone;

					if (verity_read_all(mapped, p, &why) == 0 &&
					    dm_verity_restart_policy(DM_NAME, devs[i].dev, p, &why) == 0) {
						*letter = slots[s].letter;
						return &devs[i];
					}
					dm_remove(DM_NAME, &gone);
				}
			}
			warn("%s (%s): skipped: %s", slots[s].label, node, why.msg);
			snprintf(tried + len, sizeof tried - len, "%s%s (%s): %s", len ? "; " : "",
				 slots[s].label, node, why.msg);
			len = strlen(tried);
		}
	}
	error_set(e, "no root slot verifies against roothash %.16s...: %s", p->roothash_hex,
		  len ? tried : "no berth-root-a or berth-root-b partition");
	*letter = len ? "tried" : "";
	return NULL;
}

/* prefer the data partition on the disk the root came from (a second Berth
 * disk, e.g. the installer stick, must not lend its /var) */
static const struct blockdev *data_find(const struct blockdev *devs, size_t n,
					const struct blockdev *root)
{
	const struct blockdev *any = NULL;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(devs[i].partname, "berth-data") != 0)
			continue;
		if (strcmp(devs[i].disk, root->disk) == 0)
			return &devs[i];
		if (!any)
			any = &devs[i];
	}
	return any;
}

_Noreturn void boot(void)
{
	static struct blockdev devs[BLOCKDEV_MAX];
	static char cmdline[8192];
	const struct blockdev *root, *data;
	struct boot_params p;
	struct error e = { "" };
	char node[96], rootdev[96];
	const char *letter = "";
	size_t n;

	log_init("initramfs");
	umask(022);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (early_mounts(&e) != 0)
		boot_fail(&e);
	timeline("init start");

	if (cmdline_read(cmdline, sizeof cmdline) != 0) {
		error_errno(&e, "read /proc/cmdline");
		boot_fail(&e);
	}
	if (params_from_cmdline(&p, cmdline, &e) != 0)
		boot_fail(&e);

	if (partitions_wait(devs, BLOCKDEV_MAX, &n, p.root_timeout, &e) != 0)
		boot_fail(&e);
	root = root_find(devs, n, &p, &letter, node, sizeof node, &e);
	if (!root && *letter)
		root_unverified(devs, n, &p, &e); /* falls back, or stops: never a loop */
	if (!root)
		boot_fail(&e);
	snprintf(rootdev, sizeof rootdev, "/dev/%s", root->devname);
	run_state("slot", letter);
	run_state("root-device", rootdev);

	if (root_mount(node, &e) != 0)
		boot_fail(&e);
	timeline("root mounted");
	printf("initramfs: slot %s, %s verified, mapped at %s\n", letter, rootdev, node);

	data = data_find(devs, n, root);
	if (!data) {
		error_set(&e, "berth-data partition disappeared");
		boot_fail(&e);
	}
	if (data_setup(data, params_fsck_force(cmdline), &e) != 0 || etc_overlay(&e) != 0)
		boot_fail(&e);

	fflush(stdout);
	switch_root(NEWROOT, INIT, &e);
	boot_fail(&e);
}
