/* What every `berth update` subcommand starts from: the paths (from the
 * environment, for the host tests), the lock, the booted slot and version. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "berth.h"
#include "host.h"

void update_ctx_init(struct update_ctx *c)
{
	const char *run = getenv("BERTH_RUN");

	memset(c, 0, sizeof *c);
	c->lockfd = -1;
	env_path(c->run, sizeof c->run, "BERTH_RUN", "/run/berth");
	c->run_default = !run || !*run;
	env_path(c->root, sizeof c->root, "BERTH_ROOT", BERTH_ROOT_DEFAULT);
	env_path(c->etc, sizeof c->etc, "BERTH_ETC", "/etc");
	env_path(c->os_release, sizeof c->os_release, "BERTH_OS_RELEASE", "/etc/os-release");
	upath(c->state, sizeof c->state, "%s/update", c->root);
}

int update_err(struct update_ctx *c, const char *fmt, ...)
{
	char msg[sizeof c->err];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "berth update: %s\n", msg);
	if (c)
		memcpy(c->err, msg, sizeof msg);
	return 1;
}

int update_lock(struct update_ctx *c)
{
	char path[UPD_PATH_MAX];

	upath(path, sizeof path, "%s/update.lock", c->run);
	if (mkdir_p(c->run, 0755) != 0)
		return update_err(c, "%s: %s", c->run, strerror(errno));
	c->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (c->lockfd < 0)
		return update_err(c, "lock %s: %s", path, strerror(errno));
	if (flock(c->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return update_err(c, "another update is running (lock %s)", path);
		return update_err(c, "lock %s: %s", path, strerror(errno));
	}
	return 0;
}

int update_locked(const struct update_ctx *c)
{
	char path[UPD_PATH_MAX];
	int fd, held;

	upath(path, sizeof path, "%s/update.lock", c->run);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static int booted_slot(struct update_ctx *c, int need)
{
	char path[UPD_PATH_MAX], buf[16];
	ssize_t n;

	upath(path, sizeof path, "%s/slot", c->run);
	n = file_read(path, buf, sizeof buf);
	if (n < 0) {
		if (need)
			return update_err(c, "cannot tell the booted slot: %s: %s", path, strerror(errno));
		return 0;
	}
	if ((n == 1 || (n == 2 && buf[1] == '\n')) && (buf[0] == 'a' || buf[0] == 'b')) {
		c->booted = buf[0];
		return 0;
	}
	if (need)
		return update_err(c, "cannot tell the booted slot: %s: expected \"a\" or \"b\"", path);
	return 0;
}

int update_booted(struct update_ctx *c, int need_slot)
{
	char text[4096];
	struct utsname u;

	if (booted_slot(c, need_slot) != 0)
		return 1;
	if (file_read(c->os_release, text, sizeof text) < 0)
		return update_err(c, "%s: %s", c->os_release, strerror(errno));
	if (os_release_get(text, "VERSION_ID", c->version, sizeof c->version) != 0 ||
	    !version_valid(c->version))
		return update_err(c, "%s: VERSION_ID: missing or not N.N.N", c->os_release);
	if (os_release_get(text, "BERTH_COMPATIBLE", c->compatible, sizeof c->compatible) == 0)
		return 0;
	/* an image from before BERTH_COMPATIBLE: what images/bundle.sh writes */
	if (uname(&u) != 0 || snprintf(c->compatible, sizeof c->compatible, "berth-%s", u.machine) >=
				      (int)sizeof c->compatible)
		snprintf(c->compatible, sizeof c->compatible, "berth-x86_64");
	return 0;
}

/* timeline() writes /run/berth/timeline; in a test tree the line goes to
 * $BERTH_RUN/timeline instead */
void update_timeline(const struct update_ctx *c, const char *fmt, ...)
{
	char event[256], line[320], path[UPD_PATH_MAX];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(event, sizeof event, fmt, ap);
	va_end(ap);
	if (c->run_default) {
		timeline("%s", event);
		return;
	}
	n = snprintf(line, sizeof line, "berth[%.3f]: %s\n", boottime_seconds(), event);
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)strlen(line);
	fwrite(line, 1, (size_t)n, stdout);
	fflush(stdout);
	upath(path, sizeof path, "%s/timeline", c->run);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0)
		warn_errno("append to %s", path);
	close(fd);
}

void update_time_str(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}
