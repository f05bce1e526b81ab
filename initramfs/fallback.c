/* When no root slot verifies under the UKI that booted. A reboot is only
 * worth it when the next boot will differ from this one:
 *  - a trial UKI (berth-V+L-D.efi, L > 0): systemd-boot counts a try on
 *    every boot and falls back by itself when they run out;
 *  - a good UKI (berth-V.efi, no counter) would be picked again on every
 *    boot, forever: it is renamed bad (berth-V+0-3.efi) when the ESP holds
 *    another UKI that is not bad, and the boot goes there;
 *  - a bad one (berth-V+0-D.efi) boots only when nothing better exists, or
 *    another good one is still there to be picked.
 * Anything else (no other good UKI, a direct kernel boot, no ESP) stops the
 * machine with one line instead of a boot loop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "initramfs.h"

#define ESP_DIR "/run/esp"
#define UKI_DIR ESP_DIR "/EFI/Linux"
#define EFIVARS "/sys/firmware/efi/efivars"
/* systemd-boot's Boot Loader Interface: set only when it started this UKI */
#define LOADER_VAR EFIVARS "/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define STOP_DELAY 5
#define UKI_MAX 16

enum uki_state { UKI_GOOD, UKI_TRIAL, UKI_BAD };

struct uki {
	char name[256];
	enum uki_state state;
};

/* berth-V.efi, berth-V+L.efi, berth-V+L-D.efi; -1 for any other name */
static int uki_parse(const char *name, struct uki *u)
{
	size_t len = strlen(name);
	const char *plus;
	unsigned left, done;
	char end;

	if (strncmp(name, "berth-", 6) != 0 || len < 11 || len >= sizeof u->name ||
	    strcmp(name + len - 4, ".efi") != 0)
		return -1;
	snprintf(u->name, sizeof u->name, "%s", name);
	plus = strrchr(name, '+');
	if (!plus) {
		u->state = UKI_GOOD;
		return 0;
	}
	if (sscanf(plus, "+%u-%u.ef%c", &left, &done, &end) != 3 && sscanf(plus, "+%u.ef%c", &left, &end) != 2)
		return -1;
	u->state = left > 0 ? UKI_TRIAL : UKI_BAD;
	return 0;
}

/* 1 if the file holds "roothash=<hex>": the UKI's own command line */
static int uki_is_ours(int dfd, const char *name, const struct boot_params *p)
{
	static char buf[65536 + 128];
	char needle[80];
	size_t nlen, keep = 0;
	ssize_t n;
	int fd, found = 0;

	nlen = (size_t)snprintf(needle, sizeof needle, "roothash=%s", p->roothash_hex);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (!found && (n = read(fd, buf + keep, sizeof buf - keep)) > 0) {
		size_t have = keep + (size_t)n;
		found = memmem(buf, have, needle, nlen) != NULL;
		/* a needle cut in two by the read: keep the tail */
		keep = have < nlen ? have : nlen - 1;
		memmove(buf, buf + have - keep, keep);
	}
	close(fd);
	return found;
}

static const struct blockdev *esp_find(const struct blockdev *devs, size_t n)
{
	const struct blockdev *esp = NULL, *root = NULL;

	for (size_t i = 0; i < n; i++)
		if (strncmp(devs[i].partname, "berth-root-", 11) == 0 && !root)
			root = &devs[i];
	for (size_t i = 0; i < n; i++) {
		if (strcmp(devs[i].partname, "esp") != 0)
			continue;
		if (root && strcmp(devs[i].disk, root->disk) == 0)
			return &devs[i];
		if (!esp)
			esp = &devs[i];
	}
	return esp;
}

static _Noreturn void stop(const char *why)
{
	struct error e;

	error_set(&e, "%s: no other good Berth to fall back to; powering off rather than boot-loop "
		      "(docs/TROUBLESHOOTING.md, \"No root slot verifies\")", why);
	if (params_debug_on())
		boot_fail(&e); /* the shell, or a halt */
	warn("%s", e.msg);
	sync();
	sleep(STOP_DELAY);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static _Noreturn void restart(const char *why)
{
	warn("%s: rebooting", why);
	sync();
	sleep(STOP_DELAY);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

_Noreturn void root_unverified(const struct blockdev *devs, size_t n, const struct boot_params *p,
			       const struct error *e)
{
	static struct uki ukis[UKI_MAX];
	const struct blockdev *esp;
	struct uki *own = NULL;
	struct dirent *d;
	char node[96], bad[300], msg[1024];
	size_t nuki = 0;
	int other_good = 0, dfd;
	DIR *dir;

	warn("%s", e->msg);
	if (params_debug_on())
		boot_fail(e);
	mkdir(EFIVARS, 0755);
	mount("efivarfs", EFIVARS, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	if (access(LOADER_VAR, F_OK) != 0)
		stop("not started by systemd-boot (a direct kernel boot)");
	if (!(esp = esp_find(devs, n)))
		stop("no partition named esp");
	snprintf(node, sizeof node, "/dev/%s", esp->devname);
	mkdir(ESP_DIR, 0700);
	/* dirsync: the renamed entry is on the disk before the reboot */
	if (mount(node, ESP_DIR, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_DIRSYNC, "umask=0077") != 0) {
		snprintf(msg, sizeof msg, "mount the ESP %s: %s", node, strerror(errno));
		stop(msg);
	}
	if (!(dir = opendir(UKI_DIR)))
		stop("the ESP has no EFI/Linux");
	dfd = dirfd(dir);
	while ((d = readdir(dir)) && nuki < UKI_MAX) {
		struct uki *u = &ukis[nuki];
		if (uki_parse(d->d_name, u) != 0)
			continue;
		nuki++;
		if (!own && uki_is_ours(dfd, u->name, p))
			own = u;
	}
	for (size_t i = 0; i < nuki; i++)
		if (&ukis[i] != own && ukis[i].state != UKI_BAD)
			other_good = 1;
	if (!own) {
		closedir(dir);
		stop("no UKI on the ESP carries this roothash");
	}
	if (own->state == UKI_TRIAL) {
		snprintf(msg, sizeof msg, "EFI/Linux/%s is on trial: systemd-boot falls back when its tries run out",
			 own->name);
		closedir(dir);
		umount(ESP_DIR);
		restart(msg);
	}
	if (!other_good) {
		snprintf(msg, sizeof msg, "EFI/Linux/%s's root does not verify", own->name);
		closedir(dir);
		umount(ESP_DIR);
		stop(msg);
	}
	if (own->state == UKI_GOOD) {
		/* berth-V.efi -> berth-V+0-3.efi: what a failed trial ends as */
		snprintf(bad, sizeof bad, "%.*s+0-3.efi", (int)(strlen(own->name) - 4), own->name);
		if (renameat(dfd, own->name, dfd, bad) != 0) {
			snprintf(msg, sizeof msg, "mark EFI/Linux/%s bad: %s", own->name, strerror(errno));
			closedir(dir);
			stop(msg);
		}
		fsync(dfd);
		snprintf(msg, sizeof msg, "EFI/Linux/%s's root does not verify: marked bad (%s), the other UKI boots next",
			 own->name, bad);
	} else {
		snprintf(msg, sizeof msg, "EFI/Linux/%s is bad and its root does not verify: the other UKI boots next",
			 own->name);
	}
	closedir(dir);
	umount(ESP_DIR);
	restart(msg);
}
