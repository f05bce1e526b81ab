/* The cloud-config modules other than users/groups/ssh, with cloud-init's
 * keys and meanings. A bad entry fails only itself. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "provision.h"
#include "spawn.h"

/* ---- write_files ---- */

static int valid_abs_path(const char *s)
{
	if (!s || s[0] != '/' || strlen(s) > 1024 || s[strlen(s) - 1] == '/' || strchr(s, '\n'))
		return 0;
	for (const char *c = s; (c = strstr(c, "..")); c += 2)
		if ((c == s || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return 0;
	return 1;
}

static int parse_owner(struct prov *p, const char *owner, uid_t *uid, gid_t *gid)
{
	char user[64], group[64];
	const char *colon = strchr(owner, ':');
	gid_t ugid;

	snprintf(user, sizeof user, "%.*s", colon ? (int)(colon - owner) : (int)strlen(owner), owner);
	snprintf(group, sizeof group, "%s", colon ? colon + 1 : "");
	if (!valid_name(user, 32) || (colon && !valid_name(group, 32)))
		return -1;
	if (user_lookup(p, user, uid, &ugid, NULL, 0) != 0)
		return -1;
	*gid = ugid;
	if (colon && group_lookup(p, group, gid) != 0)
		return -1;
	return 0;
}

static void write_file(struct prov *p, const struct ynode *e, const char *path)
{
	char kpath[64], *data = NULL, *tmp = NULL;
	const struct ynode *n;
	const char *file, *enc = "", *owner = "root:root";
	size_t len;
	long long mode = 0644;
	int append = 0;
	uid_t uid;
	gid_t gid;

#define KP(k) (snprintf(kpath, sizeof kpath, "%s.%s", path, k), kpath)
	n = ymap_get(e, "path");
	file = ystr(n);
	if (!valid_abs_path(file)) {
		mod_error(p, n ? n : e, KP("path"), "\"%s\": expected an absolute path without '..'", file ? file : "");
		return;
	}
	if ((n = ymap_get(e, "source"))) {
		mod_error(p, n, KP("source"), "not supported");
		return;
	}
	if ((n = ymap_get(e, "encoding")) && !ynull(n) && !(enc = ystr(n))) {
		mod_error(p, n, KP("encoding"), "expected a string");
		return;
	}
	if ((n = ymap_get(e, "owner")) && !ynull(n)) {
		owner = ystr(n);
		if (!owner) {
			mod_error(p, n, KP("owner"), "expected user:group");
			return;
		}
	}
	if (parse_owner(p, owner, &uid, &gid) != 0) {
		mod_error(p, n ? n : e, KP("owner"), "\"%s\": no such user or group", owner);
		return;
	}
	if ((n = ymap_get(e, "permissions")) && !ynull(n)) {
		/* a YAML 1.1 number (0644 is octal) or a string read as octal */
		if (ymode(n, &mode) != 0 || mode < 0 || mode > 07777) {
			mod_error(p, n, KP("permissions"), "expected an octal mode such as 0644");
			return;
		}
	}
	if ((n = ymap_get(e, "append")) && !ynull(n) && ybool(n, &append) != 0) {
		mod_error(p, n, KP("append"), "expected true or false");
		return;
	}
	n = ymap_get(e, "content");
	if (!ynull(n) && n->type != Y_SCALAR) {
		mod_error(p, n, KP("content"), "expected a string");
		return;
	}
	if (ynull(n)) {
		data = strdup("");
		len = 0;
	} else {
		const char *src = n->str;
		size_t slen = n->len;
		int b64 = n->binary, gz = 0;

		if (!strcmp(enc, "b64") || !strcmp(enc, "base64"))
			b64 = 1;
		else if (!strcmp(enc, "gz") || !strcmp(enc, "gzip"))
			gz = 1;
		else if (!strcmp(enc, "gz+b64") || !strcmp(enc, "gz+base64") || !strcmp(enc, "gzip+b64") ||
			 !strcmp(enc, "gzip+base64"))
			gz = b64 = 1;
		else if (enc[0] && strcmp(enc, "text/plain")) {
			mod_error(p, ymap_get(e, "encoding"), KP("encoding"), "\"%s\": unknown encoding", enc);
			return;
		}
		if (b64) {
			if (base64_decode(src, slen, &tmp, &len) != 0) {
				mod_error(p, n, KP("content"), "%s: not valid base64 (the standard alphabet: A-Z a-z 0-9 + /)",
					  file);
				return;
			}
			src = tmp;
			slen = len;
		}
		if (gz) {
			if (gunzip_capped(src, slen, UD_INFLATED_MAX, &data, &len) != 0) {
				mod_error(p, n, KP("content"), "not valid gzip data (or over %u bytes)", UD_INFLATED_MAX);
				free(tmp);
				return;
			}
			free(tmp);
		} else if (tmp) {
			data = tmp;
		} else {
			data = malloc(slen + 1);
			memcpy(data, src, slen);
			len = slen;
		}
	}
	if (append) {
		char *old;
		size_t olen;
		if (root_read(p, file, UD_INFLATED_MAX, &old, &olen) == 0) {
			char *both = malloc(olen + len + 1);
			memcpy(both, old, olen);
			memcpy(both + olen, data, len);
			free(old);
			free(data);
			data = both;
			len += olen;
		} else if (errno != ENOENT) {
			mod_error(p, e, KP("path"), "%s: %s", file, errno == ELOOP ? "refused: a symlink" : strerror(errno));
			free(data);
			return;
		}
	}
	if (root_write(p, file, data, len, (mode_t)mode, uid, gid) != 0)
		mod_error(p, ymap_get(e, "path"), KP("path"), "%s: %s", file,
			  errno == ELOOP || errno == ENOTDIR ? "refused: a symlink on the path" : strerror(errno));
	free(data);
#undef KP
}

void mod_write_files(struct prov *p, const struct ynode *cfg, int deferred)
{
	const struct ynode *wf = ymap_get(cfg, "write_files");
	int done = 0;

	mod_begin(p, deferred ? "write_files_deferred" : "write_files");
	if (!ynull(wf) && wf->type != Y_SEQ)
		mod_error(p, wf, "write_files", "expected a list");
	for (size_t i = 0; wf && wf->type == Y_SEQ && i < wf->n; i++) {
		const struct ynode *e = wf->kids[i], *d;
		char path[48];
		int defer = 0;

		snprintf(path, sizeof path, "write_files[%zu]", i);
		if (e->type != Y_MAP) {
			if (!deferred)
				mod_error(p, e, path, "expected a map");
			continue;
		}
		if ((d = ymap_get(e, "defer")) && !ynull(d) && ybool(d, &defer) != 0) {
			if (!deferred)
				mod_error(p, d, path, "defer: expected true or false");
			continue;
		}
		if (defer != deferred)
			continue;
		write_file(p, e, path);
		done++;
	}
	mod_end(p, done ? RES_OK : RES_SKIPPED);
}

/* ---- hostname ---- */

static int valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	while (*s) {
		size_t l = strcspn(s, ".");
		if (l == 0 || l > 63 || s[0] == '-' || s[l - 1] == '-')
			return 0;
		for (size_t i = 0; i < l; i++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", s[i]))
				return 0;
		s += l;
		if (*s == '.' && !*++s)
			return 0;
	}
	return 1;
}

void mod_hostname(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *hn = ymap_get(cfg, "hostname"), *fq = ymap_get(cfg, "fqdn"), *at;
	char host[256] = "", fqdn[256] = "", line[600], *hosts = NULL, *out;
	size_t hlen = 0, off = 0;
	int b;

	mod_begin(p, "hostname");
	if (ybool(ymap_get(cfg, "preserve_hostname"), &b) == 0 && b) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	/* cloud-init: fqdn wins, hostname from user-data, else the datasource's */
	at = !ynull(fq) ? fq : !ynull(hn) ? hn : NULL;
	if (!ynull(fq) && ystr(fq))
		snprintf(fqdn, sizeof fqdn, "%s", fq->str);
	if (!ynull(hn) && ystr(hn))
		snprintf(host, sizeof host, "%s", hn->str);
	if (!fqdn[0] && !host[0])
		snprintf(host, sizeof host, "%s", p->seed.hostname);
	if (!host[0] && !fqdn[0]) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if ((fqdn[0] && !valid_hostname(fqdn)) || (!ynull(fq) && !ystr(fq))) {
		mod_error(p, fq, "fqdn", "\"%s\": not a valid host name", fqdn);
		mod_end(p, RES_ERROR);
		return;
	}
	if (!fqdn[0] && strchr(host, '.'))
		snprintf(fqdn, sizeof fqdn, "%s", host);
	if (!host[0] || strchr(host, '.'))
		snprintf(host, sizeof host, "%.*s", (int)strcspn(fqdn[0] ? fqdn : host, "."), fqdn[0] ? fqdn : host);
	if (!valid_hostname(host) || strlen(host) > 63) {
		mod_error(p, at, at == fq ? "fqdn" : at ? "hostname" : "meta-data local-hostname",
			  "\"%s\": not a valid host name", host);
		mod_end(p, RES_ERROR);
		return;
	}
	snprintf(line, sizeof line, "%s\n", host);
	if (root_write(p, "etc/hostname", line, strlen(line), 0644, 0, 0) != 0)
		mod_error(p, at, NULL, "write /etc/hostname: %s", strerror(errno));
	if (root_read(p, "etc/hosts", 1u << 20, &hosts, &hlen) != 0) {
		hosts = strdup("127.0.0.1\tlocalhost\n");
		hlen = strlen(hosts);
	}
	out = malloc(hlen + sizeof line + 2);
	for (char *s = hosts, *e; s && *s; s = e) {
		e = strchr(s, '\n');
		e = e ? e + 1 : s + strlen(s);
		if (strncmp(s, "127.0.1.1", 9) || (s[9] != ' ' && s[9] != '\t')) {
			memcpy(out + off, s, (size_t)(e - s));
			off += (size_t)(e - s);
			if (out[off - 1] != '\n')
				out[off++] = '\n';
		}
	}
	if (fqdn[0] && strcmp(fqdn, host))
		off += (size_t)sprintf(out + off, "127.0.1.1\t%s %s\n", fqdn, host);
	else
		off += (size_t)sprintf(out + off, "127.0.1.1\t%s\n", host);
	if (root_write(p, "etc/hosts", out, off, 0644, 0, 0) != 0)
		mod_error(p, at, NULL, "write /etc/hosts: %s", strerror(errno));
	if (!strcmp(p->root, "/") && sethostname(host, strlen(host)) != 0)
		mod_warn(p, NULL, NULL, "sethostname: %s", strerror(errno));
	free(hosts);
	free(out);
	mod_end(p, RES_OK);
}

/* ---- ca_certs ---- */

void mod_ca_certs(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *ca = ymap_get(cfg, "ca_certs"), *tr, *rd;
	const char *bundle = "etc/ssl/certs/ca-certificates.crt";
	char *old = NULL, *out;
	size_t olen = 0, off;
	int remove = 0, added = 0;

	if (!ca)
		ca = ymap_get(cfg, "ca-certs");
	mod_begin(p, "ca_certs");
	if (ynull(ca)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	tr = ymap_get(ca, "trusted");
	if ((rd = ymap_get(ca, "remove_defaults")) && ybool(rd, &remove) != 0)
		mod_error(p, rd, "ca_certs.remove_defaults", "expected true or false");
	if (!ynull(tr) && tr->type != Y_SEQ) {
		mod_error(p, tr, "ca_certs.trusted", "expected a list of PEM certificates");
		mod_end(p, RES_ERROR);
		return;
	}
	if (!remove && root_read(p, bundle, UD_INFLATED_MAX, &old, &olen) != 0 && errno != ENOENT) {
		mod_error(p, ca, "ca_certs", "read /%s: %s", bundle, strerror(errno));
		mod_end(p, RES_ERROR);
		return;
	}
	off = olen;
	out = malloc(olen + (tr ? tr->n : 0) * 2 + 2 + UD_RAW_MAX);
	if (olen)
		memcpy(out, old, olen);
	for (size_t i = 0; tr && i < tr->n; i++) {
		const char *pem = ystr(tr->kids[i]);
		char path[40];
		size_t l;

		snprintf(path, sizeof path, "ca_certs.trusted[%zu]", i);
		if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE-----") || !strstr(pem, "-----END CERTIFICATE-----")) {
			mod_error(p, tr->kids[i], path, "expected a PEM certificate");
			continue;
		}
		if (old && strstr(old, pem))
			continue;
		l = strlen(pem);
		if (off + l + 2 > olen + UD_RAW_MAX) {
			mod_error(p, tr->kids[i], path, "certificates over %u bytes", UD_RAW_MAX);
			break;
		}
		if (off && out[off - 1] != '\n')
			out[off++] = '\n';
		memcpy(out + off, pem, l);
		off += l;
		if (out[off - 1] != '\n')
			out[off++] = '\n';
		added++;
	}
	if ((added || remove) && root_write(p, bundle, out, off, 0644, 0, 0) != 0)
		mod_error(p, ca, "ca_certs", "write /%s: %s", bundle, strerror(errno));
	free(old);
	free(out);
	mod_end(p, RES_OK);
}

/* ---- timezone ---- */

void mod_timezone(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *tz = ymap_get(cfg, "timezone");
	const char *name = ystr(tz);
	char text[300];
	size_t n;
	int ok = 1;

	mod_begin(p, "timezone");
	if (ynull(tz)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	/* ^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$ */
	n = name ? strlen(name) : 0;
	ok = name && n > 0 && n < 200 && name[0] != '/' && name[n - 1] != '/' && !strstr(name, "//") &&
	     strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") == n;
	if (!ok) {
		mod_error(p, tz, "timezone", "\"%s\": not a valid time zone name", name ? name : "");
		mod_end(p, RES_ERROR);
		return;
	}
	snprintf(text, sizeof text, "%s\n", name);
	if (root_write(p, "etc/timezone", text, strlen(text), 0644, 0, 0) != 0)
		mod_error(p, tz, "timezone", "write /etc/timezone: %s", strerror(errno));
	snprintf(text, sizeof text, "# written by provision from user-data\nexport TZ='%s'\n", name);
	if (root_write(p, "etc/profile.d/timezone.sh", text, strlen(text), 0644, 0, 0) != 0)
		mod_error(p, tz, "timezone", "write /etc/profile.d/timezone.sh: %s", strerror(errno));
	mod_end(p, RES_OK);
}

/* ---- ntp ---- */

static int add_servers(struct prov *p, const struct ynode *list, const char *key, char *out, size_t *off,
		       size_t size)
{
	int n = 0;

	if (ynull(list))
		return 0;
	if (list->type != Y_SEQ) {
		mod_error(p, list, key, "expected a list of host names or addresses");
		return 0;
	}
	for (size_t i = 0; i < list->n; i++) {
		const char *s = ystr(list->kids[i]);
		char path[40];
		snprintf(path, sizeof path, "%s[%zu]", key, i);
		if (!s || !*s || strlen(s) > 253 ||
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:-[]") != strlen(s)) {
			mod_error(p, list->kids[i], path, "\"%s\": not a host name or address", s ? s : "");
			continue;
		}
		if (*off + strlen(s) + 2 < size) {
			*off += (size_t)sprintf(out + *off, "%s\n", s);
			n++;
		}
	}
	return n;
}

void mod_ntp(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *ntp = ymap_get(cfg, "ntp"), *en;
	char out[8192];
	size_t off;
	int enabled = 1;

	mod_begin(p, "ntp");
	if (!ntp) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (!ynull(ntp) && ntp->type != Y_MAP) {
		mod_error(p, ntp, "ntp", "expected a map");
		mod_end(p, RES_ERROR);
		return;
	}
	if ((en = ymap_get(ntp, "enabled")) && ybool(en, &enabled) != 0) {
		mod_error(p, en, "ntp.enabled", "expected true or false");
		mod_end(p, RES_ERROR);
		return;
	}
	off = (size_t)snprintf(out, sizeof out, "# written by provision from user-data%s\n",
			       enabled ? "" : " (ntp.enabled: false)");
	if (enabled) {
		add_servers(p, ymap_get(ntp, "servers"), "ntp.servers", out, &off, sizeof out);
		add_servers(p, ymap_get(ntp, "pools"), "ntp.pools", out, &off, sizeof out);
	}
	if (root_write(p, "etc/ntp.servers", out, off, 0644, 0, 0) != 0)
		mod_error(p, ntp, "ntp", "write /etc/ntp.servers: %s", strerror(errno));
	mod_end(p, RES_OK);
}

/* ---- berth.containers ---- */

void mod_containers(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *b = ymap_get(cfg, "berth"), *c;
	int done = 0;

	mod_begin(p, "berth.containers");
	c = ymap_get(b, "containers");
	if (!ynull(b) && b->type != Y_MAP)
		mod_error(p, b, "berth", "expected a map");
	for (size_t i = 0; b && b->type == Y_MAP && i + 1 < b->n; i += 2)
		if (!ystr(b->kids[i]) || (strcmp(b->kids[i]->str, "containers") && strcmp(b->kids[i]->str, "images") &&
					  strcmp(b->kids[i]->str, "registries") && strcmp(b->kids[i]->str, "proxy") &&
					  strcmp(b->kids[i]->str, "compose")))
			mod_warn(p, b->kids[i], "berth", "unknown key %s ignored", ystr(b->kids[i]) ? b->kids[i]->str : "?");
	if (!ynull(c) && c->type != Y_MAP)
		mod_error(p, c, "berth.containers", "expected a map of name: compose service");
	for (size_t i = 0; c && c->type == Y_MAP && i + 1 < c->n; i += 2) {
		const char *name = ystr(c->kids[i]);
		char path[128], file[128], *text;
		size_t len;

		snprintf(path, sizeof path, "berth.containers.%.64s", name ? name : "?");
		if (!name || !valid_name(name, 64) || name[0] == '.' || name[0] == '_') {
			mod_error(p, c->kids[i], path, "\"%s\": not a valid container name", name ? name : "");
			continue;
		}
		if (c->kids[i + 1]->type != Y_MAP) {
			mod_error(p, c->kids[i + 1], path, "expected a compose service (a map)");
			continue;
		}
		if (yaml_emit(c->kids[i + 1], &text, &len) != 0) {
			mod_error(p, c->kids[i + 1], path, "cannot re-emit as YAML");
			continue;
		}
		snprintf(file, sizeof file, "etc/berth/containers/%s.yaml", name);
		if (root_write(p, file, text, len, 0644, 0, 0) != 0)
			mod_error(p, c->kids[i + 1], path, "write /%s: %s", file, strerror(errno));
		else
			done++;
		free(text);
	}
	mod_end(p, done ? RES_OK : RES_SKIPPED);
}

/* ---- berth.compose ---- */

/* berth: compose: NAME: TEXT (the compose file), or NAME: {compose: TEXT
 * or a mapping, env: TEXT (its .env)}: /etc/berth/compose/NAME/, which
 * ctr-boot brings up (berth compose reads and checks it there, naming
 * file:line) */
void mod_compose(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *c = ymap_get(ymap_get(cfg, "berth"), "compose");
	int done = 0;

	mod_begin(p, "berth.compose");
	if (!ynull(c) && c->type != Y_MAP)
		mod_error(p, c, "berth.compose", "expected a map of project name: compose file");
	for (size_t i = 0; c && c->type == Y_MAP && i + 1 < c->n; i += 2) {
		const char *name = ystr(c->kids[i]);
		const struct ynode *v = c->kids[i + 1], *file = v, *env = NULL;
		char path[128], out[160], *text = NULL;
		size_t len = 0;
		int bad = 0;

		snprintf(path, sizeof path, "berth.compose.%.64s", name ? name : "?");
		for (const char *q = name; q && *q && !bad; q++)
			bad = !((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || ((*q == '-' || *q == '_') && q != name));
		if (!name || !*name || bad || strlen(name) > 48) {
			mod_error(p, c->kids[i], path, "\"%s\": a project name is lowercase letters, digits, '-' and '_'",
				  name ? name : "");
			continue;
		}
		if (v->type == Y_MAP && (ymap_get(v, "compose") || ymap_get(v, "env"))) {
			file = ymap_get(v, "compose");
			env = ymap_get(v, "env");
			for (size_t k = 0; k + 1 < v->n; k += 2)
				if (!ystr(v->kids[k]) || (strcmp(v->kids[k]->str, "compose") && strcmp(v->kids[k]->str, "env")))
					mod_warn(p, v->kids[k], path, "unknown key %s ignored (compose:, env:)",
						  ystr(v->kids[k]) ? v->kids[k]->str : "?");
		}
		if (!file || (file->type == Y_SCALAR ? ynull(file) : file->type != Y_MAP) ||
		    (env && (env->type != Y_SCALAR || ynull(env)))) {
			mod_error(p, v, path, "expected the compose file's text, or {compose: TEXT, env: TEXT}");
			continue;
		}
		if (file->type == Y_SCALAR) {
			text = strdup(file->str);
			len = file->len;
		} else if (yaml_emit(file, &text, &len) != 0) {
			text = NULL;
		}
		if (!text) {
			mod_error(p, file, path, "cannot write the compose file");
			free(text);
			continue;
		}
		snprintf(out, sizeof out, "etc/berth/compose/%s/compose.yaml", name);
		if (root_write(p, out, text, len, 0644, 0, 0) != 0) {
			mod_error(p, file, path, "write /%s: %s", out, strerror(errno));
			free(text);
			continue;
		}
		free(text);
		/* .env may hold passwords: 0600 */
		snprintf(out, sizeof out, "etc/berth/compose/%s/.env", name);
		if (env && root_write(p, out, env->str, env->len, 0600, 0, 0) != 0) {
			mod_error(p, env, path, "write /%s: %s", out, strerror(errno));
			continue;
		}
		done++;
	}
	mod_end(p, done ? RES_OK : RES_SKIPPED);
}

/* ---- berth.registries, berth.proxy ---- */

/* berth: registries: is /etc/berth/registries.yaml as it is (k3s's format,
 * read by berth pull, which names a bad key by file and line); mode 0600:
 * it may hold passwords */
void mod_registries(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *r = ymap_get(ymap_get(cfg, "berth"), "registries");
	char *text;
	size_t len;

	mod_begin(p, "berth.registries");
	if (ynull(r)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (r->type != Y_MAP) {
		mod_error(p, r, "berth.registries", "expected a map (mirrors:, configs:)");
		mod_end(p, RES_ERROR);
		return;
	}
	for (size_t i = 0; i + 1 < r->n; i += 2)
		if (!ystr(r->kids[i]) || r->kids[i]->type != Y_SCALAR) {
			mod_error(p, r->kids[i], "berth.registries", "a key that is not a string");
			mod_end(p, RES_ERROR);
			return;
		} else if (strcmp(r->kids[i]->str, "mirrors") && strcmp(r->kids[i]->str, "configs"))
			mod_warn(p, r->kids[i], "berth.registries", "unknown key %s ignored (mirrors, configs)", r->kids[i]->str);
	if (yaml_emit(r, &text, &len) != 0) {
		mod_error(p, r, "berth.registries", "cannot re-emit as YAML");
		mod_end(p, RES_ERROR);
		return;
	}
	if (root_write(p, "etc/berth/registries.yaml", text, len, 0600, 0, 0) != 0)
		mod_error(p, r, "berth.registries", "write /etc/berth/registries.yaml: %s", strerror(errno));
	free(text);
	mod_end(p, RES_OK);
}

/* berth: proxy: {http_proxy, https_proxy, no_proxy} into
 * /etc/berth/proxy.env, which every berth download reads */
void mod_proxy(struct prov *p, const struct ynode *cfg)
{
	static const char *const keys[][2] = { { "http_proxy", "http-proxy" }, { "https_proxy", "https-proxy" },
					       { "no_proxy", "no-proxy" } };
	const struct ynode *x = ymap_get(ymap_get(cfg, "berth"), "proxy");
	char out[4096];
	size_t off = 0;

	mod_begin(p, "berth.proxy");
	if (ynull(x)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (x->type != Y_MAP) {
		mod_error(p, x, "berth.proxy", "expected a map (http_proxy, https_proxy, no_proxy)");
		mod_end(p, RES_ERROR);
		return;
	}
	for (size_t i = 0; i + 1 < x->n; i += 2) {
		const char *k = x->kids[i]->type == Y_SCALAR ? x->kids[i]->str : NULL, *v = ystr(x->kids[i + 1]);
		size_t j = 0;
		char path[64];
		if (!k) {
			mod_error(p, x->kids[i], "berth.proxy", "a key that is not a string");
			continue;
		}
		while (j < 3 && strcmp(k, keys[j][0]) && strcmp(k, keys[j][1]))
			j++;
		snprintf(path, sizeof path, "berth.proxy.%.32s", k);
		if (j == 3) {
			mod_warn(p, x->kids[i], "berth.proxy", "unknown key %s ignored (http_proxy, https_proxy, no_proxy)", k);
			continue;
		}
		if (!v || x->kids[i + 1]->type != Y_SCALAR || strpbrk(v, "\n\r")) {
			mod_error(p, x->kids[i + 1], path, "expected one line of text");
			continue;
		}
		if (j < 2 && strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) {
			mod_error(p, x->kids[i + 1], path, "expected an http:// or https:// URL");
			continue;
		}
		if (off + strlen(keys[j][0]) + strlen(v) + 3 > sizeof out) {
			mod_error(p, x->kids[i + 1], path, "longer than %zu bytes in all", sizeof out);
			break;
		}
		off += (size_t)sprintf(out + off, "%s=%s\n", keys[j][0], v);
	}
	if (off && root_write(p, "etc/berth/proxy.env", out, off, 0600, 0, 0) != 0)
		mod_error(p, x, "berth.proxy", "write /etc/berth/proxy.env: %s", strerror(errno));
	mod_end(p, off ? RES_OK : RES_SKIPPED);
}

/* ---- bootcmd, runcmd, user scripts ---- */

/* one POSIX-shell word, single-quoted */
static size_t quote(char *out, const char *s)
{
	size_t n = 0;

	out[n++] = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *s;
		}
	}
	out[n++] = '\'';
	return n;
}

/* cloud-init's command lists: a string is a shell line, a list is argv */
static char *command_script(struct prov *p, const struct ynode *list, const char *key, size_t *len)
{
	size_t cap = 64, off;
	char *s;

	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *c = list->kids[i];
		cap += c->len * 4 + 4;
		for (size_t j = 0; c->type == Y_SEQ && j < c->n; j++)
			cap += c->kids[j]->len * 4 + 4;
	}
	if (!(s = malloc(cap)))
		return NULL;
	off = (size_t)sprintf(s, "#!/bin/sh\n");
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *c = list->kids[i];
		char path[40];

		snprintf(path, sizeof path, "%s[%zu]", key, i);
		if (c->type == Y_SCALAR) {
			memcpy(s + off, c->str, c->len);
			off += c->len;
			s[off++] = '\n';
			continue;
		}
		if (c->type == Y_SEQ) {
			int ok = 1;
			for (size_t j = 0; j < c->n; j++)
				ok &= c->kids[j]->type == Y_SCALAR;
			if (ok && c->n) {
				for (size_t j = 0; j < c->n; j++) {
					off += quote(s + off, c->kids[j]->str);
					s[off++] = j + 1 < c->n ? ' ' : '\n';
				}
				continue;
			}
		}
		mod_error(p, c, path, "expected a command string or a list of words");
	}
	*len = off;
	return s;
}

int run_script(struct prov *p, const char *path)
{
	char full[4200], what[4200], iid[sizeof p->seed.iid + 16];
	char *argv[] = { full, NULL }, *env[] = { iid, NULL };
	struct spawn sp = { .argv = argv, .env_add = env, .dir = "/", .what = what };
	int r;

	snprintf(full, sizeof full, "%s/%s", strcmp(p->root, "/") ? p->root : "", path);
	snprintf(what, sizeof what, "provision: exec %s", path);
	snprintf(iid, sizeof iid, "INSTANCE_ID=%s", p->seed.iid);
	fflush(stdout);
	fflush(stderr);
	r = spawn_run(&sp, -1);
	return r >= SPAWN_SIGNAL ? 128 + r - SPAWN_SIGNAL : r;
}

static void commands(struct prov *p, const struct ynode *cfg, const char *key)
{
	const struct ynode *list = ymap_get(cfg, key);
	char file[128], *text;
	size_t len;
	int rc;

	mod_begin(p, key);
	if (ynull(list)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (list->type != Y_SEQ) {
		mod_error(p, list, key, "expected a list of commands");
		mod_end(p, RES_ERROR);
		return;
	}
	if (!(text = command_script(p, list, key, &len))) {
		mod_end(p, RES_ERROR);
		return;
	}
	snprintf(file, sizeof file, STATE_DIR "/scripts/%s", key);
	if (root_write(p, file, text, len, 0700, 0, 0) != 0)
		mod_error(p, list, key, "write /%s: %s", file, strerror(errno));
	else if ((rc = run_script(p, file)) != 0)
		mod_error(p, list, key, "script exited with status %d", rc);
	free(text);
	mod_end(p, RES_OK);
}

void mod_bootcmd(struct prov *p, const struct ynode *cfg)
{
	commands(p, cfg, "bootcmd");
}

void mod_runcmd(struct prov *p, const struct ynode *cfg)
{
	commands(p, cfg, "runcmd");
	mod_begin(p, "scripts_user");
	for (int i = 0; i < p->ud.nscripts; i++) {
		struct script *s = &p->ud.scripts[i];
		char file[128];
		int rc;

		snprintf(file, sizeof file, STATE_DIR "/scripts/%s", s->name);
		if (root_write(p, file, s->data, s->len, 0700, 0, 0) != 0)
			mod_error(p, NULL, NULL, "write /%s: %s", file, strerror(errno));
		else if ((rc = run_script(p, file)) != 0)
			mod_error(p, NULL, NULL, "user-data script %s exited with status %d", s->name, rc);
	}
	mod_end(p, p->ud.nscripts ? RES_OK : RES_SKIPPED);
}

/* ---- power_state: decided here, performed by main after status.json ---- */

void mod_power_state(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *ps = ymap_get(cfg, "power_state"), *n;
	const char *mode, *msg;
	long long minutes = 0;
	int cond = 1;

	mod_begin(p, "power_state");
	if (ynull(ps)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	n = ymap_get(ps, "mode");
	mode = ystr(n);
	if (!mode || (strcmp(mode, "reboot") && strcmp(mode, "poweroff") && strcmp(mode, "halt"))) {
		mod_error(p, n ? n : ps, "power_state.mode", "\"%s\": expected reboot, poweroff or halt", mode ? mode : "");
		mod_end(p, RES_ERROR);
		return;
	}
	if ((n = ymap_get(ps, "delay")) && !ynull(n)) {
		const char *d = ystr(n);
		if (d && !strcmp(d, "now")) {
			minutes = 0;
		} else {
			struct ynode tmp = *n;
			tmp.plain = 1;
			if (!d || yint(&tmp, &minutes) != 0 || minutes < 0 || minutes > 1440) {
				mod_error(p, n, "power_state.delay", "expected now, +N or N (minutes)");
				mod_end(p, RES_ERROR);
				return;
			}
		}
	}
	if ((n = ymap_get(ps, "condition")) && !ynull(n) && ybool(n, &cond) != 0)
		mod_warn(p, n, "power_state.condition", "only true or false is supported; taken as true");
	if (!cond) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	msg = ystr(ymap_get(ps, "message"));
	if (msg)
		printf("provision: power_state: %.200s\n", msg);
	p->power_sig = !strcmp(mode, "reboot") ? SIGTERM : !strcmp(mode, "poweroff") ? SIGUSR2 : SIGUSR1;
	p->power_delay = (long)minutes * 60;
	if (minutes)
		mod_note(p, "power_state: %s in %lld minutes", mode, minutes);
	else
		mod_note(p, "power_state: %s now", mode);
	mod_end(p, RES_OK);
}

/* ---- the per-instance modules, in order ---- */

const char *const per_instance_names[] = {"write_files", "hostname", "ca_certs", "groups", "users", "ssh",
	"timezone", "ntp", "berth.registries", "berth.proxy", "berth.images", "berth.containers", "berth.compose", "write_files_deferred", "runcmd", "scripts_user",
	"power_state", NULL};

void mod_per_instance(struct prov *p, int live)
{
	const struct ynode *cfg = p->ud.cfg;

	mod_write_files(p, cfg, 0);
	mod_hostname(p, cfg);
	mod_ca_certs(p, cfg);
	mod_groups(p, cfg);
	mod_users(p, cfg);
	mod_ssh(p, cfg);
	mod_timezone(p, cfg);
	mod_ntp(p, cfg);
	mod_registries(p, cfg);
	mod_proxy(p, cfg);
	if (live)
		mod_images(p, cfg);
	/* the medium stays mounted only for berth.images */
	seed_release(&p->seed);
	mod_containers(p, cfg);
	mod_compose(p, cfg);
	mod_write_files(p, cfg, 1);
	if (live)
		mod_runcmd(p, cfg);
	mod_power_state(p, cfg);
}
