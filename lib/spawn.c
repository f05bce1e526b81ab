/* fork and exec, not posix_spawn: musl's has no file action that closes
 * every fd; its exec error comes back to the parent, which would then have
 * to print what the callers print on the child's stderr (the fsck log, berth
 * load's captured output); and its parent waits until the child has exec'd,
 * which PID 1 must not do on a slow or dead disk. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
	unsigned long dfl[8] = { 0 }; /* on the stack: 64 bytes of rodata cost init a page */
	sigset_t none;

	for (int sig = 1; sig < _NSIG; sig++)
		syscall(SYS_rt_sigaction, sig, dfl, NULL, _NSIG / 8);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* exec with the environment built on the stack, not with putenv():
 * env_add's variables, then those of the base that env_add does not name */
static void exec_env(const struct spawn *s)
{
	extern char **environ;
	char *const none[] = { NULL };
	char *const *base = s->env ? s->env : environ, *const *add = s->env_add ? s->env_add : none;
	const char *path = s->path ? s->path : s->argv[0];
	size_t nb = 0, na = 0, k;

	while (base[nb])
		nb++;
	while (add[na])
		na++;
	char *env[na + nb + 1];
	for (k = 0; k < na; k++)
		env[k] = add[k];
	for (size_t i = 0; i < nb; i++) {
		size_t j = 0;

		while (j < na && strncmp(base[i], add[j], strcspn(add[j], "=") + 1) != 0)
			j++;
		if (j == na)
			env[k++] = base[i];
	}
	env[k] = NULL;
	if (s->flags & SPAWN_SEARCH)
		execvpe(path, s->argv, env);
	else
		execve(path, s->argv, env);
}

static _Noreturn void child(struct spawn *s, int pipe_wr)
{
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
			syscall(SYS_fcntl, i, F_SETFD, 0); /* raw: musl's fcntl() is 400 bytes */
		else if (dup2(from, i) < 0)
			_exit(127);
	}
	if (s->dir && chdir(s->dir) < 0)
		_exit(127);
	if ((s->flags & SPAWN_CLOSE) && syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	exec_env(s);
	if (s->what)
		fprintf(stderr, "%s: %s\n", s->what, strerror(errno));
	_exit(127);
}

pid_t spawn_start(struct spawn *s)
{
	int p[2] = { -1, -1 }, err;
	sigset_t all, old;
	pid_t pid;

	s->pipe = -1;
	for (int i = 0; i < 4; i++)
		if (s->fd[i] == SPAWN_PIPE && p[0] < 0 && syscall(SYS_pipe2, p, O_CLOEXEC) < 0)
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
