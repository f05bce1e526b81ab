/* /run/berth/containers/NAME/state: key=value lines, written atomically, so
 * `cat` shows a person what `berth ps` shows. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "ctr.h"
#include "kv.h"

/* enum ctr_status's names, in its order */
static const char *const status_names[] = { "created", "starting", "running", "restarting", "exited",
					    "stopped", "failed", NULL };

/* the lines in the order they are written; from health on, only a
 * container with a healthcheck has them, and pull's only a container
 * whose image is being pulled */
#define S(f) KV_STRING(struct ctr_state, f)
#define N(f, type) KV_NUMBER(struct ctr_state, f, type)
static const struct kv_field fields[] = {
	KV_NAMED(struct ctr_state, status, status_names),
	S(image), N(exit_code, KV_INT_NONE), N(restarts, KV_INT), N(streak, KV_INT), N(pid, KV_INT),
	N(started_at, KV_TIME), N(finished_at, KV_TIME), S(address), S(ports), S(error),
	S(health), N(health_failing, KV_INT), N(health_exit, KV_INT), N(health_at, KV_TIME), S(health_output),
	S(pull), N(pull_tries, KV_INT),
};
#undef S
#undef N
#define NFIELDS (sizeof fields / sizeof fields[0])
#define NALWAYS 11 /* the fields before health */
#define NHEALTH 5  /* health's; then pull's, only while ctr-exec pulls */

const char *ctr_status_name(enum ctr_status st)
{
	return (unsigned)st < sizeof status_names / sizeof status_names[0] - 1 ? status_names[st] : "?";
}

void ctr_state_init(struct ctr_state *s)
{
	memset(s, 0, sizeof *s);
	s->status = CTR_CREATED;
	s->exit_code = -1;
}

int ctr_state_read(const struct ctr_paths *p, const char *name, struct ctr_state *s)
{
	char path[CTR_PATH_MAX], buf[CTR_STATE_MAX];
	struct err e = { 0 };
	int r;

	ctr_state_init(s);
	ctr_path(path, sizeof path, "%s/containers/%s/state", p->run, name);
	r = kv_read(path, buf, sizeof buf, fields, NFIELDS, s, &e);
	if (r == 0)
		return 0;
	if (r > 0) {
		warn("%s", e.msg);
		ctr_state_init(s);
	}
	return -1;
}

int ctr_state_write(const struct ctr_paths *p, const char *name, const struct ctr_state *s)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX], buf[CTR_STATE_MAX];
	size_t len = 0;

	ctr_path(dir, sizeof dir, "%s/containers/%s", p->run, name);
	ctr_path(path, sizeof path, "%s/state", dir);
	if (mkdir_p(dir, 0755) < 0 || kv_format(buf, sizeof buf, &len, fields, NALWAYS, s) < 0 ||
	    (s->health[0] && kv_format(buf, sizeof buf, &len, fields + NALWAYS, NHEALTH, s) < 0) ||
	    (s->pull[0] && kv_format(buf, sizeof buf, &len, fields + NALWAYS + NHEALTH, NFIELDS - NALWAYS - NHEALTH, s) < 0))
		return -1;
	return ctr_file_replace(path, buf, len, 0644);
}

int ctr_state_alive(const struct ctr_state *s)
{
	return s->pid > 0 && (kill(s->pid, 0) == 0 || errno == EPERM);
}
