/* The registry client behind `berth pull`, `login` and `logout`: image
 * references in Docker's grammar, the OCI distribution protocol over
 * lib/http.c, credentials and per-registry settings. What it downloads
 * reaches the store only through berth/image's load (image_load_layout). */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "hash.h"

#define REG_HOST_MAX 256
#define REG_REPO_MAX 256
#define REG_TAG_MAX 129
#define REG_ENDPOINTS_MAX 8
#define REG_MANIFEST_MAX (4u << 20) /* the distribution spec's own limit for a manifest */

/* ref.c: a reference in Docker's grammar, normalised as docker does:
 * "nginx" is docker.io/library/nginx:latest */
struct reg_ref {
	char host[REG_HOST_MAX];  /* docker.io, quay.example:8443, localhost:5000, [::1]:5000 */
	char repo[REG_REPO_MAX];  /* library/nginx */
	char tag[REG_TAG_MAX];    /* "latest" unless a digest alone is given */
	char digest[DIGEST_LEN + 1]; /* "" unless @sha256:... */
};
/* 0, or -1 with e naming what is wrong with s */
int reg_ref_parse(const char *s, struct reg_ref *r, struct err *e);
/* the name the store keeps: docker's familiar form ("nginx", "me/app",
 * "host:5000/app"), with ":tag" */
void reg_ref_store_name(const struct reg_ref *r, char *out, size_t size);
/* the whole reference, host included, for messages */
void reg_ref_full(const struct reg_ref *r, char *out, size_t size);

/* config.c: what /etc/berth/registries.yaml (k3s's format) and
 * /etc/berth/auth.json (containers-auth.json, docker's config.json
 * "auths") say of one registry host */
struct reg_endpoint {
	char url[512];                     /* scheme://host[:port][/prefix], no trailing '/' */
	char host[REG_HOST_MAX];           /* its host[:port], the key of configs: */
	char username[256], password[512]; /* secrets: never printed */
	char ca_file[512], cert_file[512], key_file[512];
	int insecure;                      /* tls.insecure_skip_verify */
	int upstream;                      /* the registry itself, not a mirror */
};
/* the endpoints to try, mirrors first, then the registry itself */
struct reg_host {
	struct reg_endpoint ep[REG_ENDPOINTS_MAX];
	size_t n;
};
/* the settings for host, and auth.json's credentials for repo there (or
 * NULL: the host's own key only); 0, or -1 with e naming the file, line
 * and key */
int reg_host_config(const char *host, const char *repo, struct reg_host *h, struct err *e);
/* a URL's (or a bare HOST[:PORT]'s) host[:port] */
void reg_url_host(const char *url, char *out, size_t size);
/* $BERTH_ETC/berth/<name> */
void reg_etc_path(char *out, size_t size, const char *name);

/* client.c: one registry session: the endpoint in use, its token */
struct reg_client {
	const struct reg_ref *ref;
	struct reg_host *host;
	size_t endpoint;         /* index into host->ep */
	char token[8192];        /* a Bearer token, or "" (a secret: never printed) */
	long long token_until;   /* now_ms() when it expires */
	char realm[1024], service[256], scope[512]; /* where the token came from */
	int basic;               /* the registry asked for Basic auth */
	int quiet;
};
/* the endpoint for c: the first from index from on whose /v2/ answers
 * (200, or 401 with a way to authenticate), mirrors first; a mirror that
 * fails is one warning line. 0, or -1 with e naming the last failure */
int reg_probe(struct reg_client *c, size_t from, struct err *e);
struct http_response;
struct http;
struct http_request;
/* GET path (below /v2/ of the endpoint, e.g. "library/nginx/manifests/1.25")
 * with the Accept header (or NULL), from byte from: auth asked for and
 * answered, redirects followed (Authorization never sent to another host),
 * 429 and 5xx retried with backoff. The open response (a 200, or a 206
 * from `from`), or NULL with e naming the reference, the host and the
 * reason. max caps the body (0: no cap) */
struct http *reg_get(struct reg_client *c, const char *path, const char *accept, uint64_t from, uint64_t max,
		     struct http_response *rs, struct err *e);
/* the same, the whole body in *body (NUL-terminated) */
int reg_fetch(struct reg_client *c, const char *path, const char *accept, uint64_t max, struct http_response *rs,
	      char **body, size_t *len, struct err *e);
/* the endpoint's base URL ("https://host:port"), for messages */
const char *reg_endpoint(const struct reg_client *c);

/* the subcommands */
int cmd_pull(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
/* pull ref_text into the store (berth run --pull, the boot): 0, or -1 with e
 * filled; progress lines go to out, none when it is NULL */
int registry_pull(const char *ref_text, FILE *out, struct err *e);
/* progress.c: a pull's blobs as bars on a terminal. A download child
 * sends blob_news through a pipe (a record is under PIPE_BUF: written
 * whole); the parent updates the bars and redraws them */
enum blob_state { BLOB_QUEUED, BLOB_WAITING, BLOB_EXISTS, BLOB_DOWNLOADING, BLOB_COMPLETE, BLOB_FAILED };
struct blob_news {
	uint32_t idx, state;
	uint64_t have, size;
};
struct bar {
	char id[13];
	uint32_t state;
	uint64_t have, size;
};
struct bars {
	FILE *out;
	size_t n;
	struct bar *v;
	int drawn, dirty;
	long long drawn_ms;
};
/* n bars, each BLOB_QUEUED; the caller names them (v[i].id) */
int bars_init(struct bars *b, FILE *out, size_t n);
void bars_update(struct bars *b, const struct blob_news *r);
/* redraw if something changed and 100 ms went by (or force) */
void bars_draw(struct bars *b, int force);
void bars_free(struct bars *b);

/* downloads.c, for berth image prune: empty $BERTH_ROOT/downloads of what
 * pulls left. 0; 1 if a pull runs (nothing removed); -1
 * with e filled */
int registry_downloads_prune(struct err *e);

#endif
