/* Byte streams: read exactly n bytes, and a byte range of a file. */
#include <errno.h>
#include <unistd.h>

#include "err.h"
#include "stream.h"

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
