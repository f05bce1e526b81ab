/* The healthcheck of a running container, Docker's way: every interval
 * `crun exec` runs the test inside the container with a timeout; a success
 * makes it healthy, `retries` failures in a row unhealthy, and failures in
 * the start period do not count while it is still starting.
 *
 * It runs in `berth ctr-exec`, the process runsv supervises, as a timer of
 * its main loop: that process already waits for the container and owns its
 * state file, so the checker starts and dies with the container, needs no
 * service of its own, and never races another writer of the state file.
 * ctr-exec's loop must never block, so a check is a child whose output is
 * read from a pipe as it comes and whose end comes as a SIGCHLD. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"
#include "spawn.h"

/* Docker's defaults */
#define DEF_INTERVAL_MS 30000
#define DEF_TIMEOUT_MS 30000
#define DEF_RETRIES 3

static int push(struct ctr_health *h, const char *s)
{
	char **v = realloc(h->argv, (h->argc + 2) * sizeof *v);

	if (!v)
		return -1;
	h->argv = v;
	if (!(v[h->argc] = strdup(s)))
		return -1;
	v[++h->argc] = NULL;
	return 0;
}

/* a duration of the image config (nanoseconds) in ms; 0 if absent */
static long long image_ms(yajl_val hc, const char *key)
{
	yajl_val v = json_get(hc, key, yajl_t_number);

	if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0)
		return 0;
	return YAJL_GET_INTEGER(v) / 1000000;
}

/* the definition's value when set (compose's 0 means "the default"), else
 * the image's, else Docker's default */
static long long pick(long long def, long long image, long long dflt)
{
	return def > 0 ? def : image > 0 ? image : dflt;
}

int ctr_health_setup(struct ctr_health *h, const struct container_def *d, const char *image_config,
		     size_t len, const char *const crun_prefix[], const char *name, const char *pidfile)
{
	const struct healthcheck *dh = &d->health;
	long long iv = 0, to = 0, sp = 0, rt = 0;
	const char *const *test = NULL;
	char *image_test[64];
	size_t ntest = 0, nimage = 0;
	enum health_kind kind = dh->kind;
	yajl_val root = NULL, hc = NULL;
	int r = -1;

	memset(h, 0, sizeof *h);
	h->out_fd = -1;
	if (image_config && len) {
		struct err e = { 0 };
		yajl_val cfg;

		root = json_parse(image_config, len, "image config", &e);
		cfg = root ? json_get(root, "config", yajl_t_object) : NULL;
		hc = cfg ? json_get(cfg, "Healthcheck", yajl_t_object) : NULL;
	}
	if (hc) {
		yajl_val t = json_get(hc, "Test", yajl_t_array);

		iv = image_ms(hc, "Interval");
		to = image_ms(hc, "Timeout");
		sp = image_ms(hc, "StartPeriod");
		{
			yajl_val v = json_get(hc, "Retries", yajl_t_number);
			rt = v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
		}
		for (size_t i = 0; t && i < t->u.array.len && nimage < sizeof image_test / sizeof image_test[0]; i++)
			if (YAJL_IS_STRING(t->u.array.values[i]))
				image_test[nimage++] = YAJL_GET_STRING(t->u.array.values[i]);
	}
	if (kind == HEALTH_UNSET && nimage > 0) {
		/* the image's test: ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"] */
		if (strcmp(image_test[0], "NONE") == 0)
			kind = HEALTH_NONE;
		else if (strcmp(image_test[0], "CMD-SHELL") == 0 && nimage == 2)
			kind = HEALTH_SHELL;
		else if (strcmp(image_test[0], "CMD") == 0 && nimage >= 2)
			kind = HEALTH_CMD;
		test = (const char *const *)image_test + 1;
		ntest = nimage - 1;
	} else if (kind == HEALTH_CMD || kind == HEALTH_SHELL) {
		test = (const char *const *)dh->test.v;
		ntest = dh->test.n;
	}
	if ((kind != HEALTH_CMD && kind != HEALTH_SHELL) || ntest == 0) {
		r = 0;
		goto out;
	}
	h->interval_ms = pick(dh->interval_ms, iv, DEF_INTERVAL_MS);
	h->timeout_ms = pick(dh->timeout_ms, to, DEF_TIMEOUT_MS);
	h->start_period_ms = pick(dh->start_period_ms, sp, 0);
	h->retries = (int)pick(dh->retries, rt, DEF_RETRIES);
	if (snprintf(h->pidfile, sizeof h->pidfile, "%s", pidfile) >= (int)sizeof h->pidfile)
		goto out;
	for (size_t i = 0; crun_prefix[i]; i++)
		if (push(h, crun_prefix[i]) < 0)
			goto out;
	if (push(h, "exec") < 0 || push(h, "--pid-file") < 0 || push(h, pidfile) < 0 || push(h, name) < 0)
		goto out;
	if (kind == HEALTH_SHELL) {
		if (push(h, "/bin/sh") < 0 || push(h, "-c") < 0 || push(h, test[0]) < 0)
			goto out;
	} else {
		for (size_t i = 0; i < ntest; i++)
			if (push(h, test[i]) < 0)
				goto out;
	}
	h->on = 1;
	r = 1;
out:
	if (root)
		yajl_tree_free(root);
	if (r < 0)
		ctr_health_free(h);
	return r;
}

void ctr_health_begin(struct ctr_health *h, long long now, struct ctr_state *st)
{
	if (!h->on) {
		st->health[0] = '\0';
		return;
	}
	/* as Docker: the first check one interval after the start */
	h->started_ms = now;
	h->next_ms = now + h->interval_ms;
	snprintf(st->health, sizeof st->health, "starting");
	st->health_failing = 0;
	st->health_exit = 0;
	st->health_at = 0;
	st->health_output[0] = '\0';
}

long long ctr_health_wait_ms(const struct ctr_health *h, long long now)
{
	long long at;

	if (!h->on)
		return -1;
	at = h->pid ? h->deadline_ms : h->next_ms;
	return at > now ? at - now : 0;
}

void ctr_health_read(struct ctr_health *h)
{
	char scratch[4096];
	ssize_t n;

	if (h->out_fd < 0)
		return;
	for (;;) {
		size_t room = sizeof h->out - 1 - h->outlen;
		/* past the cap the output is read and dropped, so that a
		 * chatty check never blocks on a full pipe */
		n = room ? read(h->out_fd, h->out + h->outlen, room) : read(h->out_fd, scratch, sizeof scratch);
		if (n > 0 && room)
			h->outlen += (size_t)n;
		if (n == 0 || (n < 0 && errno != EINTR)) {
			if (n == 0) {
				close(h->out_fd);
				h->out_fd = -1;
			}
			break;
		}
	}
	h->out[h->outlen] = '\0';
}

/* a check is over: Docker's state machine */
static void result(struct ctr_health *h, long long now, int code, const char *out, struct ctr_state *st)
{
	size_t j = 0;

	st->health_exit = code;
	st->health_at = time(NULL);
	for (; *out && j < sizeof st->health_output - 1; out++) {
		unsigned char ch = (unsigned char)*out;
		st->health_output[j++] = ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	while (j > 0 && st->health_output[j - 1] == ' ')
		j--;
	st->health_output[j] = '\0';
	if (code == 0) {
		st->health_failing = 0;
		snprintf(st->health, sizeof st->health, "healthy");
	} else if (strcmp(st->health, "starting") != 0 || h->check_ms - h->started_ms >= h->start_period_ms) {
		/* a failure in the start period counts only once a check has
		 * passed (then the container is no longer starting) */
		st->health_failing++;
		if (st->health_failing >= h->retries)
			snprintf(st->health, sizeof st->health, "unhealthy");
	}
	h->next_ms = now + h->interval_ms;
}

static pid_t pidfile_read(const char *path)
{
	char buf[32];
	long v;

	if (file_read(path, buf, sizeof buf) <= 0)
		return 0;
	v = atol(buf);
	return v > 1 ? (pid_t)v : 0;
}

/* kill the check: the process in the container first (killing crun exec
 * alone would leave it running there), then crun exec */
static void check_kill(struct ctr_health *h)
{
	pid_t in = pidfile_read(h->pidfile);

	if (in > 0)
		kill(in, SIGKILL);
	if (h->pid > 0)
		kill(h->pid, SIGKILL);
	h->pid = 0; /* the zombie is reaped with the others and ignored */
	if (h->out_fd >= 0)
		close(h->out_fd);
	h->out_fd = -1;
}

static int check_start(struct ctr_health *h, long long now)
{
	struct spawn sp = { .argv = h->argv, .fd = { SPAWN_NULL, SPAWN_PIPE, SPAWN_PIPE } };
	pid_t pid;

	unlink(h->pidfile);
	pid = spawn_start(&sp);
	if (pid < 0)
		return -1;
	fcntl(sp.pipe, F_SETFL, O_NONBLOCK);
	h->out_fd = sp.pipe;
	h->outlen = 0;
	h->out[0] = '\0';
	h->pid = pid;
	h->check_ms = now;
	h->deadline_ms = now + h->timeout_ms;
	return 0;
}

int ctr_health_tick(struct ctr_health *h, long long now, struct ctr_state *st)
{
	char msg[96];

	if (!h->on)
		return 0;
	if (h->pid && now >= h->deadline_ms) {
		check_kill(h);
		snprintf(msg, sizeof msg, "Health check exceeded timeout (%lldms)", h->timeout_ms);
		result(h, now, -1, msg, st);
		return 1;
	}
	if (!h->pid && now >= h->next_ms && check_start(h, now) < 0) {
		h->check_ms = now;
		snprintf(msg, sizeof msg, "could not start the check: %s", strerror(errno));
		result(h, now, -1, msg, st);
		return 1;
	}
	return 0;
}

int ctr_health_reaped(struct ctr_health *h, pid_t pid, int status, struct ctr_state *st)
{
	if (!h->on || !h->pid || pid != h->pid)
		return 0;
	ctr_health_read(h);
	if (h->out_fd >= 0)
		close(h->out_fd);
	h->out_fd = -1;
	h->pid = 0;
	result(h, now_ms(), WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), h->out, st);
	return 1;
}

void ctr_health_stop(struct ctr_health *h)
{
	if (h->pid)
		check_kill(h);
	h->on = 0;
}

void ctr_health_free(struct ctr_health *h)
{
	ctr_health_stop(h);
	for (size_t i = 0; i < h->argc; i++)
		free(h->argv[i]);
	free(h->argv);
	h->argv = NULL;
	h->argc = 0;
}
