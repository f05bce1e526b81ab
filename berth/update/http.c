/* A small HTTP/1.1 GET for update bundles: plain http (the bundle carries
 * its own signature), Connection: close, 200 with a Content-Length only.
 * The socket is handed back positioned at the body, so the bundle streams
 * through the same reader as a file. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "berth.h"
#include "host.h"

#define HEADER_MAX (16 * 1024)

struct url {
	char host[256], port[8], path[2048];
};

static int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	const char *h, *end, *colon;
	size_t hl;

	if (strncmp(s, "http://", 7) != 0) {
		snprintf(err, errlen, "only http:// URLs (the bundle is signed; TLS adds nothing to trust)");
		return -1;
	}
	h = s + 7;
	end = h + strcspn(h, "/");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb) {
			snprintf(err, errlen, "unbalanced [ in the host");
			return -1;
		}
		colon = rb[1] == ':' ? rb + 1 : NULL;
		hl = (size_t)(rb - h - 1);
		h++;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		hl = (size_t)((colon ? colon : end) - h);
	}
	if (hl == 0 || hl >= sizeof u->host) {
		snprintf(err, errlen, "no host or a host name too long");
		return -1;
	}
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	snprintf(u->port, sizeof u->port, "80");
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (pl == 0 || pl >= sizeof u->port || strspn(colon + 1, "0123456789") < pl) {
			snprintf(err, errlen, "bad port");
			return -1;
		}
		memcpy(u->port, colon + 1, pl);
		u->port[pl] = '\0';
	}
	if (snprintf(u->path, sizeof u->path, "%s", *end ? end : "/") >= (int)sizeof u->path) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	/* the path goes into the request line: no spaces, no control characters */
	for (const char *p = u->path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "the path has a space or a control character (encode it)");
			return -1;
		}
	return 0;
}

static int dial(const struct url *u, int timeout_s, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *a;
	struct timeval tv = { .tv_sec = timeout_s };
	int fd = -1, rc, saved = 0;

	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(rc));
		return -1;
	}
	for (a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* SO_SNDTIMEO bounds connect(2) as well */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		saved = errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "connect to %s port %s: %s", u->host, u->port, strerror(saved));
	return fd;
}

/* write(2) would raise SIGPIPE on a connection the server closed */
static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* the response header, read a byte at a time so that not one byte of the
 * body is consumed here */
static int header_read(int fd, char *buf, size_t size, char *err, size_t errlen)
{
	size_t n = 0;

	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "reading the response header: %s",
				 r == 0 ? "the connection closed" :
				 errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
			return -1;
		}
		n++;
		if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0) {
			buf[n] = '\0';
			return 0;
		}
	}
	snprintf(err, errlen, "response header larger than %d bytes", HEADER_MAX);
	return -1;
}

/* a header's value (case-insensitive name); NULL if absent */
static const char *header_get(const char *h, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);

	for (const char *l = strstr(h, "\r\n"); l; l = strstr(l, "\r\n")) {
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

static int response_check(const char *h, uint64_t *length, char *err, size_t errlen)
{
	char val[64], *end;
	int code;

	if (sscanf(h, "HTTP/1.%*1[01] %3d", &code) != 1) {
		snprintf(err, errlen, "not an HTTP/1 response");
		return -1;
	}
	if (code != 200) {
		/* the server's words, shortened and made printable */
		int n = (int)(strstr(h, "\r\n") - h) - 9;
		snprintf(err, errlen, "HTTP %.*s", n < 80 ? n : 80, h + 9);
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
				*p = '?';
		return -1;
	}
	if (header_get(h, "Transfer-Encoding", val, sizeof val) && strcasecmp(val, "identity") != 0) {
		snprintf(err, errlen, "Transfer-Encoding %s: only a body with a Content-Length is read", val);
		return -1;
	}
	if (!header_get(h, "Content-Length", val, sizeof val)) {
		snprintf(err, errlen, "no Content-Length in the response");
		return -1;
	}
	errno = 0;
	*length = strtoull(val, &end, 10);
	if (errno || end == val || *end || val[0] == '-') {
		snprintf(err, errlen, "Content-Length \"%s\": not a number", val);
		return -1;
	}
	return 0;
}

int http_get(const char *url, int timeout_s, uint64_t *length, char *err, size_t errlen)
{
	char req[4096], *head;
	struct url u;
	int fd, n;

	if (url_parse(url, &u, err, errlen) != 0)
		return -1;
	fd = dial(&u, timeout_s, err, errlen);
	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof req,
		     "GET %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: berth-update\r\nAccept: */*\r\n"
		     "Connection: close\r\n\r\n",
		     u.path, strchr(u.host, ':') ? "[" : "", u.host, strchr(u.host, ':') ? "]" : "",
		     strcmp(u.port, "80") ? ":" : "", strcmp(u.port, "80") ? u.port : "");
	head = malloc(HEADER_MAX);
	if (!head) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof req || send_all(fd, req, (size_t)n) != 0) {
		snprintf(err, errlen, "send the request: %s", n < 0 || (size_t)n >= sizeof req ?
			 "too long" : errno == EAGAIN ? "timed out" : strerror(errno));
		goto fail;
	}
	if (header_read(fd, head, HEADER_MAX, err, errlen) != 0 ||
	    response_check(head, length, err, errlen) != 0)
		goto fail;
	free(head);
	return fd;
fail:
	free(head);
	close(fd);
	return -1;
}
