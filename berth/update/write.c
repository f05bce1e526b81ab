/* The writes of `update apply`, in the order that survives a power cut at
 * any point: the root image into the inactive slot (read back and
 * compared), then the UKI under a name systemd-boot ignores, then the
 * rename that makes it bootable. BERTH_UPDATE_PAUSE stops at each point for
 * the power-cut tests (docs/UPDATES.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "bundle.h"
#include "hash.h"
#include "host.h"

#define READ_CHUNK (1 << 20)
#define BAR_WIDTH 30

struct progress {
	const char *what;
	uint64_t total;
	int tty;
	int shown; /* the last percent drawn (tty) or printed, in steps of 10 */
};

/* a bar redrawn in place on a terminal; otherwise a line every 10% */
static void progress_show(struct progress *p, uint64_t done)
{
	int pct = p->total ? (int)(done * 100 / p->total) : 100;
	char bar[BAR_WIDTH + 1];

	if (!p->tty) {
		if (pct / 10 * 10 <= p->shown)
			return;
		p->shown = pct / 10 * 10;
		fprintf(stderr, "update: %s %d%% (%llu of %llu bytes)\n", p->what, p->shown,
			(unsigned long long)done, (unsigned long long)p->total);
		return;
	}
	if (pct == p->shown)
		return;
	p->shown = pct;
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < pct * BAR_WIDTH / 100 ? '#' : '-';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\rupdate: %s [%s] %3d%% %.1f/%.1f MiB%s", p->what, bar, pct, (double)done / (1 << 20),
		(double)p->total / (1 << 20), pct == 100 ? "\n" : "");
}

int pause_parse(struct pause_at *p)
{
	const char *v = getenv("BERTH_UPDATE_PAUSE");
	char *end;
	long pct;

	memset(p, 0, sizeof *p);
	if (!v || !*v)
		return 0;
	if (strcmp(v, "staged") == 0) {
		p->at = PAUSE_STAGED;
		return 0;
	}
	if (strcmp(v, "activated") == 0) {
		p->at = PAUSE_ACTIVATED;
		return 0;
	}
	if (strncmp(v, "root:", 5) == 0) {
		pct = strtol(v + 5, &end, 10);
		if (end != v + 5 && !*end && pct >= 0 && pct <= 100) {
			p->at = PAUSE_ROOT;
			p->pct = (int)pct;
			return 0;
		}
	}
	return update_err(NULL, "BERTH_UPDATE_PAUSE=%s: expected root:PERCENT, staged or activated", v);
}

void pause_here(struct update_ctx *c, int fd, const char *where)
{
	if (fd >= 0 && fsync(fd) != 0)
		warn_errno("update: pause: fsync");
	if (c->linux_dir[0])
		esp_fsync_dir(c);
	fprintf(stderr, "update: paused at %s\n", where);
	for (;;)
		pause();
}

struct slot_writer {
	struct bundle_reader *r;
	struct update_ctx *c;
	const char *dev;
	char slot;
	int fd;
	struct progress prog;
	const struct pause_at *pause;
};

static int slot_sink(void *arg, const void *buf, size_t len, uint64_t off)
{
	struct slot_writer *w = arg;
	const char *p = buf;
	char where[16];

	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(w->fd, p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(&w->r->err, EXIT_SYSTEM, "slot %c (%s): write at byte %llu: %s", w->slot, w->dev,
				    (unsigned long long)(off + done), n < 0 ? strerror(errno) : "no progress");
		done += (size_t)n;
	}
	progress_show(&w->prog, off + len);
	if (w->pause->at == PAUSE_ROOT && (off + len) * 100 >= (uint64_t)w->pause->pct * w->prog.total) {
		snprintf(where, sizeof where, "root:%d", w->pause->pct);
		pause_here(w->c, w->fd, where);
	}
	return 0;
}

/* read the slot back from the device, not the page cache, and hash it */
static int slot_readback(struct bundle_reader *r, const char *dev, char slot)
{
	struct sha256 h;
	uint64_t size = r->m.root.size, done = 0;
	char digest[DIGEST_LEN + 1], *buf;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail_errno(&r->err, "slot %c (%s): read back", slot, dev);
	buf = malloc(READ_CHUNK);
	if (!buf) {
		close(fd);
		return fail(&r->err, EXIT_SYSTEM, "out of memory");
	}
	sha256_init(&h);
	while (done < size) {
		size_t want = size - done < READ_CHUNK ? (size_t)(size - done) : READ_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(&r->err, EXIT_SYSTEM, "slot %c (%s): read back at byte %llu: %s", slot, dev,
			     (unsigned long long)done, n < 0 ? strerror(errno) : "the device ends");
			break;
		}
		sha256_update(&h, buf, (size_t)n);
		done += (uint64_t)n;
	}
	free(buf);
	close(fd);
	if (done < size)
		return -1;
	sha256_final(&h, digest);
	if (strcmp(digest_hex(digest), r->m.root.sha256) != 0)
		return fail(&r->err, 1, "slot %c (%s): read back sha256 %s, the signed manifest says %s", slot, dev,
			    digest_hex(digest), r->m.root.sha256);
	return 0;
}

int slot_write(struct bundle_reader *r, const char *dev, char slot, const struct pause_at *pause,
	       struct update_ctx *c)
{
	struct slot_writer w = { .r = r, .c = c, .dev = dev, .slot = slot, .pause = pause };
	int flags = O_WRONLY | O_CLOEXEC, rc;
	struct stat sb;

	/* O_EXCL on a block device: EBUSY if it is mounted */
	if (stat(dev, &sb) == 0 && S_ISBLK(sb.st_mode))
		flags |= O_EXCL;
	w.fd = open(dev, flags);
	if (w.fd < 0)
		return fail_errno(&r->err, "slot %c (%s)", slot, dev);
	w.prog.what = r->m.root.name;
	w.prog.total = r->m.root.size;
	w.prog.tty = isatty(STDERR_FILENO);
	rc = bundle_stream(r, &r->m.root, slot_sink, &w);
	if (rc == 0 && fsync(w.fd) != 0)
		rc = fail_errno(&r->err, "slot %c (%s): fsync", slot, dev);
	/* written and synced: drop the cached pages so the read-back sees the device */
	if (rc == 0)
		posix_fadvise(w.fd, 0, 0, POSIX_FADV_DONTNEED);
	close(w.fd);
	return rc == 0 ? slot_readback(r, dev, slot) : rc;
}

static int file_create(struct update_ctx *c, const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return update_err(c, "%s: %s", path, strerror(errno));
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		int err = errno;
		close(fd);
		unlink(path);
		return update_err(c, "%s: %s", path, strerror(err));
	}
	if (close(fd) != 0) {
		unlink(path);
		return update_err(c, "%s: %s", path, strerror(errno));
	}
	return 0;
}

int uki_install(struct update_ctx *c, const char *version, const void *buf, size_t len,
		const struct pause_at *pause, char *name, size_t namesize)
{
	struct uki_name n = { .counted = 1, .left = UKI_TRIES, .done = 0 };
	char tmpname[256], tmp[UPD_PATH_MAX];

	snprintf(n.version, sizeof n.version, "%s", version);
	if (uki_name_format(&n, name, namesize) != 0 ||
	    snprintf(tmpname, sizeof tmpname, "berth-%s.efi.tmp", version) >= (int)sizeof tmpname)
		return update_err(c, "version %s: too long for a file name", version);
	upath(tmp, sizeof tmp, "%s/%s", c->linux_dir, tmpname);
	if (file_create(c, tmp, buf, len) != 0)
		return 1;
	if (pause->at == PAUSE_STAGED)
		pause_here(c, -1, "staged");
	if (esp_rename(c, tmpname, name) != 0)
		return 1;
	if (pause->at == PAUSE_ACTIVATED)
		pause_here(c, -1, "activated");
	return 0;
}
