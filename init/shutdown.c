/* Stage 3: stop services, kill what is left, save the seed, unmount, sync,
 * reboot. Every step has a deadline; a watchdog bounds the whole. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"
#include "spawn.h"

#define SHUTDOWN_LIMIT_MS 30000
#define SV_LIMIT_MS 15000
#define RUNSVDIR_LIMIT_MS 5000
#define RUNSV_LIMIT_MS 5000
#define TERM_LIMIT_MS 5000
#define KILL_LIMIT_MS 2000
#define SERVICES_MAX 256

static int reboot_cmd(enum action a)
{
	switch (a) {
	case ACT_HALT: return RB_HALT_SYSTEM;
	case ACT_POWEROFF: return RB_POWER_OFF;
	default: return RB_AUTOBOOT;
	}
}

static void sleep_until(long long deadline_ms)
{
	struct timespec ts = { .tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* The watchdog is a child, since PID 1 itself may be stuck in umount(2) or
 * sync(2). It is restarted after kill(-1) took the first one away. */
static pid_t watchdog_start(struct init *st, long long deadline_ms)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	spawn_reset();
	sleep_until(deadline_ms);
	warn("shutdown took longer than %d s, forcing %s", SHUTDOWN_LIMIT_MS / 1000, action_name(st->shutdown));
	if (st->test)
		_exit(0);
	/* sync may hang on a dead disk: give it a few seconds in a child of its own */
	pid = fork();
	if (pid == 0) {
		sync();
		_exit(0);
	}
	for (int i = 0; pid > 0 && i < 50 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(100000);
	reboot(reboot_cmd(st->shutdown));
	_exit(1);
}

static long long left_until(long long deadline, long long cap)
{
	long long left = deadline - now_ms();

	return left < cap ? left : cap;
}

/* the services in dir (at most SERVICES_MAX: the rest stop on the TERM to
 * every process below), as "DIR/NAME" into names; returns how many */
static int services_list(const char *dir, char names[][256])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && n < SERVICES_MAX && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(names[n], sizeof names[n], "%s/%s", dir, e->d_name) >= (int)sizeof names[n])
			continue;
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* `sv [-w 10] CMD` on every service of dir, killed past limit_ms */
static void services_sv(struct init *st, const char *dir, const char *cmd, int wait, long long limit_ms)
{
	static char names[SERVICES_MAX][256];
	char *argv[4 + SERVICES_MAX + 1] = { (char *)st->sv_path };
	int n = services_list(dir, names), k = 1, status;
	pid_t pid;

	if (n == 0)
		return;
	if (wait) {
		argv[k++] = "-w";
		argv[k++] = "10";
	}
	argv[k++] = (char *)cmd;
	for (int i = 0; i < n; i++)
		argv[k++] = names[i];
	argv[k] = NULL;
	if ((pid = spawn(argv, SPAWN_SESSION)) > 0 &&
	    child_wait(st, pid, limit_ms, &status, 0) == WAIT_TIMEOUT) {
		warn("%s %s: timed out, killed", st->sv_path, cmd);
		kill(-pid, SIGKILL);
	}
}

/* 1 while a runsv holds some service's supervise/ok open */
static int runsv_left(const char *dir)
{
	static char names[SERVICES_MAX][256];
	char ok[300];
	int n = services_list(dir, names);

	for (int i = 0; i < n; i++) {
		int fd;

		snprintf(ok, sizeof ok, "%s/supervise/ok", names[i]);
		fd = open(ok, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return 1;
		}
	}
	return 0;
}

/* The containers: sv -w 10 force-stop each (ctr-exec stops its container
 * with its stop signal and grace, runsv runs ctr-finish), then sv exit ends
 * each runsv and its svlogd. Nobody restarts a runsv; what is left after
 * RUNSV_LIMIT_MS goes with the TERM to every process. */
static void containers_stop(struct init *st, long long deadline)
{
	services_sv(st, st->container_dir, "force-stop", 1, left_until(deadline, SV_LIMIT_MS));
	services_sv(st, st->container_dir, "exit", 0, left_until(deadline, RUNSV_LIMIT_MS));
	for (long long end = now_ms() + left_until(deadline, RUNSV_LIMIT_MS); runsv_left(st->container_dir);) {
		long long left = end - now_ms();

		if (left <= 0) {
			warn("%s: runsv still running after sv exit", st->container_dir);
			break;
		}
		/* the runsv processes are orphans: they are reaped here */
		events_wait(st, left < 100 ? left : 100);
		reap_all(st);
	}
}

/* sv -w 10 force-stop every service: each stops its daemon the way its
 * own finish/down logic says, before runsvdir goes away. */
static void services_stop(struct init *st, long long deadline)
{
	struct supervisor *sup = &st->sup;
	int status;
	pid_t pid;

	services_sv(st, sup->dir, "force-stop", 1, left_until(deadline, SV_LIMIT_MS));
	if (sup->pid > 0) {
		/* HUP: runsvdir sends TERM to each runsv, which stops its service and exits */
		pid = sup->pid;
		kill(pid, SIGHUP);
		if (child_wait(st, pid, left_until(deadline, RUNSVDIR_LIMIT_MS), &status, 0) == WAIT_TIMEOUT)
			warn("runsvdir %s: still running after SIGHUP", sup->dir);
	}
}

static void everything_kill(struct init *st, long long deadline)
{
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	if (children_wait(st, left_until(deadline, TERM_LIMIT_MS)) == 0)
		return;
	warn("processes left after SIGTERM, sending SIGKILL");
	kill(-1, SIGKILL);
	if (children_wait(st, left_until(deadline, KILL_LIMIT_MS)) != 0)
		warn("processes left after SIGKILL");
}

void shutdown_run(struct init *st)
{
	long long deadline = now_ms() + SHUTDOWN_LIMIT_MS;
	enum action act = st->shutdown;

	timeline("shutdown start");
	watchdog_start(st, deadline);
	/* the containers first: they may still use the network and the logs */
	containers_stop(st, deadline);
	services_stop(st, deadline);
	everything_kill(st, deadline);
	watchdog_start(st, deadline);
	entropy_save(st);
	if (!st->test)
		mounts_unmount();
	sync();
	timeline("shutdown done");
	/* a halted machine stays halted; reboot and poweroff keep the watchdog
	 * armed in case reboot(2) hangs */
	if (act == ACT_HALT || st->test)
		watchdog_disarm(st);
	if (st->test) {
		printf("init: shutdown done: %s\n", action_name(act));
		fflush(stdout);
		exit(0);
	}
	reboot(reboot_cmd(act));
	/* PID 1 must never exit: if reboot(2) failed, reap until the watchdog acts */
	warn_errno("reboot(%s)", action_name(act));
	for (;;) {
		events_wait(st, -1);
		reap_all(st);
	}
}
