/* berth update check: the boot assessment. PID 1 runs it after "ready" on
 * every boot; it acts only when the booted UKI still carries systemd-boot's
 * counter (a trial). Then, within a deadline: the verity root is mounted
 * read-only, /var takes a write, every runit service is up, every container
 * that should restart has run for a grace period (healthy, if it has a
 * healthcheck), and the programs in health.d pass. Pass: drop the counter
 * (bless). Fail: mark the UKI bad and ask PID 1 to reboot, into the other
 * slot. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "ctr.h"
#include "host.h"
#include "spawn.h"

#define DEADLINE_DEFAULT 120
#define GRACE_DEFAULT 15
#define HEALTH_TIMEOUT_S 30
#define POLL_MS 500
#define MOUNTINFO_MAX (1 << 20)

struct watch {
	char name[CTR_NAME_MAX];
	pid_t pid;         /* the container init seen running, 0 if not */
	long long since;   /* when it was first seen with that pid */
};

struct check {
	struct update_ctx c;
	struct ctr_paths p;
	const char *mountinfo;
	long long deadline;
	int deadline_s, grace_s;
	struct watch *w;
	size_t nw;
	char why[512];
};

static int why(struct check *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(struct check *ch, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ch->why, sizeof ch->why, fmt, ap);
	va_end(ap);
	return 1;
}

/* field n (0-based, space separated) of a mountinfo line */
static int field(const char *line, int n, char *out, size_t size)
{
	const char *end;

	for (; n > 0; n--) {
		line = strchr(line, ' ');
		if (!line)
			return -1;
		line++;
	}
	end = line + strcspn(line, " \n");
	if ((size_t)(end - line) >= size)
		return -1;
	memcpy(out, line, (size_t)(end - line));
	out[end - line] = '\0';
	return 0;
}

static int has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, tok, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* the root's source is a device-mapper device: by its name, or by sysfs */
static int is_dm(const char *majmin, const char *source)
{
	char path[128];

	if (strncmp(source, "/dev/mapper/", 12) == 0 || strncmp(source, "/dev/dm-", 8) == 0)
		return 1;
	snprintf(path, sizeof path, "/sys/dev/block/%s/dm", majmin);
	return access(path, F_OK) == 0;
}

static int root_check(struct check *ch)
{
	char *buf = malloc(MOUNTINFO_MAX), mnt[256], opts[256], majmin[32], source[256], *root = NULL;
	const char *sep;

	if (!buf)
		return why(ch, "root: out of memory");
	if (file_read(ch->mountinfo, buf, MOUNTINFO_MAX) < 0) {
		free(buf);
		return why(ch, "root: %s: %s", ch->mountinfo, strerror(errno));
	}
	/* the last mount on / is the one in use */
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (field(l, 4, mnt, sizeof mnt) == 0 && strcmp(mnt, "/") == 0)
			root = l;
	if (!root || field(root, 5, opts, sizeof opts) != 0 || field(root, 2, majmin, sizeof majmin) != 0 ||
	    !(sep = strstr(root, " - ")) || field(sep + 3, 1, source, sizeof source) != 0) {
		free(buf);
		return why(ch, "root: %s: no mount on /", ch->mountinfo);
	}
	free(buf);
	if (!has_token(opts, "ro"))
		return why(ch, "root: / is mounted read-write");
	if (!is_dm(majmin, source))
		return why(ch, "root: / is on %s, not a device-mapper (dm-verity) device", source);
	return 0;
}

static int var_check(struct check *ch)
{
	char path[UPD_PATH_MAX];
	int fd;

	upath(path, sizeof path, "%s/.update-check.%ld", ch->c.root, (long)getpid());
	if (mkdir_p(ch->c.root, 0755) != 0)
		return why(ch, "/var: %s: %s", ch->c.root, strerror(errno));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return why(ch, "/var: %s: %s", path, strerror(errno));
	if (write_all(fd, "ok\n", 3) != 0 || fsync(fd) != 0) {
		int err = errno;
		close(fd);
		unlink(path);
		return why(ch, "/var: %s: %s", path, strerror(err));
	}
	close(fd);
	if (unlink(path) != 0)
		return why(ch, "/var: unlink %s: %s", path, strerror(errno));
	return 0;
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* busybox runsv writes supervise/stat ("run", "down", "finish", with
 * ", want down" and the like appended) and supervise/status, whose byte 17
 * is what was asked for: 'u' or 'd'. A service told to stay down (as sshd
 * and ntpd tell themselves when they have no configuration) is fine. */
static int wanted_down(const char *dir, const char *name)
{
	char path[UPD_PATH_MAX], st[20];
	ssize_t n;
	int fd;

	upath(path, sizeof path, "%s/%s/supervise/status", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, st, sizeof st);
	close(fd);
	return n == (ssize_t)sizeof st && st[17] == 'd';
}

static int service_check(struct check *ch, const char *dir, const char *name)
{
	char path[UPD_PATH_MAX], stat_[64];
	struct stat sb;
	ssize_t n;

	upath(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return 0;
	upath(path, sizeof path, "%s/%s/down", dir, name);
	if (access(path, F_OK) == 0)
		return 0;
	upath(path, sizeof path, "%s/%s/supervise/stat", dir, name);
	n = file_read(path, stat_, sizeof stat_);
	if (n < 0)
		return why(ch, "service %s: not supervised (%s: %s)", name, path, strerror(errno));
	if (n > 0 && stat_[n - 1] == '\n')
		stat_[--n] = '\0';
	if (strcmp(stat_, "run") != 0 && !wanted_down(dir, name))
		return why(ch, "service %s: %s", name, stat_);
	return 0;
}

/* fn on each visible entry of dir in name order, until one fails; a
 * missing dir has none */
static int dir_each(struct check *ch, const char *dir, const char *what,
		    int (*fn)(struct check *ch, const char *dir, const char *name))
{
	struct dirent **ents;
	int n, rc = 0;

	n = scandir(dir, &ents, visible, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : why(ch, "%s: %s: %s", what, dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = fn(ch, dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int services_check(struct check *ch)
{
	char dir[UPD_PATH_MAX];

	upath(dir, sizeof dir, "%s/service", ch->c.etc);
	return dir_each(ch, dir, "services", service_check);
}

/* the containers that must be running; a definition that does not load
 * is left out, as ctr-boot leaves it out */
static int watch_list(struct check *ch)
{
	char (*names)[CTR_NAME_MAX];
	size_t n;

	if (ctr_wanted(&ch->p, &names, &n) != 0)
		return update_err(&ch->c, "check: the container definitions in %s/berth/containers do not read",
				  ch->p.etc);
	ch->w = calloc(n + 1, sizeof *ch->w);
	if (!ch->w)
		die(EXIT_SYSTEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		snprintf(ch->w[ch->nw++].name, sizeof ch->w[0].name, "%s", names[i]);
	free(names);
	return 0;
}

/* the state file's health= (written once a container has a healthcheck) */
static void health_of(const struct check *ch, const char *name, char *out, size_t size)
{
	char path[CTR_PATH_MAX], buf[4096];

	out[0] = '\0';
	ctr_path(path, sizeof path, "%s/containers/%s/state", ch->p.run, name);
	if (file_read(path, buf, sizeof buf) < 0)
		return;
	for (char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "health=", 7) == 0) {
			snprintf(out, size, "%.*s", (int)strcspn(l + 7, "\n"), l + 7);
			return;
		}
}

static int container_check(struct check *ch, struct watch *w, long long now)
{
	struct ctr_state s;
	char health[32];

	if (ctr_state_read(&ch->p, w->name, &s) != 0) {
		w->pid = 0;
		return why(ch, "container %s: not started (no state)", w->name);
	}
	health_of(ch, w->name, health, sizeof health);
	if (s.status != CTR_RUNNING || !ctr_state_alive(&s)) {
		w->pid = 0;
		return why(ch, "container %s: %s%s%s", w->name,
			   s.status == CTR_RUNNING ? "its process is gone" : ctr_status_name(s.status),
			   s.error[0] ? ": " : "", s.error);
	}
	if (health[0] && strcmp(health, "healthy") != 0) {
		w->pid = 0;
		return why(ch, "container %s: health %s", w->name, health);
	}
	if (w->pid != s.pid) {
		w->pid = s.pid;
		w->since = now;
	}
	if (now - w->since < (long long)ch->grace_s * 1000)
		return why(ch, "container %s: running for %lld of the %d s grace period", w->name,
			   (now - w->since) / 1000, ch->grace_s);
	return 0;
}

static int containers_check(struct check *ch, long long now)
{
	int rc = 0;

	/* every one is looked at, so that each one's grace period runs */
	for (size_t i = 0; i < ch->nw; i++)
		if (container_check(ch, &ch->w[i], now) != 0 && rc == 0)
			rc = 1;
	return rc;
}

/* one health.d program, killed (its process group) after its timeout */
static int health_run(struct check *ch, const char *path, const char *name)
{
	char *argv[] = { (char *)path, NULL };
	struct spawn sp = { .argv = argv, .fd = { SPAWN_NULL }, .flags = SPAWN_PGROUP };
	long long left = ch->deadline - now_ms(), limit;
	pid_t pid;
	int r;

	limit = left < HEALTH_TIMEOUT_S * 1000 ? left : HEALTH_TIMEOUT_S * 1000;
	if (limit < 1000)
		limit = 1000;
	pid = spawn_start(&sp);
	if (pid < 0)
		return why(ch, "health.d/%s: fork: %s", name, strerror(errno));
	r = spawn_wait(pid, limit);
	if (r == 0)
		return 0;
	if (r == SPAWN_TIMEOUT)
		return why(ch, "health.d/%s: no answer in %lld s", name, limit / 1000);
	if (r < 0)
		return why(ch, "health.d/%s: wait: %s", name, strerror(errno));
	if (r < SPAWN_SIGNAL)
		return why(ch, "health.d/%s: exit %d", name, r);
	return why(ch, "health.d/%s: killed by signal %d", name, r - SPAWN_SIGNAL);
}

/* an executable file in health.d runs; anything else is left alone */
static int health_one(struct check *ch, const char *dir, const char *name)
{
	char path[UPD_PATH_MAX];
	struct stat sb;

	upath(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || access(path, X_OK) != 0)
		return 0;
	return health_run(ch, path, name);
}

static int health_check(struct check *ch)
{
	char dir[UPD_PATH_MAX];

	upath(dir, sizeof dir, "%s/berth/health.d", ch->c.etc);
	return dir_each(ch, dir, "health.d", health_one);
}

/* 0 when every check passed; 1 with ch->why naming the first that failed */
static int checks_run(struct check *ch)
{
	if (root_check(ch) != 0 || var_check(ch) != 0 || watch_list(ch) != 0)
		return 1;
	for (;;) {
		long long now = now_ms();

		if (services_check(ch) == 0 && containers_check(ch, now) == 0 && health_check(ch) == 0)
			return 0;
		if (now_ms() >= ch->deadline) {
			size_t l = strlen(ch->why);
			snprintf(ch->why + l, sizeof ch->why - l, " (deadline %d s)", ch->deadline_s);
			return 1;
		}
		usleep(POLL_MS * 1000);
	}
}

static int seconds_arg(const char *opt, const char *v)
{
	char *end;
	long s = strtol(v, &end, 10);

	if (end == v || *end || s < 0 || s > 86400)
		usage_error("update", "check: %s %s: expected seconds, 0 to 86400", opt, v);
	return (int)s;
}

static void check_record(struct check *ch, const char *result, const char *error)
{
	struct update_record r;

	memset(&r, 0, sizeof r);
	snprintf(r.result, sizeof r.result, "%s", result);
	r.time = time(NULL);
	snprintf(r.version, sizeof r.version, "%s", ch->c.version);
	if (ch->c.booted)
		r.slot[0] = ch->c.booted;
	snprintf(r.error, sizeof r.error, "%s", error);
	record_write(&ch->c, "check", &r);
}

/* after the checks: the verdict in the UKI's name */
static int verdict(struct check *ch, int failed, int reboot)
{
	const struct esp_uki *u;
	struct uki_name good;
	char name[256];

	if (esp_open(&ch->c) != 0)
		return 1;
	u = esp_find(&ch->c, ch->c.version);
	if (!u || !u->n.counted)
		return update_err(&ch->c, "check: the booted UKI of %s changed on the ESP meanwhile", ch->c.version);
	if (failed) {
		update_err(&ch->c, "check: %s", ch->why);
		if (esp_mark_bad(&ch->c, u, name, sizeof name) != 0)
			return 1;
		update_timeline(&ch->c, "boot failed: %s", ch->why);
		check_record(ch, "failed", ch->why);
		printf("update: %s marked bad (now %s)%s\n", u->name, name,
		       reboot ? "; rebooting into the other slot" : "");
		fflush(stdout);
		if (reboot && kill(1, SIGTERM) != 0)
			update_err(&ch->c, "reboot: signal PID 1: %s", strerror(errno));
		return 1;
	}
	good = u->n;
	good.counted = 0;
	if (uki_name_format(&good, name, sizeof name) != 0 || esp_rename(&ch->c, u->name, name) != 0)
		return 1;
	printf("update: %s blessed (now %s)\n", u->name, name);
	update_timeline(&ch->c, "boot blessed");
	check_record(ch, "blessed", "");
	return 0;
}

/* a trial boot: the booted version's UKI is on the ESP with a counter */
static int trial(struct check *ch)
{
	const struct esp_uki *u;
	char dev[UPD_PATH_MAX];
	int on;

	if (!getenv("BERTH_ESP") && part_find(&ch->c, "esp", dev, sizeof dev) != 0)
		return 0;
	if (esp_open(&ch->c) != 0)
		return -1;
	u = esp_find(&ch->c, ch->c.version);
	on = u && u->n.counted;
	if (on)
		printf("update: checking the trial boot of %s (%s), deadline %d s\n", ch->c.version, u->name,
		       ch->deadline_s);
	/* not mounted while the checks run, which can take minutes */
	esp_close(&ch->c);
	return on;
}

int update_check(int argc, char **argv)
{
	struct check ch;
	int reboot = 1, rc, on;

	memset(&ch, 0, sizeof ch);
	ch.deadline_s = DEADLINE_DEFAULT;
	ch.grace_s = GRACE_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc) {
			ch.deadline_s = seconds_arg(argv[i], argv[i + 1]);
			i++;
		} else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
			ch.grace_s = seconds_arg(argv[i], argv[i + 1]);
			i++;
		} else if (strcmp(argv[i], "--no-reboot") == 0)
			reboot = 0;
		else
			usage_error("update", "check: unknown argument %s", argv[i]);
	}
	ch.deadline = now_ms() + (long long)ch.deadline_s * 1000;
	ch.mountinfo = getenv("BERTH_MOUNTINFO");
	if (!ch.mountinfo || !*ch.mountinfo)
		ch.mountinfo = "/proc/self/mountinfo";
	update_ctx_init(&ch.c);
	ctr_paths_init(&ch.p);
	if (update_lock(&ch.c) != 0 || update_booted(&ch.c, 0) != 0)
		return 1;
	on = trial(&ch);
	if (on <= 0) {
		if (on == 0)
			printf("update: not a trial boot\n");
		return on == 0 ? 0 : 1;
	}
	rc = checks_run(&ch);
	rc = verdict(&ch, rc != 0, reboot);
	esp_close(&ch.c);
	free(ch.w);
	return rc;
}
