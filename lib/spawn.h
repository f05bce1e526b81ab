/* Starting a program: one child setup for every program of Berth. The child
 * has every signal unblocked and at its default disposition, whatever the
 * parent had (PID 1 blocks them all, berth catches some), and only what the
 * struct asks for besides. */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <sys/types.h>

#define SPAWN_NULL (-1) /* fd[i]: the child's fd i is /dev/null */
#define SPAWN_PIPE (-2) /* fd[i]: a pipe's write end; the read end comes back in pipe */

#define SPAWN_SESSION 1 /* setsid(): a session and process group of its own */
#define SPAWN_PGROUP 2  /* setpgid(), in the child and the parent: no race with a kill of the group */
#define SPAWN_CLOSE 4   /* close every fd above 2 */
#define SPAWN_SEARCH 8  /* look the program up in our PATH */

struct spawn {
	const char *path;      /* the program; NULL: argv[0] */
	char *const *argv;
	char *const *env;      /* the whole environment; NULL: ours */
	char *const *env_add;  /* "NAME=VALUE"s set on top of it; NULL: none */
	const char *dir;       /* chdir() there first; NULL: stay */
	const char *what;      /* exec fails: "WHAT: <strerror>" on the child's stderr; NULL: nothing */
	/* the child's fds 0 to 3: 0 leaves it as ours, SPAWN_NULL, SPAWN_PIPE,
	 * or one of our fds (dup2, in order; close-on-exec cleared if fd[i] is i) */
	int fd[4];
	int flags;
	int pipe;              /* set by spawn_start: SPAWN_PIPE's read end, close-on-exec; -1 if none */
};

/* fork and exec; the child exits 127 when it cannot be set up or exec fails.
 * Returns its pid, or -1 (errno) with nothing left open */
pid_t spawn_start(struct spawn *s);

#define SPAWN_SIGNAL 256 /* spawn_wait: killed by signal N returns SPAWN_SIGNAL + N */
#define SPAWN_TIMEOUT (-2)
/* reap pid: its exit code, SPAWN_SIGNAL + N, or -1 (errno). With
 * timeout_ms >= 0, past it SIGKILL to pid and its process group, reaped, and
 * SPAWN_TIMEOUT */
int spawn_wait(pid_t pid, long long timeout_ms);

/* spawn_start and spawn_wait; -1 also if it could not be started */
int spawn_run(struct spawn *s, long long timeout_ms);

/* in a child: every signal unblocked and at its default */
void spawn_reset(void);

#endif
