/* One registry session, by the OCI distribution spec: the /v2/ probe, then
 * GETs that answer the registry's 401 with a Bearer token (from the realm
 * its WWW-Authenticate names, anonymous or with the endpoint's
 * credentials) or with Basic auth; that follow redirects, never sending
 * Authorization or the endpoint's client certificate to another host; and
 * that retry 429 and 5xx with backoff, honouring Retry-After. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium/utils.h>
#include <yajl/yajl_tree.h>

#include "berth.h"
#include "http.h"
#include "json.h"
#include "registry.h"

#define HOPS_MAX 5
#define TRIES_MAX 5
#define RETRY_WAIT_MAX 60  /* seconds: a longer Retry-After is cut to this */
#define WAIT_MS 30000
#define TOKEN_MAX (64u << 10)
#define ERROR_BODY_MAX 4096

const char *reg_endpoint(const struct reg_client *c)
{
	return c->host->ep[c->endpoint].url;
}

static int same_host(const char *a, const char *b)
{
	char ha[REG_HOST_MAX], hb[REG_HOST_MAX];

	reg_url_host(a, ha, sizeof ha);
	reg_url_host(b, hb, sizeof hb);
	return strcasecmp(ha, hb) == 0 && strncmp(a, b, 5) == 0; /* the scheme too: http vs https */
}

/* one parameter of a WWW-Authenticate challenge: key="value" */
static int challenge_param(const char *h, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);

	out[0] = '\0';
	for (const char *p = h; (p = strcasestr(p, key)); p += kl) {
		const char *v, *end;
		if ((p != h && p[-1] != ' ' && p[-1] != ',') || p[kl] != '=')
			continue;
		v = p + kl + 1;
		if (*v == '"') {
			end = strchr(++v, '"');
			if (!end)
				return -1;
		} else {
			end = v + strcspn(v, ", ");
		}
		if ((size_t)(end - v) >= size)
			return -1;
		snprintf(out, size, "%.*s", (int)(end - v), v);
		return 0;
	}
	return -1;
}

static void basic_header(const struct reg_endpoint *ep, char *out, size_t size)
{
	char plain[800], b64[1100];

	snprintf(plain, sizeof plain, "%s:%s", ep->username, ep->password);
	sodium_bin2base64(b64, sizeof b64, (unsigned char *)plain, strlen(plain), sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, size, "Authorization: Basic %s", b64);
	sodium_memzero(plain, sizeof plain);
	sodium_memzero(b64, sizeof b64);
}

static const char *ep_host(const struct reg_client *c)
{
	return c->host->ep[c->endpoint].host;
}

/* a Bearer token from the realm, for service and scope */
static int token_fetch(struct reg_client *c, struct err *e)
{
	const struct reg_endpoint *ep = &c->host->ep[c->endpoint];
	struct http_request rq = { .agent = "berth", .wait_ms = WAIT_MS, .max = TOKEN_MAX, .chunked_ok = 1,
				   .any_status = 1 };
	struct http_response rs;
	char url[4096], svc[512], scope[1024], auth[1200];
	yajl_val v;
	const char *tok;
	char *body;
	size_t len;
	long long expires = 60;
	int n = 0;

	if (strncmp(c->realm, "https://", 8) != 0 && strncmp(c->realm, "http://", 7) != 0)
		return fail(e, 1, "%s: the token realm \"%.200s\" is not an http(s) URL", ep_host(c), c->realm);
	/* credentials in clear only where the registry itself is spoken to in clear */
	if (ep->username[0] && strncmp(c->realm, "http://", 7) == 0 && strncmp(ep->url, "https://", 8) == 0)
		return fail(e, 1, "%s: the token realm %.200s is plain HTTP; the credentials are not sent there", ep_host(c),
			    c->realm);
	if (http_escape(c->service, svc, sizeof svc) < 0 || http_escape(c->scope, scope, sizeof scope) < 0)
		return fail(e, 1, "%s: the token service or scope is too long", ep_host(c));
	if (snprintf(url, sizeof url, "%s%s%s%s%s%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?",
		     svc[0] ? "service=" : "", svc, svc[0] && scope[0] ? "&" : "", scope[0] ? "scope=" : "",
		     scope) >= (int)sizeof url)
		return fail(e, 1, "%s: the token URL is too long", ep_host(c));
	rq.url = url;
	if (ep->username[0]) {
		basic_header(ep, auth, sizeof auth);
		rq.headers[n++] = auth;
	}
	/* the token server is the registry's: its CA is the endpoint's when it is the same host */
	if (same_host(url, ep->url)) {
		rq.ca_file = ep->ca_file[0] ? ep->ca_file : NULL;
		rq.insecure = ep->insecure;
	}
	if (http_fetch(&rq, &rs, &body, &len, e) < 0) {
		sodium_memzero(auth, sizeof auth);
		err_prefix(e, "token");
		return -1;
	}
	sodium_memzero(auth, sizeof auth);
	if (rs.status == 401 || rs.status == 403) {
		free(body);
		return fail(e, 1, "%s: the token server refused %s (HTTP %s)%s", ep_host(c),
			    ep->username[0] ? "the credentials" : "an anonymous token",
			    rs.line, ep->username[0] ? ": check berth login or registries.yaml" : ": berth login first");
	}
	if (rs.status != 200) {
		free(body);
		return fail(e, 1, "%s: token: HTTP %s", ep_host(c), rs.line);
	}
	v = json_parse(body, len, "the token response", e);
	sodium_memzero(body, len);
	free(body);
	if (!v)
		return -1;
	tok = json_str(v, "token");
	if (!tok || !*tok)
		tok = json_str(v, "access_token");
	if (!tok || !*tok || strlen(tok) >= sizeof c->token) {
		yajl_tree_free(v);
		return fail(e, 1, "%s: the token response has no token (neither token nor access_token)", ep_host(c));
	}
	strcpy(c->token, tok);
	{
		yajl_val x = json_get(v, "expires_in", yajl_t_number);
		if (x && YAJL_IS_INTEGER(x) && YAJL_GET_INTEGER(x) > 0)
			expires = YAJL_GET_INTEGER(x);
	}
	/* the spec's minimum lifetime is 60 s; refresh a little early */
	c->token_until = now_ms() + (expires > 10 ? expires - 5 : expires) * 1000;
	yajl_tree_free(v);
	return 0;
}

/* what a 401's challenge asks for: a token fetched, or Basic noted */
static int challenge(struct reg_client *c, const struct http_response *rs, struct err *e)
{
	const struct reg_endpoint *ep = &c->host->ep[c->endpoint];
	const char *h = rs->www_authenticate;

	if (strncasecmp(h, "Bearer ", 7) == 0) {
		char scope[sizeof c->scope];
		if (challenge_param(h + 7, "realm", c->realm, sizeof c->realm) < 0)
			return fail(e, 1, "%s: HTTP 401 with a Bearer challenge but no realm", ep_host(c));
		challenge_param(h + 7, "service", c->service, sizeof c->service);
		if (challenge_param(h + 7, "scope", scope, sizeof scope) == 0 && scope[0])
			strcpy(c->scope, scope);
		else if (c->ref->repo[0])
			snprintf(c->scope, sizeof c->scope, "repository:%s:pull", c->ref->repo);
		else
			c->scope[0] = '\0'; /* berth login: the credentials alone */
		return token_fetch(c, e);
	}
	if (strncasecmp(h, "Basic", 5) == 0) {
		if (!ep->username[0])
			return fail(e, 1, "%s: the registry needs credentials (HTTP 401, Basic): berth login %s", ep_host(c),
				    ep_host(c));
		c->basic = 1;
		return 0;
	}
	return fail(e, 1, "%s: HTTP %s with no challenge Berth can answer (WWW-Authenticate: \"%.80s\")", ep_host(c),
		    rs->line, h);
}

/* the registry's error document, {"errors":[{"code":..., "message":...}]},
 * as " CODE: message", or "" */
static void error_body(struct http *h, const struct http_response *rs, char *out, size_t size)
{
	char buf[ERROR_BODY_MAX + 1];
	struct err e = { 0 };
	size_t n = 0;
	ssize_t k;
	yajl_val v, errs, first;
	const char *code, *msg;

	out[0] = '\0';
	if (!strstr(rs->content_type, "json"))
		return;
	while (n < ERROR_BODY_MAX && (k = http_body(h)->read(http_body(h), buf + n, ERROR_BODY_MAX - n)) > 0)
		n += (size_t)k;
	if (!(v = json_parse(buf, n, "error", &e)))
		return;
	errs = json_get(v, "errors", yajl_t_array);
	first = errs && errs->u.array.len > 0 ? errs->u.array.values[0] : NULL;
	code = json_str(first, "code");
	msg = json_str(first, "message");
	if (code || msg)
		snprintf(out, size, ": %.40s%s%.200s", code ? code : "", code && msg ? " " : "", msg ? msg : "");
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			*p = '?';
	yajl_tree_free(v);
}

static void pause_s(int s)
{
	struct timespec ts = { .tv_sec = s };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Location (absolute, or a path on the same host) against the URL it answered */
static int location_resolve(const char *base, const char *loc, char *out, size_t size)
{
	if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
		return snprintf(out, size, "%s", loc) < (int)size ? 0 : -1;
	if (loc[0] == '/') {
		const char *h = strstr(base, "://");
		size_t n = h ? (size_t)(h + 3 - base) + strcspn(h + 3, "/?#") : 0;
		if (!n)
			return -1;
		return snprintf(out, size, "%.*s%s", (int)n, base, loc) < (int)size ? 0 : -1;
	}
	return -1;
}

struct http *reg_get(struct reg_client *c, const char *path, const char *accept, uint64_t from, uint64_t max,
		     struct http_response *rs, struct err *e)
{
	const struct reg_endpoint *ep = &c->host->ep[c->endpoint];
	char url[sizeof rs->location], next[sizeof rs->location], auth[sizeof c->token + 32], acc[512];
	int tries = 0, answered = 0;

	if (snprintf(url, sizeof url, "%s/v2/%s", ep->url, path) >= (int)sizeof url) {
		fail(e, 1, "%s: URL too long", ep->host);
		return NULL;
	}
	for (int hops = 0;;) {
		struct http_request rq = { .url = url, .agent = "berth", .wait_ms = WAIT_MS, .max = max, .from = from,
					   .any_status = 1, .chunked_ok = 1 };
		int n = 0, home = same_host(url, ep->url);
		struct http *h;

		if (accept) {
			snprintf(acc, sizeof acc, "Accept: %s", accept);
			rq.headers[n++] = acc;
		}
		/* credentials and the client certificate are the endpoint's alone */
		if (home) {
			if (c->token[0] && c->token_until && now_ms() > c->token_until && token_fetch(c, e) < 0)
				return NULL;
			if (c->token[0]) {
				snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
				rq.headers[n++] = auth;
			} else if (c->basic) {
				basic_header(ep, auth, sizeof auth);
				rq.headers[n++] = auth;
			}
			rq.ca_file = ep->ca_file[0] ? ep->ca_file : NULL;
			rq.cert_file = ep->cert_file[0] ? ep->cert_file : NULL;
			rq.key_file = ep->key_file[0] ? ep->key_file : NULL;
			rq.insecure = ep->insecure;
		}
		if (rq.insecure)
			warn("%s: TLS certificates are not checked (insecure_skip_verify in registries.yaml)", ep->host);
		h = http_open(&rq, rs, e);
		sodium_memzero(auth, sizeof auth);
		if (!h) {
			char where[REG_HOST_MAX + 8];
			reg_url_host(url, where, sizeof where);
			err_prefix(e, where);
			return NULL;
		}
		if (rs->status == 200 || rs->status == 206)
			return h;
		if (rs->status == 401 && home && !answered) {
			http_close(h);
			answered = 1;
			c->token[0] = '\0';
			if (challenge(c, rs, e) < 0)
				return NULL;
			continue;
		}
		if (rs->status >= 300 && rs->status < 400 && rs->status != 304 && rs->location[0]) {
			http_close(h);
			if (++hops > HOPS_MAX) {
				fail(e, 1, "%s: more than %d redirects", ep->host, HOPS_MAX);
				return NULL;
			}
			if (rs->location_cut) {
				fail(e, 1, "%s: HTTP %s to a URL longer than %zu bytes: refused", ep->host, rs->line,
				     sizeof rs->location - 1);
				return NULL;
			}
			if (location_resolve(url, rs->location, next, sizeof next) < 0) {
				fail(e, 1, "%s: HTTP %s to \"%.200s\", not a URL Berth follows", ep->host, rs->line, rs->location);
				return NULL;
			}
			strcpy(url, next);
			continue;
		}
		if ((rs->status == 429 || rs->status >= 500) && ++tries < TRIES_MAX) {
			int wait = rs->retry_after >= 0 ? rs->retry_after : 1 << (tries - 1);
			char where[REG_HOST_MAX];
			if (wait > RETRY_WAIT_MAX)
				wait = RETRY_WAIT_MAX;
			http_close(h);
			reg_url_host(url, where, sizeof where);
			if (!c->quiet)
				fprintf(stderr, "%s: HTTP %s, try %d of %d in %d s\n", where, rs->line, tries + 1, TRIES_MAX, wait);
			pause_s(wait);
			continue;
		}
		{
			char detail[300], where[REG_HOST_MAX];
			error_body(h, rs, detail, sizeof detail);
			http_close(h);
			reg_url_host(url, where, sizeof where);
			if (rs->status == 401)
				fail(e, 1, "%s: HTTP %s%s: %s", where, rs->line, detail,
				     ep->username[0] ? "the credentials were refused" : "credentials needed: berth login");
			else
				fail(e, 1, "%s: HTTP %s%s", where, rs->line, detail);
			return NULL;
		}
	}
}

int reg_fetch(struct reg_client *c, const char *path, const char *accept, uint64_t max, struct http_response *rs,
	      char **body, size_t *len, struct err *e)
{
	struct http *h = reg_get(c, path, accept, 0, max, rs, e);

	*body = NULL;
	*len = 0;
	if (!h)
		return -1;
	/* max holds for a body of any length: http's read refuses more */
	if (http_read_all(h, rs, body, len) < 0) {
		err_prefix(e, ep_host(c));
		return -1;
	}
	return 0;
}

int reg_probe(struct reg_client *c, size_t from, struct err *e)
{
	struct err tls = { 0 };

	for (c->endpoint = from; c->endpoint < c->host->n; c->endpoint++) {
		struct http_response rs;
		struct err pe = { 0 };
		struct http *h;
		c->token[0] = '\0';
		c->basic = 0;
		h = reg_get(c, "", NULL, 0, 0, &rs, &pe);
		if (h) {
			http_close(h);
			return 0;
		}
		/* a mirror, or the HTTPS try of a loopback registry, that fails: the next */
		if (c->endpoint + 1 < c->host->n) {
			if (c->host->ep[c->endpoint].upstream && rs.tls_failed)
				tls = pe; /* what to say if plain HTTP fails too */
			else
				warn("%s: %s; trying %s", reg_endpoint(c), pe.msg, c->host->ep[c->endpoint + 1].url);
			continue;
		}
		/* plain HTTP to a TLS port (400, or nothing) says less than the TLS failure */
		*e = tls.msg[0] && (rs.status == 0 || rs.status == 400) ? tls : pe;
		return -1;
	}
	return fail(e, 1, "no endpoint");
}
