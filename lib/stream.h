/* stream.c: a byte stream (blob files, decompressors, tar members) and a
 * byte range of a file */
#ifndef BERTH_STREAM_H
#define BERTH_STREAM_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* read returns the count, 0 at the end, -1 with err filled. */
struct stream {
	ssize_t (*read)(struct stream *s, void *buf, size_t n);
	struct err *err;
};
/* read exactly n bytes: 1 done, 0 clean end before the first byte, -1 error
 * (a short read is an error naming what) */
int stream_full(struct stream *s, void *buf, size_t n, const char *what);

/* A byte range of a file, read with pread */
struct range_stream {
	struct stream s;
	int fd;
	uint64_t pos, end;
};
void range_stream_init(struct range_stream *r, int fd, uint64_t off, uint64_t size, struct err *e);

#endif
