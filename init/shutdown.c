/* Stage 3: stop services, kill what is left, save the seed, unmount, sync,
 * reboot. Every step has a deadline; a watchdog bounds the whole. */
#include <dirent.h>
#include <errno.h>
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

#define SHUTDOWN_LIMIT_MS 30000
#define SV_LIMIT_MS 15000
#define RUNSVDIR_LIMIT_MS 5000
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
	child_reset();
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

/* sv -w 10 force-stop every service: each stops its container or daemon the
 * way its own finish/down logic says, before runsvdir goes away. */
static void services_stop(struct init *st, struct supervisor *sup, long long deadline)
{
	static char names[SERVICES_MAX][256];
	char *argv[4 + SERVICES_MAX + 1] = { (char *)st->sv_path, "-w", "10", "force-stop" };
	int n = 0, status;
	DIR *d = opendir(sup->dir);
	struct dirent *e;
	pid_t pid;

	/* more than SERVICES_MAX services: the rest stop on runsvdir's HUP below */
	while (d && n < SERVICES_MAX && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(names[n], sizeof names[n], "%s/%s", sup->dir, e->d_name) >= (int)sizeof names[n])
			continue;
		argv[4 + n] = names[n];
		n++;
	}
	if (d)
		closedir(d);
	argv[4 + n] = NULL;
	if (n > 0 && (pid = spawn(argv, SPAWN_SESSION)) > 0) {
		if (child_wait(st, pid, left_until(deadline, SV_LIMIT_MS), &status, 0) == WAIT_TIMEOUT) {
			warn("%s force-stop: timed out, killed", st->sv_path);
			kill(-pid, SIGKILL);
		}
	}
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
	services_stop(st, &st->sup[SUP_CONTAINERS], deadline);
	services_stop(st, &st->sup[SUP_SYSTEM], deadline);
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
