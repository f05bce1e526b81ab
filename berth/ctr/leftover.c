/* What a ctr-exec leaves behind when it dies without cleaning up (SIGKILL
 * from `sv force-stop` past its grace, the OOM killer, a person): a
 * container still running under crun, a network lease, a mounted rootfs.
 * No container may outlive its supervisor, so ctr-finish, the next
 * ctr-exec and `berth stop` of an unsupervised container all come here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"
#include "net.h"
#include "spawn.h"

#define STATE_OUT_MAX 8192

/* run argv with stdout into buf (NUL-terminated, cut at size-1), stderr to
 * /dev/null; its exit code, or -1 */
static int spawn_output(char *const argv[], char *buf, size_t size)
{
	struct spawn sp = { .argv = argv, .fd = { 0, SPAWN_PIPE, SPAWN_NULL } };
	size_t len = 0;
	pid_t pid;
	int r;

	buf[0] = '\0';
	pid = spawn_start(&sp);
	if (pid < 0)
		return -1;
	for (;;) {
		ssize_t n = read(sp.pipe, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	buf[len] = '\0';
	close(sp.pipe);
	r = spawn_wait(pid, -1);
	return r >= SPAWN_SIGNAL ? -1 : r;
}

/* 1 if pid is no process, or a zombie (its parent will reap it) */
static int pid_gone(pid_t pid)
{
	char path[64], buf[512], *paren;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (file_read(path, buf, sizeof buf) <= 0)
		return 1;
	/* "PID (COMM) STATE ...": COMM may hold anything, the last ')' ends it */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'Z';
}

int ctr_pid_wait_gone(pid_t pid, int timeout_ms)
{
	for (int t = 0;; t += 10) {
		if (pid_gone(pid))
			return 1;
		if (t >= timeout_ms)
			return 0;
		usleep(10000);
	}
}

/* the pid of the container if crun has it alive (created, running,
 * paused), else 0 */
static pid_t crun_alive(const struct ctr_paths *p, const char *root, const char *name)
{
	char *argv[] = { (char *)p->crun, "--root", (char *)root, "state", (char *)name, NULL };
	char out[STATE_OUT_MAX];
	struct err e = { 0 };
	yajl_val j, v;
	const char *status;
	pid_t pid = 0;

	if (spawn_output(argv, out, sizeof out) != 0)
		return 0;
	j = json_parse(out, strlen(out), "crun state", &e);
	if (!j)
		return 0;
	status = json_str(j, "status");
	v = json_get(j, "pid", yajl_t_number);
	if (status && v && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 &&
	    (strcmp(status, "running") == 0 || strcmp(status, "created") == 0 || strcmp(status, "paused") == 0))
		pid = (pid_t)YAJL_GET_INTEGER(v);
	yajl_tree_free(j);
	return pid;
}

pid_t ctr_leftover_kill(const struct ctr_paths *p, const char *name)
{
	char root[CTR_PATH_MAX], state[CTR_PATH_MAX], rootfs[CTR_PATH_MAX];
	struct err e = { 0 };
	struct net_config cfg;
	struct stat sb;
	pid_t pid = 0;

	ctr_path(root, sizeof root, "%s/crun", p->run);
	ctr_path(state, sizeof state, "%s/%s", root, name);
	/* crun keeps a directory per container: none, nothing to ask it */
	if (stat(state, &sb) == 0) {
		char *kill_argv[] = { (char *)p->crun, "--root", root, "kill", "--all", (char *)name, "KILL", NULL };
		char *delete_argv[] = { (char *)p->crun, "--root", root, "delete", "-f", (char *)name, NULL };

		pid = crun_alive(p, root, name);
		if (pid > 0) {
			/* --all needs the cgroup; the init's death ends its PID namespace anyway */
			ctr_spawn_wait(kill_argv, 1);
			kill(pid, SIGKILL);
			if (!ctr_pid_wait_gone(pid, 5000))
				warn("%s: container process %ld still there 5 s after SIGKILL", name, (long)pid);
		}
		ctr_spawn_wait(delete_argv, 1);
	}
	if (net_config_default(&cfg, &e) == 0)
		net_detach(&cfg, name, &e);
	ctr_path(rootfs, sizeof rootfs, "%s/containers/%s/rootfs", p->root, name);
	while (umount2(rootfs, MNT_DETACH) == 0)
		;
	return pid;
}
