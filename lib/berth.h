/* Small helpers shared by Berth's programs: one concern per file. */
#ifndef BERTH_H
#define BERTH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* exit codes, as in skalibs: 100 for usage, 111 for system errors */
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

/* the data root: images, containers, volumes, leases, update and provision
 * state. The berth command and provision take $BERTH_ROOT over it; init and
 * the initramfs run before any environment and use it as it is. */
#define BERTH_ROOT_DEFAULT "/" BERTH_ROOT_RELATIVE
/* the same below a root directory that is not yet / (provision --root) */
#define BERTH_ROOT_RELATIVE "var/lib/berth"

/* log.c: "<prog>: message" on stderr; the _errno forms append strerror(errno) */
void log_init(const char *argv0);
const char *log_prog(void);
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void die_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* timeline.c: print "berth[<boottime>]: <event>" to stdout and append it to
 * /run/berth/timeline (DESIGN.md section 7) */
void timeline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* env.c: VAR's value, or def when VAR is unset or empty */
const char *env_or(const char *var, const char *def);
/* env_or into dst; exit EXIT_USAGE with "VAR: too long" if it does not fit */
void env_path(char *dst, size_t size, const char *var, const char *def);
/* path.c: snprintf a path into buf; exit EXIT_SYSTEM "path too long: ..."
 * if it does not fit */
void path_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* clock.c: milliseconds of CLOCK_MONOTONIC (timeouts, deadlines); seconds
 * of CLOCK_BOOTTIME (the timeline) */
long long now_ms(void);
double boottime_seconds(void);

/* cmdline.c: value of KEY=VALUE (or "" for a bare KEY) from a kernel command
 * line; returns 1 if found, 0 if not, -1 if the value did not fit */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size);
/* read /proc/cmdline into buf; returns 0 or -1 */
int cmdline_read(char *buf, size_t size);

/* os-release.c: KEY's value in an os-release(5) text, quotes removed, from
 * the first line that gives it one; 0, or -1 if none or longer than size-1 */
int os_release_get(const char *text, const char *key, char *out, size_t size);

/* duration.c: "Less than a second", "5 seconds", "About a minute", "3 hours",
 * "2 weeks" (docker's units.HumanDuration); a negative secs is 0 */
void human_duration(long long secs, char *buf, size_t size);

/* usage.c: "PROG NAME: message" and NAME's usage line on stderr, exit
 * EXIT_USAGE; the program registers its name and the lookup of a command's
 * arguments line (NULL: none) */
void usage_register(const char *prog, const char *(*args)(const char *name));
_Noreturn void usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* file.c */
/* read at most size-1 bytes of path into buf, NUL-terminated; returns the
 * length or -1 */
ssize_t file_read(const char *path, char *buf, size_t size);
/* read fd to its end into a new NUL-terminated buffer of at most max bytes
 * (and the NUL): the buffer, its length in *len; NULL with errno (EFBIG:
 * longer than max) */
char *fd_read_alloc(int fd, size_t max, size_t *len);
/* fd_read_alloc of NAME below dirfd, opened without following a symlink */
char *file_read_at(int dirfd, const char *name, size_t max, size_t *len);
/* write data to path through a temporary file in the same directory renamed
 * over it, so a reader sees the old or the new whole; durable: fsync the file
 * before and the directory after the rename (state that must survive a power
 * cut), else neither (files under /run). The data is written to an O_TMPFILE
 * file and gets the name PATH.tmp.PID only when whole; a stale name of that
 * form (a power cut; PID 1 is always pid 1) is removed, never followed. */
int file_replace(const char *path, const void *data, size_t len, mode_t mode, int durable);
/* file_replace, durable */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* write len bytes, retrying short writes and EINTR; 0 or -1 */
int write_all(int fd, const void *data, size_t len);
/* mkdir -p */
int mkdir_p(const char *path, mode_t mode);
/* rm -r NAME below dirfd, never following a symlink; 0 or -1 (errno) */
int rm_tree_at(int dirfd, const char *name);

/* du.c: bytes on disk of NAME below dirfd and everything under it, without
 * following a symlink (a file of n links counts 1/n); 0 if it is missing */
uint64_t du_at(int dirfd, const char *name);
/* docker's units.HumanSizeWithPrecision(size, 3): 1.23MB, decimal units */
void human_size(char *buf, size_t len, uint64_t bytes);

#endif
