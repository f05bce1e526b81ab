/* berth start, stop, restart, rm and ctr-boot: bringing services up and down
 * through runsv (started here, at once, when none supervises a container),
 * and waiting for the state file to say how it went. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

#define START_WAIT_MS 60000
#define EXIT_WAIT_MS 10000 /* for runsv to exit after `sv exit` */

static void marker(const struct ctr_paths *p, const char *base, const char *name, const char *what,
		   char *buf, size_t size)
{
	ctr_path(buf, size, "%s/containers/%s/%s", base, name, what);
	(void)p;
}

static void marker_set(const char *path)
{
	char dir[CTR_PATH_MAX], *slash;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdir_p(dir, 0755);
	}
	if (file_write_atomic(path, "", 0, 0644) < 0)
		warn_errno("write %s", path);
}

/* 0 started (running, or ran and exited), 1 failed (or a pull of its
 * image failed: ctr-exec tries again), -1 timed out; a pull under way
 * stops the clock */
static int wait_started(const struct ctr_paths *p, const char *name, int timeout_ms)
{
	struct ctr_state s;
	int idle = 0;

	for (int t = 0; t <= timeout_ms; t += ctr_poll_sleep(&idle)) {
		ctr_state_read(p, name, &s);
		if (s.status == CTR_STARTING && strcmp(s.pull, "retrying") == 0)
			return 1;
		if (s.status == CTR_STARTING && s.pull[0])
			t = 0;
		if (s.status == CTR_RUNNING)
			return 0;
		if (s.status == CTR_FAILED || s.status == CTR_STOPPED)
			return 1;
		if (s.status == CTR_EXITED || s.status == CTR_RESTARTING)
			return s.error[0] ? 1 : 0;
	}
	return -1;
}

/* the grace period of the definition (stop_grace_period, else 10 s) */
static long long def_grace_ms(const struct ctr_paths *p, const char *name)
{
	struct container_def *defs;
	long long ms = CTR_GRACE_DEFAULT * 1000LL;
	size_t n;

	if (ctr_def_load(p, name, &defs, &n) == 0) {
		if (defs[0].stop_grace_ms >= 0)
			ms = defs[0].stop_grace_ms;
		compose_free(defs, n);
	}
	return ms;
}

/* Nothing supervises NAME (its runsv was killed, and nobody restarts a
 * runsv), yet its ctr-exec or the container itself may live on: stop them
 * as runsv and ctr-finish would have, and say so in the state. */
static void unsupervised_stop(const struct ctr_paths *p, const char *name, long long grace_ms)
{
	pid_t orphan = ctr_service_orphan(p, name), killed;
	struct ctr_state s;

	if (orphan > 0) {
		warn("%s: its runsv is gone; stopping the container through its ctr-exec (pid %ld)", name,
		     (long)orphan);
		/* ctr-exec forwards the stop signal, kills after the grace, cleans up */
		kill(orphan, SIGTERM);
		if (!ctr_pid_wait_gone(orphan, (int)(grace_ms + 5000))) {
			kill(orphan, SIGKILL);
			ctr_pid_wait_gone(orphan, 2000);
		}
	}
	killed = ctr_leftover_kill(p, name);
	ctr_state_read(p, name, &s);
	if (killed > 0) {
		snprintf(s.error, sizeof s.error, "running without a supervisor: killed it (pid %ld)", (long)killed);
		warn("%s: %s", name, s.error);
		s.exit_code = 128 + SIGKILL;
	}
	if (killed > 0 || s.status == CTR_RUNNING || s.status == CTR_STARTING || s.status == CTR_RESTARTING ||
	    s.status == CTR_EXITED) {
		/* what ctr-finish would have written after a stop */
		s.status = CTR_STOPPED;
		s.pid = 0;
		if (!s.finished_at || killed > 0)
			s.finished_at = time(NULL);
		if (ctr_state_write(p, name, &s) < 0)
			warn_errno("write the state of %s", name);
	}
}

/* make the service and bring it up; a fresh start forgets earlier restarts */
static int service_up(const struct ctr_paths *p, const char *name)
{
	char path[CTR_PATH_MAX];
	struct ctr_state s;

	if (ctr_service_create(p, name) < 0)
		return -1;
	marker(p, p->run, name, "stopping", path, sizeof path);
	unlink(path);
	marker(p, p->root, name, "stopped", path, sizeof path);
	unlink(path);
	/* a ctr-exec whose runsv was killed must not drive the container
	 * alongside the one a new runsv starts */
	if (ctr_service_orphan(p, name) > 0)
		unsupervised_stop(p, name, def_grace_ms(p, name));
	ctr_state_read(p, name, &s);
	if (!ctr_state_alive(&s) || s.status != CTR_RUNNING) {
		ctr_state_init(&s);
		if (ctr_state_write(p, name, &s) < 0)
			return warn_errno("write the state of %s", name), -1;
	}
	if (ctr_service_supervise(p, name, 1) < 0)
		return -1;
	if (ctr_service_control(p, name, 'u') < 0) {
		warn_errno("%s: cannot tell runsv to start it (%s/service/%s/supervise/control)", name, p->run, name);
		return -1;
	}
	return 0;
}

int ctr_start(const struct ctr_paths *p, const char *name, int timeout_ms)
{
	struct container_def *defs;
	size_t n;
	int r;

	r = ctr_def_load(p, name, &defs, &n);
	if (r > 0)
		return warn("Error: No such container: %s", name), 1;
	if (r < 0)
		return 1;
	compose_free(defs, n);
	if (service_up(p, name) < 0)
		return -1;
	r = wait_started(p, name, timeout_ms);
	if (r < 0)
		warn("%s: not running after %d s", name, timeout_ms / 1000);
	else if (r > 0) {
		struct ctr_state s;
		ctr_state_read(p, name, &s);
		if (s.status == CTR_STARTING && s.pull[0])
			warn("%s: not started yet: %s; it tries again (berth ps shows it, berth stop ends it)", name,
			     s.error);
		else
			warn("%s: failed to start%s%s", name, s.error[0] ? ": " : "", s.error);
	}
	return r;
}

/* 1 if NAME has a definition */
static int exists(const struct ctr_paths *p, const char *name)
{
	char path[CTR_PATH_MAX];
	struct stat sb;

	ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", p->etc, name);
	return stat(path, &sb) == 0;
}

/* runsv says "down" (run and finish are over); 0, or -1 on a timeout */
static int service_wait_down(const struct ctr_paths *p, const char *name, int timeout_ms)
{
	char path[CTR_PATH_MAX], buf[32];
	int idle = 0;

	ctr_path(path, sizeof path, "%s/service/%s/supervise/stat", p->run, name);
	for (int t = 0; t <= timeout_ms; t += ctr_poll_sleep(&idle))
		if (file_read(path, buf, sizeof buf) < 0 || strncmp(buf, "down", 4) == 0 ||
		    !ctr_service_supervised(p, name))
			return 0;
	return -1;
}

/* time_s: berth stop -t, or -1 for the definition's stop_grace_period */
static int stop_one(const struct ctr_paths *p, const char *name, long time_s)
{
	char path[CTR_PATH_MAX], buf[32];
	struct container_def *defs;
	long long grace_ms = CTR_GRACE_DEFAULT * 1000LL;
	size_t n;
	int len;

	if (!exists(p, name)) {
		warn("Error: No such container: %s", name);
		return 1;
	}
	if (ctr_def_load(p, name, &defs, &n) == 0) {
		if (defs[0].restart == RESTART_UNLESS_STOPPED) {
			marker(p, p->root, name, "stopped", path, sizeof path);
			marker_set(path);
		}
		if (defs[0].stop_grace_ms >= 0)
			grace_ms = defs[0].stop_grace_ms;
		compose_free(defs, n);
	}
	if (time_s >= 0)
		grace_ms = time_s * 1000LL;
	/* the marker tells ctr-finish not to restart, and ctr-exec the grace
	 * period of this stop when -t gave one */
	marker(p, p->run, name, "stopping", path, sizeof path);
	marker_set(path);
	len = time_s >= 0 ? snprintf(buf, sizeof buf, "%ld\n", time_s) : 0;
	if (len > 0 && file_write_atomic(path, buf, (size_t)len, 0644) < 0)
		warn_errno("write %s", path);
	if (!ctr_service_supervised(p, name)) {
		unsupervised_stop(p, name, grace_ms);
		return 0;
	}
	/* ctr-exec forwards the stop signal and kills after its grace; busybox
	 * sv -w does not wait for a service with a down file, so look at
	 * supervise/stat ourselves */
	if (ctr_service_control(p, name, 'd') < 0)
		warn_errno("%s: cannot tell runsv to stop it", name);
	if (service_wait_down(p, name, (int)(grace_ms + 5000)) < 0) {
		warn("%s: still running %lld s after the stop signal", name, grace_ms / 1000 + 5);
		return 1;
	}
	return 0;
}

/* -t SEC, --time SEC, --time=SEC before the names; -1 if none. Returns the
 * index of the first name */
static int time_flag(const char *cmd, int argc, char **argv, long *time_s)
{
	int i = 1;

	*time_s = -1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v = NULL;
		char *end;

		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--time") == 0 || strcmp(argv[i], "--timeout") == 0) {
			if (i + 1 >= argc)
				usage_error(cmd, "%s needs a number of seconds", argv[i]);
			v = argv[++i];
		} else if (strncmp(argv[i], "--time=", 7) == 0) {
			v = argv[i] + 7;
		} else if (strncmp(argv[i], "-t", 2) == 0) {
			v = argv[i] + 2;
		} else {
			usage_error(cmd, "unknown option \"%s\"", argv[i]);
		}
		errno = 0;
		*time_s = strtol(v, &end, 10);
		if (!*v || *end || errno || *time_s < 0 || *time_s > 86400)
			usage_error(cmd, "-t: expected seconds from 0 to 86400, got \"%s\"", v);
	}
	return i;
}

/* what start, stop and restart do to one container: 0, 1 (said why), or -1
 * (the host failed us); time_s is -t's, or -1 */
typedef int verb_fn(const struct ctr_paths *p, const char *name, long time_s);

static int start_one(const struct ctr_paths *p, const char *name, long time_s)
{
	(void)time_s;
	return ctr_start(p, name, START_WAIT_MS);
}

static int restart_one(const struct ctr_paths *p, const char *name, long time_s)
{
	return stop_one(p, name, time_s) != 0 ? 1 : ctr_start(p, name, START_WAIT_MS);
}

/* verb on each NAME from argv[first] on, printing the name of each that
 * worked; 1 if one did not, EXIT_SYSTEM if the last failure was the host's */
static int each_name(const char *cmd, int argc, char **argv, int first, long time_s, verb_fn *verb)
{
	struct ctr_paths p;
	int rc = 0;

	if (first >= argc)
		usage_error(cmd, "expected NAME...");
	ctr_paths_init(&p);
	for (int i = first; i < argc; i++) {
		ctr_name_check(cmd, argv[i]);
		int r = verb(&p, argv[i], time_s);
		if (r == 0)
			printf("%s\n", argv[i]);
		else
			rc = r < 0 ? EXIT_SYSTEM : 1;
	}
	return rc;
}

int cmd_start(int argc, char **argv)
{
	return each_name("start", argc, argv, 1, -1, start_one);
}

int cmd_stop(int argc, char **argv)
{
	long time_s;
	int first = time_flag("stop", argc, argv, &time_s);

	return each_name("stop", argc, argv, first, time_s, stop_one);
}

int cmd_restart(int argc, char **argv)
{
	long time_s;
	int first = time_flag("restart", argc, argv, &time_s);

	return each_name("restart", argc, argv, first, time_s, restart_one);
}

/* the first line of a definition written by `berth run` or `berth
 * compose up`: rm deletes it (one written by hand stays) */
#define RUN_MARK "# made by berth "

static int made_by_run(const char *path)
{
	char buf[64];

	return file_read(path, buf, sizeof buf) > 0 && strncmp(buf, RUN_MARK, strlen(RUN_MARK)) == 0;
}

int cmd_rm(int argc, char **argv)
{
	char path[CTR_PATH_MAX];
	struct ctr_paths p;
	struct ctr_state s;
	struct image_user img;
	int force = 0, rc = 0, i = 1, bound;

	if (argc > 1 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0)) {
		force = 1;
		i++;
	}
	if (i >= argc)
		usage_error("rm", "expected NAME...");
	ctr_paths_init(&p);
	for (; i < argc; i++) {
		const char *name = argv[i];
		ctr_name_check("rm", name);
		ctr_path(path, sizeof path, "%s/service/%s", p.run, name);
		struct stat sb;
		if (!exists(&p, name) && stat(path, &sb) != 0) {
			warn("Error: No such container: %s", name);
			rc = 1;
			continue;
		}
		ctr_state_read(&p, name, &s);
		if (ctr_state_alive(&s) && !force) {
			warn("Error: container %s is running: stop it first or use rm -f", name);
			rc = 1;
			continue;
		}
		if (exists(&p, name) && stop_one(&p, name, -1) != 0) {
			rc = 1;
			continue;
		}
		/* runsv must be gone before its directory: `sv exit` ends it
		 * (and its svlogd) now that the container is down */
		if (ctr_service_supervised(&p, name)) {
			int idle = 0;

			ctr_service_control(&p, name, 'x');
			for (int t = 0; t <= EXIT_WAIT_MS && ctr_service_supervised(&p, name); t += ctr_poll_sleep(&idle))
				;
			if (ctr_service_supervised(&p, name)) {
				warn("%s: runsv still supervises %s/service/%s %d s after sv exit", name, p.run, name,
				     EXIT_WAIT_MS / 1000);
				rc = 1;
				continue;
			}
		}
		ctr_path(path, sizeof path, "%s/service/%s", p.run, name);
		ctr_rm_tree(path);
		ctr_path(path, sizeof path, "%s/service/ctr-%s", p.etc, name);
		unlink(path);
		ctr_path(path, sizeof path, "%s/containers/%s", p.run, name);
		ctr_rm_tree(path);
		bound = ctr_image_read(&p, name, &img) == 0;
		ctr_path(path, sizeof path, "%s/containers/%s", p.root, name);
		ctr_rm_tree(path);
		/* its image may have lost its last name to rmi -f meanwhile */
		if (bound) {
			ctr_image_release(&p, img.config);
			image_user_free(&img);
		}
		ctr_path(path, sizeof path, "%s/%s", p.log, name);
		ctr_rm_tree(path);
		ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", p.etc, name);
		if (made_by_run(path))
			unlink(path);
		printf("%s\n", name);
	}
	return rc;
}

/* timeline() writes /run/berth/timeline; in a test tree the line goes to
 * $BERTH_RUN/timeline instead */
static void ctr_timeline(const struct ctr_paths *p, const char *name)
{
	char path[CTR_PATH_MAX], line[256];
	int fd, n;

	if (strcmp(p->run, "/run/berth") == 0) {
		timeline("container %s started", name);
		return;
	}
	n = snprintf(line, sizeof line, "berth[%.3f]: container %s started\n", boottime_seconds(), name);
	fwrite(line, 1, (size_t)n, stdout);
	fflush(stdout);
	ctr_path(path, sizeof path, "%s/timeline", p->run);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			warn_errno("append to %s", path);
		close(fd);
	}
}

static int named(const char *file, char *const *only, size_t nonly)
{
	char name[CTR_NAME_MAX + 8];

	if (compose_name_from_path(file, name, sizeof name) != 0)
		return 0;
	for (size_t i = 0; i < nonly; i++)
		if (strcmp(only[i], name) == 0)
			return 1;
	return 0;
}

/* every definition, parsed (or only those named, if only); a file with
 * errors is left out (and counted) */
static int defs_some(const struct ctr_paths *p, char *const *only, size_t nonly, struct container_def ***out,
		     size_t *nout, int *bad)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct dirent **ents;
	struct container_def **v = NULL;
	size_t n = 0;
	int ne;

	*bad = 0;
	ctr_path(dir, sizeof dir, "%s/berth/containers", p->etc);
	ne = scandir(dir, &ents, ctr_def_file, alphasort);
	if (ne < 0) {
		*out = NULL;
		*nout = 0;
		return errno == ENOENT ? 0 : -1;
	}
	v = calloc((size_t)ne + 1, sizeof *v);
	if (!v)
		die(EXIT_SYSTEM, "out of memory");
	for (int i = 0; i < ne; i++) {
		struct container_def *d;
		size_t nd;
		ctr_path(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
		if (only && !named(ents[i]->d_name, only, nonly)) {
			free(ents[i]);
			continue;
		}
		if (compose_load(path, &d, &nd) != 0 || nd != 1) {
			if (nd != 1)
				warn("%s: expected exactly one service, got %zu", path, nd);
			compose_free(d, nd);
			(*bad)++;
		} else {
			v[n++] = d;
		}
		free(ents[i]);
	}
	free(ents);
	*out = v;
	*nout = n;
	return 0;
}

static int defs_all(const struct ctr_paths *p, struct container_def ***out, size_t *nout, int *bad)
{
	return defs_some(p, NULL, 0, out, nout, bad);
}

static void defs_free(struct container_def **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		compose_free(v[i], 1);
	free(v);
}

/* berth ctr-order: the boot order, one name a line (for tests) */
int cmd_ctr_order(int argc, char **argv)
{
	struct container_def **defs;
	struct ctr_paths p;
	size_t n, *order;
	int bad, r;

	(void)argv;
	if (argc != 1)
		usage_error("ctr-order", "no arguments");
	ctr_paths_init(&p);
	if (defs_all(&p, &defs, &n, &bad) < 0)
		die_errno(EXIT_SYSTEM, "%s/berth/containers", p.etc);
	order = calloc(n + 1, sizeof *order);
	r = ctr_order(defs, n, order);
	if (r == 0)
		for (size_t i = 0; i < n; i++)
			printf("%s\n", defs[order[i]]->name);
	defs_free(defs, n);
	free(order);
	return r == 0 && !bad ? 0 : 1;
}


/* cmd_ctr_boot's states of a container, and the events that move it on */
enum boot_state {
	BOOT_WAITING,  /* not started yet: its depends_on may hold it back */
	BOOT_STARTING, /* asked to come up; its state file will say how it went */
	BOOT_STARTED,  /* running, or ran and exited without an error */
	BOOT_FAILED,   /* did not start, and will not: what depends on it fails too */
	BOOT_HELD,     /* unless-stopped, and a person stopped it: stays down */
	BOOT_PULLING,  /* a pull of its image failed: ctr-exec tries again; ready does not wait */
	BOOT_NSTATES
};

enum boot_event {
	EV_NONE,       /* no news: the state stays */
	EV_HELD,       /* the stopped marker of an unless-stopped container */
	EV_DEPS_NEVER, /* a depends_on condition will never hold */
	EV_DEPS_READY, /* every depends_on condition holds */
	EV_UP_FAILED,  /* the service could not be brought up */
	EV_RAN,        /* the state file: running, or exited or restarting without an error */
	EV_FAILED,     /* the state file: failed or stopped */
	EV_PULL_RETRY, /* the state file: starting, a pull of its image failed */
	BOOT_NEVENTS
};

struct boot {
	struct ctr_paths p;
	struct container_def **defs;
	size_t n, *order;
	enum boot_state *state, *before; /* each container's, now and a round ago */
	long *shown;         /* bytes of each container's pull.log shown so far */
	int *held;           /* waiting on a container in BOOT_PULLING (deps first) */
	int detached;        /* ready has been told; this child waits for the pulls */
	struct ctr_state st; /* the state file boot_look read last */
	int at_boot;         /* ctr-boot: the timeline's "container NAME started" */
	char why[160];       /* why a depends_on condition will never hold */
	int rc;
};

/* whether a depends_on condition holds, st being the boot loop's state of
 * the dependency: 1 yes, 0 not yet, -1 never (why says why) */
static int dep_ready(const struct ctr_paths *p, const struct depend *dep, enum boot_state st, char *why,
		     size_t size)
{
	struct ctr_state s;

	if (st == BOOT_FAILED || st == BOOT_HELD) {
		snprintf(why, size, "%s, which it depends on, is not running", dep->service);
		return -1;
	}
	if (st != BOOT_STARTED)
		return 0;
	if (strcmp(dep->condition, "service_started") == 0)
		return 1;
	ctr_state_read(p, dep->service, &s);
	if (strcmp(dep->condition, "service_completed_successfully") == 0) {
		if (s.status == CTR_EXITED && s.exit_code == 0)
			return 1;
		if (s.status == CTR_RUNNING || s.status == CTR_STARTING || (s.status == CTR_RESTARTING && s.exit_code == 0))
			return 0;
		snprintf(why, size, "%s did not complete successfully (exit code %d)", dep->service, s.exit_code);
		return -1;
	}
	/* service_healthy */
	if (s.status == CTR_RUNNING && strcmp(s.health, "healthy") == 0)
		return 1;
	if (s.status == CTR_RUNNING && strcmp(s.health, "starting") == 0)
		return 0;
	if (s.status == CTR_RESTARTING || s.status == CTR_STARTING)
		return 0;
	if (!s.health[0] && s.status == CTR_RUNNING)
		snprintf(why, size, "%s has no healthcheck (depends_on condition service_healthy)", dep->service);
	else
		snprintf(why, size, "%s is %s", dep->service, s.health[0] ? s.health : ctr_status_name(s.status));
	return -1;
}

/* the least ready of container i's depends_on conditions, as dep_ready */
static int deps_ready(struct boot *b, size_t i)
{
	const struct container_def *d = b->defs[i];
	int ok = 1;

	for (size_t j = 0; j < d->ndepends && ok >= 0; j++)
		for (size_t m = 0; m < b->n; m++)
			if (strcmp(b->defs[m]->name, d->depends[j].service) == 0) {
				int r = dep_ready(&b->p, &d->depends[j], b->state[m], b->why, sizeof b->why);
				if (r < ok)
					ok = r;
			}
	return ok;
}

/* what has happened to container i, as its state sees it */
static enum boot_event boot_look(struct boot *b, size_t i)
{
	const struct container_def *d = b->defs[i];
	char path[CTR_PATH_MAX];
	struct stat sb;
	int deps;

	switch (b->state[i]) {
	case BOOT_WAITING:
		marker(&b->p, b->p.root, d->name, "stopped", path, sizeof path);
		if (d->restart == RESTART_UNLESS_STOPPED && stat(path, &sb) == 0)
			return EV_HELD;
		deps = deps_ready(b, i);
		return deps < 0 ? EV_DEPS_NEVER : deps > 0 ? EV_DEPS_READY : EV_NONE;
	case BOOT_STARTING:
	case BOOT_PULLING:
		ctr_state_read(&b->p, d->name, &b->st);
		if (b->st.status == CTR_RUNNING ||
		    ((b->st.status == CTR_EXITED || b->st.status == CTR_RESTARTING) && !b->st.error[0]))
			return EV_RAN;
		if (b->st.status == CTR_FAILED || b->st.status == CTR_STOPPED)
			return EV_FAILED;
		if (b->state[i] == BOOT_STARTING && b->st.status == CTR_STARTING && strcmp(b->st.pull, "retrying") == 0)
			return EV_PULL_RETRY;
		return EV_NONE;
	default:
		return EV_NONE;
	}
}

/* the actions: each may answer with an event of its own */
typedef enum boot_event boot_action(struct boot *b, size_t i);

/* its service, with its down file, is there all the same */
static enum boot_event boot_hold(struct boot *b, size_t i)
{
	if (ctr_service_create(&b->p, b->defs[i]->name) < 0)
		b->rc = 1;
	return EV_NONE;
}

static enum boot_event boot_refuse(struct boot *b, size_t i)
{
	warn("container %s not started: %s", b->defs[i]->name, b->why);
	b->rc = 1;
	return EV_NONE;
}

static enum boot_event boot_up(struct boot *b, size_t i)
{
	return service_up(&b->p, b->defs[i]->name) < 0 ? EV_UP_FAILED : EV_NONE;
}

static enum boot_event boot_up_failed(struct boot *b, size_t i)
{
	(void)i;
	b->rc = 1;
	return EV_NONE;
}

static enum boot_event boot_started(struct boot *b, size_t i)
{
	if (b->at_boot) {
		ctr_timeline(&b->p, b->defs[i]->name);
	} else {
		printf(" Container %s  Started\n", b->defs[i]->name);
		fflush(stdout);
	}
	return EV_NONE;
}

static enum boot_event boot_pull_wait(struct boot *b, size_t i)
{
	printf("container %s: waiting for its image (%s); ready does not wait for it\n", b->defs[i]->name,
	       b->st.error);
	fflush(stdout);
	return EV_NONE;
}

/* a container that need not run (restart: no) may fail quietly */
static enum boot_event boot_failed(struct boot *b, size_t i)
{
	warn("container %s failed to start%s%s", b->defs[i]->name, b->st.error[0] ? ": " : "", b->st.error);
	if (b->defs[i]->restart != RESTART_NO || !b->at_boot)
		b->rc = 1;
	return EV_NONE;
}

/* state x event -> the next state and what to do on the way, as
 * s6-supervise's table; EV_NONE and the cells left out cannot happen
 * (boot_look and the actions give a state only the events of its row) */
static const struct boot_move {
	enum boot_state next;
	boot_action *act;
} boot_moves[BOOT_NSTATES][BOOT_NEVENTS] = {
	[BOOT_WAITING] = {
		[EV_HELD] = { BOOT_HELD, boot_hold },
		[EV_DEPS_NEVER] = { BOOT_FAILED, boot_refuse },
		[EV_DEPS_READY] = { BOOT_STARTING, boot_up },
	},
	[BOOT_STARTING] = {
		[EV_UP_FAILED] = { BOOT_FAILED, boot_up_failed },
		[EV_RAN] = { BOOT_STARTED, boot_started },
		[EV_FAILED] = { BOOT_FAILED, boot_failed },
		[EV_PULL_RETRY] = { BOOT_PULLING, boot_pull_wait },
	},
	[BOOT_PULLING] = {
		[EV_RAN] = { BOOT_STARTED, boot_started },
		[EV_FAILED] = { BOOT_FAILED, boot_failed },
	},
};

/* move container i on as far as it goes now: a container brought up is
 * looked at again at once */
static void boot_step(struct boot *b, size_t i)
{
	enum boot_event ev = boot_look(b, i);

	while (ev != EV_NONE) {
		const struct boot_move *m = &boot_moves[b->state[i]][ev];

		b->state[i] = m->next;
		ev = m->act(b, i);
		if (ev == EV_NONE)
			ev = boot_look(b, i);
	}
}

/* which waiting containers wait on one whose image is not there yet,
 * directly or through another: the boot order has dependencies first */
static void boot_held(struct boot *b)
{
	for (size_t k = 0; k < b->n; k++) {
		size_t i = b->order[k];
		const struct container_def *d = b->defs[i];

		b->held[i] = 0;
		for (size_t j = 0; j < d->ndepends && b->state[i] == BOOT_WAITING; j++)
			for (size_t m = 0; m < b->n; m++)
				if (strcmp(b->defs[m]->name, d->depends[j].service) == 0 &&
				    (b->state[m] == BOOT_PULLING || b->held[m]))
					b->held[i] = 1;
	}
}

/* ctr-boot waits for a container not started yet, and for one coming up
 * that its restart policy wants up; ready does not wait for a pull that
 * failed and what waits on it, but the child left behind for them does */
static int boot_pending(const struct boot *b, size_t i)
{
	if (b->state[i] == BOOT_PULLING || b->held[i])
		return b->detached;
	/* at boot, a container that need not run (restart: no) does not hold
	 * ready back; one a person brings up is waited for */
	return b->state[i] == BOOT_WAITING ||
	       (b->state[i] == BOOT_STARTING && (b->defs[i]->restart != RESTART_NO || !b->at_boot));
}

/* the lines of container i's pull.log (ctr-exec's pull: progress, failed
 * tries) not shown yet, on the console */
static void boot_pull_show(struct boot *b, size_t i)
{
	char path[CTR_PATH_MAX], buf[4096];
	struct stat sb;
	ssize_t n;
	int fd;

	if (b->state[i] != BOOT_STARTING && b->state[i] != BOOT_PULLING)
		return;
	ctr_path(path, sizeof path, "%s/containers/%s/pull.log", b->p.run, b->defs[i]->name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && sb.st_size < b->shown[i])
		b->shown[i] = 0; /* a new pull.log: a later try */
	while ((n = pread(fd, buf, sizeof buf - 1, b->shown[i])) > 0) {
		char *end;

		buf[n] = '\0';
		end = strrchr(buf, '\n');
		if (!end) {
			if (n < (ssize_t)sizeof buf - 1)
				break; /* a line still being written */
			end = buf + n - 1; /* one longer than buf: cut it */
		}
		*end = '\0';
		for (char *line = buf, *nl; line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			printf("container %s: %s\n", b->defs[i]->name, line);
		}
		b->shown[i] += end - buf + 1;
	}
	fflush(stdout);
	close(fd);
}

/* 1 if container i's ctr-exec is in a try of its pull */
static int boot_pulling(struct boot *b, size_t i)
{
	struct ctr_state s;

	if (b->state[i] != BOOT_STARTING)
		return 0;
	ctr_state_read(&b->p, b->defs[i]->name, &s);
	return s.status == CTR_STARTING && strcmp(s.pull, "pulling") == 0;
}

/* ready: nothing left but pulls that failed and what waits on them. A
 * child goes on with those (and shows how they go) while this process
 * returns, telling PID 1 the boot is over. 1 in the child, 0 here */
static int boot_detach(struct boot *b)
{
	pid_t pid;
	int any = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->held[i]) {
			printf("container %s: waits for a container that waits for its image\n", b->defs[i]->name);
			any = 1;
		}
	for (size_t i = 0; i < b->n && !any; i++)
		any = b->state[i] == BOOT_PULLING;
	if (!any)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		warn_errno("ctr-boot: fork (what waits for an image starts only with berth start)");
		return 0;
	}
	if (pid > 0)
		return 0;
	b->detached = 1;
	return 1;
}

static void boot_free(struct boot *b)
{
	defs_free(b->defs, b->n);
	free(b->order);
	free(b->state);
	free(b->before);
	free(b->shown);
	free(b->held);
}

/* berth ctr-boot [--prepare]: start every container in depends_on order,
 * print "container NAME started" as each runs, return once every container
 * whose restart policy is not "no" runs or has failed. 0 all running, 1 some
 * failed (or a definition is bad, or depends_on has a cycle), 111 system.
 * --prepare (a stage-1 hook, before runsvdir) only writes the services. */
/* the boot loop over only (all if NULL); prepare: write the services only */
static int boot_run(const struct ctr_paths *p, char *const *only, size_t nonly, int at_boot, int prepare)
{
	struct boot b = { .rc = 0, .p = *p, .at_boot = at_boot };
	time_t deadline;
	int bad;

	if (defs_some(&b.p, only, nonly, &b.defs, &b.n, &bad) < 0)
		die_errno(EXIT_SYSTEM, "%s/berth/containers", b.p.etc);
	if (bad)
		b.rc = 1;
	/* every service first, each with its down file */
	for (size_t i = 0; i < b.n; i++)
		if (ctr_service_create(&b.p, b.defs[i]->name) < 0)
			b.rc = 1;
	if (prepare) {
		boot_free(&b);
		return b.rc;
	}
	b.order = calloc(b.n + 1, sizeof *b.order);
	b.state = calloc(b.n + 1, sizeof *b.state); /* BOOT_WAITING */
	b.before = calloc(b.n + 1, sizeof *b.before);
	b.shown = calloc(b.n + 1, sizeof *b.shown);
	b.held = calloc(b.n + 1, sizeof *b.held);
	if (!b.order || !b.state || !b.before || !b.shown || !b.held)
		die(EXIT_SYSTEM, "out of memory");
	if (ctr_order(b.defs, b.n, b.order) < 0) {
		/* nothing starts: which container wins a cycle is not ours to pick */
		boot_free(&b);
		return 1;
	}
	/* then a runsv for each, as runsvdir would have started them: every
	 * container is supervised, up or down, once ctr-boot has run */
	for (size_t i = 0; i < b.n; i++)
		if (ctr_service_supervise(&b.p, b.defs[i]->name, 0) < 0)
			b.rc = 1;
	deadline = time(NULL) + START_WAIT_MS / 1000;
	for (int idle = 0;;) {
		int pending = 0;

		memcpy(b.before, b.state, b.n * sizeof *b.state);
		for (size_t k = 0; k < b.n; k++) {
			boot_pull_show(&b, b.order[k]);
			boot_step(&b, b.order[k]);
		}
		boot_held(&b);
		for (size_t i = 0; i < b.n; i++) {
			pending |= boot_pending(&b, i);
			/* a pull under way, or one that will be tried again,
			 * keeps the clock from running out */
			if (boot_pulling(&b, i) || (b.detached && (b.state[i] == BOOT_PULLING || b.held[i])))
				deadline = time(NULL) + START_WAIT_MS / 1000;
		}
		if (!pending) {
			if (!b.detached && boot_detach(&b))
				continue;
			break;
		}
		if (time(NULL) >= deadline) {
			for (size_t i = 0; i < b.n; i++)
				if ((b.state[i] == BOOT_WAITING || b.state[i] == BOOT_STARTING) && !b.held[i] &&
				    (b.defs[i]->restart != RESTART_NO || !b.at_boot)) {
					warn("container %s: not running after %d s", b.defs[i]->name, START_WAIT_MS / 1000);
					b.rc = 1;
				}
			break;
		}
		/* something moved on: look again soon */
		if (memcmp(b.before, b.state, b.n * sizeof *b.state) != 0)
			idle = 0;
		ctr_poll_sleep(&idle);
	}
	boot_free(&b);
	return b.rc;
}

int cmd_ctr_boot(int argc, char **argv)
{
	struct ctr_paths p;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--prepare") != 0))
		usage_error("ctr-boot", "the only option is --prepare");
	ctr_paths_init(&p);
	/* the compose projects' containers first, then every container */
	int rc = ctr_compose_boot(&p);
	return boot_run(&p, NULL, 0, 1, argc == 2) || rc;
}

int ctr_up(const struct ctr_paths *p, char *const *names, size_t n)
{
	char path[CTR_PATH_MAX];

	/* asked for by a person: an unless-stopped container stopped by one
	 * comes up too, as docker compose up brings it */
	for (size_t i = 0; i < n; i++) {
		marker(p, p->root, names[i], "stopped", path, sizeof path);
		unlink(path);
	}
	return boot_run(p, names, n, 0, 0);
}
