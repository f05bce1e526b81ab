/* berth create, run and exec: docker's flags to a definition file in
 * /etc/berth/containers (so a container made by hand and one made by run are
 * the same thing), and crun exec into a running one. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"
#include "registry.h"

#define DEF_MAX_BYTES (256 << 10)
#define RUN_MARK "# made by berth run\n"

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 1024);
		while (b->n + len + 1 > cap)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die(EXIT_SYSTEM, "out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* a YAML double-quoted scalar: nothing in it is YAML syntax, so no flag
 * value can add a key or change a type; and '$' is "$$", so nothing is
 * interpolated (docker run's values are literal) */
static void quoted(struct buf *b, const char *s)
{
	char esc[8];

	puts_(b, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '$') {
			puts_(b, "$$");
		} else if (*c == '"' || *c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*c;
			put(b, esc, 2);
		} else if (*c < 0x20 || *c == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", *c);
			puts_(b, esc);
		} else {
			put(b, (const char *)c, 1);
		}
	}
	puts_(b, "\"");
}

static void key_list(struct buf *b, const char *key, char **v, size_t n)
{
	if (!n)
		return;
	puts_(b, key);
	puts_(b, ":\n");
	for (size_t i = 0; i < n; i++) {
		puts_(b, "  - ");
		quoted(b, v[i]);
		puts_(b, "\n");
	}
}

static void key_str(struct buf *b, const char *key, const char *v)
{
	if (!v)
		return;
	puts_(b, key);
	puts_(b, ": ");
	quoted(b, v);
	puts_(b, "\n");
}

struct run_opts {
	int detach;
	const char *name, *restart, *network, *user, *entrypoint, *workdir, *image;
	const char *stop_signal, *stop_timeout, *pull;
	const char *health_cmd, *health_interval, *health_timeout, *health_retries, *health_start;
	int no_healthcheck;
	struct strv ports, env, volumes, cmd;
};

/* the value of --flag VALUE or --flag=VALUE; NULL if argv[*i] is not flag */
static const char *flag_value(const char *cmd, int argc, char **argv, int *i, const char *s, const char *l)
{
	size_t ll = l ? strlen(l) : 0;

	if ((s && strcmp(argv[*i], s) == 0) || (l && strcmp(argv[*i], l) == 0)) {
		if (*i + 1 >= argc)
			usage_error(cmd, "%s needs a value", argv[*i]);
		return argv[++*i];
	}
	if (l && strncmp(argv[*i], l, ll) == 0 && argv[*i][ll] == '=')
		return argv[*i] + ll + 1;
	return NULL;
}

/* docker's flags that take a value, and the field of run_opts each sets:
 * a string, or a list when the flag may come again */
#define STR(s, l, f) { s, l, 0, offsetof(struct run_opts, f) }
#define LIST(s, l, f) { s, l, 1, offsetof(struct run_opts, f) }
static const struct run_flag {
	const char *s, *l;
	int list;
	size_t off;
} run_flags[] = {
	STR(NULL, "--name", name), LIST("-p", "--publish", ports), LIST("-e", "--env", env),
	LIST("-v", "--volume", volumes), STR(NULL, "--restart", restart), STR(NULL, "--network", network),
	STR("-u", "--user", user), STR(NULL, "--entrypoint", entrypoint), STR("-w", "--workdir", workdir),
	STR(NULL, "--stop-signal", stop_signal), STR(NULL, "--stop-timeout", stop_timeout),
	STR(NULL, "--health-cmd", health_cmd), STR(NULL, "--health-interval", health_interval),
	STR(NULL, "--health-timeout", health_timeout), STR(NULL, "--health-retries", health_retries),
	STR(NULL, "--health-start-period", health_start), STR(NULL, "--pull", pull),
};
#undef STR
#undef LIST
#define NFLAGS (sizeof run_flags / sizeof run_flags[0])

static void opts_parse(const char *cmd, int argc, char **argv, struct run_opts *o)
{
	int i;

	memset(o, 0, sizeof *o);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const struct run_flag *f;
		const char *v = NULL;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0) {
			o->detach = 1;
			continue;
		}
		if (strcmp(argv[i], "--no-healthcheck") == 0) {
			o->no_healthcheck = 1;
			continue;
		}
		for (f = run_flags; f < run_flags + NFLAGS; f++)
			if ((v = flag_value(cmd, argc, argv, &i, f->s, f->l)))
				break;
		if (!v)
			usage_error(cmd, "unknown option \"%s\"", argv[i]);
		if (f->list)
			strv_push((struct strv *)((char *)o + f->off), v);
		else
			*(const char **)((char *)o + f->off) = v;
	}
	if (i >= argc)
		usage_error(cmd, "expected IMAGE");
	o->image = argv[i++];
	for (; i < argc; i++)
		strv_push(&o->cmd, argv[i]);
	if (o->network && strcmp(o->network, "host") != 0 && strcmp(o->network, "bridge") != 0 &&
	    strcmp(o->network, "none") != 0)
		usage_error(cmd, "--network: host, bridge or none");
	if (o->stop_timeout && (!*o->stop_timeout || strspn(o->stop_timeout, "0123456789") != strlen(o->stop_timeout) ||
				strlen(o->stop_timeout) > 6))
		usage_error(cmd, "--stop-timeout: expected seconds");
	if (o->pull && strcmp(o->pull, "missing") != 0 && strcmp(o->pull, "always") != 0 && strcmp(o->pull, "never") != 0)
		usage_error(cmd, "--pull: missing, always or never");
	if (o->no_healthcheck && (o->health_cmd || o->health_interval || o->health_timeout || o->health_retries ||
				  o->health_start))
		usage_error(cmd, "--no-healthcheck conflicts with the --health-* options");
}

static void opts_free(struct run_opts *o)
{
	strv_free(&o->ports);
	strv_free(&o->env);
	strv_free(&o->volumes);
	strv_free(&o->cmd);
}

/* "registry/library/busybox:1.36" -> "busybox-1a2b3c" */
static void name_generate(const char *image, char *out, size_t size)
{
	const char *base = strrchr(image, '/');
	unsigned char r[3] = { 0 };
	char stem[32];
	size_t k = 0;

	base = base ? base + 1 : image;
	for (; *base && *base != ':' && *base != '@' && k < sizeof stem - 1; base++)
		if ((*base >= 'a' && *base <= 'z') || (*base >= '0' && *base <= '9') || *base == '-' || *base == '_')
			stem[k++] = *base;
	stem[k] = '\0';
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* any suffix will do; a clash is reported as one */
	}
	snprintf(out, size, "%s-%02x%02x%02x", k && stem[0] != '-' && stem[0] != '_' ? stem : "ctr", r[0], r[1], r[2]);
}

/* the definition text of the flags */
static void definition(const struct run_opts *o, struct buf *b)
{
	puts_(b, RUN_MARK);
	key_str(b, "image", o->image);
	if (o->entrypoint) {
		char *v[1] = { (char *)o->entrypoint };
		/* a list: docker's --entrypoint is one executable, never split */
		key_list(b, "entrypoint", v, o->entrypoint[0] ? 1 : 0);
		if (!o->entrypoint[0])
			puts_(b, "entrypoint: []\n");
	}
	key_list(b, "command", o->cmd.v, o->cmd.n);
	key_list(b, "environment", o->env.v, o->env.n);
	key_list(b, "ports", o->ports.v, o->ports.n);
	key_list(b, "volumes", o->volumes.v, o->volumes.n);
	key_str(b, "restart", o->restart);
	key_str(b, "network_mode", o->network);
	/* --pull never holds at every start; missing and always were done here */
	if (o->pull && strcmp(o->pull, "never") == 0)
		key_str(b, "pull_policy", "never");
	key_str(b, "user", o->user);
	key_str(b, "working_dir", o->workdir);
	key_str(b, "stop_signal", o->stop_signal);
	if (o->stop_timeout) {
		puts_(b, "stop_grace_period: \"");
		puts_(b, o->stop_timeout);
		puts_(b, "s\"\n");
	}
	if (o->no_healthcheck)
		puts_(b, "healthcheck:\n  disable: true\n");
	else if (o->health_cmd || o->health_interval || o->health_timeout || o->health_retries || o->health_start) {
		puts_(b, "healthcheck:\n");
		if (o->health_cmd) {
			/* docker's --health-cmd is CMD-SHELL */
			puts_(b, "  test: [\"CMD-SHELL\", ");
			quoted(b, o->health_cmd);
			puts_(b, "]\n");
		}
		key_str(b, "  interval", o->health_interval);
		key_str(b, "  timeout", o->health_timeout);
		key_str(b, "  retries", o->health_retries);
		key_str(b, "  start_period", o->health_start);
	}
}

/* docker's --pull: "missing" (the default) pulls an image the store does
 * not have, "always" pulls every time, "never" binds the container at its
 * first start to whatever the store then has. The progress goes to
 * stderr: a container's output is run's stdout. 0, or 125 after a message */
static int pull_policy(const char *image, const char *policy)
{
	struct image_store s;
	struct image_user u = { 0 };
	struct err e = { 0 };
	int have;

	if (policy && strcmp(policy, "never") == 0)
		return 0;
	if (!policy || strcmp(policy, "missing") == 0) {
		have = image_store_open(&s, 0, &e) < 0 ? -1 : image_lookup(&s, image, 0, &u, &e);
		image_user_free(&u);
		image_store_close(&s);
		if (have < 0) {
			warn("Error: %s", e.msg);
			return 125;
		}
		if (have > 0)
			return 0;
		fprintf(stderr, "Unable to find image '%s' locally\n", image);
	}
	if (registry_pull(image, stderr, &e) < 0) {
		warn("Error: pull %s: %s", image, e.msg);
		return 125;
	}
	return 0;
}

/* the image a new container's flags name, looked up under the store's lock
 * (held until bind_finish has bound the container to it) */
struct bind {
	struct image_store s;
	struct image_user u;
	int how;
};

static int bind_open(const char *image, struct bind *ib)
{
	struct err e = { 0 };

	if (image_store_open(&ib->s, 0, &e) < 0 || (ib->how = image_lookup(&ib->s, image, 1, &ib->u, &e)) < 0) {
		warn("Error: %s", e.msg);
		return 125;
	}
	return 0;
}

/* as docker binds a container to an image ID at create; an image not in the
 * store yet is bound at the first start, and an earlier container's record
 * under this name must not stand in for it */
static int bind_finish(const struct ctr_paths *p, const char *name, const char *image, struct bind *ib)
{
	struct err e = { 0 };
	char path[CTR_PATH_MAX];

	if (ib->how == 0) {
		ctr_path(path, sizeof path, "%s/containers/%s/image", p->root, name);
		if (unlink(path) < 0 && errno != ENOENT && errno != ENOTDIR) {
			warn_errno("Error: remove %s", path);
			return 125;
		}
		return 0;
	}
	if (ctr_image_bind(p, name, image, &ib->u, &e) < 0) {
		warn("Error: %s", e.msg);
		return 125;
	}
	return 0;
}

/* parse the flags into o and write the definition; 0, or a docker exit
 * code (125) after a message */
static int create(const char *cmd, int argc, char **argv, struct ctr_paths *p, struct run_opts *o, char *name,
		  size_t size)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct container_def *defs = NULL;
	struct buf b = { 0 };
	struct stat sb;
	size_t nd = 0;
	int r;

	opts_parse(cmd, argc, argv, o);
	ctr_paths_init(p);
	if (o->name) {
		ctr_name_check(cmd, o->name);
		snprintf(name, size, "%s", o->name);
	} else {
		name_generate(o->image, name, size);
	}
	ctr_path(dir, sizeof dir, "%s/berth/containers", p->etc);
	ctr_path(path, sizeof path, "%s/%s.yaml", dir, name);
	if (lstat(path, &sb) == 0) {
		warn("Error: the container name \"%s\" is already in use (%s)", name, path);
		return 125;
	}
	definition(o, &b);
	if (b.n > DEF_MAX_BYTES) {
		free(b.p);
		warn("Error: the definition is larger than %d bytes", DEF_MAX_BYTES);
		return 125;
	}
	/* what compose_load will read back must parse, or nothing is written */
	r = compose_parse(path, name, b.p, b.n, &defs, &nd);
	compose_free(defs, nd);
	if (r != 0 || nd != 1) {
		free(b.p);
		warn("Error: the flags do not make a valid definition");
		return 125;
	}
	r = ctr_define(p, name, o->image, o->pull, b.p, b.n);
	free(b.p);
	return r;
}

int ctr_define(const struct ctr_paths *p, const char *name, const char *image, const char *pull, const char *text,
	       size_t len)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct bind ib = { .how = 0 };
	int r;

	ctr_path(dir, sizeof dir, "%s/berth/containers", p->etc);
	ctr_path(path, sizeof path, "%s/%s.yaml", dir, name);
	r = pull_policy(image, pull);
	if (r == 0)
		r = bind_open(image, &ib);
	if (r == 0 && (mkdir_p(dir, 0755) < 0 || file_write_atomic(path, text, len, 0644) < 0)) {
		warn_errno("Error: write %s", path);
		r = 125;
	}
	if (r == 0 && bind_finish(p, name, image, &ib) != 0) {
		unlink(path);
		r = 125;
	}
	image_user_free(&ib.u);
	image_store_close(&ib.s);
	return r;
}

int cmd_create(int argc, char **argv)
{
	struct ctr_paths p;
	struct run_opts o;
	char name[128];
	int r;

	r = create("create", argc, argv, &p, &o, name, sizeof name);
	if (r == 0)
		printf("%s\n", name);
	opts_free(&o);
	return r;
}

int cmd_run(int argc, char **argv)
{
	struct ctr_paths p;
	struct ctr_state s;
	struct run_opts o;
	char name[128];
	int r;

	r = create("run", argc, argv, &p, &o, name, sizeof name);
	if (r != 0) {
		opts_free(&o);
		return r;
	}
	r = ctr_start(&p, name, 60000);
	if (r < 0 || (r > 0 && o.detach)) {
		opts_free(&o);
		return 125;
	}
	if (o.detach) {
		printf("%s\n", name);
		opts_free(&o);
		return 0;
	}
	opts_free(&o);
	ctr_logs(&p, name, -1, 0, 0, 1);
	ctr_state_read(&p, name, &s);
	if (s.status == CTR_FAILED)
		return 125;
	return s.exit_code >= 0 ? s.exit_code : 125;
}

int cmd_exec(int argc, char **argv)
{
	char crun_root[CTR_PATH_MAX];
	struct ctr_paths p;
	struct ctr_state s;
	char **av;
	int i, k = 0;

	ctr_paths_init(&p);
	av = calloc((size_t)argc * 2 + 8, sizeof *av);
	if (!av)
		die(EXIT_SYSTEM, "out of memory");
	ctr_path(crun_root, sizeof crun_root, "%s/crun", p.run);
	av[k++] = p.crun;
	av[k++] = "--root";
	av[k++] = crun_root;
	av[k++] = "exec";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--tty") == 0)
			av[k++] = "--tty";
		else if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--interactive") == 0 ||
			 strcmp(argv[i], "-it") == 0 || strcmp(argv[i], "-ti") == 0) {
			if (argv[i][1] != '-' && argv[i][2])
				av[k++] = "--tty"; /* -it; stdin is always passed on */
		} else if ((v = flag_value("exec", argc, argv, &i, "-e", "--env"))) {
			av[k++] = "--env";
			av[k++] = (char *)v;
		} else if ((v = flag_value("exec", argc, argv, &i, "-u", "--user"))) {
			av[k++] = "--user";
			av[k++] = (char *)v;
		} else if ((v = flag_value("exec", argc, argv, &i, "-w", "--workdir"))) {
			av[k++] = "--cwd";
			av[k++] = (char *)v;
		} else
			usage_error("exec", "unknown option \"%s\"", argv[i]);
	}
	if (argc - i < 2)
		usage_error("exec", "expected NAME CMD...");
	ctr_name_check("exec", argv[i]);
	ctr_state_read(&p, argv[i], &s);
	if (s.status != CTR_RUNNING || !ctr_state_alive(&s)) {
		warn("Error: container %s is not running", argv[i]);
		return 1;
	}
	for (; i < argc; i++)
		av[k++] = argv[i];
	av[k] = NULL;
	fflush(stdout);
	execv(av[0], av);
	warn_errno("exec %s", av[0]);
	return 126;
}
