/* Registry settings: /etc/berth/registries.yaml in k3s's format, and the
 * credentials of /etc/berth/auth.json (containers-auth.json, which is
 * docker's config.json "auths"). registries.yaml:
 *   mirrors:
 *     docker.io:            # or "*" for every registry without its own
 *       endpoint: [https://mirror.example:5000, ...]
 *   configs:
 *     mirror.example:5000:  # an endpoint's host[:port]
 *       auth: {username: U, password: P}   # or auth: base64(U:P)
 *       tls: {ca_file: F, cert_file: F, key_file: F, insecure_skip_verify: false}
 * Mirrors are tried in order, then the registry itself. A key Berth does not
 * apply is one warning naming FILE:LINE and the key; a value of the wrong
 * type is an error. Secrets never reach a message. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium/utils.h>
#include <yajl/yajl_tree.h>

#include "berth.h"
#include "json.h"
#include "registry.h"
#include "yaml-tree.h"

#define CONFIG_MAX (1u << 20)

void reg_etc_path(char *out, size_t size, const char *name)
{
	path_fmt(out, size, "%s/berth/%s", env_or("BERTH_ETC", "/etc"), name);
}

/* "U:P" in base64 into user and pass */
static int basic_decode(const char *b64, char *user, size_t usize, char *pass, size_t psize)
{
	unsigned char bin[1024];
	size_t n = 0;
	char *colon;

	if (sodium_base642bin(bin, sizeof bin - 1, b64, strlen(b64), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	bin[n] = '\0';
	colon = strchr((char *)bin, ':');
	if (!colon || (size_t)(colon - (char *)bin) >= usize || strlen(colon + 1) >= psize)
		return -1;
	*colon = '\0';
	strcpy(user, (char *)bin);
	strcpy(pass, colon + 1);
	sodium_memzero(bin, sizeof bin);
	return 0;
}

void reg_url_host(const char *url, char *out, size_t size)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	n = strcspn(h, "/?#");
	snprintf(out, size, "%.*s", (int)n, h);
}

/* localhost, 127.0.0.0/8 or [::1], with or without a port: where docker
 * also tries plain HTTP */
static int loopback(const char *host)
{
	char h[64];
	struct in_addr a;
	size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");

	if (n >= sizeof h || (host[n] != '\0' && host[n] != ':'))
		return 0;
	snprintf(h, sizeof h, "%.*s", (int)n, host);
	if (strcmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0)
		return 1;
	return inet_pton(AF_INET, h, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static int endpoint_add(struct reg_host *h, const char *url, int upstream, const char *where, struct err *e)
{
	struct reg_endpoint *ep;
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return fail(e, 1, "%s: \"%.200s\" is not an http:// or https:// URL", where, url);
	if (memchr(url, '@', strcspn(strstr(url, "://") + 3, "/") + (size_t)(strstr(url, "://") + 3 - url)))
		return fail(e, 1, "%s: credentials in the URL: give them under configs: HOST: auth:", where);
	if (h->n == REG_ENDPOINTS_MAX)
		return fail(e, 1, "%s: more than %d endpoints", where, REG_ENDPOINTS_MAX);
	while (n > 0 && url[n - 1] == '/')
		n--;
	/* k3s takes an endpoint with or without the /v2 the API lives under */
	if (n > 3 && strncmp(url + n - 3, "/v2", 3) == 0)
		n -= 3;
	if (n >= sizeof h->ep[0].url)
		return fail(e, 1, "%s: URL longer than %zu characters", where, sizeof h->ep[0].url - 1);
	ep = &h->ep[h->n++];
	memset(ep, 0, sizeof *ep);
	snprintf(ep->url, sizeof ep->url, "%.*s", (int)n, url);
	reg_url_host(ep->url, ep->host, sizeof ep->host);
	ep->upstream = upstream;
	return 0;
}

/* a mapping whose keys are all strings: yaml-tree leaves a key's str NULL
 * when the key is itself a list or a map */
static int want_map(const struct ynode *n, const char *path, struct err *e);

static void unknown_key(const struct ynode *k, const char *path, const char *why)
{
	warn("%s:%d: %s%s%s: %s, ignored", k->src, k->line, path, path[0] ? "." : "", k->str, why);
}

static int want_map(const struct ynode *n, const char *path, struct err *e)
{
	if (n && n->type != Y_MAP)
		return fail(e, 1, "%s:%d: %s: expected a mapping", n->src, n->line, path);
	for (size_t i = 0; n && i + 1 < n->n; i += 2)
		if (n->kids[i]->type != Y_SCALAR || !n->kids[i]->str)
			return fail(e, 1, "%s:%d: %s: a key that is not a string", n->kids[i]->src, n->kids[i]->line,
				    path[0] ? path : "(top level)");
	return 0;
}

static int str_into(const struct ynode *n, const char *path, char *out, size_t size, struct err *e)
{
	const char *s = ystr(n);

	if (!s || n->type != Y_SCALAR)
		return fail(e, 1, "%s:%d: %s: expected a string", n->src, n->line, path);
	if (strlen(s) >= size)
		return fail(e, 1, "%s:%d: %s: longer than %zu characters", n->src, n->line, path, size - 1);
	strcpy(out, s);
	return 0;
}

/* the keys of configs.HOST.auth and .tls, and where each goes */
enum field_kind { F_STR, F_BOOL, F_BASIC, F_UNSUPPORTED };
static const struct field {
	const char *section, *key;
	enum field_kind kind;
	size_t off, size;
	const char *why; /* F_UNSUPPORTED */
} fields[] = {
#define EPF(sec, k, kind, f) { sec, k, kind, offsetof(struct reg_endpoint, f), sizeof(((struct reg_endpoint *)0)->f), NULL }
	EPF("auth", "username", F_STR, username),
	EPF("auth", "password", F_STR, password),
	EPF("auth", "auth", F_BASIC, username),
	{ "auth", "identitytoken", F_UNSUPPORTED, 0, 0,
	  "OAuth2 identity tokens are not supported by Berth; give username and password" },
	EPF("tls", "ca_file", F_STR, ca_file),
	EPF("tls", "cert_file", F_STR, cert_file),
	EPF("tls", "key_file", F_STR, key_file),
	EPF("tls", "insecure_skip_verify", F_BOOL, insecure),
#undef EPF
};

/* one section (auth or tls) of configs.HOST into ep */
static int section_read(const struct ynode *v, const char *section, const char *sub, struct reg_endpoint *ep,
			struct err *e)
{
	if (want_map(v, sub, e) < 0)
		return -1;
	for (size_t j = 0; j + 1 < v->n; j += 2) {
		const struct ynode *k = v->kids[j], *val = v->kids[j + 1];
		const struct field *f = fields;
		char p2[REG_HOST_MAX + 128];
		while (f < fields + sizeof fields / sizeof fields[0] &&
		       (strcmp(f->section, section) != 0 || strcmp(f->key, k->str) != 0))
			f++;
		snprintf(p2, sizeof p2, "%s.%s", sub, k->str);
		if (f == fields + sizeof fields / sizeof fields[0]) {
			unknown_key(k, sub, "not a key of k3s's registries.yaml");
		} else if (f->kind == F_UNSUPPORTED) {
			unknown_key(k, sub, f->why);
		} else if (f->kind == F_STR) {
			if (str_into(val, p2, (char *)ep + f->off, f->size, e) < 0)
				return -1;
		} else if (f->kind == F_BOOL) {
			if (ybool(val, (int *)((char *)ep + f->off)) < 0)
				return fail(e, 1, "%s:%d: %s: expected true or false", val->src, val->line, p2);
		} else if (!ystr(val) || basic_decode(ystr(val), ep->username, sizeof ep->username, ep->password,
						      sizeof ep->password) < 0) {
			return fail(e, 1, "%s:%d: %s: expected base64 of USER:PASSWORD", val->src, val->line, p2);
		}
	}
	return 0;
}

/* configs.<host>: auth and tls for an endpoint */
static int endpoint_config(const struct ynode *cfg, const char *key, struct reg_endpoint *ep, struct err *e)
{
	char path[REG_HOST_MAX + 64];

	snprintf(path, sizeof path, "configs.%s", key);
	if (want_map(cfg, path, e) < 0)
		return -1;
	for (size_t i = 0; i + 1 < cfg->n; i += 2) {
		const struct ynode *k = cfg->kids[i];
		char sub[sizeof path + 32];
		snprintf(sub, sizeof sub, "%s.%s", path, k->str);
		if (strcmp(k->str, "auth") == 0 || strcmp(k->str, "tls") == 0) {
			if (section_read(cfg->kids[i + 1], k->str, sub, ep, e) < 0)
				return -1;
		} else {
			unknown_key(k, path, "not a key Berth reads (auth, tls)");
		}
	}
	if (!!ep->cert_file[0] != !!ep->key_file[0])
		return fail(e, 1, "%s:%d: %s.tls: cert_file and key_file go together", cfg->src, cfg->line, path);
	return 0;
}

static int mirror_endpoints(const struct ynode *m, const char *key, struct reg_host *h, struct err *e)
{
	char path[REG_HOST_MAX + 64];
	const struct ynode *list;

	snprintf(path, sizeof path, "mirrors.%s", key);
	if (want_map(m, path, e) < 0)
		return -1;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->str, "endpoint") != 0)
			unknown_key(m->kids[i], path, strcmp(m->kids[i]->str, "rewrite") == 0 ?
							      "repository rewrites are not supported by Berth" :
							      "not a key Berth reads (endpoint)");
	list = ymap_get(m, "endpoint");
	if (!list)
		return 0;
	if (list->type != Y_SEQ)
		return fail(e, 1, "%s:%d: %s.endpoint: expected a list of URLs", list->src, list->line, path);
	for (size_t i = 0; i < list->n; i++) {
		char where[sizeof path + 64];
		const char *u = ystr(list->kids[i]);
		snprintf(where, sizeof where, "%s:%d: %s.endpoint[%zu]", list->kids[i]->src, list->kids[i]->line, path, i);
		if (!u || list->kids[i]->type != Y_SCALAR)
			return fail(e, 1, "%s: expected a URL", where);
		if (endpoint_add(h, u, 0, where, e) < 0)
			return -1;
	}
	return 0;
}

static int registries_yaml(const char *host, struct reg_host *h, struct reg_endpoint *up, struct err *e)
{
	char file[1024], err[512] = "";
	struct ynode *root, *mirrors, *configs, *m;
	size_t len;
	char *buf;
	int rc = 0;

	reg_etc_path(file, sizeof file, "registries.yaml");
	if (!(buf = file_read_at(AT_FDCWD, file, CONFIG_MAX, &len)))
		return errno == ENOENT ? 0 : fail_errno(e, "%s", file);
	root = yaml_load(file, buf, len, err, sizeof err);
	free(buf);
	if (!root)
		return err[0] ? fail(e, 1, "%s", err) : 0;
	if (root->type != Y_MAP) {
		rc = fail(e, 1, "%s:%d: expected a mapping (mirrors:, configs:)", file, root->line);
		goto out;
	}
	if (want_map(root, "", e) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i + 1 < root->n; i += 2)
		if (strcmp(root->kids[i]->str, "mirrors") != 0 && strcmp(root->kids[i]->str, "configs") != 0)
			unknown_key(root->kids[i], "", "not a key Berth reads (mirrors, configs)");
	mirrors = ymap_get(root, "mirrors");
	configs = ymap_get(root, "configs");
	if (want_map(mirrors, "mirrors", e) < 0 || want_map(configs, "configs", e) < 0) {
		rc = -1;
		goto out;
	}
	m = ymap_get(mirrors, host);
	if (!m)
		m = ymap_get(mirrors, "*");
	if (m && mirror_endpoints(m, ymap_get(mirrors, host) ? host : "*", h, e) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; configs && i + 1 < configs->n; i += 2) {
		const char *key = configs->kids[i]->str;
		for (size_t j = 0; j < h->n; j++)
			if (strcmp(h->ep[j].host, key) == 0 && endpoint_config(configs->kids[i + 1], key, &h->ep[j], e) < 0) {
				rc = -1;
				goto out;
			}
		if (strcmp(key, host) == 0) {
			if (endpoint_config(configs->kids[i + 1], key, up, e) < 0) {
				rc = -1;
				goto out;
			}
		}
	}
out:
	ynode_free(root);
	return rc;
}

/* how well auth.json's key fits an endpoint host and a repository: the
 * length of its path + 1 (the most specific key wins, as in
 * containers-auth.json: "HOST/NAMESPACE/REPO" over "HOST"), 0 if not at
 * all. A key with a scheme ("https://HOST/v1/", docker's config.json) is
 * its host alone */
static size_t auth_fit(const char *key, const char *host, const char *repo)
{
	char kh[REG_HOST_MAX];
	const char *path;
	size_t n;

	reg_url_host(key, kh, sizeof kh);
	if (strcmp(kh, host) != 0)
		return 0;
	if (strstr(key, "://"))
		return 1;
	path = key + strlen(kh);
	while (*path == '/')
		path++;
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return 1;
	if (!repo || strncmp(repo, path, n) != 0 || (repo[n] != '\0' && repo[n] != '/'))
		return 0;
	return n + 1;
}

/* auth.json's credentials for an endpoint that has none from
 * registries.yaml: auths."HOST" (or "https://HOST", "http://HOST", or
 * "HOST/NAMESPACE" for repositories below it) */
static int auth_json(struct reg_host *h, const char *repo, struct err *e)
{
	char file[1024];
	yajl_val root, auths;
	size_t len;
	char *buf;
	int rc = 0;

	reg_etc_path(file, sizeof file, "auth.json");
	if (!(buf = file_read_at(AT_FDCWD, file, CONFIG_MAX, &len)))
		return errno == ENOENT ? 0 : fail_errno(e, "%s", file);
	root = json_parse(buf, len, file, e);
	sodium_memzero(buf, len);
	free(buf);
	if (!root)
		return -1;
	auths = json_get(root, "auths", yajl_t_object);
	for (size_t i = 0; auths && i < h->n; i++) {
		struct reg_endpoint *ep = &h->ep[i];
		size_t best = 0, fit, at = 0;
		const char *b64;
		if (ep->username[0])
			continue;
		for (size_t k = 0; k < auths->u.object.len; k++)
			if ((fit = auth_fit(auths->u.object.keys[k], ep->host, repo)) > best) {
				best = fit;
				at = k;
			}
		if (!best)
			continue;
		b64 = json_str(auths->u.object.values[at], "auth");
		if (!b64 || basic_decode(b64, ep->username, sizeof ep->username, ep->password, sizeof ep->password) < 0)
			rc = fail(e, 1, "%s: auths.%s.auth: expected base64 of USER:PASSWORD", file, auths->u.object.keys[at]);
	}
	yajl_tree_free(root);
	return rc;
}

int reg_host_config(const char *host, const char *repo, struct reg_host *h, struct err *e)
{
	struct reg_endpoint up;
	char url[REG_HOST_MAX + 16];

	memset(h, 0, sizeof *h);
	memset(&up, 0, sizeof up);
	if (registries_yaml(host, h, &up, e) < 0)
		return -1;
	/* Docker Hub's API is not at docker.io, and Berth writes no
	 * registry's API host name into its code: a mirror must say where */
	if (strcmp(host, "docker.io") == 0) {
		if (h->n == 0)
			return fail(e, 1, "docker.io: Berth has no built-in endpoint for Docker Hub: give one (Docker Hub's "
				    "registry or a mirror of it) under mirrors: docker.io: endpoint: in %s/berth/registries.yaml",
				    env_or("BERTH_ETC", "/etc"));
		return auth_json(h, repo, e);
	}
	/* the registry itself, last; on loopback, as docker does, HTTPS and
	 * then plain HTTP */
	snprintf(url, sizeof url, "https://%s", host);
	if (endpoint_add(h, url, 1, host, e) < 0)
		return -1;
	if (loopback(host)) {
		snprintf(url, sizeof url, "http://%s", host);
		if (endpoint_add(h, url, 1, host, e) < 0)
			return -1;
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->ep[i].upstream) {
			char u[sizeof up.url], hh[sizeof up.host];
			memcpy(u, h->ep[i].url, sizeof u);
			memcpy(hh, h->ep[i].host, sizeof hh);
			h->ep[i] = up;
			memcpy(h->ep[i].url, u, sizeof u);
			memcpy(h->ep[i].host, hh, sizeof hh);
			h->ep[i].upstream = 1;
		}
	sodium_memzero(&up, sizeof up);
	return auth_json(h, repo, e);
}
