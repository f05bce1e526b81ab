/* users, groups and ssh: /etc/passwd, /etc/group and /etc/shadow edited as
 * tables and rewritten atomically; authorized_keys owned by their user. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "provision.h"

#define FIELDS_MAX 10
#define DB_MAX (256u << 10)

struct row {
	char *f[FIELDS_MAX];
	int nf;
};

struct table {
	const char *path;
	mode_t mode;
	int nfields;
	struct row *rows;
	int n, cap;
	int dirty;
};

struct db {
	struct table passwd, group, shadow;
};

static int table_add(struct table *t, char **fields)
{
	struct row *r;

	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 32;
		struct row *rows = realloc(t->rows, (size_t)cap * sizeof *rows);
		if (!rows)
			return -1;
		t->rows = rows;
		t->cap = cap;
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof *r);
	for (int i = 0; i < t->nfields; i++)
		r->f[i] = strdup(fields[i] ? fields[i] : "");
	r->nf = t->nfields;
	t->dirty = 1;
	return 0;
}

static int table_load(struct prov *p, struct table *t, const char *path, mode_t mode, int nfields)
{
	char *buf, *line, *save = NULL;
	size_t len;

	memset(t, 0, sizeof *t);
	t->path = path;
	t->mode = mode;
	t->nfields = nfields;
	if (root_read(p, path, DB_MAX, &buf, &len) != 0)
		return errno == ENOENT ? 0 : -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *fields[FIELDS_MAX] = {0}, *s = line;
		for (int i = 0; i < nfields; i++) {
			fields[i] = s;
			if (s && (s = strchr(s, ':')))
				*s++ = '\0';
		}
		table_add(t, fields);
	}
	free(buf);
	t->dirty = 0;
	return 0;
}

static struct row *table_find(struct table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].f[0], name))
			return &t->rows[i];
	return NULL;
}

static struct row *table_find_id(struct table *t, long id)
{
	for (int i = 0; i < t->n; i++)
		if (strtol(t->rows[i].f[2], NULL, 10) == id)
			return &t->rows[i];
	return NULL;
}

static void row_set(struct table *t, struct row *r, int i, const char *v)
{
	char *copy = strdup(v); /* v may point into the old value */

	free(r->f[i]);
	r->f[i] = copy;
	t->dirty = 1;
}

static int table_save(struct prov *p, struct table *t)
{
	size_t len = 0, off = 0;
	char *buf;
	int rc;

	if (!t->dirty)
		return 0;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->rows[i].nf; j++)
			len += strlen(t->rows[i].f[j]) + 1;
	if (!(buf = malloc(len + 1)))
		return -1;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->rows[i].nf; j++)
			off += (size_t)sprintf(buf + off, "%s%c", t->rows[i].f[j], j + 1 < t->rows[i].nf ? ':' : '\n');
	rc = root_write(p, t->path, buf, off, t->mode, 0, 0);
	free(buf);
	if (rc == 0)
		t->dirty = 0;
	return rc;
}

static void table_free(struct table *t)
{
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->rows[i].nf; j++)
			free(t->rows[i].f[j]);
	free(t->rows);
}

static int db_load(struct prov *p, struct db *db)
{
	if (table_load(p, &db->passwd, "etc/passwd", 0644, 7) != 0 ||
	    table_load(p, &db->group, "etc/group", 0644, 4) != 0 ||
	    table_load(p, &db->shadow, "etc/shadow", 0600, 9) != 0) {
		mod_error(p, NULL, NULL, "read /etc/passwd, /etc/group or /etc/shadow: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void db_save(struct prov *p, struct db *db)
{
	if (table_save(p, &db->group) != 0)
		mod_error(p, NULL, NULL, "write /etc/group: %s", strerror(errno));
	if (table_save(p, &db->passwd) != 0)
		mod_error(p, NULL, NULL, "write /etc/passwd: %s", strerror(errno));
	if (table_save(p, &db->shadow) != 0)
		mod_error(p, NULL, NULL, "write /etc/shadow: %s", strerror(errno));
	table_free(&db->passwd);
	table_free(&db->group);
	table_free(&db->shadow);
}

/* POSIX portable names ([A-Za-z0-9._-], not starting with '-') */
int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-' || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static long free_id(struct table *t, long lo, long hi)
{
	for (long id = lo; id <= hi; id++)
		if (!table_find_id(t, id))
			return id;
	return -1;
}

static long group_ensure(struct db *db, const char *name, long want)
{
	struct row *r = table_find(&db->group, name);
	char gid[24];
	char *f[4];

	if (r)
		return strtol(r->f[2], NULL, 10);
	if (want < 0 || table_find_id(&db->group, want))
		want = free_id(&db->group, 1000, 59999);
	if (want < 0)
		return -1;
	snprintf(gid, sizeof gid, "%ld", want);
	f[0] = (char *)name, f[1] = "x", f[2] = gid, f[3] = "";
	return table_add(&db->group, f) == 0 ? want : -1;
}

static void group_add_member(struct db *db, struct row *g, const char *user)
{
	char *members = g->f[3], *buf;
	size_t n = strlen(user);

	for (const char *m = members; *m;) {
		size_t len = strcspn(m, ",");
		if (len == n && !strncmp(m, user, n))
			return;
		m += len;
		if (*m)
			m++;
	}
	if (!(buf = malloc(strlen(members) + n + 2)))
		return;
	sprintf(buf, "%s%s%s", members, *members ? "," : "", user);
	row_set(&db->group, g, 3, buf);
	free(buf);
}

/* a list of names: a YAML list, or one string "a, b" */
static int name_list(const struct ynode *n, char names[][40], int max, const struct ynode **bad)
{
	int k = 0;

	*bad = NULL;
	if (ynull(n))
		return 0;
	if (n->type == Y_SCALAR) {
		const char *s = n->str;
		while (*s && k < max) {
			size_t len;
			s += strspn(s, " ,");
			len = strcspn(s, ",");
			while (len && s[len - 1] == ' ')
				len--;
			if (len == 0)
				break;
			snprintf(names[k], 40, "%.*s", (int)len, s);
			if (len >= 40 || !valid_name(names[k], 32)) {
				*bad = n;
				return -1;
			}
			k++;
			s += len;
		}
		return k;
	}
	if (n->type != Y_SEQ) {
		*bad = n;
		return -1;
	}
	for (size_t i = 0; i < n->n && k < max; i++) {
		const char *s = ystr(n->kids[i]);
		if (!s || strlen(s) >= 40 || !valid_name(s, 32)) {
			*bad = n->kids[i];
			return -1;
		}
		snprintf(names[k++], 40, "%s", s);
	}
	return k;
}

static void groups_apply(struct prov *p, struct db *db, const char *path, const struct ynode *name_node,
			 const struct ynode *members)
{
	char names[64][40];
	const struct ynode *bad;
	const char *name = ystr(name_node);
	int n;
	long gid;

	if (!name || !valid_name(name, 32)) {
		mod_error(p, name_node, path, "\"%s\": not a valid group name", name ? name : "");
		return;
	}
	if ((n = name_list(members, names, 64, &bad)) < 0) {
		mod_error(p, bad, path, "members: expected user names");
		return;
	}
	if ((gid = group_ensure(db, name, -1)) < 0) {
		mod_error(p, name_node, path, "no free group id");
		return;
	}
	for (int i = 0; i < n; i++) {
		if (!table_find(&db->passwd, names[i])) {
			mod_warn(p, members, path, "member %s does not exist, skipped", names[i]);
			continue;
		}
		group_add_member(db, table_find(&db->group, name), names[i]);
	}
}

void mod_groups(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *g = ymap_get(cfg, "groups");
	struct db db;
	char path[64];

	mod_begin(p, "groups");
	if (ynull(g)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (db_load(p, &db) != 0) {
		mod_end(p, RES_ERROR);
		return;
	}
	if (g->type == Y_MAP) {
		for (size_t i = 0; i + 1 < g->n; i += 2) {
			snprintf(path, sizeof path, "groups.%.40s", ystr(g->kids[i]) ? ystr(g->kids[i]) : "?");
			groups_apply(p, &db, path, g->kids[i], g->kids[i + 1]);
		}
	} else if (g->type == Y_SEQ) {
		for (size_t i = 0; i < g->n; i++) {
			const struct ynode *e = g->kids[i];
			snprintf(path, sizeof path, "groups[%zu]", i);
			if (e->type == Y_MAP) {
				for (size_t j = 0; j + 1 < e->n; j += 2)
					groups_apply(p, &db, path, e->kids[j], e->kids[j + 1]);
			} else {
				groups_apply(p, &db, path, e, NULL);
			}
		}
	} else if (g->type == Y_SCALAR) {
		char names[64][40];
		const struct ynode *bad;
		int n = name_list(g, names, 64, &bad);
		if (n < 0)
			mod_error(p, g, "groups", "expected group names");
		for (int i = 0; i < n; i++)
			if (group_ensure(&db, names[i], -1) < 0)
				mod_error(p, g, "groups", "no free group id");
	}
	db_save(p, &db);
	mod_end(p, RES_OK);
}

/* crypt(3) output: "$id$…" or 13 DES characters; anything else is taken for
 * a plain-text password */
static int looks_hashed(const char *s)
{
	size_t n = strlen(s);
	const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";

	if (n == 13 && strspn(s, set) == 13)
		return 1;
	return s[0] == '$' && n >= 8 && n <= 512 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./$=,+-") == n;
}

static int valid_keys(const struct ynode *keys, const struct ynode **bad)
{
	*bad = keys;
	if (ynull(keys))
		return 1;
	if (keys->type == Y_SCALAR)
		return strspn(keys->str, " \t\r\n") < keys->len;
	if (keys->type != Y_SEQ)
		return 0;
	for (size_t i = 0; i < keys->n; i++) {
		const char *k = ystr(keys->kids[i]);
		*bad = keys->kids[i];
		if (!k || !*k || strpbrk(k, "\r\n"))
			return 0;
	}
	return 1;
}

/* write ~/.ssh/authorized_keys: one key per line, 0600, ~/.ssh 0700, both
 * owned by the user */
static int keys_write(struct prov *p, const char *user, char **keys, int nkeys, const struct ynode *at,
		      const char *path)
{
	uid_t uid;
	gid_t gid;
	char home[512], dir[600], file[640], *buf;
	size_t len = 0, off = 0;
	int rc;

	if (nkeys == 0)
		return 0;
	if (user_lookup(p, user, &uid, &gid, home, sizeof home) != 0 || home[0] != '/' || strstr(home, "/../") ||
	    !strcmp(home, "/")) {
		mod_error(p, at, path, "%s has no usable home directory for ssh keys", user);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s/.ssh", home);
	snprintf(file, sizeof file, "%s/.ssh/authorized_keys", home);
	for (int i = 0; i < nkeys; i++)
		len += strlen(keys[i]) + 1;
	if (!(buf = malloc(len + 1)))
		return -1;
	for (int i = 0; i < nkeys; i++) {
		/* a scalar may hold several keys, one per line */
		const char *k = keys[i];
		while (*k) {
			size_t l = strcspn(k, "\r\n");
			if (l && strspn(k, " \t") < l)
				off += (size_t)sprintf(buf + off, "%.*s\n", (int)l, k);
			k += l;
			k += strspn(k, "\r\n");
		}
	}
	/* an existing home keeps its owner and mode */
	rc = root_exists(p, home) ? 0 : root_mkdir_owned(p, home, 0755, uid, gid);
	if (rc == 0)
		rc = root_mkdir_owned(p, dir, 0700, uid, gid);
	if (rc == 0)
		rc = root_write(p, file, buf, off, 0600, uid, gid);
	if (rc != 0)
		mod_error(p, at, path, "write %s: %s", file, strerror(errno));
	free(buf);
	return rc;
}

static int collect_keys(const struct ynode *n, char **keys, int k)
{
	if (ynull(n))
		return k;
	if (n->type == Y_SCALAR) {
		if (k < KEYS_MAX)
			keys[k++] = n->str;
		return k;
	}
	for (size_t i = 0; n->type == Y_SEQ && i < n->n && k < KEYS_MAX; i++)
		if (ystr(n->kids[i]))
			keys[k++] = n->kids[i]->str;
	return k;
}

/* doas.conf, built up user by user */
struct doas_rules {
	char *text;
	size_t len;
};

static void doas_add(struct doas_rules *d, const char *lines)
{
	size_t add = strlen(lines);
	char *t;

	if (!add || !(t = realloc(d->text, d->len + add + 1)))
		return;
	d->text = t;
	memcpy(t + d->len, lines, add + 1);
	d->len += add;
}

/* a scalar or a list of scalars: up to max one-line strings */
static int rule_list(const struct ynode *n, const char **out, int max)
{
	int k = 0;

	if (n->type == Y_SCALAR)
		out[k++] = n->str;
	for (size_t i = 0; n->type == Y_SEQ && i < n->n; i++) {
		if (k == max || !ystr(n->kids[i]))
			return -1;
		out[k++] = n->kids[i]->str;
	}
	if (n->type != Y_SCALAR && n->type != Y_SEQ)
		return -1;
	for (int i = 0; i < k; i++)
		if (!out[i][0] || strpbrk(out[i], "\r\n"))
			return -1;
	return k;
}

static const char *const user_keys[] = {"name", "gecos", "groups", "sudo", "shell", "lock_passwd", "passwd",
	"hashed_passwd", "plain_text_passwd", "ssh_authorized_keys", "uid", "system", "homedir", "primary_group",
	"no_create_home", "create_groups", "expiredate", "inactive", "ssh_import_id", "ssh_redirect_user",
	"selinux_user", "no_user_group", "no_log_init", "lock-passwd", "doas", NULL};

static void user_apply(struct prov *p, struct db *db, const struct ynode *u, size_t idx, struct doas_rules *doas)
{
	char path[64], kpath[96], groups[32][40], home[512], idbuf[24], *f[9];
	const struct ynode *n, *bad, *keys = NULL;
	const char *name, *gecos = "", *shell = "/bin/sh", *hash = NULL, *homedir = NULL, *pgroup = NULL;
	int lock = 1, system_user = 0, ngroups = 0, nrules = 0, b;
	const char *rules[8];
	char rules_doas[4096] = "";
	long long uid = -1;
	struct row *pw;

	snprintf(path, sizeof path, "users[%zu]", idx);
	/* validate every key before changing anything: a bad entry fails only itself */
#define KP(k) (snprintf(kpath, sizeof kpath, "%s.%s", path, k), kpath)
	n = ymap_get(u, "name");
	name = ystr(n);
	if (!name) {
		mod_error(p, n ? n : u, KP("name"), "missing");
		return;
	}
	if (!valid_name(name, 32)) {
		mod_error(p, n, KP("name"), "\"%s\": not a valid user name", name);
		return;
	}
	for (size_t i = 0; i + 1 < u->n; i += 2) {
		const char *k = ystr(u->kids[i]);
		int known = 0;
		for (int j = 0; k && user_keys[j]; j++)
			known |= !strcmp(k, user_keys[j]);
		if (!known)
			mod_warn(p, u->kids[i], KP(k ? k : "?"), "unknown key ignored");
	}
	if ((n = ymap_get(u, "gecos")) && !ynull(n)) {
		if (!(gecos = ystr(n)) || strpbrk(gecos, ":\n")) {
			mod_error(p, n, KP("gecos"), "expected text without ':' or a line break");
			return;
		}
	}
	if ((n = ymap_get(u, "shell")) && !ynull(n)) {
		if (!(shell = ystr(n)) || shell[0] != '/' || strpbrk(shell, ": \n")) {
			mod_error(p, n, KP("shell"), "expected an absolute path");
			return;
		}
	}
	if ((n = ymap_get(u, "homedir")) && !ynull(n)) {
		if (!(homedir = ystr(n)) || homedir[0] != '/' || strpbrk(homedir, ":\n") || strstr(homedir, "..")) {
			mod_error(p, n, KP("homedir"), "expected an absolute path without '..'");
			return;
		}
	}
	if ((n = ymap_get(u, "primary_group")) && !ynull(n)) {
		if (!(pgroup = ystr(n)) || !valid_name(pgroup, 32)) {
			mod_error(p, n, KP("primary_group"), "not a valid group name");
			return;
		}
	}
	if ((n = ymap_get(u, "lock_passwd")) || (n = ymap_get(u, "lock-passwd"))) {
		if (ybool(n, &lock) != 0) {
			mod_error(p, n, KP("lock_passwd"), "expected true or false");
			return;
		}
	}
	if ((n = ymap_get(u, "system")) && ybool(n, &system_user) != 0) {
		mod_error(p, n, KP("system"), "expected true or false");
		return;
	}
	if ((n = ymap_get(u, "uid")) && !ynull(n)) {
		/* cloud-init accepts the number as a string too */
		struct ynode tmp = *n;
		tmp.plain = 1;
		if (yint(&tmp, &uid) != 0 || uid < 0 || uid > 65533) {
			mod_error(p, n, KP("uid"), "expected a number from 0 to 65533");
			return;
		}
		pw = table_find_id(&db->passwd, (long)uid);
		if (pw && strcmp(pw->f[0], name)) {
			mod_error(p, n, KP("uid"), "%lld already belongs to %s", uid, pw->f[0]);
			return;
		}
	}
	if ((n = ymap_get(u, "plain_text_passwd")) && !ynull(n))
		mod_warn(p, n, KP("plain_text_passwd"), "plain-text passwords are refused; use hashed_passwd");
	if (((n = ymap_get(u, "hashed_passwd")) && !ynull(n)) || ((n = ymap_get(u, "passwd")) && !ynull(n))) {
		if (!(hash = ystr(n)) || !looks_hashed(hash)) {
			mod_error(p, n, KP(ymap_get(u, "hashed_passwd") ? "hashed_passwd" : "passwd"),
				  "not a crypt(3) hash (plain-text passwords are refused)");
			return;
		}
	}
	if ((n = ymap_get(u, "groups")) && (ngroups = name_list(n, groups, 32, &bad)) < 0) {
		mod_error(p, bad, KP("groups"), "expected group names");
		return;
	}
	/* sudo rules become doas.conf lines; doas rules are taken as they are */
	if ((n = ymap_get(u, "sudo")) && !ynull(n) && !(ybool(n, &b) == 0 && !b)) {
		if ((nrules = rule_list(n, rules, 8)) < 0) {
			mod_error(p, n, KP("sudo"), "expected a sudoers rule (one line) or a list of up to 8");
			return;
		}
		for (int i = 0; i < nrules; i++) {
			char line[2048];
			if (doas_from_sudo(name, rules[i], line, sizeof line) != 0 ||
			    strlen(rules_doas) + strlen(line) >= sizeof rules_doas) {
				mod_error(p, n, KP("sudo"),
					  "\"%.200s\": no exact doas.conf rule for it (expected ALL=[(ALL|USER)] "
					  "[NOPASSWD:]ALL or absolute commands)", rules[i]);
				return;
			}
			strcat(rules_doas, line);
		}
	}
	if ((n = ymap_get(u, "doas")) && !ynull(n)) {
		if ((nrules = rule_list(n, rules, 8)) < 0) {
			mod_error(p, n, KP("doas"), "expected a doas.conf rule (one line) or a list of up to 8");
			return;
		}
		for (int i = 0; i < nrules; i++) {
			if (doas_rule_check(name, rules[i]) != 0 ||
			    strlen(rules_doas) + strlen(rules[i]) + 1 >= sizeof rules_doas) {
				mod_error(p, n, KP("doas"),
					  "\"%.200s\": expected permit|deny [nopass|persist|keepenv|nolog] %s "
					  "[as USER] [cmd /PATH [args ...]]", rules[i], name);
				return;
			}
			strcat(rules_doas, rules[i]);
			strcat(rules_doas, "\n");
		}
	}
	keys = ymap_get(u, "ssh_authorized_keys");
	if (!valid_keys(keys, &bad)) {
		mod_error(p, bad, KP("ssh_authorized_keys"), "expected a list of one-line keys");
		return;
	}

	/* apply */
	pw = table_find(&db->passwd, name);
	if (!pw) {
		long gid;
		if (uid < 0)
			uid = system_user ? free_id(&db->passwd, 100, 999) : free_id(&db->passwd, 1000, 59999);
		if (uid < 0) {
			mod_error(p, u, path, "no free user id");
			return;
		}
		gid = group_ensure(db, pgroup ? pgroup : name, (long)uid);
		if (gid < 0) {
			mod_error(p, u, path, "no free group id");
			return;
		}
		snprintf(home, sizeof home, "%s", homedir ? homedir : "");
		if (!homedir)
			snprintf(home, sizeof home, "/home/%s", name);
		snprintf(idbuf, sizeof idbuf, "%lld", uid);
		{
			char gidbuf[24];
			snprintf(gidbuf, sizeof gidbuf, "%ld", gid);
			f[0] = (char *)name, f[1] = "x", f[2] = idbuf, f[3] = gidbuf, f[4] = (char *)gecos;
			f[5] = home, f[6] = (char *)shell;
			table_add(&db->passwd, f);
			if (!system_user && root_mkdir_owned(p, home, 0755, (uid_t)uid, (gid_t)gid) != 0)
				mod_error(p, u, path, "create %s: %s", home, strerror(errno));
		}
	}
	{
		struct row *sh = table_find(&db->shadow, name);
		char pass[600];
		snprintf(pass, sizeof pass, "%s%s", lock ? "!" : "", hash ? hash : (lock ? "" : "!"));
		if (!sh) {
			f[0] = (char *)name, f[1] = pass, f[2] = "1", f[3] = f[4] = f[5] = f[6] = f[7] = f[8] = "";
			table_add(&db->shadow, f);
		} else if (hash || lock) {
			/* an existing account keeps its hash unless one is given */
			const char *old = sh->f[1];
			if (!hash)
				snprintf(pass, sizeof pass, "%s%s", old[0] == '!' ? "" : "!", old);
			row_set(&db->shadow, sh, 1, pass);
		} else if (sh->f[1][0] == '!' && sh->f[1][1]) {
			row_set(&db->shadow, sh, 1, sh->f[1] + 1);
		}
	}
	for (int i = 0; i < ngroups; i++) {
		if (!table_find(&db->group, groups[i]) && group_ensure(db, groups[i], -1) < 0) {
			mod_error(p, u, KP("groups"), "no free group id");
			continue;
		}
		group_add_member(db, table_find(&db->group, groups[i]), name);
	}
	doas_add(doas, rules_doas);
	if (!ynull(keys)) {
		char *list[KEYS_MAX];
		int k = collect_keys(keys, list, 0);
		/* the account must be on disk before its keys can be owned */
		if (table_save(p, &db->group) != 0 || table_save(p, &db->passwd) != 0)
			mod_error(p, u, path, "write /etc/passwd: %s", strerror(errno));
		else
			keys_write(p, name, list, k, keys, KP("ssh_authorized_keys"));
	}
#undef KP
}

void mod_users(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *users = ymap_get(cfg, "users");
	struct doas_rules doas = {0};
	struct db db;

	mod_begin(p, "users");
	if (ynull(users)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (db_load(p, &db) != 0) {
		mod_end(p, RES_ERROR);
		return;
	}
	if (users->type == Y_SCALAR) {
		char names[32][40];
		const struct ynode *bad;
		int n = name_list(users, names, 32, &bad);
		if (n < 0)
			mod_error(p, users, "users", "\"%s\": expected user names", users->str);
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], "default"))
				mod_warn(p, users, "users", "%s: a user given only by name is skipped; use a map", names[i]);
	} else if (users->type == Y_SEQ) {
		for (size_t i = 0; i < users->n; i++) {
			const struct ynode *u = users->kids[i];
			char path[32];
			snprintf(path, sizeof path, "users[%zu]", i);
			if (u->type == Y_SCALAR && !strcmp(u->str, "default"))
				continue; /* Berth has no default user besides root */
			if (u->type == Y_SCALAR) {
				struct ynode name = {.type = Y_SCALAR}, key = {.type = Y_SCALAR}, *kids[2] = {&key, &name};
				struct ynode map = *u;
				key.str = "name";
				name = *u;
				map.type = Y_MAP;
				map.kids = kids;
				map.n = 2;
				user_apply(p, &db, &map, i, &doas);
			} else if (u->type == Y_MAP) {
				user_apply(p, &db, u, i, &doas);
			} else {
				mod_error(p, u, path, "expected a map or a user name");
			}
		}
	} else {
		mod_error(p, users, "users", "expected a list");
	}
	db_save(p, &db);
	/* root only: doas refuses a file others can write, and reading it
	 * would tell who may become root */
	if (doas.len) {
		char *text = malloc(doas.len + 64);
		if (text) {
			int n = sprintf(text, "# written by provision from user-data\n%s", doas.text);
			if (root_write(p, "etc/doas.conf", text, (size_t)n, 0400, 0, 0) != 0)
				mod_error(p, NULL, NULL, "write /etc/doas.conf: %s", strerror(errno));
			free(text);
		}
	}
	free(doas.text);
	mod_end(p, RES_OK);
}

/* root's keys (top-level ssh_authorized_keys and the datasource's public
 * keys); a new instance also gets new SSH host keys */
void mod_ssh(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *keys = ymap_get(cfg, "ssh_authorized_keys"), *bad;
	static const char *const hostkeys[] = {"dropbear_rsa_host_key", "dropbear_dss_host_key",
		"dropbear_ecdsa_host_key", "dropbear_ed25519_host_key", NULL};
	char *list[KEYS_MAX];
	int n = 0, removed = 0;

	mod_begin(p, "ssh");
	for (int i = 0; hostkeys[i]; i++) {
		char path[96];
		snprintf(path, sizeof path, "var/lib/dropbear/%s", hostkeys[i]);
		if (root_unlink(p, path) == 0)
			removed++;
	}
	if (removed)
		mod_note(p, "ssh: new instance: %d host key%s removed, new ones are made on first use", removed,
			 removed == 1 ? "" : "s");
	if (!valid_keys(keys, &bad)) {
		mod_error(p, bad, "ssh_authorized_keys", "expected a list of one-line keys");
		keys = NULL;
	}
	n = collect_keys(keys, list, 0);
	for (int i = 0; i < p->seed.nkeys && n < KEYS_MAX; i++)
		list[n++] = p->seed.keys[i];
	if (n == 0) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	keys_write(p, "root", list, n, keys, "ssh_authorized_keys");
	mod_end(p, RES_OK);
}

static int lookup(struct prov *p, const char *file, int nfields, const char *name, struct row *out,
		  struct table *t)
{
	struct row *r;

	if (table_load(p, t, file, 0644, nfields) != 0)
		return -1;
	r = table_find(t, name);
	if (!r) {
		table_free(t);
		errno = ENOENT;
		return -1;
	}
	*out = *r;
	return 0;
}

int user_lookup(struct prov *p, const char *name, uid_t *uid, gid_t *gid, char *home, size_t hsize)
{
	struct table t;
	struct row r;

	if (lookup(p, "etc/passwd", 7, name, &r, &t) != 0)
		return -1;
	*uid = (uid_t)strtoul(r.f[2], NULL, 10);
	*gid = (gid_t)strtoul(r.f[3], NULL, 10);
	if (home)
		snprintf(home, hsize, "%s", r.f[5]);
	table_free(&t);
	return 0;
}

int group_lookup(struct prov *p, const char *name, gid_t *gid)
{
	struct table t;
	struct row r;

	if (lookup(p, "etc/group", 4, name, &r, &t) != 0)
		return -1;
	*gid = (gid_t)strtoul(r.f[2], NULL, 10);
	table_free(&t);
	return 0;
}
