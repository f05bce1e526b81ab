/* http.c: the one HTTP(S) client, for update bundles and provisioning's
 * metadata services, on libcurl over wolfSSL (pkgs/curl): http:// and
 * https:// (the root's CA bundle, host names always checked), proxies from
 * http_proxy, https_proxy and no_proxy. One transfer per request, every
 * wait bounded, only a 200 with a Content-Length is a success. */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H

#include <stdint.h>
#include <stddef.h>

#include "err.h"
#include "stream.h"

#define HTTP_HEADERS_MAX 4

struct http_request {
	const char *method;   /* "GET" (NULL) or "PUT" (an empty body) */
	const char *url;      /* http[s]://HOST[:PORT][/PATH]; HOST a name, IPv4 or [IPv6] */
	const char *agent;    /* User-Agent; NULL: "berth" */
	const char *headers[HTTP_HEADERS_MAX + 1]; /* "Name: value", up to a NULL */
	int wait_ms;          /* the longest one wait may take: connect, send, a read */
	int total_ms;         /* the whole exchange, the body included; 0: no bound */
	uint64_t max;         /* a longer body is refused; 0: no cap (http_open only) */
	/* for registries (berth/registry) */
	int any_status;       /* every status is a response, not a failure: the caller reads rs->status */
	int chunked_ok;       /* a body without a Content-Length (chunked, or to the close) is read to
			       * its end, max still capping it; rs->length is then UINT64_MAX */
	uint64_t from;        /* ask for the body from this byte on (Range); a 206 then counts as a 200 */
	const char *ca_file;  /* trust this CA bundle instead of the root's */
	const char *cert_file, *key_file; /* a client certificate (mTLS) */
	int insecure;         /* no certificate or host name check: only an explicit setting asks for it */
};

struct http_response {
	int status;           /* 0 until a response was read */
	char line[96];        /* the status line past "HTTP/1.x ", printable: "404 Not Found" */
	uint64_t length;      /* the body's Content-Length */
	/* headers a registry's answer carries, each "" when absent (cut at the size) */
	char www_authenticate[1024];
	char location[8192];  /* a storage service's presigned URL can be long */
	int location_cut;     /* it was longer still */
	char content_type[128];
	char content_digest[80]; /* Docker-Content-Digest */
	int retry_after;      /* Retry-After in seconds (the delta form), -1 when absent */
	uint64_t range_start; /* a 206's Content-Range start */
	int tls_failed;       /* the transfer failed in the TLS handshake or the certificate check */
};

struct http;

/* Send the request and read the response header. Any status but 200 fails
 * with "HTTP <line>" in e and the status in rs. NULL with e filled. */
struct http *http_open(const struct http_request *rq, struct http_response *rs, struct err *e);
/* The body: at most rs->length bytes, then 0; 0 also where the connection
 * closed early, so a reader that needs it whole counts. Errors go to the e
 * given to http_open. */
struct stream *http_body(struct http *h);
void http_close(struct http *h);

/* The whole exchange: the body (malloc'd, NUL-terminated, *len bytes) in
 * *body; a body shorter than its Content-Length is refused. 0, or -1 with e
 * filled and *body NULL. */
/* the rest of an open response's body, as http_fetch reads it (rs: what
 * http_open filled); h is closed. 0, or -1 with the e given to http_open
 * filled */
int http_read_all(struct http *h, struct http_response *rs, char **body, size_t *len);
int http_fetch(const struct http_request *rq, struct http_response *rs, char **body, size_t *len,
	       struct err *e);

/* s with every byte but [A-Za-z0-9._~-] %-encoded, for a query value,
 * into out; -1 if it does not fit */
int http_escape(const char *s, char *out, size_t size);

#endif
