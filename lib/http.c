/* The HTTP client (lib/http.h): plain http://, HTTP/1.0 so that no server
 * answers chunked, the socket non-blocking and every wait a poll bounded by
 * the request's wait and its deadline. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "http.h"

#define HEADER_MAX (16 * 1024)
#define REQUEST_MAX 4096
#define WAIT_DEFAULT_MS 30000

struct url {
	char host[256], port[8], path[2048];
};

struct http {
	struct stream s;   /* the body */
	int fd;
	int wait_ms;
	long long deadline; /* now_ms() (CLOCK_MONOTONIC); 0: none */
	uint64_t left;     /* body bytes not yet read */
	uint64_t got;      /* body bytes read */
	size_t at, have;   /* body bytes that came with the header: buf[at..have) */
	char buf[HEADER_MAX];
};

static const char *errno_str(void)
{
	return errno == ETIMEDOUT ? "timed out" : strerror(errno);
}

static int url_parse(const char *s, struct url *u, struct err *e)
{
	const char *h, *end, *colon;
	size_t hl;

	if (strncmp(s, "http://", 7) != 0)
		return fail(e, 1, "only http:// URLs");
	h = s + 7;
	end = h + strcspn(h, "/");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return fail(e, 1, "unbalanced [ in the host");
		colon = rb[1] == ':' ? rb + 1 : NULL;
		hl = (size_t)(rb - h - 1);
		h++;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon ? colon : end) - h);
	}
	if (hl == 0 || hl >= sizeof u->host)
		return fail(e, 1, "no host or a host name too long");
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	snprintf(u->port, sizeof u->port, "80");
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (pl == 0 || pl >= sizeof u->port || strspn(colon + 1, "0123456789") < pl)
			return fail(e, 1, "bad port");
		memcpy(u->port, colon + 1, pl);
		u->port[pl] = '\0';
	}
	if (snprintf(u->path, sizeof u->path, "%s", *end ? end : "/") >= (int)sizeof u->path)
		return fail(e, 1, "path too long");
	/* the path goes into the request line: no spaces, no control characters */
	for (const char *p = u->path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return fail(e, 1, "the path has a space or a control character (encode it)");
	return 0;
}

/* until fd is ready for ev, within one wait and before the deadline; 0, or
 * -1 with errno (ETIMEDOUT) */
static int ready(struct http *h, short ev)
{
	struct pollfd p = { .fd = h->fd, .events = ev };
	int ms = h->wait_ms, rc;

	if (h->deadline) {
		long long left = h->deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (left < ms)
			ms = (int)left;
	}
	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

static int dial(struct http *h, const struct url *u, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *a;
	int rc, saved = 0;

	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0)
		return fail(e, EXIT_SYSTEM, "%s: %s", u->host, gai_strerror(rc));
	for (a = res; a; a = a->ai_next) {
		int soerr = 0;
		socklen_t len = sizeof soerr;

		h->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (h->fd < 0) {
			saved = errno;
			continue;
		}
		if (connect(h->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && ready(h, POLLOUT) == 0 &&
		    getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
			break;
		saved = soerr ? soerr : errno;
		close(h->fd);
		h->fd = -1;
	}
	freeaddrinfo(res);
	if (h->fd >= 0)
		return 0;
	return fail(e, EXIT_SYSTEM, "connect to %s port %s: %s", u->host, u->port, strerror(saved));
}

/* append to the request; -1 when it does not fit */
static int put(char *req, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int put(char *req, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(req + *n, REQUEST_MAX - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= REQUEST_MAX - *n)
		return -1;
	*n += (size_t)k;
	return 0;
}

static int request_send(struct http *h, const struct http_request *rq, const struct url *u, struct err *e)
{
	const char *method = rq->method ? rq->method : "GET";
	int v6 = strchr(u->host, ':') != NULL, port80 = strcmp(u->port, "80") == 0;
	char req[REQUEST_MAX];
	size_t n = 0;
	int bad;

	bad = put(req, &n, "%s %s HTTP/1.0\r\nHost: %s%s%s%s%s\r\nUser-Agent: %s\r\n", method, u->path,
		  v6 ? "[" : "", u->host, v6 ? "]" : "", port80 ? "" : ":", port80 ? "" : u->port,
		  rq->agent ? rq->agent : "berth");
	for (size_t i = 0; !bad && i < HTTP_HEADERS_MAX && rq->headers[i]; i++) {
		if (strpbrk(rq->headers[i], "\r\n"))
			return fail(e, 1, "a request header with a line break");
		bad = put(req, &n, "%s\r\n", rq->headers[i]);
	}
	if (!bad && strcmp(method, "PUT") == 0)
		bad = put(req, &n, "Content-Length: 0\r\n");
	if (bad || put(req, &n, "\r\n") != 0)
		return fail(e, 1, "send the request: too long");
	for (size_t off = 0; off < n;) {
		/* write(2) would raise SIGPIPE on a connection the server closed */
		ssize_t k = send(h->fd, req + off, n - off, MSG_NOSIGNAL);
		if (k < 0 && (errno == EINTR || (errno == EAGAIN && ready(h, POLLOUT) == 0)))
			continue;
		if (k < 0)
			return fail(e, EXIT_SYSTEM, "send the request: %s", errno_str());
		off += (size_t)k;
	}
	return 0;
}

/* some bytes: the count, 0 when the server closed, -1 with errno */
static ssize_t receive(struct http *h, void *buf, size_t n)
{
	for (;;) {
		ssize_t k = recv(h->fd, buf, n, 0);
		if (k >= 0 || (errno != EINTR && errno != EAGAIN))
			return k;
		if (errno == EAGAIN && ready(h, POLLIN) != 0)
			return -1;
	}
}

/* the response header into h->buf, NUL-terminated where the body starts;
 * what came of the body with it stays in the buffer */
static int header_read(struct http *h, struct err *e)
{
	char *end = NULL;
	size_t from;

	while (!end) {
		ssize_t k;

		if (h->have == sizeof h->buf - 1)
			return fail(e, 1, "response header larger than %d bytes", HEADER_MAX);
		k = receive(h, h->buf + h->have, sizeof h->buf - 1 - h->have);
		if (k <= 0)
			return fail(e, EXIT_SYSTEM, "reading the response header: %s",
				    k == 0 ? "the connection closed" : errno_str());
		from = h->have > 3 ? h->have - 3 : 0;
		h->have += (size_t)k;
		end = memmem(h->buf + from, h->have - from, "\r\n\r\n", 4);
	}
	end[2] = '\0';
	h->at = (size_t)(end + 4 - h->buf);
	return 0;
}

/* a header's value (case-insensitive name); NULL if absent */
static const char *header_get(const char *hdr, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);

	for (const char *l = strstr(hdr, "\r\n"); l; l = strstr(l, "\r\n")) {
		const char *v, *end;

		l += 2;
		if (strncasecmp(l, name, nl) != 0 || l[nl] != ':')
			continue;
		v = l + nl + 1;
		v += strspn(v, " \t");
		end = strstr(v, "\r\n");
		if (!end || (size_t)(end - v) >= size)
			return NULL;
		nl = (size_t)(end - v);
		memcpy(out, v, nl);
		while (nl > 0 && (out[nl - 1] == ' ' || out[nl - 1] == '\t'))
			nl--;
		out[nl] = '\0';
		return out;
	}
	return NULL;
}

static int response_check(const char *hdr, const struct http_request *rq, struct http_response *rs,
			  struct err *e)
{
	char val[64], *end;
	int n;

	if (sscanf(hdr, "HTTP/1.%*1[01] %3d", &rs->status) != 1) {
		rs->status = 0;
		return fail(e, 1, "not an HTTP/1 response");
	}
	/* the server's words, shortened and made printable */
	n = (int)strcspn(hdr + 9, "\r\n");
	snprintf(rs->line, sizeof rs->line, "%.*s", n < 80 ? n : 80, hdr + 9);
	for (char *p = rs->line; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			*p = '?';
	if (rs->status != 200)
		return fail(e, 1, "HTTP %s", rs->line);
	if (header_get(hdr, "Transfer-Encoding", val, sizeof val) && strcasecmp(val, "identity") != 0)
		return fail(e, 1, "Transfer-Encoding %s: only a body with a Content-Length is read", val);
	if (!header_get(hdr, "Content-Length", val, sizeof val))
		return fail(e, 1, "no Content-Length in the response");
	errno = 0;
	rs->length = strtoull(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-')
		return fail(e, 1, "Content-Length \"%s\": not a number", val);
	if (rq->max && rs->length > rq->max)
		return fail(e, 1, "a body of %llu bytes, more than %llu", (unsigned long long)rs->length,
			    (unsigned long long)rq->max);
	return 0;
}

static ssize_t body_read(struct stream *s, void *buf, size_t n)
{
	struct http *h = (struct http *)s;
	ssize_t k;

	if (n > h->left)
		n = (size_t)h->left;
	if (n == 0)
		return 0;
	if (h->at < h->have) {
		k = (ssize_t)(n < h->have - h->at ? n : h->have - h->at);
		memcpy(buf, h->buf + h->at, (size_t)k);
		h->at += (size_t)k;
	} else {
		k = receive(h, buf, n);
		if (k < 0)
			return fail(s->err, EXIT_SYSTEM, "read at byte %llu: %s", (unsigned long long)h->got,
				    errno_str());
		if (k == 0) {
			h->left = 0;
			return 0;
		}
	}
	h->left -= (uint64_t)k;
	h->got += (uint64_t)k;
	return k;
}

struct http *http_open(const struct http_request *rq, struct http_response *rs, struct err *e)
{
	struct http *h;
	struct url u;

	memset(rs, 0, sizeof *rs);
	if (url_parse(rq->url, &u, e) != 0)
		return NULL;
	h = calloc(1, sizeof *h);
	if (!h) {
		fail_errno(e, "%s", rq->url);
		return NULL;
	}
	h->s.read = body_read;
	h->s.err = e;
	h->wait_ms = rq->wait_ms > 0 ? rq->wait_ms : WAIT_DEFAULT_MS;
	h->deadline = rq->total_ms > 0 ? now_ms() + rq->total_ms : 0;
	h->fd = -1;
	if (dial(h, &u, e) != 0 || request_send(h, rq, &u, e) != 0 || header_read(h, e) != 0 ||
	    response_check(h->buf, rq, rs, e) != 0) {
		http_close(h);
		return NULL;
	}
	h->left = rs->length;
	return h;
}

struct stream *http_body(struct http *h)
{
	return &h->s;
}

void http_close(struct http *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}

int http_fetch(const struct http_request *rq, struct http_response *rs, char **body, size_t *len,
	       struct err *e)
{
	struct http *h = http_open(rq, rs, e);
	size_t n = 0;
	char *buf;

	*body = NULL;
	*len = 0;
	if (!h)
		return -1;
	buf = rs->length < SIZE_MAX ? malloc((size_t)rs->length + 1) : NULL;
	if (!buf) {
		http_close(h);
		return fail(e, EXIT_SYSTEM, "a body of %llu bytes: out of memory", (unsigned long long)rs->length);
	}
	for (;;) {
		ssize_t k = body_read(&h->s, buf + n, (size_t)rs->length - n);
		if (k <= 0) {
			if (k == 0 && n < rs->length)
				fail(e, 1, "body ended after %zu of %llu bytes (Content-Length): truncated, refused", n,
				     (unsigned long long)rs->length);
			break;
		}
		n += (size_t)k;
	}
	http_close(h);
	/* a dropped connection must not pass for the whole body: a truncated
	 * #! script would run */
	if (n < rs->length) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return 0;
}
