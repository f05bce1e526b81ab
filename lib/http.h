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
};

struct http_response {
	int status;           /* 0 until a response was read */
	char line[96];        /* the status line past "HTTP/1.x ", printable: "404 Not Found" */
	uint64_t length;      /* the body's Content-Length */
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
int http_fetch(const struct http_request *rq, struct http_response *rs, char **body, size_t *len,
	       struct err *e);

#endif
