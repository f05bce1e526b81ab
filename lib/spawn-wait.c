/* Waiting for a child of spawn_start(), apart from it so that a program that
 * only starts children (PID 1 reaps its own) links none of this. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

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
