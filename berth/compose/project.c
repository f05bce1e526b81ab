/* A compose project, as docker compose v2 reads one (the compose
 * specification's "Compose file" model):
 *
 *   1. the files: -f (repeatable), else COMPOSE_FILE (':'-separated), else
 *      compose.yaml (or compose.yml, docker-compose.yaml, docker-compose.yml)
 *      in the directory and compose.override.yaml beside it;
 *   2. the variables: the environment, then --env-file (or the project
 *      directory's .env);
 *   3. each file read, interpolated, its relative paths made absolute
 *      (against the project directory: "paths are relative to the base
 *      file"), list forms of mappings made mappings, its include: files
 *      added (their paths relative to themselves; a resource defined in
 *      both is an error);
 *   4. the files merged in order by the specification's merge rules (maps
 *      merge; lists append; command, entrypoint and healthcheck.test are
 *      replaced; ports, volumes, secrets and configs are unique by their
 *      key; !reset and !override);
 *   5. extends: resolved, from the same file or another;
 *   6. services outside the active profiles left out (a service named on
 *      the command line, and what an active service depends on, are
 *      active);
 *   7. the name: -p, COMPOSE_PROJECT_NAME, name:, the directory's name;
 *   8. checked: depends_on names a service and has no cycle, a named volume,
 *      secret or config is declared at the top level;
 *   9. each service parsed by compose.c's keys, once the keys only a
 *      project has (networks, secrets, configs, container_name, profiles)
 *      are taken out. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "model.h"

#define INCLUDE_DEPTH 8
#define EXTENDS_DEPTH 16
#define PROJECT_FILES_MAX 64

struct pctx {
	struct compose_project *p;
	const struct compose_opts *o;
	struct strv vars;
	int errors;
	/* the extends being resolved, outermost first: file and service */
	const char *chain_file[EXTENDS_DEPTH + 1], *chain_name[EXTENDS_DEPTH + 1];
	size_t chain;
};

static void msg(struct pctx *c, int is_error, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void msg(struct pctx *c, int is_error, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	compose_vdiag(n ? n->src : NULL, n ? n->line : 0, fmt, ap);
	va_end(ap);
	if (is_error)
		c->errors++;
}

#define PERR(c, n, ...) msg((c), 1, (n), __VA_ARGS__)
#define PWARN(c, n, ...) msg((c), 0, (n), __VA_ARGS__)

/* ---- trees (lib/yaml-tree.h builds and edits them) ---- */

static void add(struct ynode *n, struct ynode *kid)
{
	if (ynode_add(n, kid) != 0)
		die(EXIT_SYSTEM, "out of memory");
}

/* the index of key's value in map m (the last one), or -1 */
static long map_find(const struct ynode *m, const char *key)
{
	long found = -1;

	if (!m || m->type != Y_MAP)
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->str, key) == 0)
			found = (long)i + 1;
	return found;
}

/* ---- files ---- */

static const char *file_keep(struct pctx *c, const char *path)
{
	for (size_t i = 0; i < c->p->files.n; i++)
		if (strcmp(c->p->files.v[i], path) == 0)
			return c->p->files.v[i];
	if (strv_push(&c->p->files, path) != 0)
		die(EXIT_SYSTEM, "out of memory");
	return c->p->files.v[c->p->files.n - 1];
}

/* lexically clean an absolute path: no ".", "..", "//" (filepath.Clean) */
static void path_clean(char *p)
{
	char out[PATH_MAX];
	size_t o = 0;
	const char *s = p;

	while (*s) {
		const char *e;
		size_t len;
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if (len == 1 && s[0] == '.') {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (o + 1 + len < sizeof out) {
			out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	strcpy(p, out);
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "/";
}

/* rel against base ("~" is the home directory), cleaned, into out; 0 or -1 */
static int path_abs(const char *base, const char *rel, char *out, size_t size)
{
	int n;

	if (rel[0] == '/')
		n = snprintf(out, size, "%s", rel);
	else if (rel[0] == '~' && (rel[1] == '/' || !rel[1]))
		n = snprintf(out, size, "%s/%s", home_dir(), rel[1] ? rel + 2 : "");
	else
		n = snprintf(out, size, "%s/%s", base, rel);
	if (n < 0 || (size_t)n >= size)
		return -1;
	path_clean(out);
	return 0;
}

static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	snprintf(out, size, "%.*s", slash && slash != path ? (int)(slash - path) : 1, slash ? path : "/");
}

/* a scalar's text replaced: a string now */
static void scalar_set(struct ynode *n, const char *text)
{
	free(n->str);
	if (!(n->str = strdup(text)))
		die(EXIT_SYSTEM, "out of memory");
	n->len = strlen(text);
	n->plain = 0;
}

/* a scalar that names a host path: made absolute in place */
static void path_fix(struct pctx *c, struct ynode *n, const char *base, const char *what)
{
	char full[PATH_MAX];

	if (!n || n->type != Y_SCALAR || ynull(n) || n->str[0] == '/')
		return;
	if (path_abs(base, n->str, full, sizeof full) != 0) {
		PERR(c, n, "%s: path too long", what);
		return;
	}
	scalar_set(n, full);
}

/* a bind source is a path when it starts with '.', '/' or '~'; anything
 * else is a volume's name */
static int is_host_path(const char *s)
{
	return s[0] == '.' || s[0] == '/' || s[0] == '~';
}

static void volume_paths(struct pctx *c, struct ynode *vols, const char *base)
{
	if (!vols || vols->type != Y_SEQ)
		return;
	for (size_t i = 0; i < vols->n; i++) {
		struct ynode *v = vols->kids[i];
		if (v->type == Y_SCALAR && !ynull(v) && is_host_path(v->str) && strchr(v->str, ':')) {
			char src[PATH_MAX], full[PATH_MAX + 64];
			const char *colon = strchr(v->str, ':');
			if ((size_t)(colon - v->str) >= sizeof src)
				continue;
			snprintf(src, sizeof src, "%.*s", (int)(colon - v->str), v->str);
			if (src[0] == '/')
				continue;
			char abs[PATH_MAX];
			if (path_abs(base, src, abs, sizeof abs) != 0 ||
			    snprintf(full, sizeof full, "%s%s", abs, colon) >= (int)sizeof full) {
				PERR(c, v, "volumes[%zu]: path too long", i);
				continue;
			}
			scalar_set(v, full);
		} else if (v->type == Y_MAP) {
			struct ynode *src = ymap_get(v, "source");
			const char *type = ystr(ymap_get(v, "type"));
			if (src && ystr(src) && (type ? strcmp(type, "bind") == 0 : is_host_path(ystr(src))))
				path_fix(c, src, base, "volumes.source");
		}
	}
}

static void env_file_paths(struct pctx *c, struct ynode *ef, const char *base)
{
	if (!ef)
		return;
	if (ef->type == Y_SCALAR) {
		path_fix(c, ef, base, "env_file");
		return;
	}
	for (size_t i = 0; ef->type == Y_SEQ && i < ef->n; i++) {
		if (ef->kids[i]->type == Y_MAP)
			path_fix(c, ymap_get(ef->kids[i], "path"), base, "env_file.path");
		else
			path_fix(c, ef->kids[i], base, "env_file");
	}
}

/* a variable: the environment's, else .env's (or --env-file's) */
static const char *vars_get(const struct strv *vars, const char *name)
{
	const char *v = getenv(name);
	size_t n = strlen(name);

	for (size_t k = 0; !v && k < vars->n; k++)
		if (strncmp(vars->v[k], name, n) == 0 && vars->v[k][n] == '=')
			v = vars->v[k] + n + 1;
	return v;
}

static const char *var_lookup(struct pctx *c, const char *name)
{
	return vars_get(&c->vars, name);
}

/* KEY=VALUE list items to a mapping (environment, labels, sysctls,
 * annotations); "KEY" alone in environment takes the variable's value from
 * the environment or .env, as compose does, or is left out with a warning */
static void kv_to_map(struct pctx *c, struct ynode *svc, const char *key, int from_env)
{
	long i = map_find(svc, key);
	struct ynode *l, *m;

	if (i >= 0 && from_env && svc->kids[i]->type == Y_MAP) {
		/* KEY: with no value takes it from the environment or .env */
		struct ynode *em = svc->kids[i];
		for (size_t j = 0; j + 1 < em->n;) {
			const char *k = ystr(em->kids[j]);
			const char *v = NULL;
			if (!k || !ynull(em->kids[j + 1]) || em->kids[j + 1]->type != Y_SCALAR) {
				j += 2;
				continue;
			}
			v = var_lookup(c, k);
			if (v) {
				ynode_free(em->kids[j + 1]);
				em->kids[j + 1] = ynode_str(em->kids[j], v, 0);
				j += 2;
				continue;
			}
			PWARN(c, em->kids[j], "%s.%s: not set in the environment or .env: left out", key, k);
			ynode_free(em->kids[j]);
			ynode_free(em->kids[j + 1]);
			memmove(em->kids + j, em->kids + j + 2, (em->n - j - 2) * sizeof *em->kids);
			em->n -= 2;
		}
		return;
	}
	if (i < 0 || svc->kids[i]->type != Y_SEQ)
		return;
	l = svc->kids[i];
	m = ynode_new(Y_MAP, l);
	for (size_t j = 0; j < l->n; j++) {
		struct ynode *it = l->kids[j];
		const char *eq;
		if (it->type != Y_SCALAR || ynull(it)) {
			ynode_free(m);
			return; /* compose.c says what is wrong with it */
		}
		eq = strchr(it->str, '=');
		if (eq) {
			char *k = strndup(it->str, (size_t)(eq - it->str));
			if (!k)
				die(EXIT_SYSTEM, "out of memory");
			ymap_set(m, k, ynode_str(it, eq + 1, 0));
			free(k);
		} else if (from_env) {
			const char *v = var_lookup(c, it->str);
			if (v)
				ymap_set(m, it->str, ynode_str(it, v, 0));
			else
				PWARN(c, it, "%s[%zu]: \"%s\" is not set in the environment or .env: left out", key, j,
				      it->str);
		} else {
			ymap_set(m, it->str, ynode_str(it, "", 0));
		}
	}
	ynode_free(l);
	svc->kids[i] = m;
}

/* depends_on: [a, b] -> {a: {condition: service_started}, ...};
 * networks: [a] -> {a: null} */
static void list_to_map(struct ynode *svc, const char *key, int depends)
{
	long i = map_find(svc, key);
	struct ynode *l, *m;

	if (i < 0 || svc->kids[i]->type != Y_SEQ)
		return;
	l = svc->kids[i];
	for (size_t j = 0; j < l->n; j++)
		if (l->kids[j]->type != Y_SCALAR || ynull(l->kids[j]))
			return;
	m = ynode_new(Y_MAP, l);
	for (size_t j = 0; j < l->n; j++) {
		struct ynode *v;
		if (depends) {
			v = ynode_new(Y_MAP, l->kids[j]);
			add(v, ynode_str(l->kids[j], "condition", 1));
			add(v, ynode_str(l->kids[j], "service_started", 1));
		} else {
			v = ynode_str(l->kids[j], "null", 1);
		}
		ymap_set(m, l->kids[j]->str, v);
	}
	ynode_free(l);
	svc->kids[i] = m;
}

/* one file's shapes and paths, before the merge */
static void file_normalise(struct pctx *c, struct ynode *root, const char *base)
{
	struct ynode *svcs = ymap_get(root, "services");
	static const char *const top[] = { "secrets", "configs" };

	for (size_t i = 0; svcs && svcs->type == Y_MAP && i + 1 < svcs->n; i += 2) {
		struct ynode *s = svcs->kids[i + 1];
		struct ynode *ext = ymap_get(s, "extends");
		if (s->type != Y_MAP)
			continue;
		volume_paths(c, ymap_get(s, "volumes"), base);
		env_file_paths(c, ymap_get(s, "env_file"), base);
		if (ext && ext->type == Y_MAP)
			path_fix(c, ymap_get(ext, "file"), base, "extends.file");
		kv_to_map(c, s, "environment", 1);
		kv_to_map(c, s, "labels", 0);
		kv_to_map(c, s, "sysctls", 0);
		kv_to_map(c, s, "annotations", 0);
		list_to_map(s, "depends_on", 1);
		list_to_map(s, "networks", 0);
	}
	for (size_t t = 0; t < 2; t++) {
		struct ynode *sec = ymap_get(root, top[t]);
		for (size_t i = 0; sec && sec->type == Y_MAP && i + 1 < sec->n; i += 2)
			if (sec->kids[i + 1]->type == Y_MAP)
				path_fix(c, ymap_get(sec->kids[i + 1], "file"), base, "file");
	}
}

static char *read_text(struct pctx *c, const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		PERR(c, NULL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > COMPOSE_MAX_BYTES) {
		PERR(c, NULL, "%s: expected a regular file of at most %d bytes", path, COMPOSE_MAX_BYTES);
		close(fd);
		return NULL;
	}
	buf = fd_read_alloc(fd, COMPOSE_MAX_BYTES, len);
	close(fd);
	if (!buf)
		PERR(c, NULL, "%s: %s", path, strerror(errno));
	return buf;
}

static void merge_top(struct pctx *c, struct ynode *dst, struct ynode *src);
static int includes(struct pctx *c, struct ynode *root, const char *base, int depth);

/* one file: read, interpolated with vars, normalised against base */
static struct ynode *file_load(struct pctx *c, const char *path, const char *base, const struct strv *vars,
			       int depth)
{
	char err[1024];
	const char *src;
	struct ynode *root;
	size_t len = 0;
	char *buf;

	if (c->p->files.n >= PROJECT_FILES_MAX) {
		PERR(c, NULL, "%s: more than %d files in one project", path, PROJECT_FILES_MAX);
		return NULL;
	}
	src = file_keep(c, path);
	if (!(buf = read_text(c, src, &len)))
		return NULL;
	root = yaml_load(src, buf, len, err, sizeof err);
	free(buf);
	if (!root) {
		if (err[0])
			PERR(c, NULL, "%s", err);
		else
			PERR(c, NULL, "%s:1: empty compose file", src);
		return NULL;
	}
	if (root->type != Y_MAP) {
		PERR(c, root, "expected a mapping of top-level keys (services:, networks:, ...)");
		ynode_free(root);
		return NULL;
	}
	if (compose_interp(src, root, vars) != 0) {
		c->errors++;
		ynode_free(root);
		return NULL;
	}
	file_normalise(c, root, base);
	if (includes(c, root, base, depth) != 0) {
		ynode_free(root);
		return NULL;
	}
	return root;
}

/* include: [path] or [{path: P or [P...], project_directory, env_file}]:
 * each file's model is added to root's; defining a resource twice is an
 * error */
static int includes(struct pctx *c, struct ynode *root, const char *base, int depth)
{
	struct ynode *inc = ymap_take(root, "include");
	static const char *const sections[] = { "services", "networks", "volumes", "secrets", "configs" };
	int before = c->errors;

	if (!inc)
		return 0;
	if (depth >= INCLUDE_DEPTH) {
		PERR(c, inc, "include: nested more than %d deep", INCLUDE_DEPTH);
		ynode_free(inc);
		return -1;
	}
	if (inc->type != Y_SEQ) {
		PERR(c, inc, "include: expected a list of files");
		ynode_free(inc);
		return -1;
	}
	for (size_t i = 0; i < inc->n && c->errors == before; i++) {
		struct ynode *it = inc->kids[i], *paths = it, *pd = NULL, *ef = NULL;
		char dir[PATH_MAX], first[PATH_MAX];
		struct strv vars = { 0 };
		struct ynode *merged = NULL;

		if (it->type == Y_MAP) {
			paths = ymap_get(it, "path");
			pd = ymap_get(it, "project_directory");
			ef = ymap_get(it, "env_file");
			for (size_t k = 0; k + 1 < it->n; k += 2) {
				const char *key = ystr(it->kids[k]);
				if (!key || (strcmp(key, "path") && strcmp(key, "project_directory") && strcmp(key, "env_file")))
					PERR(c, it->kids[k], "include[%zu]: unknown key \"%s\"", i, key ? key : "?");
			}
		}
		if (!paths || (paths->type == Y_SCALAR ? ynull(paths) : paths->type != Y_SEQ || paths->n == 0)) {
			PERR(c, it, "include[%zu]: expected a file, or {path: FILE, project_directory, env_file}", i);
			break;
		}
		{
			const struct ynode *p0 = paths->type == Y_SEQ ? paths->kids[0] : paths;
			if (!ystr(p0) || path_abs(base, ystr(p0), first, sizeof first) != 0) {
				PERR(c, p0, "include[%zu]: expected a file name", i);
				break;
			}
		}
		if (pd && ystr(pd)) {
			if (path_abs(base, ystr(pd), dir, sizeof dir) != 0) {
				PERR(c, pd, "include[%zu].project_directory: path too long", i);
				break;
			}
		} else {
			dir_of(first, dir, sizeof dir);
		}
		/* the included project's variables: ours, then its env_file (or
		 * the .env of its directory) */
		for (size_t k = 0; k < c->vars.n; k++)
			if (strv_push(&vars, c->vars.v[k]) != 0)
				die(EXIT_SYSTEM, "out of memory");
		if (ef) {
			for (size_t k = 0; k < (ef->type == Y_SEQ ? ef->n : 1); k++) {
				const struct ynode *e = ef->type == Y_SEQ ? ef->kids[k] : ef;
				char full[PATH_MAX];
				if (!ystr(e) || path_abs(base, ystr(e), full, sizeof full) != 0 ||
				    compose_env_file(e->src, e, "include.env_file", full, 1, &vars) != 0)
					c->errors++;
			}
		} else {
			char full[PATH_MAX];
			if (snprintf(full, sizeof full, "%s/.env", dir) < (int)sizeof full &&
			    compose_env_file(it->src, it, "include", full, 0, &vars) != 0)
				c->errors++;
		}
		for (size_t k = 0; c->errors == before && k < (paths->type == Y_SEQ ? paths->n : 1); k++) {
			const struct ynode *pn = paths->type == Y_SEQ ? paths->kids[k] : paths;
			char full[PATH_MAX];
			struct ynode *r;
			if (!ystr(pn) || path_abs(base, ystr(pn), full, sizeof full) != 0) {
				PERR(c, pn, "include[%zu]: expected a file name", i);
				break;
			}
			if (!(r = file_load(c, full, dir, &vars, depth + 1)))
				break;
			if (!merged)
				merged = r;
			else {
				merge_top(c, merged, r);
				ynode_free(r);
			}
		}
		strv_free(&vars);
		if (!merged)
			break;
		for (size_t s = 0; s < 5; s++) {
			struct ynode *from = ymap_get(merged, sections[s]), *to;
			if (!from || from->type != Y_MAP)
				continue;
			if (!(to = ymap_get(root, sections[s]))) {
				ymap_set(root, sections[s], ymap_take(merged, sections[s]));
				continue;
			}
			if (to->type != Y_MAP)
				continue;
			for (size_t k = 0; k + 1 < from->n; k += 2) {
				long at = map_find(to, from->kids[k]->str);
				if (at >= 0) {
					PERR(c, from->kids[k], "%s.%s: also defined at %s:%d (a resource an include brings may not be defined again)",
					     sections[s], from->kids[k]->str, to->kids[at - 1]->src, to->kids[at - 1]->line);
					continue;
				}
				add(to, from->kids[k]);
				add(to, from->kids[k + 1]);
				from->kids[k] = from->kids[k + 1] = NULL;
			}
			/* moved pairs are NULL: free the rest */
			size_t o = 0;
			for (size_t k = 0; k < from->n; k++)
				if (from->kids[k])
					from->kids[o++] = from->kids[k];
			from->n = o;
		}
		ynode_free(merged);
	}
	ynode_free(inc);
	return c->errors == before ? 0 : -1;
}

/* ---- merge (the specification's "Merge and override") ---- */

/* what makes a list item the same resource in two files: ports by
 * {ip, target, published, protocol}, volumes by target, secrets and configs
 * by target; into key */
static void item_key(const char *list, const struct ynode *it, char *key, size_t size)
{
	key[0] = '\0';
	if (strcmp(list, "volumes") == 0) {
		if (it->type == Y_SCALAR) {
			const char *a = strchr(it->str, ':');
			const char *b = a ? strchr(a + 1, ':') : NULL;
			if (!a)
				snprintf(key, size, "%s", it->str);
			else
				snprintf(key, size, "%.*s", b ? (int)(b - a - 1) : (int)strlen(a + 1), a + 1);
		} else if (ystr(ymap_get(it, "target"))) {
			snprintf(key, size, "%s", ystr(ymap_get(it, "target")));
		}
	} else if (strcmp(list, "secrets") == 0 || strcmp(list, "configs") == 0) {
		const char *t = it->type == Y_SCALAR ? it->str : ystr(ymap_get(it, "target"));
		if (!t)
			t = ystr(ymap_get(it, "source"));
		snprintf(key, size, "%s", t ? t : "");
	} else if (strcmp(list, "ports") == 0) {
		if (it->type == Y_SCALAR)
			snprintf(key, size, "%s%s", it->str, strchr(it->str, '/') ? "" : "/tcp");
		else {
			const char *ip = ystr(ymap_get(it, "host_ip")), *t = ystr(ymap_get(it, "target")),
				   *pub = ystr(ymap_get(it, "published")), *pr = ystr(ymap_get(it, "protocol"));
			snprintf(key, size, "%s:%s:%s/%s", ip ? ip : "", pub ? pub : "", t ? t : "", pr ? pr : "tcp");
		}
	}
}

static void merge_node(struct pctx *c, struct ynode **dst, struct ynode *src, const char *key, int service_level);

static void merge_unique(struct pctx *c, struct ynode *dst, struct ynode *src, const char *list)
{
	for (size_t i = 0; i < src->n; i++) {
		char k1[512], k2[512];
		size_t j;
		item_key(list, src->kids[i], k1, sizeof k1);
		for (j = 0; k1[0] && j < dst->n; j++) {
			item_key(list, dst->kids[j], k2, sizeof k2);
			if (strcmp(k1, k2) == 0)
				break;
		}
		if (k1[0] && j < dst->n) {
			if (dst->kids[j]->type == Y_MAP && src->kids[i]->type == Y_MAP)
				merge_node(c, &dst->kids[j], src->kids[i], list, 0);
			else {
				ynode_free(dst->kids[j]);
				dst->kids[j] = ynode_copy(src->kids[i]);
			}
		} else {
			add(dst, ynode_copy(src->kids[i]));
		}
	}
}

/* what a mapping being merged is */
enum level { L_ANY, L_SERVICE, L_SERVICES, L_TOP };
static void merge_map(struct pctx *c, struct ynode *d, const struct ynode *src, enum level level);
static void merge_service(struct pctx *c, struct ynode **dst, struct ynode *src);

/* *dst (may be replaced) with src merged over it; src stays the caller's.
 * service_key: key is a service's own key (command, ports, ...) */
static void merge_node(struct pctx *c, struct ynode **dst, struct ynode *src, const char *key, int service_key)
{
	struct ynode *d = *dst;

	if (src->merge_tag == YTAG_OVERRIDE || d->type != src->type || src->type == Y_SCALAR ||
	    (service_key && (strcmp(key, "command") == 0 || strcmp(key, "entrypoint") == 0))) {
		ynode_free(d);
		*dst = ynode_copy(src);
		(*dst)->merge_tag = YTAG_NONE;
		return;
	}
	if (src->type == Y_SEQ) {
		if (service_key && (strcmp(key, "ports") == 0 || strcmp(key, "volumes") == 0 ||
				    strcmp(key, "secrets") == 0 || strcmp(key, "configs") == 0))
			merge_unique(c, d, src, key);
		else
			for (size_t i = 0; i < src->n; i++)
				add(d, ynode_copy(src->kids[i]));
		return;
	}
	merge_map(c, d, src, L_ANY);
}

/* src's pairs over mapping d. A service's healthcheck merges, but its test
 * is a command: replaced */
static void merge_map(struct pctx *c, struct ynode *d, const struct ynode *src, enum level level)
{
	for (size_t i = 0; i + 1 < src->n; i += 2) {
		const char *k = ystr(src->kids[i]);
		struct ynode *v = src->kids[i + 1];
		long at;
		if (!k)
			continue;
		at = map_find(d, k);
		if (v->merge_tag == YTAG_RESET) {
			ynode_free(ymap_take(d, k));
		} else if (at < 0) {
			add(d, ynode_copy(src->kids[i]));
			add(d, ynode_copy(v));
			d->kids[d->n - 1]->merge_tag = YTAG_NONE;
		} else if (level == L_SERVICES) {
			merge_service(c, &d->kids[at], v);
		} else if (level == L_TOP && strcmp(k, "services") == 0 && v->type == Y_MAP && d->kids[at]->type == Y_MAP) {
			merge_map(c, d->kids[at], v, L_SERVICES);
		} else if (level == L_SERVICE && strcmp(k, "healthcheck") == 0 && v->type == Y_MAP &&
			   d->kids[at]->type == Y_MAP && v->merge_tag != YTAG_OVERRIDE) {
			const struct ynode *t = ymap_get(v, "test");
			merge_map(c, d->kids[at], v, L_ANY);
			if (t)
				ymap_set(d->kids[at], "test", ynode_copy(t));
		} else {
			merge_node(c, &d->kids[at], v, k, level == L_SERVICE);
		}
	}
}

static void merge_service(struct pctx *c, struct ynode **dst, struct ynode *src)
{
	if ((*dst)->type != Y_MAP || src->type != Y_MAP || src->merge_tag == YTAG_OVERRIDE) {
		ynode_free(*dst);
		*dst = ynode_copy(src);
		(*dst)->merge_tag = YTAG_NONE;
		return;
	}
	merge_map(c, *dst, src, L_SERVICE);
}

/* src's top level merged into dst's */
static void merge_top(struct pctx *c, struct ynode *dst, struct ynode *src)
{
	merge_map(c, dst, src, L_TOP);
}

/* ---- extends ---- */

static struct ynode *extends_base(struct pctx *c, struct ynode *services, const char *name, int depth);

/* services[name] with its extends: resolved, in place; the resolved body */
static struct ynode *extends_resolve(struct pctx *c, struct ynode *services, const char *name, int depth)
{
	long at = map_find(services, name);
	struct ynode *svc, *ext, *base;

	if (at < 0)
		return NULL;
	svc = services->kids[at];
	ext = ymap_get(svc, "extends");
	for (size_t k = 0; k < c->chain; k++) {
		if (strcmp(c->chain_name[k], name) != 0 || strcmp(c->chain_file[k], svc->src) != 0)
			continue;
		char path[1024];
		size_t o = 0;
		for (size_t j = k; j < c->chain && o < sizeof path; j++)
			o += (size_t)snprintf(path + o, sizeof path - o, "%s -> ", c->chain_name[j]);
		if (o < sizeof path)
			snprintf(path + o, sizeof path - o, "%s", name);
		PERR(c, svc, "services.%s.extends: a cycle: %s", name, path);
		return NULL;
	}
	if (svc->type != Y_MAP || !ext)
		return svc;
	if (depth >= EXTENDS_DEPTH || c->chain >= EXTENDS_DEPTH) {
		PERR(c, ext, "services.%s.extends: more than %d deep", name, EXTENDS_DEPTH);
		return NULL;
	}
	c->chain_file[c->chain] = svc->src;
	c->chain_name[c->chain++] = name;
	ext = ymap_take(svc, "extends");
	base = NULL;
	{
		const char *bname = ext->type == Y_SCALAR ? ystr(ext) : ystr(ymap_get(ext, "service"));
		const char *file = ext->type == Y_MAP ? ystr(ymap_get(ext, "file")) : NULL;
		if (!bname || ynull(ext)) {
			PERR(c, ext, "services.%s.extends: expected a service name, or {service: NAME, file: FILE}", name);
		} else if (file) {
			char dir[PATH_MAX];
			struct ynode *other;
			dir_of(file, dir, sizeof dir);
			if ((other = file_load(c, file, dir, &c->vars, 0))) {
				struct ynode *os = ymap_get(other, "services");
				struct ynode *b = os ? extends_resolve(c, os, bname, depth + 1) : NULL;
				if (b)
					base = ynode_copy(b);
				else if (!c->errors)
					PERR(c, ext, "services.%s.extends: %s has no service \"%s\"", name, file, bname);
				ynode_free(other);
			}
		} else {
			base = extends_base(c, services, bname, depth + 1);
			if (!base && !c->errors)
				PERR(c, ext, "services.%s.extends: no service \"%s\"", name, bname);
		}
	}
	ynode_free(ext);
	c->chain--;
	if (!base)
		return NULL;
	/* the service's own keys over its base's */
	at = map_find(services, name);
	merge_service(c, &base, services->kids[at]);
	ynode_free(services->kids[at]);
	services->kids[at] = base;
	return base;
}

static struct ynode *extends_base(struct pctx *c, struct ynode *services, const char *name, int depth)
{
	struct ynode *b = extends_resolve(c, services, name, depth);

	return b ? ynode_copy(b) : NULL;
}

/* ---- profiles, names, checks ---- */

static int profile_active(struct pctx *c, const char *prof)
{
	const char *env = vars_get(&c->vars, "COMPOSE_PROFILES");

	for (size_t i = 0; i < c->o->nprofiles; i++)
		if (strcmp(c->o->profiles[i], prof) == 0 || strcmp(c->o->profiles[i], "*") == 0)
			return 1;
	if (env) {
		char buf[1024], *save = NULL;
		snprintf(buf, sizeof buf, "%s", env);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcmp(t, prof) == 0 || strcmp(t, "*") == 0)
				return 1;
	}
	return 0;
}

static int service_named(struct pctx *c, const char *name)
{
	for (size_t i = 0; i < c->o->nservices; i++)
		if (strcmp(c->o->services[i], name) == 0)
			return 1;
	return 0;
}

/* 1 if the service is active by its own profiles: (none, one active, or
 * named on the command line) */
static int service_on(struct pctx *c, const char *name, const struct ynode *svc)
{
	const struct ynode *pr = ymap_get(svc, "profiles");

	if (!pr || service_named(c, name))
		return 1;
	if (pr->type != Y_SEQ) {
		PERR(c, pr, "services.%s.profiles: expected a list of names", name);
		return 1;
	}
	for (size_t i = 0; i < pr->n; i++)
		if (ystr(pr->kids[i]) && profile_active(c, ystr(pr->kids[i])))
			return 1;
	return 0;
}

static void profiles_apply(struct pctx *c, struct ynode *services)
{
	size_t n = services->n / 2;
	char *on = calloc(n ? n : 1, 1);
	int changed = 1;

	if (!on)
		die(EXIT_SYSTEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		on[i] = (char)service_on(c, ystr(services->kids[2 * i]) ? ystr(services->kids[2 * i]) : "",
					 services->kids[2 * i + 1]);
	/* what an active service depends on is active */
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < n; i++) {
			const struct ynode *dep = on[i] ? ymap_get(services->kids[2 * i + 1], "depends_on") : NULL;
			for (size_t j = 0; dep && dep->type == Y_MAP && j + 1 < dep->n; j += 2) {
				long at = ystr(dep->kids[j]) ? map_find(services, ystr(dep->kids[j])) : -1;
				if (at > 0 && !on[(at - 1) / 2]) {
					on[(at - 1) / 2] = 1;
					changed = 1;
				}
			}
		}
	}
	for (size_t i = n; i-- > 0;) {
		if (on[i])
			continue;
		ynode_free(services->kids[2 * i]);
		ynode_free(services->kids[2 * i + 1]);
		memmove(services->kids + 2 * i, services->kids + 2 * i + 2, (services->n - 2 * i - 2) * sizeof *services->kids);
		services->n -= 2;
	}
	free(on);
}

/* docker compose's rule: lowercase letters, digits, '-' and '_', starting
 * with a letter or digit */
static int project_name_ok(const char *s)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* a directory's name as a project name: lowercased, other characters out */
static void project_name_from(const char *dir, char *out, size_t size)
{
	const char *b = strrchr(dir, '/');
	size_t o = 0;

	for (b = b ? b + 1 : dir; *b && o + 1 < size; b++) {
		char ch = (char)(*b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b);
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ((ch == '-' || ch == '_') && o > 0))
			out[o++] = ch;
	}
	out[o] = '\0';
}

/* depends_on: each names a service; no cycle (three colours, depth first) */
static int dep_visit(struct pctx *c, const struct ynode *services, size_t i, char *colour, const char **stack,
		     size_t depth)
{
	const struct ynode *dep = ymap_get(services->kids[2 * i + 1], "depends_on");

	colour[i] = 1;
	stack[depth] = ystr(services->kids[2 * i]);
	for (size_t j = 0; dep && dep->type == Y_MAP && j + 1 < dep->n; j += 2) {
		const char *to = ystr(dep->kids[j]);
		long at = to ? map_find(services, to) : -1;
		if (at < 0)
			continue; /* said by the caller */
		size_t k = (size_t)(at - 1) / 2;
		if (colour[k] == 1) {
			char chain[1024];
			size_t o = 0, s = depth;
			while (s > 0 && strcmp(stack[s], to) != 0)
				s--;
			for (; s <= depth && o < sizeof chain; s++)
				o += (size_t)snprintf(chain + o, sizeof chain - o, "%s -> ", stack[s]);
			if (o < sizeof chain)
				snprintf(chain + o, sizeof chain - o, "%s", to);
			PERR(c, dep->kids[j], "services.%s.depends_on: a cycle: %s", stack[depth], chain);
			return -1;
		}
		if (colour[k] == 0 && depth + 1 < services->n && dep_visit(c, services, k, colour, stack, depth + 1) != 0)
			return -1;
	}
	colour[i] = 2;
	return 0;
}

static void deps_check(struct pctx *c, const struct ynode *services)
{
	size_t n = services->n / 2;
	char *colour = calloc(n ? n : 1, 1);
	const char **stack = calloc(n ? n + 1 : 1, sizeof *stack);

	if (!colour || !stack)
		die(EXIT_SYSTEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct ynode *dep = ymap_get(services->kids[2 * i + 1], "depends_on");
		const struct ynode *nm = ymap_get(services->kids[2 * i + 1], "network_mode");
		const char *name = ystr(services->kids[2 * i]);
		for (size_t j = 0; dep && dep->type == Y_MAP && j + 1 < dep->n; j += 2) {
			const char *to = ystr(dep->kids[j]);
			const struct ynode *req = dep->kids[j + 1]->type == Y_MAP ? ymap_get(dep->kids[j + 1], "required") : NULL;
			int required = 1;
			if (req)
				ybool(req, &required);
			if (to && map_find(services, to) < 0 && required)
				PERR(c, dep->kids[j], "services.%s.depends_on.%s: no such service in the project", name, to);
		}
		if (ystr(nm) && strncmp(ystr(nm), "service:", 8) == 0 && map_find(services, ystr(nm) + 8) < 0)
			PERR(c, nm, "services.%s.network_mode: no service \"%s\" in the project", name, ystr(nm) + 8);
	}
	for (size_t i = 0; i < n; i++)
		if (colour[i] == 0 && dep_visit(c, services, i, colour, stack, 0) != 0)
			break;
	free(colour);
	free(stack);
}

/* a named volume, secret or config a service uses is declared at the top */
static void refs_check(struct pctx *c, const struct ynode *root, const struct ynode *services)
{
	const struct ynode *vols = ymap_get(root, "volumes");

	for (size_t i = 0; i + 1 < services->n; i += 2) {
		const char *name = ystr(services->kids[i]);
		const struct ynode *s = services->kids[i + 1];
		const struct ynode *v = ymap_get(s, "volumes");
		static const char *const refs[] = { "secrets", "configs" };

		for (size_t j = 0; v && v->type == Y_SEQ && j < v->n; j++) {
			const struct ynode *it = v->kids[j];
			char src[256] = "";
			if (it->type == Y_SCALAR && strchr(it->str, ':') && !is_host_path(it->str))
				snprintf(src, sizeof src, "%.*s", (int)(strchr(it->str, ':') - it->str), it->str);
			else if (it->type == Y_MAP && ystr(ymap_get(it, "source")) &&
				 (!ystr(ymap_get(it, "type")) || strcmp(ystr(ymap_get(it, "type")), "volume") == 0) &&
				 !is_host_path(ystr(ymap_get(it, "source"))))
				snprintf(src, sizeof src, "%s", ystr(ymap_get(it, "source")));
			if (src[0] && map_find(vols, src) < 0)
				PERR(c, it, "services.%s.volumes[%zu]: the volume \"%s\" is not declared under the top-level volumes:",
				     name, j, src);
		}
		for (size_t r = 0; r < 2; r++) {
			const struct ynode *l = ymap_get(s, refs[r]), *top = ymap_get(root, refs[r]);
			for (size_t j = 0; l && l->type == Y_SEQ && j < l->n; j++) {
				const char *src = l->kids[j]->type == Y_SCALAR ? ystr(l->kids[j]) : ystr(ymap_get(l->kids[j], "source"));
				if (!src)
					PERR(c, l->kids[j], "services.%s.%s[%zu]: expected a name, or {source: NAME, target: ...}", name,
					     refs[r], j);
				else if (map_find(top, src) < 0)
					PERR(c, l->kids[j], "services.%s.%s[%zu]: \"%s\" is not declared under the top-level %s:", name,
					     refs[r], j, src, refs[r]);
			}
		}
	}
}

/* the top-level sections and what Berth does with their keys */
static void top_check(struct pctx *c, const struct ynode *root)
{
	static const char *const known[] = { "services", "networks", "volumes", "secrets", "configs", "name", "version", NULL };

	for (size_t i = 0; i + 1 < root->n; i += 2) {
		const char *k = ystr(root->kids[i]);
		size_t j;
		if (!k || strncmp(k, "x-", 2) == 0)
			continue;
		for (j = 0; known[j] && strcmp(known[j], k) != 0; j++)
			;
		if (!known[j])
			PWARN(c, root->kids[i], "unknown top-level key \"%s\" (ignored)", k);
		else if (j >= 1 && j <= 4 && !ynull(root->kids[i + 1]) && root->kids[i + 1]->type != Y_MAP)
			PERR(c, root->kids[i + 1], "%s: expected a mapping of names", k);
	}
	{
		const struct ynode *nets = ymap_get(root, "networks");
		for (size_t i = 0; nets && nets->type == Y_MAP && i + 1 < nets->n; i += 2)
			PWARN(c, nets->kids[i], "networks.%s: not made: every container of a project is on Berth's one bridge, "
			      "where the project's containers find each other by name (separate networks, internal: and "
			      "isolation between projects are not supported yet)", ystr(nets->kids[i]) ? ystr(nets->kids[i]) : "?");
	}
	if (!ymap_get(root, "services") && !ymap_get(root, "include"))
		PERR(c, root, "no services: (a compose file needs at least one service)");
}

static void volume_host_name(const struct compose_project *p, const char *vol, char *out, size_t size);

/* the host names of volumes, secrets and configs are file names under
 * Berth's directories: no '/', no "..", nothing a path could climb with */
static void resources_check(struct pctx *c, const struct ynode *root)
{
	static const char *const kinds[] = { "volumes", "secrets", "configs" };

	for (size_t k = 0; k < 3; k++) {
		const struct ynode *m = ymap_get(root, kinds[k]);
		for (size_t i = 0; m && m->type == Y_MAP && i + 1 < m->n; i += 2) {
			const char *name = ystr(m->kids[i]);
			const struct ynode *v = m->kids[i + 1];
			char host[512];
			if (!name || !compose_valid_name(name)) {
				PERR(c, m->kids[i], "%s: \"%s\": expected a name of letters, digits, '_', '.', '-'", kinds[k],
				     name ? name : "?");
				continue;
			}
			if (k != 0)
				continue;
			volume_host_name(c->p, name, host, sizeof host);
			if (!compose_valid_name(host))
				PERR(c, ymap_get(v, "name") ? ymap_get(v, "name") : m->kids[i],
				     "volumes.%s.name: \"%s\": expected a name of letters, digits, '_', '.', '-'", name, host);
			const char *drv = ystr(ymap_get(v, "driver"));
			if (drv && strcmp(drv, "local") != 0)
				PERR(c, ymap_get(v, "driver"), "volumes.%s.driver: \"%s\": Berth's volumes are local directories", name,
				     drv);
			if (ymap_get(v, "driver_opts"))
				PERR(c, ymap_get(v, "driver_opts"), "volumes.%s.driver_opts: not supported (a bind mount of a host "
				     "path does what type: none, o: bind does)", name);
		}
	}
}

/* two services may not have one container: container_name given twice */
static void names_check(struct pctx *c, const struct compose_project *p, const struct ynode *services)
{
	for (size_t i = 0; i + 1 < services->n; i += 2) {
		char a[128], b[128];
		if (!ystr(services->kids[i]) || compose_container_name(p, ystr(services->kids[i]), a, sizeof a) != 0) {
			PERR(c, services->kids[i], "services.%s: no valid container name (container_name, or PROJECT-SERVICE-1 "
			     "of at most 63 characters)", ystr(services->kids[i]) ? ystr(services->kids[i]) : "?");
			continue;
		}
		for (size_t j = 0; j < i; j += 2)
			if (ystr(services->kids[j]) && compose_container_name(p, ystr(services->kids[j]), b, sizeof b) == 0 &&
			    strcmp(a, b) == 0)
				PERR(c, services->kids[i], "services.%s: the container name %s is services.%s's too",
				     ystr(services->kids[i]), a, ystr(services->kids[j]));
	}
}

/* ---- the project ---- */

static const char *const default_files[] = { "compose.yaml", "compose.yml", "docker-compose.yaml",
					      "docker-compose.yml", NULL };
static const char *const override_files[] = { "compose.override.yaml", "compose.override.yml",
					       "docker-compose.override.yaml", "docker-compose.override.yml", NULL };

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* the files to read, absolute, into list */
static int files_find(struct pctx *c, struct strv *list)
{
	char cwd[PATH_MAX], full[PATH_MAX];
	const char *env = getenv("COMPOSE_FILE");

	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	if (c->o->nfiles) {
		for (size_t i = 0; i < c->o->nfiles; i++) {
			if (path_abs(cwd, c->o->files[i], full, sizeof full) != 0 || strv_push(list, full) != 0)
				return -1;
		}
		return 0;
	}
	if (env && *env) {
		char buf[4096], *save = NULL;
		snprintf(buf, sizeof buf, "%s", env);
		for (char *t = strtok_r(buf, ":", &save); t; t = strtok_r(NULL, ":", &save))
			if (path_abs(cwd, t, full, sizeof full) != 0 || strv_push(list, full) != 0)
				return -1;
		return 0;
	}
	{
		const char *dir = c->o->dir ? c->o->dir : ".";
		char base[PATH_MAX];
		if (path_abs(cwd, dir, base, sizeof base) != 0)
			return -1;
		for (size_t i = 0; default_files[i]; i++) {
			if (snprintf(full, sizeof full, "%s/%s", base, default_files[i]) >= (int)sizeof full || !exists(full))
				continue;
			if (strv_push(list, full) != 0)
				return -1;
			for (size_t j = 0; override_files[j]; j++) {
				if (snprintf(full, sizeof full, "%s/%s", base, override_files[j]) < (int)sizeof full &&
				    exists(full))
					return strv_push(list, full);
			}
			return 0;
		}
		PERR(c, NULL, "no compose file in %s (compose.yaml, compose.yml, docker-compose.yaml or "
			 "docker-compose.yml); name one with -f", base);
		return -1;
	}
}

static int vars_load(struct pctx *c)
{
	char full[PATH_MAX], cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	if (c->o->nenv_files) {
		for (size_t i = 0; i < c->o->nenv_files; i++) {
			if (path_abs(cwd, c->o->env_files[i], full, sizeof full) != 0)
				return -1;
			struct ynode at = { .src = file_keep(c, full), .line = 1 };
			if (compose_env_file(full, &at, "--env-file", full, 1, &c->vars) != 0)
				return -1;
		}
		return 0;
	}
	snprintf(full, sizeof full, "%s/.env", c->p->dir);
	{
		struct ynode at = { .src = file_keep(c, full), .line = 1 };
		return compose_env_file(full, &at, ".env", full, 0, &c->vars);
	}
}

/* the keys a project handles itself, not a single definition: taken out of
 * the body compose.c parses */
static const char *const project_keys[] = { "networks", "secrets", "configs", "container_name", "profiles",
					    "scale", NULL };

int compose_project_load(const struct compose_opts *o, struct compose_project *p)
{
	struct pctx c = { .p = p, .o = o };
	struct strv list = { 0 };
	struct ynode *model = NULL, *services;
	char cwd[PATH_MAX], dir[PATH_MAX], name[256];

	memset(p, 0, sizeof *p);
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	if (files_find(&c, &list) != 0) {
		if (!c.errors)
			PERR(&c, NULL, "compose: file path too long");
		goto out;
	}
	if (list.n == 0) {
		PERR(&c, NULL, "compose: no compose file named (COMPOSE_FILE is empty)");
		goto out;
	}
	if (o->dir) {
		if (path_abs(cwd, o->dir, dir, sizeof dir) != 0) {
			PERR(&c, NULL, "--project-directory: path too long");
			goto out;
		}
	} else {
		dir_of(list.v[0], dir, sizeof dir);
	}
	if (!(p->dir = strdup(dir)))
		die(EXIT_SYSTEM, "out of memory");
	if (vars_load(&c) != 0) {
		c.errors++;
		goto out;
	}
	for (size_t i = 0; i < list.n; i++) {
		struct ynode *r = file_load(&c, list.v[i], dir, &c.vars, 0);
		if (!r)
			goto out;
		if (!model) {
			model = r;
			continue;
		}
		merge_top(&c, model, r);
		ynode_free(r);
	}
	if (c.errors)
		goto out;
	top_check(&c, model);
	if (c.errors)
		goto out;
	if (!(services = ymap_get(model, "services"))) {
		ymap_set(model, "services", ynode_new(Y_MAP, model));
		services = ymap_get(model, "services");
	}
	if (services->type != Y_MAP) {
		PERR(&c, services, "services: expected a mapping of service names");
		goto out;
	}
	for (size_t i = 0; i + 1 < services->n; i += 2) {
		const char *sn = ystr(services->kids[i]);
		if (!sn || !compose_valid_name(sn)) {
			PERR(&c, services->kids[i], "services: \"%s\": expected a name of letters, digits, '_', '.', '-'",
			     sn ? sn : "?");
			continue;
		}
		if (!extends_resolve(&c, services, sn, 0) && !c.errors)
			PERR(&c, services->kids[i], "services.%s: extends could not be resolved", sn);
	}
	if (c.errors)
		goto out;
	profiles_apply(&c, services);
	/* the name */
	{
		const char *n = o->name ? o->name : vars_get(&c.vars, "COMPOSE_PROJECT_NAME");
		const struct ynode *nn = ymap_get(model, "name");
		if ((!n || !*n) && ystr(nn) && !ynull(nn))
			n = ystr(nn);
		if (n && *n) {
			if (!project_name_ok(n)) {
				PERR(&c, o->name || !nn ? NULL : nn,
				     "project name \"%s\": expected lowercase letters, digits, '-' and '_', starting with a letter or digit",
				     n);
				goto out;
			}
			snprintf(name, sizeof name, "%s", n);
		} else {
			project_name_from(dir, name, sizeof name);
			if (!name[0]) {
				PERR(&c, NULL, "%s: no project name can be made from the directory's name: give one with -p or name:",
				     dir);
				goto out;
			}
		}
		if (!(p->name = strdup(name)))
			die(EXIT_SYSTEM, "out of memory");
		ymap_set(model, "name", ynode_str(model, name, 0));
	}
	for (size_t i = 0; i + 1 < services->n; i += 2) {
		const struct ynode *nets = ymap_get(services->kids[i + 1], "networks");
		for (size_t j = 0; nets && nets->type == Y_MAP && j + 1 < nets->n; j += 2) {
			const struct ynode *v = nets->kids[j + 1];
			for (size_t k = 0; v->type == Y_MAP && k + 1 < v->n; k += 2)
				if (ystr(v->kids[k]) && strcmp(ystr(v->kids[k]), "aliases") != 0)
					PWARN(&c, v->kids[k], "services.%s.networks.%s.%s: not supported yet (ignored): the container "
					      "gets an address of Berth's bridge", ystr(services->kids[i]), ystr(nets->kids[j]),
					      ystr(v->kids[k]));
		}
	}
	p->model = model; /* compose_container_name and volume_host_name read it */
	resources_check(&c, model);
	names_check(&c, p, services);
	deps_check(&c, services);
	refs_check(&c, model, services);
	if (c.errors)
		goto out;
	/* each service through compose.c's keys */
	for (size_t i = 0; i + 1 < services->n; i += 2) {
		const char *sn = ystr(services->kids[i]);
		struct ynode *body = ynode_copy(services->kids[i + 1]);
		struct container_def d;
		char prefix[300];
		struct container_def *a;

		for (size_t k = 0; project_keys[k]; k++)
			ynode_free(ymap_take(body, project_keys[k]));
		snprintf(prefix, sizeof prefix, "services.%s", sn);
		if (compose_service_def(services->kids[i + 1]->src, sn, body, prefix, &d) != 0) {
			c.errors++;
			ynode_free(body);
			continue;
		}
		ynode_free(body);
		if (!(a = realloc(p->svcs, (p->nsvcs + 1) * sizeof *a)))
			die(EXIT_SYSTEM, "out of memory");
		p->svcs = a;
		a[p->nsvcs++] = d;
	}
out:
	strv_free(&list);
	p->vars = c.vars; /* for secrets and configs given by environment: */
	p->model = model;
	return c.errors;
}

void compose_project_free(struct compose_project *p)
{
	ynode_free(p->model);
	compose_free(p->svcs, p->nsvcs);
	free(p->name);
	free(p->dir);
	strv_free(&p->files);
	strv_free(&p->vars);
	memset(p, 0, sizeof *p);
}

const struct ynode *compose_project_service(const struct compose_project *p, const char *name)
{
	return ymap_get(ymap_get(p->model, "services"), name);
}

/* ---- one container's definition ---- */

int compose_container_name(const struct compose_project *p, const char *service, char *buf, size_t size)
{
	const char *cn = ystr(ymap_get(compose_project_service(p, service), "container_name"));
	int n = cn ? snprintf(buf, size, "%s", cn) : snprintf(buf, size, "%s-%s-1", p->name, service);

	return n < 0 || (size_t)n >= size || !compose_valid_name(buf) ? -1 : 0;
}

/* a named volume's name on the host: its name:, or PROJECT_NAME; an
 * external one is taken as it is */
static void volume_host_name(const struct compose_project *p, const char *vol, char *out, size_t size)
{
	const struct ynode *v = ymap_get(ymap_get(p->model, "volumes"), vol);
	const char *nm = ystr(ymap_get(v, "name"));
	int ext = 0;

	if (ymap_get(v, "external"))
		ybool(ymap_get(v, "external"), &ext);
	if (nm)
		snprintf(out, size, "%s", nm);
	else if (ext)
		snprintf(out, size, "%s", vol);
	else
		snprintf(out, size, "%s_%s", p->name, vol);
}

int compose_project_volumes(const struct compose_project *p, struct strv *names)
{
	const struct ynode *vols = ymap_get(p->model, "volumes");

	for (size_t i = 0; vols && vols->type == Y_MAP && i + 1 < vols->n; i += 2) {
		const struct ynode *v = vols->kids[i + 1];
		char host[512];
		int ext = 0;
		if (ymap_get(v, "external"))
			ybool(ymap_get(v, "external"), &ext);
		if (ext)
			continue;
		volume_host_name(p, ystr(vols->kids[i]), host, sizeof host);
		if (strv_push(names, host) != 0)
			return -1;
	}
	return 0;
}

static void volumes_scope(const struct compose_project *p, struct ynode *vols)
{
	for (size_t i = 0; vols && vols->type == Y_SEQ && i < vols->n; i++) {
		struct ynode *v = vols->kids[i];
		char host[512], buf[PATH_MAX + 600];
		if (v->type == Y_SCALAR && strchr(v->str, ':') && !is_host_path(v->str)) {
			const char *colon = strchr(v->str, ':');
			char name[256];
			snprintf(name, sizeof name, "%.*s", (int)(colon - v->str), v->str);
			volume_host_name(p, name, host, sizeof host);
			snprintf(buf, sizeof buf, "%s%s", host, colon);
			scalar_set(v, buf);
		} else if (v->type == Y_MAP) {
			struct ynode *src = ymap_get(v, "source");
			const char *type = ystr(ymap_get(v, "type"));
			if (src && ystr(src) && (!type || strcmp(type, "volume") == 0) && !is_host_path(ystr(src))) {
				volume_host_name(p, ystr(src), host, sizeof host);
				scalar_set(src, host);
			}
		}
	}
}

/* secrets: and configs: of a service as read-only bind mounts; a secret or
 * config given by environment: or content: is written under
 * ROOT/compose/PROJECT/{secrets,configs}/NAME first. 0, or -1 after a
 * message */
static int mounts_add(const struct compose_project *p, struct ynode *body, const struct ynode *refs, int secrets,
		      const char *root)
{
	const char *kind = secrets ? "secrets" : "configs";
	const struct ynode *top = ymap_get(p->model, kind);
	struct ynode *vols = ymap_get(body, "volumes");

	if (!refs || refs->type != Y_SEQ)
		return 0;
	if (!vols) {
		ymap_set(body, "volumes", ynode_new(Y_SEQ, refs));
		vols = ymap_get(body, "volumes");
	}
	for (size_t i = 0; i < refs->n; i++) {
		const struct ynode *r = refs->kids[i], *def;
		const char *src = r->type == Y_SCALAR ? ystr(r) : ystr(ymap_get(r, "source"));
		const char *target = r->type == Y_MAP ? ystr(ymap_get(r, "target")) : NULL;
		char file[PATH_MAX], tgt[PATH_MAX];
		const char *given;
		struct ynode *m;
		long long mode = 0444; /* compose's default, for a user other than root */

		def = ymap_get(top, src);
		if (r->type == Y_MAP && ymap_get(r, "mode"))
			ymode(ymap_get(r, "mode"), &mode);
		if ((given = ystr(ymap_get(def, "file")))) {
			snprintf(file, sizeof file, "%s", given);
			if (r->type == Y_MAP && (ymap_get(r, "uid") || ymap_get(r, "gid") || ymap_get(r, "mode")))
				fprintf(stderr, "%s:%d: %s[%zu]: uid, gid and mode do not apply to a file-based %s: it is "
					"mounted as the file is\n", r->src, r->line, kind, i, secrets ? "secret" : "config");
		} else {
			const char *envname = ystr(ymap_get(def, "environment"));
			const char *content = secrets ? NULL : ystr(ymap_get(def, "content"));
			const char *val = envname ? vars_get(&p->vars, envname) : content;
			int ext = 0;
			if (ymap_get(def, "external"))
				ybool(ymap_get(def, "external"), &ext);
			if (ext) {
				fprintf(stderr, "%s:%d: %s.%s: external %s live in a swarm; give file:%s or environment:\n",
					def->src, def->line, kind, src, kind, secrets ? "" : ", content:");
				return -1;
			}
			if (!val) {
				fprintf(stderr, "%s:%d: %s.%s: %s\n", def ? def->src : r->src, def ? def->line : r->line, kind,
					src, envname ? "its environment variable is not set" : "expected file:, environment: or content:");
				return -1;
			}
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s/compose/%s/%s", root, p->name, kind);
			if (snprintf(file, sizeof file, "%s/%s", dir, src) >= (int)sizeof file || mkdir_p(dir, 0700) != 0 ||
			    file_write_atomic(file, val, strlen(val), (mode_t)mode) != 0) {
				fprintf(stderr, "%s: %s\n", file, strerror(errno));
				return -1;
			}
		}
		if (!target)
			target = src;
		if (target[0] == '/')
			snprintf(tgt, sizeof tgt, "%s", target);
		else
			snprintf(tgt, sizeof tgt, "%s/%s", secrets ? "/run/secrets" : "", target);
		m = ynode_new(Y_MAP, r);
		add(m, ynode_str(r, "type", 1));
		add(m, ynode_str(r, "bind", 1));
		add(m, ynode_str(r, "source", 1));
		add(m, ynode_str(r, file, 0));
		add(m, ynode_str(r, "target", 1));
		add(m, ynode_str(r, tgt, 0));
		add(m, ynode_str(r, "read_only", 1));
		add(m, ynode_str(r, "true", 1));
		add(vols, m);
	}
	return 0;
}

struct ynode *compose_container_body(const struct compose_project *p, const char *service, const char *root)
{
	const struct ynode *svc = compose_project_service(p, service);
	struct ynode *body, *labels, *dep;
	char buf[PATH_MAX];

	if (!svc || svc->type != Y_MAP)
		return NULL;
	body = ynode_copy(svc);
	for (size_t k = 0; project_keys[k]; k++)
		ynode_free(ymap_take(body, project_keys[k]));
	if (ymap_get(body, "image"))
		ynode_free(ymap_take(body, "build"));
	volumes_scope(p, ymap_get(body, "volumes"));
	if (mounts_add(p, body, ymap_get(svc, "secrets"), 1, root) != 0 ||
	    mounts_add(p, body, ymap_get(svc, "configs"), 0, root) != 0) {
		ynode_free(body);
		return NULL;
	}
	/* depends_on names containers; an optional one (required: false) on a
	 * service the project lacks is left out */
	if ((dep = ymap_get(body, "depends_on")) && dep->type == Y_MAP) {
		for (size_t i = 0; i + 1 < dep->n;) {
			if (ystr(dep->kids[i]) && !compose_project_service(p, ystr(dep->kids[i]))) {
				char key[256];
				snprintf(key, sizeof key, "%s", ystr(dep->kids[i]));
				ynode_free(ymap_take(dep, key));
				continue;
			}
			i += 2;
		}
		for (size_t i = 0; i + 1 < dep->n; i += 2) {
			char cn[128];
			if (ystr(dep->kids[i]) && compose_container_name(p, ystr(dep->kids[i]), cn, sizeof cn) == 0)
				scalar_set(dep->kids[i], cn);
		}
	}
	if (!(labels = ymap_get(body, "labels")) || labels->type != Y_MAP) {
		ymap_set(body, "labels", ynode_new(Y_MAP, body));
		labels = ymap_get(body, "labels");
	}
	/* networks: every container of a project is on Berth's bridge, and
	 * names the project's others (ctr/hosts.c); aliases are names too */
	{
		const struct ynode *nets = ymap_get(svc, "networks");
		char al[1024] = "";
		size_t o = 0;
		for (size_t i = 0; nets && nets->type == Y_MAP && i + 1 < nets->n; i += 2) {
			const struct ynode *a = ymap_get(nets->kids[i + 1], "aliases");
			for (size_t j = 0; a && a->type == Y_SEQ && j < a->n; j++)
				if (ystr(a->kids[j]) && compose_valid_name(ystr(a->kids[j])) && o < sizeof al)
					o += (size_t)snprintf(al + o, sizeof al - o, "%s%s", o ? "," : "", ystr(a->kids[j]));
		}
		if (o && o < sizeof al)
			ymap_set(labels, "berth.aliases", ynode_str(body, al, 0));
	}
	ymap_set(labels, "com.docker.compose.project", ynode_str(body, p->name, 0));
	ymap_set(labels, "com.docker.compose.service", ynode_str(body, service, 0));
	ymap_set(labels, "com.docker.compose.container-number", ynode_str(body, "1", 0));
	ymap_set(labels, "com.docker.compose.oneoff", ynode_str(body, "False", 0));
	ymap_set(labels, "com.docker.compose.project.working_dir", ynode_str(body, p->dir, 0));
	{
		size_t o = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < p->files.n && o < sizeof buf; i++)
			if (strcmp(strrchr(p->files.v[i], '/') ? strrchr(p->files.v[i], '/') + 1 : p->files.v[i], ".env") != 0)
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", o ? "," : "", p->files.v[i]);
		ymap_set(labels, "com.docker.compose.project.config_files", ynode_str(body, buf, 0));
	}
	return body;
}
