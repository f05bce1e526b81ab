/* Stage-1 hooks: every executable in a directory, in lexical order, each
 * bounded by a timeout; a failing hook is named and boot goes on. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"
#include "spawn.h"

static int hook_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && name[0] != '.' && name[len - 1] != '~';
}

/* strcmp, not the locale's collation: the order must not depend on LANG */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int hook_select(const struct dirent *e)
{
	return hook_name_ok(e->d_name);
}

static int hook_run(struct init *st, const char *path, const char *name)
{
	char *argv[] = { (char *)path, NULL };
	char why[96];
	int status;
	pid_t pid = spawn(argv, SPAWN_SESSION);

	if (pid < 0) {
		warn("stage1 hook %s: not started", name);
		return -1;
	}
	switch (child_wait(st, pid, (long long)st->stage1_timeout * 1000, &status, 1)) {
	case WAIT_EXITED:
		if (status == 0)
			return 0;
		warn("stage1 hook %s failed: %s", name, status_text(status, why, sizeof why));
		return -1;
	case WAIT_TIMEOUT:
		warn("stage1 hook %s timed out after %u s, killed", name, st->stage1_timeout);
		break;
	case WAIT_SHUTDOWN:
		warn("stage1 hook %s interrupted by %s, killed", name, action_name(st->shutdown));
		break;
	}
	/* the hook leads its own process group: take what it started along */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	child_wait(st, pid, 5000, &status, 0);
	return -1;
}

int hooks_run(struct init *st, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, hook_select, by_name), failed = 0;

	if (n < 0)
		return 0; /* no hooks */
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;

		if (st->shutdown == ACT_NONE &&
		    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < (int)sizeof path &&
		    stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0111))
			failed += hook_run(st, path, names[i]->d_name) != 0;
		free(names[i]);
	}
	free(names);
	return failed;
}
