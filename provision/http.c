/* A minimal HTTP/1.0 client for metadata services: one request per
 * connection, the server closes, every wait bounded, the body capped. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "provision.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long deadline)
{
	struct pollfd pfd = {.fd = fd, .events = ev};
	long left = deadline - now_ms();
	int rc;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	do
		rc = poll(&pfd, 1, (int)left);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

static int connect_to(const char *host, const char *port, long deadline)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int err;
		socklen_t elen = sizeof err;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int http_do(const char *method, const char *url, const char *headers, int timeout_ms, size_t cap,
		   int *status, char **body, size_t *len, char why[HTTP_WHY_MAX])
{
	char host[256], port[8] = "80", req[2048], *buf = NULL, *hend, *cl;
	const char *h, *path;
	size_t hl, n = 0, size = cap + 8192;
	long deadline = now_ms() + timeout_ms;
	int fd, rq;

	*status = 0;
	why[0] = '\0';
	if (strncmp(url, "http://", 7)) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	h = url + 7;
	path = strchr(h, '/');
	if (!path)
		path = "/";
	hl = (size_t)(path - h);
	if (path[0] != '/')
		hl = strlen(h);
	if (hl == 0 || hl >= sizeof host) {
		errno = EINVAL;
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (strchr(host, ':') && host[0] != '[') {
		char *c = strrchr(host, ':');
		snprintf(port, sizeof port, "%s", c + 1);
		*c = '\0';
	}
	rq = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: berth-provision\r\n%s%s\r\n", method,
		      path, host, headers ? headers : "", strcmp(method, "PUT") ? "" : "Content-Length: 0\r\n");
	if (rq < 0 || (size_t)rq >= sizeof req) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = connect_to(host, port, deadline)) < 0)
		return -1;
	for (int off = 0; off < rq;) {
		ssize_t w = send(fd, req + off, (size_t)(rq - off), MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline) == 0)
			continue;
		if (w < 0)
			goto fail;
		off += (int)w;
	}
	if (!(buf = malloc(size + 1)))
		goto fail;
	for (;;) {
		ssize_t r = recv(fd, buf + n, size - n, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) != 0)
				goto fail;
			continue;
		}
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n >= size) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", status) != 1 || !(hend = strstr(buf, "\r\n\r\n"))) {
		free(buf);
		errno = EPROTO;
		return -1;
	}
	*hend = '\0';
	hend += 4;
	*len = n - (size_t)(hend - buf);
	if ((cl = strcasestr(buf, "\r\nContent-Length:"))) {
		char *end;
		unsigned long long want;
		cl += 17;
		cl += strspn(cl, " \t");
		want = strtoull(cl, &end, 10);
		if (end == cl || (*end && !strchr("\r\n \t", *end))) {
			snprintf(why, HTTP_WHY_MAX, "Content-Length is not a number");
			free(buf);
			errno = EPROTO;
			return -1;
		}
		/* a dropped connection must not pass for the whole body: a
		 * truncated #! script would run */
		if (want > *len) {
			snprintf(why, HTTP_WHY_MAX, "body ended after %zu of %llu bytes (Content-Length): truncated, refused",
				 *len, want);
			free(buf);
			errno = EPROTO;
			return -1;
		}
		*len = (size_t)want;
	}
	if (*len > cap) {
		free(buf);
		errno = EFBIG;
		return -1;
	}
	memmove(buf, hend, *len);
	buf[*len] = '\0';
	*body = buf;
	return 0;
fail:
	{
		int err = errno;
		close(fd);
		free(buf);
		errno = err;
	}
	return -1;
}

int http_request(const char *method, const char *url, const char *headers, int timeout_ms, size_t cap,
		 int *status, char **body, size_t *len, char why[HTTP_WHY_MAX])
{
	int rc = http_do(method, url, headers, timeout_ms, cap, status, body, len, why);

	if (rc != 0 && !why[0])
		snprintf(why, HTTP_WHY_MAX, "%s", strerror(errno));
	return rc;
}
