/* Byte streams and the error line every image command reports. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"

static int vfail(struct err *e, int code, int errnum, const char *fmt, va_list ap)
{
	size_t n;

	/* the first error is the one that explains; later ones are fallout */
	if (e->msg[0])
		return -1;
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	n = strlen(e->msg);
	if (errnum)
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
	return -1;
}

int fail(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(e, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_errno(struct err *e, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail(e, EXIT_SYSTEM, errnum, fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

void err_prefix(struct err *e, const char *prefix)
{
	size_t plen = strlen(prefix), mlen = strlen(e->msg);

	if (strncmp(e->msg, prefix, plen) == 0 || plen + 2 >= sizeof e->msg)
		return;
	if (mlen > sizeof e->msg - plen - 3)
		mlen = sizeof e->msg - plen - 3;
	memmove(e->msg + plen + 2, e->msg, mlen);
	memcpy(e->msg, prefix, plen);
	memcpy(e->msg + plen, ": ", 2);
	e->msg[plen + 2 + mlen] = '\0';
}

int stream_full(struct stream *s, void *buf, size_t n, const char *what)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = s->read(s, (char *)buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (got == 0)
				return 0;
			return fail(s->err, 1, "%s: ends after %zu of %zu bytes: truncated", what, got, n);
		}
		got += (size_t)r;
	}
	return 1;
}

static ssize_t range_read(struct stream *s, void *buf, size_t n)
{
	struct range_stream *r = (struct range_stream *)s;
	ssize_t k;

	if (r->pos >= r->end)
		return 0;
	if (n > r->end - r->pos)
		n = (size_t)(r->end - r->pos);
	do
		k = pread(r->fd, buf, n, (off_t)r->pos);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return fail_errno(s->err, "read");
	r->pos += (uint64_t)k;
	return k;
}

void range_stream_init(struct range_stream *r, int fd, uint64_t off, uint64_t size, struct err *e)
{
	r->s.read = range_read;
	r->s.err = e;
	r->fd = fd;
	r->pos = off;
	r->end = off + size;
}
