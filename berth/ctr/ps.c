/* berth ps and berth inspect: what the definitions and the state files say,
 * in docker's shapes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

/* the state file, as things really are: "restarting" is a promise that
 * only runsv keeps, and a runsv that was killed is restarted by nobody, so
 * without one the container stays exited until `berth start` */
static void state_read(const struct ctr_paths *p, const char *name, struct ctr_state *s)
{
	ctr_state_read(p, name, s);
	if (s->status == CTR_RESTARTING && !ctr_service_supervised(p, name) && !ctr_service_orphan(p, name))
		s->status = CTR_EXITED;
}

/* running, and its process is there */
static int up(const struct ctr_state *s)
{
	return s->status == CTR_RUNNING && ctr_state_alive(s);
}

/* the state word: the status, except that a running state whose process
 * is gone is a supervisor that died: "dead" */
static const char *state_word(const struct ctr_state *s)
{
	return s->status == CTR_RUNNING && !up(s) ? "dead" : ctr_status_name(s->status);
}

/* docker ps's STATUS: "Up 5 minutes (healthy)", "Exited (3) 2 hours ago",
 * "Restarting (1) 4 seconds ago" (the exit that led to the restart: the
 * backoff is running), "Created" */
static void status_text(const struct ctr_state *s, time_t now, char *buf, size_t size)
{
	const char *w = state_word(s);
	int running = up(s);
	char d[32];

	human_duration((long long)(now - (running ? s->started_at : s->finished_at)), d, sizeof d);
	if (running)
		snprintf(buf, size, "Up %s%s%s%s", d, !s->health[0] ? "" : strcmp(s->health, "starting") == 0 ? " (health: " : " (",
			 s->health, s->health[0] ? ")" : "");
	else if (s->status == CTR_RUNNING)
		snprintf(buf, size, "Dead");
	else if (s->status == CTR_RESTARTING)
		snprintf(buf, size, "Restarting (%d) %s ago", s->exit_code, d);
	else if (s->status == CTR_STOPPED && s->exit_code < 0)
		snprintf(buf, size, "Created"); /* stopped before it ran (while pulling) */
	else if (s->status == CTR_EXITED || s->status == CTR_STOPPED)
		snprintf(buf, size, "Exited (%d) %s ago", s->exit_code, d);
	else if (s->status == CTR_FAILED)
		snprintf(buf, size, "Failed %s ago", d);
	else if (s->status == CTR_STARTING && strcmp(s->pull, "retrying") == 0)
		snprintf(buf, size, "Pulling (%d failed tr%s)", s->pull_tries, s->pull_tries == 1 ? "y" : "ies");
	else if (s->status == CTR_STARTING && s->pull[0])
		snprintf(buf, size, "Pulling");
	else
		snprintf(buf, size, "%c%s", *w >= 'a' && *w <= 'z' ? *w - 'a' + 'A' : *w, *w ? w + 1 : "");
}

/* a state's "HOSTIP:HOSTPORT:CPORT/PROTO" as docker shows it:
 * "HOSTIP:HOSTPORT->CPORT/PROTO" */
static int port_arrow(const char *tok, char *buf, size_t size)
{
	const char *c = strrchr(tok, ':');

	if (!c)
		return -1;
	snprintf(buf, size, "%.*s->%s", (int)(c - tok), tok, c + 1);
	return 0;
}

/* the published ports: as they are (the state) while it runs, else as the
 * definition asks for them */
static void ports_label(const struct container_def *d, const struct ctr_state *s, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	if (up(s) && s->ports[0]) {
		char ports[sizeof s->ports], one[96], *save, *tok;

		snprintf(ports, sizeof ports, "%s", s->ports);
		for (tok = strtok_r(ports, " ", &save); tok && o < size; tok = strtok_r(NULL, " ", &save))
			if (port_arrow(tok, one, sizeof one) == 0)
				o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", one);
		return;
	}
	for (size_t i = 0; i < d->nports && o < size; i++) {
		const struct port *p = &d->ports[i];
		const char *ip = p->host_ip[0] ? p->host_ip : "0.0.0.0";
		if (p->host_port_end)
			o += (size_t)snprintf(buf + o, size - o, "%s%s:%u-%u->%u/%s", i ? ", " : "", ip,
					      p->host_port, p->host_port_end, p->container_port, p->proto);
		else if (p->host_port)
			o += (size_t)snprintf(buf + o, size - o, "%s%s:%u->%u/%s", i ? ", " : "", ip,
					      p->host_port, p->container_port, p->proto);
		else
			o += (size_t)snprintf(buf + o, size - o, "%s%u/%s", i ? ", " : "", p->container_port, p->proto);
	}
}

/* docker's --filter label=KEY or label=KEY=VALUE: 1 if d has it */
static int label_match(const struct container_def *d, const char *f)
{
	char key[256];
	size_t klen = strcspn(f, "=");
	const char *v;

	if (klen >= sizeof key)
		return 0;
	memcpy(key, f, klen);
	key[klen] = '\0';
	v = compose_label(d, key);
	return v && (!f[klen] || strcmp(v, f + klen + 1) == 0);
}

int cmd_ps(int argc, char **argv)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct dirent **ents;
	struct ctr_paths p;
	int all = 0, quiet = 0, ne;
	const char *labels[16];
	size_t nlabels = 0;
	time_t now = time(NULL);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if ((strcmp(argv[i], "--filter") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc) {
			if (strncmp(argv[++i], "label=", 6) != 0 || !argv[i][6])
				usage_error("ps", "--filter: only label=KEY[=VALUE] is known, got \"%s\"", argv[i]);
			if (nlabels == sizeof labels / sizeof labels[0])
				usage_error("ps", "at most %zu filters", nlabels);
			labels[nlabels++] = argv[i] + 6;
		} else
			usage_error("ps", "unknown option \"%s\"", argv[i]);
	}
	ctr_paths_init(&p);
	ctr_path(dir, sizeof dir, "%s/berth/containers", p.etc);
	if (!quiet)
		printf("%-20s %-30s %-10s %-32s %-8s %s\n", "NAME", "IMAGE", "STATE", "STATUS", "RESTARTS", "PORTS");
	ne = scandir(dir, &ents, ctr_def_file, alphasort);
	if (ne < 0)
		return errno == ENOENT ? 0 : (warn_errno("%s", dir), EXIT_SYSTEM);
	for (int i = 0; i < ne; i++) {
		char name[256], status[96], ports[4096];
		struct container_def *defs;
		struct ctr_state s;
		const char *w;
		size_t nd;

		ctr_path(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (compose_name_from_path(path, name, sizeof name) < 0)
			continue;
		if (compose_load(path, &defs, &nd) != 0 || nd != 1) {
			compose_free(defs, nd);
			if (all)
				printf("%-20s %-30s %-10s %-32s %-8s %s\n", name, "?", "invalid", "-", "0", "");
			continue;
		}
		state_read(&p, name, &s);
		w = state_word(&s);
		/* as docker ps: what runs, or is about to */
		size_t f = 0;
		while (f < nlabels && label_match(&defs[0], labels[f]))
			f++;
		if (f < nlabels || (!all && !up(&s) && s.status != CTR_RESTARTING && s.status != CTR_STARTING)) {
			compose_free(defs, nd);
			continue;
		}
		if (quiet) {
			printf("%s\n", name);
			compose_free(defs, nd);
			continue;
		}
		status_text(&s, now, status, sizeof status);
		ports_label(&defs[0], &s, ports, sizeof ports);
		printf("%-20s %-30s %-10s %-32s %-8d %s\n", name, defs[0].image, w, status, s.restarts, ports);
		compose_free(defs, nd);
	}
	free(ents);
	return 0;
}

/* berth port NAME [PORT[/PROTO]]: "80/tcp -> 0.0.0.0:32768", a line per
 * published port of a running container */
int cmd_port(int argc, char **argv)
{
	char ports[sizeof ((struct ctr_state *)0)->ports], want[32] = "", *save, *tok, def[CTR_PATH_MAX];
	struct ctr_paths p;
	struct ctr_state s;
	int found = 0;

	if (argc < 2 || argc > 3)
		usage_error("port", "expected NAME [PORT[/PROTO]]");
	ctr_name_check("port", argv[1]);
	ctr_paths_init(&p);
	if (argc == 3) {
		if (strlen(argv[2]) > 16 || !*argv[2])
			usage_error("port", "expected PORT or PORT/PROTO, got \"%s\"", argv[2]);
		snprintf(want, sizeof want, "%s%s", argv[2], strchr(argv[2], '/') ? "" : "/tcp");
	}
	ctr_path(def, sizeof def, "%s/berth/containers/%s.yaml", p.etc, argv[1]);
	if (ctr_state_read(&p, argv[1], &s) < 0 && access(def, F_OK) != 0) {
		warn("Error: No such container: %s", argv[1]);
		return 1;
	}
	if (up(&s)) {
		snprintf(ports, sizeof ports, "%s", s.ports);
		for (tok = strtok_r(ports, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char *c = strrchr(tok, ':');
			if (!c || (want[0] && strcmp(c + 1, want) != 0))
				continue;
			/* as docker port: with a PORT, only where it is published */
			if (want[0])
				printf("%.*s\n", (int)(c - tok), tok);
			else
				printf("%s -> %.*s\n", c + 1, (int)(c - tok), tok);
			found = 1;
		}
	}
	if (want[0] && !found) {
		warn("Error: No public port '%s' published for %s", want, argv[1]);
		return 1;
	}
	return 0;
}

static void kstr(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	if (v)
		yajl_gen_string(g, (const unsigned char *)v, strlen(v));
	else
		yajl_gen_null(g);
}

static void kint(yajl_gen g, const char *k, long long v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, v);
}

static void ktime(yajl_gen g, const char *k, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm)) {
		kstr(g, k, NULL);
		return;
	}
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	kstr(g, k, buf);
}

int cmd_inspect(int argc, char **argv)
{
	struct ctr_paths p;
	const unsigned char *out;
	size_t len;
	yajl_gen g;
	int rc = 0;

	if (argc < 2)
		usage_error("inspect", "expected NAME...");
	ctr_paths_init(&p);
	g = yajl_gen_alloc(NULL);
	if (!g)
		die(EXIT_SYSTEM, "out of memory");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_array_open(g);
	for (int i = 1; i < argc; i++) {
		struct container_def *defs;
		struct ctr_state s;
		char *save, *tok, ports[sizeof s.ports];
		size_t nd;
		int r, running;

		ctr_name_check("inspect", argv[i]);
		r = ctr_def_load(&p, argv[i], &defs, &nd);
		if (r != 0) {
			if (r > 0)
				warn("Error: No such container: %s", argv[i]);
			rc = 1;
			continue;
		}
		state_read(&p, argv[i], &s);
		running = up(&s);
		yajl_gen_map_open(g);
		kstr(g, "Name", argv[i]);
		kstr(g, "Image", defs[0].image);
		yajl_gen_string(g, (const unsigned char *)"State", 5);
		yajl_gen_map_open(g);
		kstr(g, "Status", ctr_status_name(s.status));
		yajl_gen_string(g, (const unsigned char *)"Running", 7);
		yajl_gen_bool(g, running);
		kint(g, "Pid", running ? s.pid : 0);
		kint(g, "ExitCode", s.exit_code);
		kint(g, "RestartCount", s.restarts);
		ktime(g, "StartedAt", s.started_at);
		ktime(g, "FinishedAt", s.finished_at);
		kstr(g, "Error", s.error);
		if (s.health[0]) {
			yajl_gen_string(g, (const unsigned char *)"Health", 6);
			yajl_gen_map_open(g);
			kstr(g, "Status", s.health);
			kint(g, "FailingStreak", s.health_failing);
			yajl_gen_string(g, (const unsigned char *)"Log", 3);
			yajl_gen_array_open(g);
			if (s.health_at) {
				yajl_gen_map_open(g);
				ktime(g, "End", s.health_at);
				kint(g, "ExitCode", s.health_exit);
				kstr(g, "Output", s.health_output);
				yajl_gen_map_close(g);
			}
			yajl_gen_array_close(g);
			yajl_gen_map_close(g);
		}
		yajl_gen_map_close(g);
		yajl_gen_string(g, (const unsigned char *)"NetworkSettings", 15);
		yajl_gen_map_open(g);
		kstr(g, "IPAddress", s.address);
		yajl_gen_string(g, (const unsigned char *)"Ports", 5);
		yajl_gen_array_open(g);
		snprintf(ports, sizeof ports, "%s", s.ports);
		for (tok = strtok_r(ports, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			yajl_gen_string(g, (const unsigned char *)tok, strlen(tok));
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
		yajl_gen_string(g, (const unsigned char *)"Definition", 10);
		compose_json(g, &defs[0]);
		yajl_gen_map_close(g);
		compose_free(defs, nd);
	}
	yajl_gen_array_close(g);
	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
		die(EXIT_SYSTEM, "inspect: JSON generation failed");
	fwrite(out, 1, len, stdout);
	if (len && out[len - 1] != '\n')
		putchar('\n');
	yajl_gen_free(g);
	return rc;
}
