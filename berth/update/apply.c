/* berth update apply: install a signed bundle into the slot that is not
 * booted. Everything that can refuse the bundle is checked before the
 * first write; after that the order of writes is what keeps a power cut
 * harmless (write.c). The booted slot and its UKI are never touched. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "bundle.h"
#include "host.h"

/* the UKI is held in memory between its digest check and the ESP */
#define UKI_MAX_BYTES (256ULL << 20)

struct apply {
	struct update_ctx c;
	struct minisign_key key;
	struct bundle_reader r;
	struct update_record rec;
	struct pause_at pause;
	const char *src;
	char target;
	char dev[UPD_PATH_MAX];
	unsigned char *uki;
	const struct esp_uki *booted;
};

/* the error update_err printed last becomes the last result */
static int apply_failed(struct apply *a)
{
	snprintf(a->rec.error, sizeof a->rec.error, "%s", a->c.err);
	snprintf(a->rec.result, sizeof a->rec.result, "failed");
	a->rec.time = time(NULL);
	record_write(&a->c, "last", &a->rec);
	return 1;
}

/* one line on stderr, and the same as the last result */
static int apply_fail(struct apply *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int apply_fail(struct apply *a, const char *fmt, ...)
{
	char msg[sizeof a->c.err];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	update_err(&a->c, "%s", msg);
	return apply_failed(a);
}

/* a bundle error; an HTTP body that ended early says so */
static int bundle_error(struct apply *a)
{
	if (a->r.http && a->r.eof && a->r.consumed < a->r.length)
		return apply_fail(a, "%s: short body: the connection closed after %llu of %llu bytes (%s)", a->src,
				  (unsigned long long)a->r.consumed, (unsigned long long)a->r.length, a->r.err.msg);
	return apply_fail(a, "%s: %s", a->src, a->r.err.msg);
}

static int manifest_check(struct apply *a)
{
	const struct bundle_manifest *m = &a->r.m;
	int cmp = version_cmp(m->version, a->c.version);

	if (strcmp(m->compatible, a->c.compatible) != 0)
		return apply_fail(a, "%s: for %s, this system is %s", a->src, m->compatible, a->c.compatible);
	if (cmp == 0)
		return apply_fail(a, "%s: Berth %s is already running", a->src, m->version);
	if (cmp < 0)
		return apply_fail(a, "%s: Berth %s is older than the running %s (no downgrades)", a->src,
				  m->version, a->c.version);
	if (version_cmp(a->c.version, m->min_version) < 0)
		return apply_fail(a, "%s: Berth %s updates %s or later; this is %s", a->src, m->version,
				  m->min_version, a->c.version);
	if (m->uki.size > UKI_MAX_BYTES)
		return apply_fail(a, "%s: %s: %llu bytes, more than %llu MiB", a->src, m->uki.name,
				  (unsigned long long)m->uki.size, UKI_MAX_BYTES >> 20);
	return 0;
}

/* the target: the slot not booted, never the device the root came from */
static int target_check(struct apply *a)
{
	char path[UPD_PATH_MAX], rootdev[256], *nl;
	struct stat t, b;
	uint64_t size;

	a->target = a->c.booted == 'a' ? 'b' : 'a';
	if (slot_device(&a->c, a->target, a->dev, sizeof a->dev) != 0)
		return apply_failed(a);
	if (dev_size(a->dev, &size) != 0)
		return apply_fail(a, "slot %c (%s): %s", a->target, a->dev, strerror(errno));
	if (a->r.m.root.size > size)
		return apply_fail(a, "%s: %s: %llu bytes, larger than slot %c (%s, %llu bytes)", a->src,
				  a->r.m.root.name, (unsigned long long)a->r.m.root.size, a->target, a->dev,
				  (unsigned long long)size);
	upath(path, sizeof path, "%s/root-device", a->c.run);
	if (file_read(path, rootdev, sizeof rootdev) <= 0)
		return 0;
	if ((nl = strchr(rootdev, '\n')))
		*nl = '\0';
	if (stat(rootdev, &b) == 0 && stat(a->dev, &t) == 0 && S_ISBLK(t.st_mode) && t.st_rdev == b.st_rdev)
		return apply_fail(a, "slot %c (%s) is the booted root device %s", a->target, a->dev, rootdev);
	return 0;
}

/* the booted UKI must be there and blessed; the ESP must hold the new one
 * once every other berth-*.efi is gone */
static int esp_check(struct apply *a)
{
	uint64_t avail, cluster, freed = 0, need;

	a->booted = esp_find(&a->c, a->c.version);
	if (!a->booted)
		return apply_fail(a, "ESP: no UKI of the booted version %s in %s", a->c.version, a->c.linux_dir);
	if (a->booted->n.counted)
		return apply_fail(a, "the current boot (%s) is still on trial: wait until `berth update check` "
				  "blesses it, or roll back", a->booted->name);
	if (esp_free(&a->c, &avail, &cluster) != 0)
		return apply_failed(a);
	for (size_t i = 0; i < a->c.nuki; i++)
		if (&a->c.uki[i] != a->booted)
			freed += a->c.uki[i].alloc;
	/* whole clusters, and one more for the directory to grow */
	need = (a->r.m.uki.size + cluster - 1) / cluster * cluster + cluster;
	if (avail + freed < need)
		return apply_fail(a, "ESP (%s): %llu bytes free, %llu more once the other UKIs are deleted; "
				  "%s needs %llu", a->c.linux_dir, (unsigned long long)avail,
				  (unsigned long long)freed, a->r.m.uki.name, (unsigned long long)need);
	return 0;
}

static int uki_sink(void *arg, const void *buf, size_t len, uint64_t off)
{
	struct apply *a = arg;

	memcpy(a->uki + off, buf, len);
	return 0;
}

/* every berth-*.efi but the booted one: the old UKI of the target slot
 * must not boot into a half-written root, and the ESP holds two at most */
static int esp_clean(struct apply *a)
{
	char path[UPD_PATH_MAX];

	for (size_t i = 0; i < a->c.nuki; i++) {
		if (&a->c.uki[i] == a->booted)
			continue;
		upath(path, sizeof path, "%s/%s", a->c.linux_dir, a->c.uki[i].name);
		if (unlink(path) != 0 && errno != ENOENT)
			return apply_fail(a, "delete %s: %s", path, strerror(errno));
		fprintf(stderr, "update: deleted %s\n", a->c.uki[i].name);
	}
	if (esp_fsync_dir(&a->c) != 0)
		return apply_failed(a);
	return 0;
}

/* A file is read twice: once to verify every payload before anything is
 * written, then to write. An HTTP body streams once: a bad one is caught by
 * the digest after the root image went into the inactive slot, whose UKI
 * is deleted by then, so that nothing boots it. */
static int payloads_verify(struct apply *a)
{
	struct bundle_manifest m = a->r.m;

	if (a->r.http)
		return 0;
	if (bundle_stream(&a->r, &m.uki, NULL, NULL) != 0 || bundle_stream(&a->r, &m.root, NULL, NULL) != 0)
		return bundle_error(a);
	bundle_close(&a->r);
	if (bundle_open(&a->r, a->src, &a->key) != 0)
		return bundle_error(a);
	if (memcmp(&m, &a->r.m, sizeof m) != 0)
		return apply_fail(a, "%s: changed while it was read", a->src);
	return 0;
}

static int apply_checks(struct apply *a, const char *pubkey)
{
	if (update_booted(&a->c, 1) != 0 || key_load(&a->c, pubkey, &a->key) != 0)
		return apply_failed(a);
	if (bundle_open(&a->r, a->src, &a->key) != 0)
		return bundle_error(a);
	snprintf(a->rec.version, sizeof a->rec.version, "%s", a->r.m.version);
	if (manifest_check(a) != 0 || target_check(a) != 0)
		return 1;
	a->rec.slot[0] = a->target;
	if (esp_open(&a->c) != 0)
		return apply_failed(a);
	if (esp_check(a) != 0)
		return 1;
	return payloads_verify(a);
}

static int apply_write(struct apply *a)
{
	const struct bundle_manifest *m = &a->r.m;
	char name[256];

	a->uki = malloc(m->uki.size);
	if (!a->uki)
		return apply_fail(a, "%s: out of memory", m->uki.name);
	if (bundle_stream(&a->r, &m->uki, uki_sink, a) != 0)
		return bundle_error(a);
	snprintf(a->rec.result, sizeof a->rec.result, "running");
	a->rec.time = time(NULL);
	if (record_write(&a->c, "last", &a->rec) != 0 || slot_version_write(&a->c, a->target, NULL) != 0)
		return update_err(&a->c, "%s: cannot record the update", a->c.state);
	if (esp_clean(a) != 0)
		return 1;
	fprintf(stderr, "update: writing %s of Berth %s to slot %c (%s)\n", m->root.name, m->version,
		a->target, a->dev);
	if (slot_write(&a->r, a->dev, a->target, &a->pause, &a->c) != 0)
		return bundle_error(a);
	if (uki_install(&a->c, m->version, a->uki, m->uki.size, &a->pause, name, sizeof name) != 0)
		return apply_failed(a);
	slot_version_write(&a->c, a->target, m->version);
	snprintf(a->rec.result, sizeof a->rec.result, "ok");
	a->rec.time = time(NULL);
	record_write(&a->c, "last", &a->rec);
	printf("update: Berth %s installed in slot %c; it boots next, on trial (%d tries)\n", m->version,
	       a->target, UKI_TRIES);
	return 0;
}

int update_apply(int argc, char **argv)
{
	const char *pubkey = PUBKEY_DEFAULT;
	struct apply a;
	int reboot = 0, i, rc;

	memset(&a, 0, sizeof a);
	a.r.fd = -1;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--reboot") == 0)
			reboot = 1;
		else if (strcmp(argv[i], "--pubkey") == 0 && i + 1 < argc)
			pubkey = argv[++i];
		else
			usage_error("update", "apply: unknown option %s", argv[i]);
	}
	if (argc - i != 1)
		usage_error("update", "apply takes one bundle file or http:// URL");
	a.src = argv[i];
	snprintf(a.rec.source, sizeof a.rec.source, "%s", a.src);
	if (pause_parse(&a.pause) != 0)
		return 1;
	update_ctx_init(&a.c);
	if (update_lock(&a.c) != 0)
		return 1;
	rc = apply_checks(&a, pubkey);
	if (rc == 0)
		rc = apply_write(&a);
	bundle_close(&a.r);
	free(a.uki);
	esp_close(&a.c);
	if (rc == 0 && reboot) {
		printf("update: rebooting\n");
		fflush(stdout);
		if (kill(1, SIGTERM) != 0)
			return update_err(&a.c, "reboot: signal PID 1: %s", strerror(errno));
	}
	return rc;
}
