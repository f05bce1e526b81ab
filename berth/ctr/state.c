/* /run/berth/containers/NAME/state: key=value lines, written atomically, so
 * `cat` shows a person what `berth ps` shows. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

void ctr_state_init(struct ctr_state *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->status, sizeof s->status, "created");
	s->exit_code = -1;
}

static void copy(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v);
}

int ctr_state_read(const struct ctr_paths *p, const char *name, struct ctr_state *s)
{
	char path[CTR_PATH_MAX], buf[CTR_STATE_MAX], *line, *save;

	ctr_state_init(s);
	ctr_path(path, sizeof path, "%s/containers/%s/state", p->run, name);
	if (file_read(path, buf, sizeof buf) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "status") == 0)
			copy(s->status, sizeof s->status, v);
		else if (strcmp(line, "image") == 0)
			copy(s->image, sizeof s->image, v);
		else if (strcmp(line, "exit_code") == 0)
			s->exit_code = *v ? atoi(v) : -1;
		else if (strcmp(line, "restarts") == 0)
			s->restarts = atoi(v);
		else if (strcmp(line, "streak") == 0)
			s->streak = atoi(v);
		else if (strcmp(line, "pid") == 0)
			s->pid = (pid_t)atol(v);
		else if (strcmp(line, "started_at") == 0)
			s->started_at = (time_t)atoll(v);
		else if (strcmp(line, "finished_at") == 0)
			s->finished_at = (time_t)atoll(v);
		else if (strcmp(line, "address") == 0)
			copy(s->address, sizeof s->address, v);
		else if (strcmp(line, "ports") == 0)
			copy(s->ports, sizeof s->ports, v);
		else if (strcmp(line, "error") == 0)
			copy(s->error, sizeof s->error, v);
		else if (strcmp(line, "health") == 0)
			copy(s->health, sizeof s->health, v);
		else if (strcmp(line, "health_failing") == 0)
			s->health_failing = atoi(v);
		else if (strcmp(line, "health_exit") == 0)
			s->health_exit = atoi(v);
		else if (strcmp(line, "health_at") == 0)
			s->health_at = (time_t)atoll(v);
		else if (strcmp(line, "health_output") == 0)
			copy(s->health_output, sizeof s->health_output, v);
	}
	return 0;
}

/* values are one line each: a newline in an error message would start a key */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int ctr_state_write(const struct ctr_paths *p, const char *name, const struct ctr_state *s)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX], buf[CTR_STATE_MAX], err[256], out[256];
	int n, m = 0;

	ctr_path(dir, sizeof dir, "%s/containers/%s", p->run, name);
	ctr_path(path, sizeof path, "%s/state", dir);
	if (mkdir_p(dir, 0755) < 0)
		return -1;
	copy(err, sizeof err, s->error);
	one_line(err);
	n = snprintf(buf, sizeof buf,
		     "status=%s\nimage=%s\nexit_code=%d\nrestarts=%d\nstreak=%d\npid=%ld\n"
		     "started_at=%lld\nfinished_at=%lld\naddress=%s\nports=%s\nerror=%s\n",
		     s->status, s->image, s->exit_code, s->restarts, s->streak, (long)s->pid,
		     (long long)s->started_at, (long long)s->finished_at, s->address, s->ports, err);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	/* only a container with a healthcheck has health lines */
	if (s->health[0]) {
		copy(out, sizeof out, s->health_output);
		one_line(out);
		m = snprintf(buf + n, sizeof buf - (size_t)n,
			     "health=%s\nhealth_failing=%d\nhealth_exit=%d\nhealth_at=%lld\nhealth_output=%s\n",
			     s->health, s->health_failing, s->health_exit, (long long)s->health_at, out);
		if (m < 0 || (size_t)m >= sizeof buf - (size_t)n)
			return -1;
	}
	return ctr_file_replace(path, buf, (size_t)(n + m), 0644);
}

int ctr_state_alive(const struct ctr_state *s)
{
	return s->pid > 0 && (kill(s->pid, 0) == 0 || errno == EPERM);
}
