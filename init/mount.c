/* Mounts: what stage 1 adds on top of the initramfs's, the cgroup tree, and
 * the unmount order at shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"

#define MOUNTS_MAX 512
/* below this much free space for ordinary writers, /var counts as full */
#define VAR_LOW_BYTES (4ull << 20)

struct mountent {
	char target[256];
	char fstype[32];
};

/* mountinfo can be long (overlay options of many containers): no stack */
static char mountinfo_buf[256 * 1024];
static struct mountent mountinfo_ents[MOUNTS_MAX];

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Parse "id parent maj:min root target opts [optional...] - fstype source superopts". */
static int mountinfo_read(const char *path, struct mountent *ents, int max)
{
	ssize_t len = file_read(path, mountinfo_buf, sizeof mountinfo_buf);
	int n = 0;
	char *save = NULL;

	if (len < 0)
		return -1;
	if ((size_t)len == sizeof mountinfo_buf - 1)
		warn("%s: longer than %zu bytes, the rest is ignored", path, sizeof mountinfo_buf - 1);
	for (char *line = strtok_r(mountinfo_buf, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *tok, *s2 = NULL;
		int i = 0;

		for (tok = strtok_r(line, " ", &s2); tok && i < 6; tok = strtok_r(NULL, " ", &s2))
			f[i++] = tok;
		if (i < 6)
			continue;
		while (tok && strcmp(tok, "-") != 0)
			tok = strtok_r(NULL, " ", &s2);
		tok = tok ? strtok_r(NULL, " ", &s2) : NULL;
		unescape(f[4]);
		if (snprintf(ents[n].target, sizeof ents[n].target, "%s", f[4]) >= (int)sizeof ents[n].target)
			continue;
		snprintf(ents[n].fstype, sizeof ents[n].fstype, "%s", tok ? tok : "?");
		n++;
	}
	return n;
}

int is_mountpoint(const char *path)
{
	int n = mountinfo_read("/proc/self/mountinfo", mountinfo_ents, MOUNTS_MAX);

	for (int i = 0; i < n; i++)
		if (strcmp(mountinfo_ents[i].target, path) == 0)
			return 1;
	return 0;
}

static const struct mount_spec {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
	int fatal;
} early_mounts[] = {
	/* the initramfs mounts these; a direct boot without it may not */
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 1 },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 1 },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 1 },
	/* ours */
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666,newinstance", 0 },
	{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 0 },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 0 },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate", 0 },
};

/* Prints "init start" itself when /run was not mounted: then no initramfs of
 * ours ran before. */
void mounts_early(struct init *st)
{
	if (access("/proc/self/mountinfo", R_OK) != 0) {
		mkdir("/proc", 0555);
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			fatal(st, "mount /proc: %s", strerror(errno));
	}
	for (size_t i = 0; i < sizeof early_mounts / sizeof early_mounts[0]; i++) {
		const struct mount_spec *m = &early_mounts[i];
		int run = strcmp(m->target, "/run") == 0;

		if (is_mountpoint(m->target))
			continue;
		mkdir(m->target, 0755); /* on the read-only root the mount point must exist already */
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) != 0) {
			if (m->fatal)
				fatal(st, "mount %s on %s: %s", m->fstype, m->target, strerror(errno));
			warn_errno("mount %s on %s", m->fstype, m->target);
			continue;
		}
		if (run)
			timeline("init start");
	}
	/* the services' supervise dirs are links to /run/runit/supervise.NAME
	 * (images/rootfs.sh): their state is per boot, and runsv works even
	 * when the /etc overlay is read-only (a full /var) */
	mkdir("/run/runit", 0755);
	/* mounts made later (containers, volumes) propagate into new namespaces as expected */
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) != 0)
		warn_errno("make / rshared");
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* cgroup v2 forbids processes in a cgroup that delegates controllers to its
 * children, so init (and all it starts) moves into init.scope first. */
void cgroup_setup(void)
{
	static const char *const wanted[] = { "cpu", "memory", "pids", "io", "cpuset" };
	char avail[512], pid[32];

	if (mkdir("/sys/fs/cgroup/init.scope", 0755) != 0 && errno != EEXIST) {
		warn_errno("mkdir /sys/fs/cgroup/init.scope");
		return;
	}
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if (write_str("/sys/fs/cgroup/init.scope/cgroup.procs", pid) != 0) {
		warn_errno("move init into /sys/fs/cgroup/init.scope");
		return;
	}
	if (file_read("/sys/fs/cgroup/cgroup.controllers", avail, sizeof avail) < 0) {
		warn_errno("read /sys/fs/cgroup/cgroup.controllers");
		return;
	}
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
		char word[16];
		size_t len = strlen(wanted[i]);
		const char *p = avail;
		int found = 0;

		while ((p = strstr(p, wanted[i])) != NULL) {
			if ((p == avail || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
				found = 1;
			p += len;
		}
		if (!found)
			continue;
		snprintf(word, sizeof word, "+%s", wanted[i]);
		if (write_str("/sys/fs/cgroup/cgroup.subtree_control", word) != 0)
			warn_errno("enable cgroup controller %s", wanted[i]);
	}
}

/* Pseudo and memory filesystems need no unmount; / is read-only already. */
static int unmount_skipped(const char *target)
{
	static const char *const keep[] = { "/proc", "/sys", "/dev", "/run" };

	if (strcmp(target, "/") == 0)
		return 1;
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		size_t len = strlen(keep[i]);

		if (strncmp(target, keep[i], len) == 0 && (target[len] == '\0' || target[len] == '/'))
			return 1;
	}
	return 0;
}

static int is_below(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && path[len] == '/';
}

/* Unmount order: overlays first (they pin the filesystems holding their upper
 * and lower dirs: /etc's upper lives on /var), then the rest in reverse mount
 * order; a mount always comes before the mount it sits below. */
int mounts_plan(const char *mountinfo, char targets[][256], int max)
{
	int n = mountinfo_read(mountinfo, mountinfo_ents, MOUNTS_MAX), out = 0;

	if (n < 0)
		return -1;
	for (int pass = 0; pass < 2; pass++)
		for (int i = n - 1; i >= 0 && out < max; i--) {
			const struct mountent *m = &mountinfo_ents[i];
			int overlay = strcmp(m->fstype, "overlay") == 0;

			if (unmount_skipped(m->target) || overlay != (pass == 0))
				continue;
			memcpy(targets[out++], m->target, sizeof targets[0]);
		}
	/* move any mount listed after its parent to just before it */
	for (int i = 0; i < out; i++)
		for (int j = i + 1; j < out; j++) {
			char tmp[256];

			if (!is_below(targets[j], targets[i]))
				continue;
			memcpy(tmp, targets[j], sizeof tmp);
			memmove(targets[i + 1], targets[i], (size_t)(j - i) * sizeof targets[0]);
			memcpy(targets[i], tmp, sizeof tmp);
			j = i; /* re-check the moved-down entry against the rest */
		}
	return out;
}

static char plan[MOUNTS_MAX][256];

/* Each step falls back: unmount, else remount read-only so nothing is left to
 * write back, else detach lazily. */
void mounts_unmount(void)
{
	int n = mounts_plan("/proc/self/mountinfo", plan, MOUNTS_MAX);

	if (n < 0) {
		warn_errno("read /proc/self/mountinfo");
		return;
	}
	for (int i = 0; i < n; i++) {
		if (umount2(plan[i], UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == EINVAL || errno == ENOENT)
			continue; /* gone already, with its parent */
		if (mount(NULL, plan[i], NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0) {
			warn("unmount %s: busy, remounted read-only", plan[i]);
			continue;
		}
		if (umount2(plan[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			warn("unmount %s: busy, detached", plan[i]);
		else
			warn_errno("unmount %s", plan[i]);
	}
}

/* A full /var does not stop the boot, but whatever keeps state there (the
 * /etc overlay, provisioning, containers, logs, the entropy seed) fails to
 * write: say so once, on the console, before the first of them tries.
 * Returns 1 when it is full, 0 when not, -1 when it cannot tell. */
int var_space_check(const char *var)
{
	struct statvfs v;
	unsigned long long avail, total;

	if (statvfs(var, &v) != 0) {
		warn_errno("statvfs %s", var);
		return -1;
	}
	avail = (unsigned long long)v.f_bavail * v.f_frsize;
	total = (unsigned long long)v.f_blocks * v.f_frsize;
	if (avail >= VAR_LOW_BYTES)
		return 0;
	warn("%s is full: %llu KiB free of %llu MiB; state, logs and containers cannot be written "
	     "until space is freed (berth rm, berth rmi, %s/log)",
	     var, avail >> 10, total >> 20, var);
	return 1;
}
