/* berth ps and berth inspect: what the definitions and the state files say,
 * in docker's shapes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "berth.h"
#include "berth-cli.h"
#include "ctr.h"

/* "running", "exited (1)", "restarting", ...; a running state whose
 * process is gone is a supervisor that died: say so */
static void state_label(const struct ctr_state *s, char *buf, size_t size)
{
	if (strcmp(s->status, "running") == 0 && !ctr_state_alive(s))
		snprintf(buf, size, "dead");
	else if (strcmp(s->status, "exited") == 0 || strcmp(s->status, "stopped") == 0)
		snprintf(buf, size, "%s (%d)", s->status, s->exit_code);
	else
		snprintf(buf, size, "%s", s->status);
}

static void duration(time_t secs, char *buf, size_t size)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(buf, size, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(buf, size, "%lldm", (long long)secs / 60);
	else if (secs < 172800)
		snprintf(buf, size, "%lldh", (long long)secs / 3600);
	else
		snprintf(buf, size, "%lldd", (long long)secs / 86400);
}

static void ports_label(const struct container_def *d, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->nports && o < size; i++) {
		const struct port *p = &d->ports[i];
		if (p->host_port)
			o += (size_t)snprintf(buf + o, size - o, "%s%s:%u->%u/%s", i ? ", " : "",
					      p->host_ip[0] ? p->host_ip : "0.0.0.0", p->host_port,
					      p->container_port, p->proto);
		else
			o += (size_t)snprintf(buf + o, size - o, "%s%u/%s", i ? ", " : "", p->container_port, p->proto);
	}
}

static int yaml_name(const struct dirent *e)
{
	size_t l = strlen(e->d_name);
	return e->d_name[0] != '.' && l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0;
}

int cmd_ps(int argc, char **argv)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct dirent **ents;
	struct ctr_paths p;
	int all = 0, ne;
	time_t now = time(NULL);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = 1;
		else
			usage_error("ps", "unknown option \"%s\"", argv[i]);
	}
	ctr_paths_init(&p);
	ctr_path(dir, sizeof dir, "%s/berth/containers", p.etc);
	printf("%-20s %-30s %-12s %-8s %-8s %s\n", "NAME", "IMAGE", "STATE", "UPTIME", "RESTARTS", "PORTS");
	ne = scandir(dir, &ents, yaml_name, alphasort);
	if (ne < 0)
		return errno == ENOENT ? 0 : (warn_errno("%s", dir), EXIT_SYSTEM);
	for (int i = 0; i < ne; i++) {
		char name[256], label[48], up[32], ports[512];
		struct container_def *defs;
		struct ctr_state s;
		size_t nd;

		ctr_path(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (compose_name_from_path(path, name, sizeof name) < 0)
			continue;
		if (compose_load(path, &defs, &nd) != 0 || nd != 1) {
			compose_free(defs, nd);
			if (all)
				printf("%-20s %-30s %-12s %-8s %-8s %s\n", name, "?", "invalid", "-", "0", "");
			continue;
		}
		ctr_state_read(&p, name, &s);
		state_label(&s, label, sizeof label);
		if (!all && strcmp(label, "running") != 0) {
			compose_free(defs, nd);
			continue;
		}
		if (strcmp(label, "running") == 0)
			duration(now - s.started_at, up, sizeof up);
		else
			snprintf(up, sizeof up, "-");
		ports_label(&defs[0], ports, sizeof ports);
		printf("%-20s %-30s %-12s %-8s %-8d %s\n", name, defs[0].image, label, up, s.restarts, ports);
		compose_free(defs, nd);
	}
	free(ents);
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
		char label[48], *save, *tok, ports[512];
		size_t nd;
		int r;

		ctr_name_check("inspect", argv[i]);
		r = ctr_def_load(&p, argv[i], &defs, &nd);
		if (r != 0) {
			if (r > 0)
				warn("Error: No such container: %s", argv[i]);
			rc = 1;
			continue;
		}
		ctr_state_read(&p, argv[i], &s);
		state_label(&s, label, sizeof label);
		yajl_gen_map_open(g);
		kstr(g, "Name", argv[i]);
		kstr(g, "Image", defs[0].image);
		yajl_gen_string(g, (const unsigned char *)"State", 5);
		yajl_gen_map_open(g);
		kstr(g, "Status", s.status);
		yajl_gen_string(g, (const unsigned char *)"Running", 7);
		yajl_gen_bool(g, strcmp(label, "running") == 0);
		kint(g, "Pid", strcmp(label, "running") == 0 ? s.pid : 0);
		kint(g, "ExitCode", s.exit_code);
		kint(g, "RestartCount", s.restarts);
		ktime(g, "StartedAt", s.started_at);
		ktime(g, "FinishedAt", s.finished_at);
		kstr(g, "Error", s.error);
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
