/* berth compose: docker compose v2's commands over a project (compose/
 * project.c reads it). Each service becomes one container,
 * PROJECT-SERVICE-1 (or its container_name), whose definition `up` writes
 * to /etc/berth/containers/NAME.yaml under the mark "# made by berth
 * compose: project P": a compose container is a container like any other,
 * supervised, restarted and brought up at boot by ctr-boot. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "registry.h"

#define MARK "# made by berth compose: project "
#define NAMES_MAX 256

struct copts {
	struct compose_opts o;
	const char *files[32], *env_files[8], *profiles[16];
};

static const char *need(const char *cmd, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		usage_error(cmd, "%s needs a value", argv[*i]);
	return argv[++*i];
}

/* the options before the command; the command's index */
static int global_opts(int argc, char **argv, struct copts *c)
{
	int i = 1;

	memset(c, 0, sizeof *c);
	c->o.files = c->files;
	c->o.env_files = c->env_files;
	c->o.profiles = c->profiles;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) {
			if (c->o.nfiles == 32)
				usage_error("compose", "at most 32 files");
			c->files[c->o.nfiles++] = need("compose", argc, argv, &i);
		} else if (strcmp(a, "-p") == 0 || strcmp(a, "--project-name") == 0) {
			c->o.name = need("compose", argc, argv, &i);
		} else if (strcmp(a, "--project-directory") == 0) {
			c->o.dir = need("compose", argc, argv, &i);
		} else if (strcmp(a, "--env-file") == 0) {
			if (c->o.nenv_files == 8)
				usage_error("compose", "at most 8 env files");
			c->env_files[c->o.nenv_files++] = need("compose", argc, argv, &i);
		} else if (strcmp(a, "--profile") == 0) {
			if (c->o.nprofiles == 16)
				usage_error("compose", "at most 16 profiles");
			c->profiles[c->o.nprofiles++] = need("compose", argc, argv, &i);
		} else {
			usage_error("compose", "unknown option \"%s\"", a);
		}
	}
	if (i >= argc)
		usage_error("compose", "expected a command: up, down, ps, logs, config, pull, start, stop, restart, exec, run");
	return i;
}

static int load(struct copts *c, char **services, size_t n, struct compose_project *p)
{
	c->o.services = (const char *const *)services;
	c->o.nservices = n;
	if (compose_project_load(&c->o, p) != 0) {
		warn("the project has errors (above): nothing was done");
		return -1;
	}
	return 0;
}

static int svc_index(const struct compose_project *p, const char *name)
{
	for (size_t i = 0; i < p->nsvcs; i++)
		if (strcmp(p->svcs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* the services named (all if none), with what they depend on; in depends_on
 * order. want[] gets indexes into p->svcs; their count, or -1 */
static long targets(const struct compose_project *p, char **names, size_t n, size_t *want)
{
	char *on = calloc(p->nsvcs + 1, 1);
	struct container_def **v = calloc(p->nsvcs + 1, sizeof *v);
	size_t *order = calloc(p->nsvcs + 1, sizeof *order), k = 0;
	int changed = 1;

	if (!on || !v || !order)
		die(EXIT_SYSTEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int at = svc_index(p, names[i]);
		if (at < 0) {
			warn("compose: no such service: %s", names[i]);
			free(on), free(v), free(order);
			return -1;
		}
		on[at] = 1;
	}
	if (n == 0)
		memset(on, 1, p->nsvcs);
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < p->nsvcs; i++)
			for (size_t d = 0; on[i] && d < p->svcs[i].ndepends; d++) {
				int at = svc_index(p, p->svcs[i].depends[d].service);
				if (at >= 0 && !on[at])
					on[at] = 1, changed = 1;
			}
	}
	for (size_t i = 0; i < p->nsvcs; i++)
		v[i] = &p->svcs[i];
	if (ctr_order(v, p->nsvcs, order) != 0) {
		free(on), free(v), free(order);
		return -1;
	}
	for (size_t i = 0; i < p->nsvcs; i++)
		if (on[order[i]])
			want[k++] = order[i];
	free(on), free(v), free(order);
	return (long)k;
}

/* the project a definition file was written for, from its mark: 1, or 0 */
static int mark_of(const struct ctr_paths *cp, const char *name, char *project, size_t size)
{
	char path[CTR_PATH_MAX], buf[256], *nl;

	ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", cp->etc, name);
	if (file_read(path, buf, sizeof buf) <= 0 || strncmp(buf, MARK, strlen(MARK)) != 0)
		return 0;
	if ((nl = strchr(buf, '\n')))
		*nl = '\0';
	if (strlen(buf + strlen(MARK)) >= size)
		return 0;
	memcpy(project, buf + strlen(MARK), strlen(buf + strlen(MARK)) + 1);
	return 1;
}

/* every container whose definition carries the project's mark (services
 * the files no longer name included: docker's orphans) */
static size_t project_containers(const struct ctr_paths *cp, const char *project, char names[][CTR_NAME_MAX],
				 size_t max)
{
	char dir[CTR_PATH_MAX], proj[128];
	struct dirent **ents;
	size_t n = 0;
	int ne;

	ctr_path(dir, sizeof dir, "%s/berth/containers", cp->etc);
	ne = scandir(dir, &ents, ctr_def_file, alphasort);
	for (int i = 0; i < ne; i++) {
		char name[CTR_NAME_MAX];
		if (compose_name_from_path(ents[i]->d_name, name, sizeof name) == 0 && n < max &&
		    mark_of(cp, name, proj, sizeof proj) && strcmp(proj, project) == 0)
			memcpy(names[n++], name, CTR_NAME_MAX);
		free(ents[i]);
	}
	if (ne >= 0)
		free(ents);
	return n;
}

/* body as the definition of container name: the mark, a comment, the body;
 * checked to read back as one definition (its image into image), or NULL
 * after a message */
static char *def_text(const struct compose_project *p, const struct ctr_paths *cp, const char *name,
		      const struct ynode *body, const char *comment, size_t *len, char *image, size_t isize)
{
	char path[CTR_PATH_MAX], *text = NULL;
	struct container_def *defs = NULL;
	size_t nd = 0;
	FILE *f;
	int r;

	if (!(f = open_memstream(&text, len)))
		die(EXIT_SYSTEM, "out of memory");
	fprintf(f, "%s%s\n# %s\n", MARK, p->name, comment);
	r = compose_emit(f, body, COMPOSE_EMIT_LITERAL);
	fclose(f);
	/* what the supervisor will read back must parse, or nothing is written */
	ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", cp->etc, name);
	if (r == 0)
		r = compose_parse(path, name, text, *len, &defs, &nd);
	if (r == 0 && nd == 1)
		snprintf(image, isize, "%s", defs[0].image);
	compose_free(defs, nd);
	if (r != 0 || nd != 1) {
		warn("compose: %s: the definition written for it does not read back (a bug)", name);
		free(text);
		return NULL;
	}
	return text;
}

static int rm_container(const char *name)
{
	char *av[] = { "rm", "-f", (char *)name, NULL };
	int out = dup(1), null = open("/dev/null", O_WRONLY | O_CLOEXEC), r;

	/* rm prints the name; compose says it its own way */
	fflush(stdout);
	if (null >= 0)
		dup2(null, 1);
	r = cmd_rm(3, av);
	fflush(stdout);
	if (out >= 0) {
		dup2(out, 1);
		close(out);
	}
	if (null >= 0)
		close(null);
	return r;
}

/* write service i's definition (recreating its container when the
 * definition changed); 0, or 1 after a message */
static int define(const struct compose_project *p, const struct ctr_paths *cp, size_t i, char *name, size_t size,
		  int at_boot)
{
	static const char *const pulls[] = { "missing", "always", "never" };
	char path[CTR_PATH_MAX], old[64 << 10], proj[128], comment[CTR_PATH_MAX + 128], image[512];
	struct ynode *body;
	size_t len = 0;
	ssize_t olen;
	char *text;
	int r;

	if (compose_container_name(p, p->svcs[i].name, name, size) != 0) {
		warn("compose: service %s: no valid container name", p->svcs[i].name);
		return 1;
	}
	if (!(body = compose_container_body(p, p->svcs[i].name, cp->root)))
		return 1;
	snprintf(comment, sizeof comment, "service %s of %s; `berth compose up` writes it again", p->svcs[i].name,
		 p->dir);
	text = def_text(p, cp, name, body, comment, &len, image, sizeof image);
	ynode_free(body);
	if (!text)
		return 1;
	ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", cp->etc, name);
	olen = file_read(path, old, sizeof old);
	if (olen >= 0) {
		if (!mark_of(cp, name, proj, sizeof proj) || strcmp(proj, p->name) != 0) {
			warn("Error: the container name \"%s\" is already in use (%s), not by project %s", name, path,
			     p->name);
			free(text);
			return 1;
		}
		if ((size_t)olen == len && memcmp(old, text, len) == 0) {
			free(text);
			return 0;
		}
		printf(" Container %s  Recreate\n", name);
		fflush(stdout);
		if (rm_container(name) != 0) {
			free(text);
			return 1;
		}
	}
	/* at boot nothing is pulled here: ctr-exec pulls as pull_policy says */
	r = ctr_define(cp, name, image, at_boot ? "never" : pulls[p->svcs[i].pull], text, len);
	free(text);
	if (r != 0)
		return 1;
	if (!at_boot) {
		printf(" Container %s  Created\n", name);
		fflush(stdout);
	}
	return 0;
}

/* define each of want[0..n-1] but skip (-1: none); names[] and up[] get
 * their containers; how many, or -1 after a message */
static long define_all(const struct compose_project *p, const struct ctr_paths *cp, const size_t *want, long n,
		       long skip, char names[][CTR_NAME_MAX], char **up)
{
	long k = 0;

	for (long j = 0; j < n; j++) {
		if ((long)want[j] == skip)
			continue;
		if (define(p, cp, want[j], names[k], CTR_NAME_MAX, 0) != 0)
			return -1;
		up[k] = names[k];
		k++;
	}
	return k;
}

/* ---- logs of several containers ---- */

static volatile sig_atomic_t interrupted;
static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* each container's log with "NAME  | " before its lines, one child each;
 * follow, or until_exit */
static int logs_many(const struct ctr_paths *cp, char names[][CTR_NAME_MAX], size_t n, long tail, int stamps,
		     int follow, int until_exit)
{
	pid_t pids[NAMES_MAX];
	size_t width = 0;
	int rc = 0;

	if (n == 1 && !follow && !until_exit)
		return ctr_logs(cp, names[0], tail, stamps, 0, 0);
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) > width)
			width = strlen(names[i]);
	fflush(stdout);
	for (size_t i = 0; i < n; i++) {
		char prefix[CTR_NAME_MAX + 8];
		snprintf(prefix, sizeof prefix, "%-*s | ", (int)width, names[i]);
		if (!follow && !until_exit) {
			ctr_logs_prefix(prefix);
			ctr_logs(cp, names[i], tail, stamps, 0, 0);
			continue;
		}
		pids[i] = fork();
		if (pids[i] == 0) {
			signal(SIGINT, SIG_DFL);
			setvbuf(stdout, NULL, _IOLBF, 0);
			ctr_logs_prefix(prefix);
			_exit(ctr_logs(cp, names[i], tail, stamps, follow, until_exit));
		}
		if (pids[i] < 0)
			die_errno(EXIT_SYSTEM, "fork");
	}
	ctr_logs_prefix("");
	if (!follow && !until_exit)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			if (interrupted)
				for (size_t k = 0; k < n; k++)
					kill(pids[k], SIGTERM);
	}
	return rc;
}

/* ---- the commands ---- */

static int verb_names(int (*cmd)(int, char **), const char *verb, char names[][CTR_NAME_MAX], size_t n,
		      const char *extra)
{
	char *av[NAMES_MAX + 4];
	int k = 0;

	if (!n)
		return 0;
	av[k++] = (char *)verb;
	if (extra) {
		av[k++] = "-t";
		av[k++] = (char *)extra;
	}
	for (size_t i = 0; i < n; i++)
		av[k++] = names[i];
	av[k] = NULL;
	return cmd(k, av);
}

/* the containers of the services named (all of the project's if none), in
 * depends_on order, reversed if rev */
static long names_of(const struct compose_project *p, char **svcs, size_t nsvcs, int rev, int deps,
		     char names[][CTR_NAME_MAX])
{
	size_t want[NAMES_MAX];
	long n;

	if (p->nsvcs > NAMES_MAX)
		die(EXIT_USAGE, "compose: more than %d services", NAMES_MAX);
	if ((n = targets(p, svcs, nsvcs, want)) < 0)
		return -1;
	/* only the named ones, not their dependencies (unless deps: start
	 * brings up what a service depends on, as its depends_on order needs) */
	long k = 0;
	for (long i = 0; i < n; i++) {
		int named = nsvcs == 0 || deps;
		for (size_t j = 0; j < nsvcs && !named; j++)
			named = strcmp(svcs[j], p->svcs[want[i]].name) == 0;
		if (named && compose_container_name(p, p->svcs[want[i]].name, names[k], CTR_NAME_MAX) == 0)
			k++;
	}
	if (rev)
		for (long i = 0; i < k / 2; i++) {
			char t[CTR_NAME_MAX];
			memcpy(t, names[i], CTR_NAME_MAX);
			memcpy(names[i], names[k - 1 - i], CTR_NAME_MAX);
			memcpy(names[k - 1 - i], t, CTR_NAME_MAX);
		}
	return k;
}

static int c_up(struct copts *c, const struct ctr_paths *cp, int argc, char **argv)
{
	struct compose_project p;
	int detach = 0, no_start = 0, rc = 0, i;
	size_t want[NAMES_MAX];
	char names[NAMES_MAX][CTR_NAME_MAX];
	char *up[NAMES_MAX];
	long n;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0)
			detach = 1;
		else if (strcmp(argv[i], "--no-start") == 0)
			no_start = 1;
		else if (strcmp(argv[i], "--remove-orphans") && strcmp(argv[i], "--wait"))
			usage_error("compose up", "unknown option \"%s\"", argv[i]);
	}
	if (load(c, argv + i, (size_t)(argc - i), &p) != 0) {
		compose_project_free(&p);
		return 1;
	}
	if (p.nsvcs > NAMES_MAX || (n = targets(&p, argv + i, (size_t)(argc - i), want)) < 0) {
		compose_project_free(&p);
		return 1;
	}
	n = define_all(&p, cp, want, n, -1, names, up);
	compose_project_free(&p);
	if (n < 0)
		return 1;
	if (no_start)
		return 0;
	rc = ctr_up(cp, up, (size_t)n);
	if (detach || rc != 0)
		return rc;
	/* attached: the logs until every container has stopped; ^C stops them */
	{
		/* no SA_RESTART: ^C must end the wait for the log children */
		struct sigaction sa = { .sa_handler = on_int };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
	}
	logs_many(cp, names, (size_t)n, -1, 0, 0, 1);
	if (interrupted) {
		printf("Gracefully stopping... (press Ctrl+C again to force)\n");
		signal(SIGINT, SIG_DFL);
		verb_names(cmd_stop, "stop", names, (size_t)n, NULL);
	}
	return 0;
}

static int c_down(struct copts *c, const struct ctr_paths *cp, int argc, char **argv)
{
	struct compose_project p;
	char names[NAMES_MAX][CTR_NAME_MAX], path[CTR_PATH_MAX];
	int volumes = 0, rc = 0;
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--volumes") == 0)
			volumes = 1;
		else if (strcmp(argv[i], "--remove-orphans"))
			usage_error("compose down", "unknown option \"%s\"", argv[i]);
	}
	if (load(c, NULL, 0, &p) != 0) {
		compose_project_free(&p);
		return 1;
	}
	/* the project's containers, dependants first (the reverse of the
	 * depends_on order the files give), then those of services the files
	 * no longer name (docker's orphans) */
	{
		char ordered[NAMES_MAX][CTR_NAME_MAX], found[NAMES_MAX][CTR_NAME_MAX];
		char taken[NAMES_MAX] = { 0 };
		long k = names_of(&p, NULL, 0, 1, 0, ordered);
		size_t nf = project_containers(cp, p.name, found, NAMES_MAX);
		n = 0;
		for (long a = 0; a < k; a++)
			for (size_t j = 0; j < nf; j++)
				if (!taken[j] && strcmp(ordered[a], found[j]) == 0) {
					memcpy(names[n++], found[j], CTR_NAME_MAX);
					taken[j] = 1;
				}
		for (size_t j = 0; j < nf; j++)
			if (!taken[j])
				memcpy(names[n++], found[j], CTR_NAME_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		if (rm_container(names[i]) != 0) {
			rc = 1;
			continue;
		}
		/* a definition rm left (written by hand over ours) goes too */
		ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", cp->etc, names[i]);
		unlink(path);
		printf(" Container %s  Removed\n", names[i]);
		if (volumes) {
			/* its anonymous volumes: NAME-anon-<hash> */
			char dir[CTR_PATH_MAX];
			struct dirent **ents;
			int ne;
			ctr_path(dir, sizeof dir, "%s/volumes", cp->root);
			ne = scandir(dir, &ents, NULL, alphasort);
			for (int e = 0; e < ne; e++) {
				size_t l = strlen(names[i]);
				if (strncmp(ents[e]->d_name, names[i], l) == 0 && strncmp(ents[e]->d_name + l, "-anon-", 6) == 0) {
					ctr_path(path, sizeof path, "%s/%s", dir, ents[e]->d_name);
					ctr_rm_tree(path);
				}
				free(ents[e]);
			}
			if (ne >= 0)
				free(ents);
		}
	}
	if (volumes && rc == 0) {
		struct strv vols = { 0 };
		compose_project_volumes(&p, &vols);
		for (size_t i = 0; i < vols.n; i++) {
			struct stat sb;
			ctr_path(path, sizeof path, "%s/volumes/%s", cp->root, vols.v[i]);
			if (lstat(path, &sb) == 0 && ctr_rm_tree(path) == 0)
				printf(" Volume %s  Removed\n", vols.v[i]);
		}
		strv_free(&vols);
	}
	ctr_path(path, sizeof path, "%s/compose/%s", cp->root, p.name);
	ctr_rm_tree(path);
	compose_project_free(&p);
	return rc;
}

static int c_config(struct copts *c, int argc, char **argv)
{
	struct compose_project p;
	int services = 0, volumes = 0, quiet = 0, r = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--services") == 0)
			services = 1;
		else if (strcmp(argv[i], "--volumes") == 0)
			volumes = 1;
		else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else
			usage_error("compose config", "unknown option \"%s\"", argv[i]);
	}
	if (load(c, NULL, 0, &p) != 0) {
		compose_project_free(&p);
		return 1;
	}
	if (services) {
		for (size_t i = 0; i < p.nsvcs; i++)
			printf("%s\n", p.svcs[i].name);
	} else if (volumes) {
		const struct ynode *v = ymap_get(p.model, "volumes");
		for (size_t i = 0; v && v->type == Y_MAP && i + 1 < v->n; i += 2)
			printf("%s\n", ystr(v->kids[i]));
	} else if (!quiet && compose_emit(stdout, p.model, COMPOSE_EMIT_SORTED) != 0) {
		warn_errno("compose config: write");
		r = EXIT_SYSTEM;
	}
	compose_project_free(&p);
	return r;
}

static int c_pull(struct copts *c, int argc, char **argv)
{
	struct compose_project p;
	size_t want[NAMES_MAX];
	int rc = 0, i = 1;
	long n;

	while (i < argc && argv[i][0] == '-')
		if (strcmp(argv[i++], "-q") && strcmp(argv[i - 1], "--quiet"))
			usage_error("compose pull", "unknown option \"%s\"", argv[i - 1]);
	if (load(c, argv + i, (size_t)(argc - i), &p) != 0 || p.nsvcs > NAMES_MAX ||
	    (n = targets(&p, argv + i, (size_t)(argc - i), want)) < 0) {
		compose_project_free(&p);
		return 1;
	}
	for (long k = 0; k < n; k++) {
		struct err e = { 0 };
		const struct container_def *d = &p.svcs[want[k]];
		if (d->pull == PULL_NEVER)
			continue;
		printf(" %s Pulling\n", d->name);
		fflush(stdout);
		if (registry_pull(d->image, stderr, &e) < 0) {
			warn("Error: pull %s (service %s): %s", d->image, d->name, e.msg);
			rc = 1;
		} else {
			printf(" %s Pulled\n", d->name);
		}
	}
	compose_project_free(&p);
	return rc;
}

/* start, stop, restart, logs, ps: over the project's containers */
static int c_simple(struct copts *c, const struct ctr_paths *cp, const char *cmd, int argc, char **argv)
{
	struct compose_project p;
	char names[NAMES_MAX][CTR_NAME_MAX];
	const char *t = NULL;
	int i = 1, follow = 0, stamps = 0, all = 0, quiet = 0, r;
	long tail = -1, n;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(cmd, "stop") == 0 || strcmp(cmd, "restart") == 0) &&
		    (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--timeout") == 0))
			t = need(cmd, argc, argv, &i);
		else if (strcmp(cmd, "logs") == 0 && (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0))
			follow = 1;
		else if (strcmp(cmd, "logs") == 0 && (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--timestamps") == 0))
			stamps = 1;
		else if (strcmp(cmd, "logs") == 0 && (strcmp(argv[i], "--tail") == 0 || strcmp(argv[i], "-n") == 0)) {
			const char *v = need(cmd, argc, argv, &i);
			char *end;
			tail = strcmp(v, "all") == 0 ? -1 : strtol(v, &end, 10);
			if (strcmp(v, "all") && (*end || tail < 0))
				usage_error("compose logs", "--tail: \"%s\" is not a number", v);
		} else if (strcmp(cmd, "ps") == 0 && (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0))
			all = 1;
		else if (strcmp(cmd, "ps") == 0 && (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0))
			quiet = 1;
		else
			usage_error(cmd, "unknown option \"%s\"", argv[i]);
	}
	if (load(c, argv + i, (size_t)(argc - i), &p) != 0) {
		compose_project_free(&p);
		return 1;
	}
	if (strcmp(cmd, "ps") == 0) {
		char label[256], *av[6] = { "ps", "--filter", label };
		int k = 3;
		snprintf(label, sizeof label, "label=com.docker.compose.project=%s", p.name);
		if (all)
			av[k++] = "-a";
		if (quiet)
			av[k++] = "-q";
		av[k] = NULL;
		compose_project_free(&p);
		return cmd_ps(k, av);
	}
	n = names_of(&p, argv + i, (size_t)(argc - i), strcmp(cmd, "stop") == 0, strcmp(cmd, "start") == 0, names);
	compose_project_free(&p);
	if (n < 0)
		return 1;
	if (strcmp(cmd, "logs") == 0)
		return logs_many(cp, names, (size_t)n, tail, stamps, follow, 0);
	if (strcmp(cmd, "start") == 0) {
		char *up[NAMES_MAX];
		for (long k = 0; k < n; k++)
			up[k] = names[k];
		return ctr_up(cp, up, (size_t)n);
	}
	r = verb_names(strcmp(cmd, "stop") == 0 ? cmd_stop : cmd_restart, cmd, names, (size_t)n, t);
	return r;
}

static int c_exec(struct copts *c, int argc, char **argv)
{
	struct compose_project p;
	char name[CTR_NAME_MAX];
	char **av = calloc((size_t)argc + 4, sizeof *av);
	int i = 1, k = 0, notty = 0;

	if (!av)
		die(EXIT_SYSTEM, "out of memory");
	av[k++] = "exec";
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-T") == 0 || strcmp(argv[i], "--no-TTY") == 0)
			notty = 1;
		else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0)
			usage_error("compose exec", "-d is not supported");
		else if (strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "-u") == 0 || strcmp(argv[i], "-w") == 0 ||
			 strcmp(argv[i], "--env") == 0 || strcmp(argv[i], "--user") == 0 || strcmp(argv[i], "--workdir") == 0) {
			av[k++] = argv[i];
			av[k++] = (char *)need("compose exec", argc, argv, &i);
		} else
			usage_error("compose exec", "unknown option \"%s\"", argv[i]);
	}
	if (argc - i < 2)
		usage_error("compose exec", "expected SERVICE CMD...");
	if (load(c, argv + i, 1, &p) != 0 || svc_index(&p, argv[i]) < 0 ||
	    compose_container_name(&p, argv[i], name, sizeof name) != 0) {
		if (p.model && svc_index(&p, argv[i]) < 0)
			warn("compose: no such service: %s", argv[i]);
		compose_project_free(&p);
		return 1;
	}
	compose_project_free(&p);
	/* docker compose exec gives a terminal when it has one, -T never */
	if (!notty && isatty(0) && isatty(1))
		av[k++] = "-t";
	av[k++] = name;
	for (i++; i < argc; i++)
		av[k++] = argv[i];
	av[k] = NULL;
	return cmd_exec(k, av);
}

/* run [--rm] [-d] [-e K=V]... [--entrypoint CMD] [--name N] SERVICE [CMD...]:
 * a one-off container of the service (its ports not published, restart
 * no), after what it depends on is up */
static int c_run(struct copts *c, const struct ctr_paths *cp, int argc, char **argv)
{
	struct compose_project p;
	int i = 1, rm = 0, detach = 0, r, at;
	const char *name_opt = NULL, *entry = NULL, *envs[64];
	size_t nenv = 0;
	char name[CTR_NAME_MAX], path[CTR_PATH_MAX];

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--rm") == 0)
			rm = 1;
		else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0)
			detach = 1;
		else if (strcmp(argv[i], "-T") == 0 || strcmp(argv[i], "--no-TTY") == 0 || strcmp(argv[i], "-i") == 0)
			;
		else if (strcmp(argv[i], "--name") == 0)
			name_opt = need("compose run", argc, argv, &i);
		else if (strcmp(argv[i], "--entrypoint") == 0)
			entry = need("compose run", argc, argv, &i);
		else if ((strcmp(argv[i], "-e") == 0 || strcmp(argv[i], "--env") == 0) && nenv < 64)
			envs[nenv++] = need("compose run", argc, argv, &i);
		else
			usage_error("compose run", "unknown option \"%s\"", argv[i]);
	}
	if (i >= argc)
		usage_error("compose run", "expected SERVICE [CMD...]");
	if (load(c, argv + i, 1, &p) != 0 || (at = svc_index(&p, argv[i])) < 0) {
		if (p.model && svc_index(&p, argv[i]) < 0)
			warn("compose: no such service: %s", argv[i]);
		compose_project_free(&p);
		return 1;
	}
	/* what it depends on first */
	{
		size_t want[NAMES_MAX];
		char names[NAMES_MAX][CTR_NAME_MAX];
		char *up[NAMES_MAX];
		long n = p.nsvcs > NAMES_MAX ? -1 : targets(&p, argv + i, 1, want), k = 0;
		if (n < 0) {
			compose_project_free(&p);
			return 1;
		}
		if ((k = define_all(&p, cp, want, n, at, names, up)) < 0) {
			compose_project_free(&p);
			return 1;
		}
		if (k && ctr_up(cp, up, (size_t)k) != 0) {
			compose_project_free(&p);
			return 1;
		}
	}
	{
		unsigned char rnd[3];
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			memset(rnd, 0, sizeof rnd);
		if (name_opt)
			snprintf(name, sizeof name, "%s", name_opt);
		else
			snprintf(name, sizeof name, "%s-%s-run-%02x%02x%02x", p.name, argv[i], rnd[0], rnd[1], rnd[2]);
		if (!compose_valid_name(name))
			usage_error("compose run", "\"%s\" is no valid container name", name);
	}
	/* the body: the service's, with the command line's changes */
	struct ynode *body = compose_container_body(&p, argv[i], cp->root);
	if (!body) {
		compose_project_free(&p);
		return 1;
	}
	ymap_set(ymap_get(body, "labels"), "com.docker.compose.oneoff", ynode_str(body, "True", 0));
	ymap_set(body, "ports", NULL);
	ymap_set(body, "restart", ynode_str(body, "no", 0));
	if (entry)
		ymap_set(body, "entrypoint", ynode_str(body, entry, 0));
	if (i + 1 < argc) {
		struct ynode *cmdl = ynode_new(Y_SEQ, body);
		for (int k = i + 1; k < argc; k++)
			if (ynode_add(cmdl, ynode_str(body, argv[k], 0)) != 0)
				die(EXIT_SYSTEM, "out of memory");
		ymap_set(body, "command", cmdl);
	}
	if (nenv) {
		struct ynode *env = ymap_get(body, "environment");
		if (!env || env->type != Y_MAP) {
			ymap_set(body, "environment", ynode_new(Y_MAP, body));
			env = ymap_get(body, "environment");
		}
		for (size_t k = 0; k < nenv; k++) {
			const char *eq = strchr(envs[k], '=');
			char key[256];
			if (!eq || (size_t)(eq - envs[k]) >= sizeof key)
				usage_error("compose run", "-e: expected KEY=VALUE, got \"%s\"", envs[k]);
			snprintf(key, sizeof key, "%.*s", (int)(eq - envs[k]), envs[k]);
			ymap_set(env, key, ynode_str(body, eq + 1, 0));
		}
	}
	char comment[CTR_PATH_MAX], img[512];
	size_t len = 0;
	snprintf(comment, sizeof comment, "a one-off container of service %s (berth compose run)", argv[i]);
	char *text = def_text(&p, cp, name, body, comment, &len, img, sizeof img);
	ynode_free(body);
	compose_project_free(&p);
	if (!text)
		return 1;
	ctr_path(path, sizeof path, "%s/berth/containers/%s.yaml", cp->etc, name);
	{
		struct stat sb;
		if (lstat(path, &sb) == 0) {
			warn("Error: the container name \"%s\" is already in use (%s)", name, path);
			free(text);
			return 1;
		}
	}
	r = ctr_define(cp, name, img, NULL, text, len);
	free(text);
	if (r != 0)
		return r;
	r = ctr_start(cp, name, 60000);
	if (detach) {
		printf("%s\n", name);
		return r == 0 ? 0 : 1;
	}
	if (r >= 0)
		ctr_logs(cp, name, -1, 0, 0, 1);
	{
		struct ctr_state s;
		ctr_state_read(cp, name, &s);
		r = s.status == CTR_FAILED ? 125 : s.exit_code >= 0 ? s.exit_code : 125;
	}
	if (rm)
		rm_container(name);
	return r;
}

int cmd_compose(int argc, char **argv)
{
	struct copts c;
	struct ctr_paths cp;
	int at = global_opts(argc, argv, &c);
	const char *cmd = argv[at];
	int n = argc - at;
	char **v = argv + at;

	ctr_paths_init(&cp);
	if (strcmp(cmd, "config") == 0)
		return c_config(&c, n, v);
	if (strcmp(cmd, "up") == 0)
		return c_up(&c, &cp, n, v);
	if (strcmp(cmd, "down") == 0)
		return c_down(&c, &cp, n, v);
	if (strcmp(cmd, "pull") == 0)
		return c_pull(&c, n, v);
	if (strcmp(cmd, "exec") == 0)
		return c_exec(&c, n, v);
	if (strcmp(cmd, "run") == 0)
		return c_run(&c, &cp, n, v);
	if (strcmp(cmd, "ps") == 0 || strcmp(cmd, "logs") == 0 || strcmp(cmd, "start") == 0 || strcmp(cmd, "stop") == 0 ||
	    strcmp(cmd, "restart") == 0)
		return c_simple(&c, &cp, cmd, n, v);
	usage_error("compose", "unknown command \"%s\" (up, down, ps, logs, config, pull, start, stop, restart, exec, run)",
		    cmd);
}

/* ctr-boot: each project in /etc/berth/compose/NAME/ (its compose.yaml or
 * another default name, its .env) written as definitions, named NAME; a
 * project with errors is said and left out, the others go on */
int ctr_compose_boot(const struct ctr_paths *cp)
{
	char dir[CTR_PATH_MAX], pdir[CTR_PATH_MAX];
	struct dirent **ents;
	int ne, rc = 0;

	ctr_path(dir, sizeof dir, "%s/berth/compose", cp->etc);
	ne = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < ne; i++) {
		struct compose_opts o = { 0 };
		struct compose_project p;
		struct stat st;
		const char *name = ents[i]->d_name;

		ctr_path(pdir, sizeof pdir, "%s/%s", dir, name);
		if (name[0] == '.' || lstat(pdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			free(ents[i]);
			continue;
		}
		o.dir = pdir;
		o.name = name;
		if (compose_project_load(&o, &p) != 0) {
			warn("compose project %s (%s): errors (above): its containers are not brought up", name, pdir);
			rc = 1;
		} else {
			for (size_t k = 0; k < p.nsvcs; k++) {
				char cn[CTR_NAME_MAX];
				if (define(&p, cp, k, cn, sizeof cn, 1) != 0)
					rc = 1;
			}
		}
		compose_project_free(&p);
		free(ents[i]);
	}
	if (ne >= 0)
		free(ents);
	return rc;
}
