/* PID 1: the state every concern of init shares, passed explicitly. */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <sys/types.h>

/* what a signal or the power button asks for; the first request wins */
enum action { ACT_NONE, ACT_REAP, ACT_REBOOT, ACT_HALT, ACT_POWEROFF };

struct init {
	int test;              /* BERTH_INIT_TEST=1: no mounts, no reboot(2), no console */
	int sigfd;             /* signalfd for every signal; all are blocked */
	int powerfd;           /* evdev "Power Button", or -1 */
	enum action shutdown;  /* ACT_NONE while running */
	/* runsvdir on the system's services, restarted if it dies. The
	 * containers have no runsvdir: berth starts a runsv per container
	 * itself, at once (busybox runsvdir looks for new services every 5 s) */
	struct supervisor {
		const char *dir;
		pid_t pid;             /* 0 when not running */
		long long restart_at;  /* monotonic ms; 0 when no restart is due */
	} sup;
	const char *container_dir; /* /run/berth/service: stopped first at shutdown */
	pid_t awaited;         /* child_wait()'s child, reaped by reap_all() */
	int awaited_status;
	int awaited_done;
	int ready;             /* "ready" was printed */
	pid_t containers;      /* `berth ctr-boot` while it starts the containers; 0 otherwise */
	const char *containers_cmd; /* that command, /usr/bin/berth */
	pid_t check;           /* `berth update check` (the boot assessment); 0 otherwise */
	long long check_deadline_ms; /* past this, a running check starves the watchdog */
	unsigned check_limit;  /* seconds the check may take */
	int wdfd;              /* /dev/watchdog, or -1 */
	long long wd_interval_ms, wd_next_ms;
	int wd_starving;
	unsigned stage1_timeout; /* seconds */
	const char *runsvdir_path, *sv_path, *stage1_dir, *seed_path, *check_cmd, *watchdog_path;
	const char *machine_id_path;
};

/* main.c: stage-1 failure: print, then reboot (or a root shell with berth.debug) */
_Noreturn void fatal(struct init *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* signal.c */
int signals_block(void);
int signals_open(struct init *st);
const char *action_name(enum action a);
/* argv with stdin /dev/null; flags: SPAWN_SESSION (spawn.h), so that a
 * timeout kills the group */
pid_t spawn(char *const argv[], int flags);
int reap_all(struct init *st);
void ready_check(struct init *st);
void events_wait(struct init *st, long long timeout_ms);
enum wait_result { WAIT_EXITED, WAIT_TIMEOUT, WAIT_SHUTDOWN };
enum wait_result child_wait(struct init *st, pid_t pid, long long timeout_ms, int *status, int interruptible);
int children_wait(struct init *st, long long timeout_ms);
const char *status_text(int status, char *buf, size_t size);

/* power.c: the ACPI power button as an evdev device */
int power_button_open(void);
enum action power_button_read(int fd);

/* mount.c */
int is_mountpoint(const char *path);
void mounts_early(struct init *st);
void cgroup_setup(void);
int mounts_plan(const char *mountinfo, char targets[][256], int max);
void mounts_unmount(void);
int var_space_check(const char *var);

/* net.c */
int hostname_valid(const char *name);
void hostname_setup(void);
void loopback_up(void);

/* entropy.c */
void entropy_load(struct init *st);
void entropy_save(struct init *st);

/* hooks.c: returns the number of hooks that failed */
int hooks_run(struct init *st, const char *dir);

/* watchdog.c */
void watchdog_open(struct init *st, unsigned timeout);
long long watchdog_feed(struct init *st);
void watchdog_disarm(struct init *st);

/* shutdown.c */
_Noreturn void shutdown_run(struct init *st);

/* identity.c: /etc/machine-id made on the first boot */
void machine_id_setup(struct init *st);

#endif
