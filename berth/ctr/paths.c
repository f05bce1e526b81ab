/* Where the supervisor's files live, from the environment so that the host
 * tests run in temporary directories; small helpers for every ctr file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"
#include "spawn.h"

void ctr_paths_init(struct ctr_paths *p)
{
	ssize_t n;

	env_path(p->root, sizeof p->root, "BERTH_ROOT", BERTH_ROOT_DEFAULT);
	env_path(p->run, sizeof p->run, "BERTH_RUN", "/run/berth");
	env_path(p->etc, sizeof p->etc, "BERTH_ETC", "/etc");
	env_path(p->log, sizeof p->log, "BERTH_LOG", "/var/log/containers");
	env_path(p->crun, sizeof p->crun, "BERTH_CRUN", "/usr/bin/crun");
	env_path(p->sv, sizeof p->sv, "BERTH_SV", "/usr/bin/sv");
	env_path(p->svlogd, sizeof p->svlogd, "BERTH_SVLOGD", "/usr/sbin/svlogd"); /* busybox installs it in sbin */
	env_path(p->runsv, sizeof p->runsv, "BERTH_RUNSV", "/usr/bin/runsv");
	n = readlink("/proc/self/exe", p->self, sizeof p->self - 1);
	if (n <= 0)
		snprintf(p->self, sizeof p->self, "/usr/bin/berth");
	else
		p->self[n] = '\0';
}

void ctr_name_check(const char *cmd, const char *name)
{
	if (!compose_valid_name(name))
		usage_error(cmd, "\"%s\" is not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]{0,62})", name);
}

int ctr_def_file(const struct dirent *d)
{
	size_t l = strlen(d->d_name);
	return d->d_name[0] != '.' && l > 5 && strcmp(d->d_name + l - 5, ".yaml") == 0;
}

int ctr_def_load(const struct ctr_paths *p, const char *name, struct container_def **defs, size_t *n)
{
	char path[CTR_PATH_MAX];
	struct stat sb;
	int r;

	*defs = NULL;
	*n = 0;
	ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", p->etc, name);
	if (stat(path, &sb) != 0)
		return 1;
	r = compose_load(path, defs, n);
	if (r != 0 || *n != 1) {
		if (r == 0)
			warn("%s: expected exactly one service, got %zu", path, *n);
		compose_free(*defs, *n);
		*defs = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int ctr_rm_tree(const char *path)
{
	char dir[CTR_PATH_MAX], *slash;
	int fd, r;

	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return -1;
	*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	r = rm_tree_at(fd, slash + 1);
	close(fd);
	return r;
}

int ctr_spawn_wait(char *const argv[], int quiet)
{
	char what[CTR_PATH_MAX + 64];
	struct spawn sp = { .argv = argv, .what = what };
	int r;

	if (quiet)
		sp.fd[1] = sp.fd[2] = SPAWN_NULL;
	snprintf(what, sizeof what, "%s: exec %s", log_prog(), argv[0]);
	r = spawn_run(&sp, -1);
	return r >= SPAWN_SIGNAL ? -1 : r;
}

int ctr_poll_sleep(int *idle_ms)
{
	int ms = *idle_ms < 100 ? 1 : *idle_ms < 1000 ? 10 : 50;

	usleep((useconds_t)ms * 1000);
	*idle_ms += ms;
	return ms;
}

int ctr_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char old[4096];
	struct stat sb;

	/* the same file already: leave it (and its inode) alone */
	if (len < sizeof old && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == mode &&
	    (size_t)sb.st_size == len && file_read(path, old, sizeof old) == (ssize_t)len && memcmp(old, data, len) == 0)
		return 0;
	return file_replace(path, data, len, mode, 0);
}
