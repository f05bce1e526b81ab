/* The container supervisor: every container is a runit service.
 *
 *   $BERTH_ETC/berth/containers/NAME.yaml   the definition (compose service)
 *   $BERTH_RUN/service/NAME/                run, finish, log/run, down; its
 *                                           runsv is started by berth itself
 *                                           (ctr_service_supervise), no runsvdir
 *   $BERTH_RUN/containers/NAME/state        key=value lines a person can cat
 *   $BERTH_ROOT/containers/NAME/            upper, work, rootfs, bundle, etc files
 *   /var/log/containers/NAME/current        svlogd ($BERTH_LOG)
 *
 * `berth ctr-exec NAME` is the process runsv supervises: it mounts the
 * rootfs, drives crun (create, network, start), forwards the stop signal and
 * cleans up. `berth ctr-finish NAME` (the finish script) applies the restart
 * policy and cleans up after a ctr-exec that was killed. Defaults:
 * BERTH_ROOT=/var/lib/berth, BERTH_RUN=/run/berth, BERTH_ETC=/etc,
 * BERTH_LOG=/var/log/containers, BERTH_CRUN=/usr/bin/crun,
 * BERTH_SV=/usr/bin/sv, BERTH_SVLOGD=/usr/sbin/svlogd, BERTH_RUNSV=/usr/bin/runsv. */
#ifndef BERTH_CTR_H
#define BERTH_CTR_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* what the definitions and the image store are to the supervisor: compose.h
 * and image.h; parts that read container state need neither */
struct container_def;
struct err;
struct image_ref;
struct image_refs;
struct image_user;
struct image_users;
struct image_store;
struct store;

#define CTR_PATH_MAX 2048
#define CTR_NAME_MAX 64     /* a container name and its NUL */
#define CTR_GRACE_DEFAULT 10   /* seconds between the stop signal and SIGKILL */
#define CTR_STATE_MAX 8192     /* bytes of a state file */
#define CTR_BACKOFF_BASE_MS 100
#define CTR_BACKOFF_MAX_MS 30000
#define CTR_BACKOFF_RESET_S 60 /* this much uptime forgets earlier crashes */

struct ctr_paths {
	char root[CTR_PATH_MAX], run[CTR_PATH_MAX], etc[CTR_PATH_MAX], log[CTR_PATH_MAX];
	char crun[CTR_PATH_MAX], sv[CTR_PATH_MAX], svlogd[CTR_PATH_MAX], runsv[CTR_PATH_MAX];
	char self[CTR_PATH_MAX]; /* this berth binary, for the run scripts */
};

/* a container's status, as the state file, ps and inspect name it
 * (ctr_status_name) */
enum ctr_status {
	CTR_CREATED,    /* defined, or about to start: nothing ran yet */
	CTR_STARTING,   /* ctr-exec is setting it up */
	CTR_RUNNING,    /* its init is s.pid */
	CTR_RESTARTING, /* it exited, and the restart policy brings it back */
	CTR_EXITED,     /* it exited and stays down */
	CTR_STOPPED,    /* stopped on purpose (berth stop, sv exit): stays down */
	CTR_FAILED,     /* the setup failed: it never ran */
};

/* the state file */
struct ctr_state {
	enum ctr_status status;
	char image[256];
	int exit_code;  /* -1 = none yet */
	int restarts;   /* total, like docker's RestartCount */
	int streak;     /* restarts since the last CTR_BACKOFF_RESET_S of uptime */
	pid_t pid;      /* the container's init, 0 when not running */
	time_t started_at, finished_at;
	char address[64];
	char ports[2304]; /* "HOSTIP:HOSTPORT:CPORT/PROTO ..." (NET_PORTS_MAX of them) */
	char error[256]; /* why it failed, one line; while pulling, the last try's failure */
	/* ctr-exec pulling the image before the start (status starting):
	 * "pulling" during a try, "retrying" between failed tries; "" otherwise */
	char pull[16];
	int pull_tries; /* failed tries so far */
	/* the healthcheck (health.c); health is "" when there is none */
	char health[16];  /* starting, healthy, unhealthy */
	int health_failing; /* consecutive failed checks, docker's FailingStreak */
	int health_exit;  /* the last check's exit code; -1 if it timed out */
	time_t health_at; /* when the last check ended; 0 = none yet */
	char health_output[256]; /* its output on one line, cut */
};

/* paths.c */
void ctr_paths_init(struct ctr_paths *p);
/* lib's path_fmt: snprintf into buf, exit EXIT_SYSTEM if it does not fit */
#define ctr_path path_fmt
/* the definition of NAME: 0, 1 (no file), -1 (errors printed) */
int ctr_def_load(const struct ctr_paths *p, const char *name, struct container_def **defs, size_t *n);
/* scandir's filter for the definitions directory: NAME.yaml, not hidden */
struct dirent;
int ctr_def_file(const struct dirent *d);
/* exit with usage if name is not a valid container name */
void ctr_name_check(const char *cmd, const char *name);
/* rm -rf path (no symlink followed); 0 or -1 */
int ctr_rm_tree(const char *path);
/* run argv, wait; returns its exit code, or -1 if it could not start or
 * died from a signal. quiet: stdout and stderr to /dev/null */
int ctr_spawn_wait(char *const argv[], int quiet);
/* file_write_atomic without the fsyncs, for what need not survive a power
 * cut (under $BERTH_RUN, files made again at every start): a temporary
 * file renamed over path, so a reader sees the old or the new whole; left
 * alone if it already holds data. 0 or -1 */
int ctr_file_replace(const char *path, const void *data, size_t len, mode_t mode);
/* sleep between two looks at a file another process writes: 1 ms while
 * *idle_ms (the time since something last changed) is under 100 ms, then
 * 10 ms, then 50 ms after a second; adds the ms slept to *idle_ms and
 * returns them. (inotify would wake sooner, but adding a watch and
 * closing the instance wait for RCU grace periods: milliseconds each) */
int ctr_poll_sleep(int *idle_ms);

/* state.c */
void ctr_state_init(struct ctr_state *s);
/* 0, or -1 if there is no state file, or it names a status that is not one
 * (said in a line naming the file); s is then initialised */
int ctr_state_read(const struct ctr_paths *p, const char *name, struct ctr_state *s);
int ctr_state_write(const struct ctr_paths *p, const char *name, const struct ctr_state *s);
/* 1 if s->pid is a live process */
int ctr_state_alive(const struct ctr_state *s);
/* "running" and the like; "?" for a value that is not a status */
const char *ctr_status_name(enum ctr_status st);

/* service.c */
/* write $RUN/service/NAME (run, finish, log/run, down) and link it */
int ctr_service_create(const struct ctr_paths *p, const char *name);
/* 1 if runsv supervises the service (supervise/ok is open for writing) */
int ctr_service_supervised(const struct ctr_paths *p, const char *name);
/* start a runsv for the service unless one supervises it, and wait until
 * it does (milliseconds); with up, the new runsv starts the service at once
 * (its down file is put back afterwards). 0, or -1 after a message */
int ctr_service_supervise(const struct ctr_paths *p, const char *name, int up);
/* write a command ('u', 'd', 'x') to supervise/control; 0 or -1 */
int ctr_service_control(const struct ctr_paths *p, const char *name, char cmd);
/* the pid of a `berth ctr-exec NAME` that lives on without its runsv (the
 * runsv was killed); 0 if there is none */
pid_t ctr_service_orphan(const struct ctr_paths *p, const char *name);
/* the delay before restart number streak+1 */
long ctr_backoff_ms(int streak);
/* the restart decision after an exit: 1 restart, 0 stay down */
int ctr_restart_wanted(const struct container_def *d, int exit_code, int restarts);

/* leftover.c: a container that outlived its ctr-exec (killed, or never
 * got to clean up): kill it, delete it from crun, detach it from the
 * network, unmount its rootfs. Returns the pid that was killed, 0 if no
 * container was alive (whatever else was left is cleaned up anyway) */
pid_t ctr_leftover_kill(const struct ctr_paths *p, const char *name);
/* 1 if the pid is gone (a zombie counts as gone), after waiting up to
 * timeout_ms */
int ctr_pid_wait_gone(pid_t pid, int timeout_ms);

/* image.c: the image a container is bound to, in
 * $BERTH_ROOT/containers/NAME/image: bound when `berth create` or `run`
 * defines it (or at a hand-written definition's first start), kept until
 * `berth rm`. u->image is the definition's image when it was bound.
 * read: 0, 1 if there is no record, -1 if it is unreadable or malformed */
int ctr_image_read(const struct ctr_paths *p, const char *name, struct image_user *u);
/* bind name to the image u (image_lookup's, with its layers; image_str is
 * what named it), under the store's lock: u becomes the record written,
 * and is freed if that fails */
int ctr_image_bind(const struct ctr_paths *p, const char *name, const char *image_str, struct image_user *u,
		   struct err *e);
/* what every container uses: each record, and each definition that is not
 * bound to the image it names (looked up in s, unbound: nlayers 0) */
int ctr_image_users(const struct ctr_paths *p, struct image_store *s, struct image_users *u, struct err *e);
/* after `berth rm` of a container bound to config: delete that image's
 * blobs and layers if no name and no other container keeps them */
void ctr_image_release(const struct ctr_paths *p, const char *config);
/* the containers among u that use config, as "a, b" in buf; their count */
size_t ctr_image_users_of(const struct image_users *u, const char *config, char *buf, size_t size);

/* start.c: make the service, bring it up, wait until the state says
 * running (0) or exited/failed (1); -1 on a timeout or system error */
int ctr_start(const struct ctr_paths *p, const char *name, int timeout_ms);

/* run.c: pull image as pull says (docker's --pull: missing, the default
 * when NULL, always, never), bind the container to it and write text as
 * its definition; 0, or 125 after a message (nothing is left behind) */
int ctr_define(const struct ctr_paths *p, const char *name, const char *image, const char *pull, const char *text,
	       size_t len);

/* hosts.c: write the container's hosts file (addr: its address, NULL
 * without one) and, for a compose project's container on the bridge,
 * every other file of the project, so each names the others as the leases
 * now say; 0, or -1 after a message */
int ctr_hosts_write(const struct ctr_paths *p, const char *name, const struct container_def *d, const char *addr);

/* start.c: bring the named containers up as ctr-boot does (depends_on
 * order and conditions, among them), printing " Container NAME  Started"
 * for each; 0 when all run, 1 if one failed */
int ctr_up(const struct ctr_paths *p, char *const *names, size_t n);

/* logs.c: print the log (the last tail lines, all if tail < 0); follow
 * forever, or until_exit: until the container is no longer up */
int ctr_logs(const struct ctr_paths *p, const char *name, long tail, int timestamps, int follow,
	     int until_exit);
/* what ctr_logs prints before each line from now on ("" at first) */
void ctr_logs_prefix(const char *prefix);

/* health.c: the healthcheck, a timer of ctr-exec's main loop */
struct ctr_health {
	int on;                 /* 0: no healthcheck (or no more checks) */
	char **argv;            /* crun ... exec --pid-file F NAME TEST... */
	size_t argc;
	long long interval_ms, timeout_ms, start_period_ms;
	int retries;
	long long started_ms;   /* the container's start, CLOCK_MONOTONIC */
	long long next_ms;      /* when the next check starts */
	long long check_ms, deadline_ms; /* the running check's start and timeout */
	pid_t pid;              /* the running check (crun exec), 0 if none */
	int out_fd;             /* its stdout and stderr, -1 if none */
	char out[4096];         /* the first bytes of its output */
	size_t outlen;
	char pidfile[CTR_PATH_MAX]; /* crun exec --pid-file: the process inside */
};
/* the check of the definition, or of the image config when the definition
 * has none; crun_prefix: NULL-terminated "crun --root DIR". Returns 1 with a
 * check, 0 without, -1 out of memory */
int ctr_health_setup(struct ctr_health *h, const struct container_def *d, const char *image_config,
		     size_t len, const char *const crun_prefix[], const char *name, const char *pidfile);
/* the container runs: health=starting in st (or no health lines) */
void ctr_health_begin(struct ctr_health *h, long long now, struct ctr_state *st);
/* ms until ctr_health_tick has work; -1 never */
long long ctr_health_wait_ms(const struct ctr_health *h, long long now);
/* start a check that is due, kill one past its timeout; 1 if st changed */
int ctr_health_tick(struct ctr_health *h, long long now, struct ctr_state *st);
/* read what the running check wrote so far (its out_fd is readable) */
void ctr_health_read(struct ctr_health *h);
/* a child was reaped: 1 if it was the check (its result is in st) */
int ctr_health_reaped(struct ctr_health *h, pid_t pid, int status, struct ctr_state *st);
/* kill a running check, run no more */
void ctr_health_stop(struct ctr_health *h);
void ctr_health_free(struct ctr_health *h);

/* wanted.c: the containers that must be running (each definition that
 * loads and whose restart policy keeps it up, unless a person stopped an
 * unless-stopped one), sorted; *names is malloc'ed. A definition that does
 * not load gets a warning and is left out; -1 if the directory is unreadable */
int ctr_wanted(const struct ctr_paths *p, char (**names)[CTR_NAME_MAX], size_t *n);

/* order.c: depends_on order over defs; order[] gets indexes. Returns 0,
 * or -1 after a message naming the cycle or the missing dependency */
int ctr_order(struct container_def *const *defs, size_t n, size_t *order);

/* the subcommands, one file each (ps.c, run.c, ...) */
int cmd_ps(int argc, char **argv);
int cmd_compose(int argc, char **argv);
/* compose.c: at boot, each project of $ETC/berth/compose/NAME/ written as
 * definitions (nothing pulled); 0, or 1 if one had errors (said) */
int ctr_compose_boot(const struct ctr_paths *p);
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_ctr_boot(int argc, char **argv);
int cmd_ctr_order(int argc, char **argv);
int cmd_ctr_service(int argc, char **argv);
int cmd_ctr_exec(int argc, char **argv);
int cmd_ctr_finish(int argc, char **argv);
int cmd_ctr_backoff(int argc, char **argv);

#endif
