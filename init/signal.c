/* Signals, children and waiting: every signal stays blocked and is read from
 * a signalfd, so nothing in init ever runs in a signal handler. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"
#include "spawn.h"

/* busybox reboot/halt/poweroff send TERM/USR1/USR2; the kernel sends INT for
 * ctrl-alt-del (after RB_DISABLE_CAD) and PWR on power failure */
static const struct {
	int sig;
	enum action act;
} signal_actions[] = {
	{ SIGCHLD, ACT_REAP },
	{ SIGTERM, ACT_REBOOT },
	{ SIGINT, ACT_REBOOT },
	{ SIGUSR1, ACT_HALT },
	{ SIGUSR2, ACT_POWEROFF },
	{ SIGPWR, ACT_POWEROFF },
};

const char *action_name(enum action a)
{
	switch (a) {
	case ACT_REBOOT: return "reboot";
	case ACT_HALT: return "halt";
	case ACT_POWEROFF: return "poweroff";
	default: return "none";
	}
}

int signals_block(void)
{
	sigset_t all;

	sigfillset(&all);
	return sigprocmask(SIG_BLOCK, &all, NULL);
}

int signals_open(struct init *st)
{
	sigset_t all;

	sigfillset(&all);
	st->sigfd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
	return st->sigfd < 0 ? -1 : 0;
}

/* A child must not inherit PID 1's blocked mask: a service with TERM blocked
 * could never be stopped; spawn_reset() clears it. Not spawn_start(): its
 * options (pipes, environments, fds) would cost PID 1 a page */
pid_t spawn(char *const argv[], int flags)
{
	pid_t pid = fork();

	if (pid != 0) {
		if (pid < 0)
			warn_errno("fork for %s", argv[0]);
		return pid;
	}
	spawn_reset();
	if (flags & SPAWN_SESSION)
		setsid();
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	execv(argv[0], argv);
	warn_errno("exec %s", argv[0]);
	_exit(127);
}

const char *status_text(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "status 0x%x", (unsigned)status);
	return buf;
}

/* Reap every child that has exited; returns 1 while children remain, 0 when
 * none is left. Orphans re-parented to PID 1 end up here too. */
int reap_all(struct init *st)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return 0;
		if (pid == 0)
			return 1;
		if (pid == st->awaited) {
			st->awaited_status = status;
			st->awaited_done = 1;
		}
		if (pid == st->containers) {
			char why[96];

			st->containers = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				warn("containers: berth ctr-boot %s", status_text(status, why, sizeof why));
			ready_check(st);
		}
		if (pid == st->check)
			st->check = 0;
		if (pid == st->sup.pid) {
			char why[96];

			st->sup.pid = 0;
			if (st->shutdown == ACT_NONE) {
				warn("runsvdir %s %s, restarting in 1 s", st->sup.dir, status_text(status, why, sizeof why));
				st->sup.restart_at = now_ms() + 1000;
			}
		}
	}
}

static void request(struct init *st, enum action act)
{
	if (act == ACT_REAP || act == ACT_NONE || st->shutdown != ACT_NONE)
		return;
	st->shutdown = act;
}

static void signals_read(struct init *st)
{
	struct signalfd_siginfo si;

	while (read(st->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		for (size_t i = 0; i < sizeof signal_actions / sizeof signal_actions[0]; i++)
			if (signal_actions[i].sig == (int)si.ssi_signo)
				request(st, signal_actions[i].act);
	}
}

/* Sleep until a signal, a power button press or the timeout (-1: none). */
void events_wait(struct init *st, long long timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = st->sigfd, .events = POLLIN },
		{ .fd = st->powerfd, .events = POLLIN },
	};
	int n = st->powerfd >= 0 ? 2 : 1;
	long long ping = watchdog_feed(st);

	if (ping >= 0 && (timeout_ms < 0 || ping < timeout_ms))
		timeout_ms = ping;
	if (timeout_ms > 24 * 3600 * 1000LL)
		timeout_ms = 24 * 3600 * 1000LL;
	if (poll(pfd, (nfds_t)n, timeout_ms < 0 ? -1 : (int)timeout_ms) <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		signals_read(st);
	if (n == 2 && (pfd[1].revents & (POLLIN | POLLERR | POLLHUP))) {
		enum action act = power_button_read(st->powerfd);

		if (act == ACT_NONE && (pfd[1].revents & (POLLERR | POLLHUP))) {
			close(st->powerfd);
			st->powerfd = -1;
		}
		request(st, act);
	}
}

/* Wait for one child, reaping every other one meanwhile. With interruptible,
 * a shutdown request ends the wait early. */
enum wait_result child_wait(struct init *st, pid_t pid, long long timeout_ms, int *status, int interruptible)
{
	long long deadline = now_ms() + timeout_ms;

	st->awaited = pid;
	st->awaited_done = 0;
	for (;;) {
		long long left;

		reap_all(st);
		if (st->awaited_done) {
			*status = st->awaited_status;
			st->awaited = 0;
			return WAIT_EXITED;
		}
		if (interruptible && st->shutdown != ACT_NONE) {
			st->awaited = 0;
			return WAIT_SHUTDOWN;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			st->awaited = 0;
			return WAIT_TIMEOUT;
		}
		events_wait(st, left);
	}
}

/* Wait until no child is left; returns 0 then, -1 on timeout. */
int children_wait(struct init *st, long long timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		long long left;

		if (!reap_all(st))
			return 0;
		left = deadline - now_ms();
		if (left <= 0)
			return -1;
		/* SIGCHLD wakes us; the cap keeps a missed wakeup from costing the whole timeout */
		events_wait(st, left < 100 ? left : 100);
	}
}
