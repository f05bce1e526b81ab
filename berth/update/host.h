/* berth update on a host: the ESP, the two root slots, the state record
 * and the lock. Every path comes from the environment so that the host
 * tests run on files and directories (docs/UPDATES.md):
 *
 *   BERTH_ESP          the ESP's root (holds EFI/Linux); unset: the
 *                      partition PARTNAME=esp, mounted at $BERTH_RUN/esp
 *   BERTH_SLOT_A, _B   the slot devices; unset: PARTNAME=berth-root-a, -b
 *   BERTH_RUN          /run/berth: slot (the booted one), update.lock, timeline
 *   BERTH_ROOT         /var/lib/berth: update/ holds the results and versions
 *   BERTH_OS_RELEASE   /etc/os-release: VERSION_ID, BERTH_COMPATIBLE
 *   BERTH_ETC          /etc: service/, berth/containers/, berth/health.d/
 */
#ifndef BERTH_UPDATE_HOST_H
#define BERTH_UPDATE_HOST_H

#include <stdint.h>
#include <time.h>

#include "update.h"

#define UPD_PATH_MAX 1024
#define PUBKEY_DEFAULT "/etc/berth/update.pub"
#define ESP_UKI_MAX 16

/* a berth-*.efi (or a left-over berth-*.efi.tmp) in EFI/Linux */
struct esp_uki {
	char name[256];
	struct uki_name n;
	int parsed; /* n is valid */
	int tmp;    /* a staged, never activated file */
	uint64_t alloc; /* bytes it occupies */
};

struct update_ctx {
	char run[UPD_PATH_MAX], root[UPD_PATH_MAX], etc[UPD_PATH_MAX];
	char os_release[UPD_PATH_MAX], state[UPD_PATH_MAX];
	int run_default;  /* BERTH_RUN unset: lib's timeline() */
	int lockfd;
	char esp[UPD_PATH_MAX], linux_dir[UPD_PATH_MAX];
	int esp_mounted;
	struct esp_uki uki[ESP_UKI_MAX];
	size_t nuki;
	char booted;      /* 'a' or 'b'; 0 when $BERTH_RUN/slot says nothing */
	char version[64]; /* the booted VERSION_ID */
	char compatible[64];
	char err[512];    /* the last error update_err printed */
};

/* the last `update apply` (file "last") or boot check (file "check") */
struct update_record {
	char result[16]; /* running, ok, failed; blessed, failed */
	time_t time;
	char version[64];
	char slot[4];
	char source[512];
	char error[512];
};

/* ctx.c */
void update_ctx_init(struct update_ctx *c);
/* lib's path_fmt: snprintf into buf, exit EXIT_SYSTEM if it does not fit */
#define upath path_fmt
/* "berth update: message" on stderr, kept in c->err (c may be NULL);
 * returns 1, the exit code */
int update_err(struct update_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* take $BERTH_RUN/update.lock without waiting; 0, or 1 after a message */
int update_lock(struct update_ctx *c);
/* 1 if somebody holds the lock */
int update_locked(const struct update_ctx *c);
/* the booted slot and version, the compatible string; 0, or 1 after a
 * message (need_slot: an unknown booted slot is an error) */
int update_booted(struct update_ctx *c, int need_slot);
void update_timeline(const struct update_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "2024-05-01 12:00:00 UTC" */
void update_time_str(time_t t, char *buf, size_t size);

/* record.c */
int record_read(const struct update_ctx *c, const char *name, struct update_record *r);
int record_write(const struct update_ctx *c, const char *name, const struct update_record *r);
/* the version last installed in slot ('a' or 'b'); 0, or -1 if none */
int slot_version_read(const struct update_ctx *c, char slot, char *buf, size_t size);
/* record it; version NULL forgets it (the slot is being overwritten) */
int slot_version_write(const struct update_ctx *c, char slot, const char *version);

/* esp.c */
/* BERTH_ESP, or find and mount the ESP; then scan EFI/Linux. 0 or 1 after a message */
int esp_open(struct update_ctx *c);
void esp_close(struct update_ctx *c);
int esp_scan(struct update_ctx *c);
/* the UKI of version (not a .tmp); NULL if none */
const struct esp_uki *esp_find(const struct update_ctx *c, const char *version);
/* the UKI systemd-boot picks by default: the newest one not bad */
const struct esp_uki *esp_next(const struct update_ctx *c);
/* rename in EFI/Linux, then fsync the directory; 0 or 1 after a message */
int esp_rename(struct update_ctx *c, const char *from, const char *to);
int esp_fsync_dir(struct update_ctx *c);
/* rename u to bad, +0-N with N its tries (done + left); name gets the new
 * name. 0 or 1 after a message */
int esp_mark_bad(struct update_ctx *c, const struct esp_uki *u, char *name, size_t size);
/* free bytes for files, and the allocation unit */
int esp_free(struct update_ctx *c, uint64_t *bytes, uint64_t *cluster);
/* the state a name stands for: "good", "trial (N tries left)", "bad" */
void uki_state_str(const struct uki_name *n, char *buf, size_t size);

/* part.c: /dev/NAME of the partition with PARTNAME=partname, on the
 * booted disk when $BERTH_RUN/root-device names it; 0 or -1 */
int part_find(const struct update_ctx *c, const char *partname, char *dev, size_t size);
/* the device of slot 'a' or 'b' (BERTH_SLOT_A/_B or PARTNAME); 0 or 1 after a message */
int slot_device(struct update_ctx *c, char slot, char *dev, size_t size);
/* the size of a block device or a file; 0 or -1 (errno) */
int dev_size(const char *dev, uint64_t *size);

/* write.c: writing the slot and the UKI, with progress and the
 * BERTH_UPDATE_PAUSE test seam */
struct pause_at {
	enum { PAUSE_NONE, PAUSE_ROOT, PAUSE_STAGED, PAUSE_ACTIVATED } at;
	int pct;
};
int pause_parse(struct pause_at *p);
/* fsync fd (if >= 0) and the ESP directory, say where, sleep until killed */
void pause_here(struct update_ctx *c, int fd, const char *where);
struct bundle_reader;
/* stream the root image into dev (slot), then read it back and compare;
 * 0, or -1 with r->err set */
int slot_write(struct bundle_reader *r, const char *dev, char slot, const struct pause_at *pause,
	       struct update_ctx *c);
/* write buf as EFI/Linux/berth-<ver>.efi.tmp, fsync, rename to +3-0, fsync
 * the directory; 0 or 1 after a message */
int uki_install(struct update_ctx *c, const char *version, const void *buf, size_t len,
		const struct pause_at *pause, char *name, size_t namesize);

/* apply.c, status.c, check.c */
int update_apply(int argc, char **argv);
int update_status(int argc, char **argv);
int update_rollback(int argc, char **argv);
int update_check(int argc, char **argv);
/* shared by apply and verify: the public key file */
int key_load(struct update_ctx *c, const char *path, struct minisign_key *key);

#endif
