/* The container supervisor: every container is a runit service.
 *
 *   $BERTH_ETC/berth/containers/NAME.yaml   the definition (compose service)
 *   $BERTH_RUN/service/NAME/                run, finish, log/run, down
 *                                           its own runsvdir (PID 1 starts
 *                                           `runsvdir $BERTH_RUN/service`)
 *   $BERTH_RUN/containers/NAME/state        key=value lines a person can cat
 *   $BERTH_ROOT/containers/NAME/            upper, work, rootfs, bundle, etc files
 *   /var/log/containers/NAME/current        svlogd ($BERTH_LOG)
 *
 * `berth ctr-exec NAME` is the process runsv supervises: it mounts the
 * rootfs, drives crun (create, network, start), forwards the stop signal and
 * cleans up. `berth ctr-finish NAME` (the finish script) applies the restart
 * policy. Defaults: BERTH_ROOT=/var/lib/berth, BERTH_RUN=/run/berth,
 * BERTH_ETC=/etc, BERTH_LOG=/var/log/containers, BERTH_CRUN=/usr/bin/crun,
 * BERTH_SV=/usr/bin/sv, BERTH_SVLOGD=/usr/bin/svlogd. */
#ifndef BERTH_CTR_H
#define BERTH_CTR_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "compose.h"

#define CTR_PATH_MAX 2048
#define CTR_GRACE_DEFAULT 10   /* seconds between the stop signal and SIGKILL */
#define CTR_BACKOFF_BASE_MS 100
#define CTR_BACKOFF_MAX_MS 30000
#define CTR_BACKOFF_RESET_S 60 /* this much uptime forgets earlier crashes */

struct ctr_paths {
	char root[CTR_PATH_MAX], run[CTR_PATH_MAX], etc[CTR_PATH_MAX], log[CTR_PATH_MAX];
	char crun[CTR_PATH_MAX], sv[CTR_PATH_MAX], svlogd[CTR_PATH_MAX];
	char self[CTR_PATH_MAX]; /* this berth binary, for the run scripts */
};

/* the state file; status is one of created, starting, running, restarting,
 * exited, stopped, failed */
struct ctr_state {
	char status[32];
	char image[256];
	int exit_code;  /* -1 = none yet */
	int restarts;   /* total, like docker's RestartCount */
	int streak;     /* restarts since the last CTR_BACKOFF_RESET_S of uptime */
	pid_t pid;      /* the container's init, 0 when not running */
	time_t started_at, finished_at;
	char address[64];
	char ports[512]; /* "HOSTIP:HOSTPORT:CPORT/PROTO ..." */
	char error[256]; /* why it failed, one line */
};

/* ctr-paths.c */
void ctr_paths_init(struct ctr_paths *p);
/* snprintf into buf; dies (EXIT_SYSTEM) on truncation: paths must fit */
void ctr_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* the definition of NAME: 0, 1 (no file), -1 (errors printed) */
int ctr_def_load(const struct ctr_paths *p, const char *name, struct container_def **defs, size_t *n);
/* exit with usage if name is not a valid container name */
void ctr_name_check(const char *cmd, const char *name);
/* rm -rf path (no symlink followed); 0 or -1 */
int ctr_rm_tree(const char *path);
/* run argv, wait; returns its exit code, or -1 if it could not start or
 * died from a signal. quiet: stdout and stderr to /dev/null */
int ctr_spawn_wait(char *const argv[], int quiet);

/* ctr-state.c */
void ctr_state_init(struct ctr_state *s);
/* 0, or -1 if there is no state file (s is then initialised) */
int ctr_state_read(const struct ctr_paths *p, const char *name, struct ctr_state *s);
int ctr_state_write(const struct ctr_paths *p, const char *name, const struct ctr_state *s);
/* 1 if s->pid is a live process */
int ctr_state_alive(const struct ctr_state *s);

/* ctr-service.c */
/* write $RUN/service/NAME (run, finish, log/run, down) and link it */
int ctr_service_create(const struct ctr_paths *p, const char *name);
/* 1 if runsv supervises the service (supervise/ok is open for writing) */
int ctr_service_supervised(const struct ctr_paths *p, const char *name);
/* wait until it is, up to timeout_ms; 0 or -1 */
int ctr_service_wait_supervised(const struct ctr_paths *p, const char *name, int timeout_ms);
/* sv [-w SEC] CMD $RUN/service/NAME; the sv exit code */
int ctr_sv(const struct ctr_paths *p, const char *name, const char *cmd, int wait_s);
/* the delay before restart number streak+1 */
long ctr_backoff_ms(int streak);
/* the restart decision after an exit: 1 restart, 0 stay down */
int ctr_restart_wanted(const struct container_def *d, int exit_code, int restarts);

/* ctr-start.c: make the service, bring it up, wait until the state says
 * running (0) or exited/failed (1); -1 on a timeout or system error */
int ctr_start(const struct ctr_paths *p, const char *name, int timeout_ms);

/* ctr-logs.c: print the log (the last tail lines, all if tail < 0); follow
 * forever, or until_exit: until the container is no longer up */
int ctr_logs(const struct ctr_paths *p, const char *name, long tail, int timestamps, int follow,
	     int until_exit);

/* ctr-order.c: depends_on order over defs; order[] gets indexes. Returns 0,
 * or -1 after a message naming the cycle or the missing dependency */
int ctr_order(struct container_def *const *defs, size_t n, size_t *order);

#endif
