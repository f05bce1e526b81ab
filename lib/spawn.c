/* fork and exec, not posix_spawn: musl's posix_spawn has no way to close
 * every fd, clear close-on-exec on an fd handed on at its own number, or make
 * a controlling terminal, and the exec error it returns would have to be
 * printed by the parent, not on the child's redirected stderr where the
 * callers have always put it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

void spawn_reset(void)
{
	/* an all-zero kernel sigaction is SIG_DFL with no flags and an empty
	 * mask on every arch; raw, since musl refuses sigaction on its internal
	 * signals (32-34) and one may have come ignored from whoever started us.
	 * KILL and STOP fail, harmlessly */
	static const unsigned long dfl[8];
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		syscall(SYS_rt_sigaction, sig, dfl, NULL, _NSIG / 8);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void child(struct spawn *s, int pipe_wr)
{
	extern char **environ;
	int null = -1;

	spawn_reset();
	if ((s->flags & SPAWN_SESSION) && setsid() < 0)
		_exit(127);
	if ((s->flags & SPAWN_PGROUP) && setpgid(0, 0) < 0)
		_exit(127);
	for (int i = 0; i < 4; i++) {
		int from = s->fd[i] == SPAWN_PIPE ? pipe_wr : s->fd[i];

		if (s->fd[i] == 0)
			continue;
		if (from == SPAWN_NULL && null < 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			_exit(127);
		if (from == SPAWN_NULL)
			from = null;
		if (from == i)
			fcntl(i, F_SETFD, 0);
		else if (dup2(from, i) < 0)
			_exit(127);
	}
	if (s->flags & SPAWN_CTTY)
		ioctl(0, TIOCSCTTY, 1);
	if (s->dir && chdir(s->dir) < 0)
		_exit(127);
	if ((s->flags & SPAWN_CLOSE) && syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	if (s->env)
		environ = (char **)s->env;
	for (char *const *e = s->env_add; e && *e; e++)
		if (putenv(*e) != 0)
			_exit(127);
	if (s->flags & SPAWN_SEARCH)
		execvp(s->path ? s->path : s->argv[0], s->argv);
	else
		execv(s->path ? s->path : s->argv[0], s->argv);
	if (s->what)
		dprintf(2, "%s: %s\n", s->what, strerror(errno));
	_exit(127);
}

pid_t spawn_start(struct spawn *s)
{
	int p[2] = { -1, -1 }, err;
	sigset_t all, old;
	pid_t pid;

	s->pipe = -1;
	for (int i = 0; i < 4; i++)
		if (s->fd[i] == SPAWN_PIPE && p[0] < 0 && pipe2(p, O_CLOEXEC) < 0)
			return -1;
	/* none of our handlers may run in the child before spawn_reset() */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		child(s, p[1]);
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		errno = err;
		return -1;
	}
	if (s->flags & SPAWN_PGROUP)
		setpgid(pid, pid);
	s->pipe = p[0];
	return pid;
}

int spawn_wait(pid_t pid, long long timeout_ms)
{
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	long long end = -1;
	int st, rc = 0, err;

	/* the pidfd turns readable as the child ends; without one (a kernel
	 * before 5.3) look every 20 ms */
	if (timeout_ms >= 0)
		pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		pid_t r = waitpid(pid, &st, timeout_ms < 0 ? 0 : WNOHANG);
		struct timespec t;
		long long now, wait;

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		if (r < 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t);
		now = t.tv_sec * 1000LL + t.tv_nsec / 1000000;
		if (end < 0)
			end = now + timeout_ms;
		if (now >= end) {
			kill(-pid, SIGKILL); /* its group, if it leads one */
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			rc = SPAWN_TIMEOUT;
			break;
		}
		wait = end - now;
		if (pfd.fd < 0 && wait > 20)
			wait = 20;
		poll(&pfd, 1, wait < 86400000 ? (int)wait : 86400000);
	}
	err = errno;
	if (pfd.fd >= 0)
		close(pfd.fd);
	errno = err;
	if (rc)
		return rc;
	return WIFEXITED(st) ? WEXITSTATUS(st) : SPAWN_SIGNAL + WTERMSIG(st);
}

int spawn_run(struct spawn *s, long long timeout_ms)
{
	pid_t pid = spawn_start(s);

	return pid < 0 ? -1 : spawn_wait(pid, timeout_ms);
}
