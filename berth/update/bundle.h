#ifndef BERTH_UPDATE_BUNDLE_H
#define BERTH_UPDATE_BUNDLE_H

#include <stdint.h>

#include "err.h"
#include "stream.h"
#include "tar.h"
#include "update.h"

struct http;

struct bundle_reader {
	struct stream in;     /* what tar reads: src, counted (first: in_read casts) */
	struct stream *src;   /* the file's range or the HTTP body */
	uint64_t consumed;    /* bytes read from src */
	int eof;              /* src ended: where tar failed, the bundle was cut */
	int fd;               /* a file's */
	struct range_stream file;
	struct http *http;    /* an http:// URL's */
	uint64_t length;      /* its Content-Length */
	struct tar tar;
	struct err io;        /* tar's word, before it becomes err */
	struct bundle_manifest m;
	char trusted[256];
	struct err err;
};

/* a consumer of payload bytes (e.g. the slot writer); non-zero stops, with
 * its reason in the reader's err */
typedef int (*bundle_sink)(void *arg, const void *buf, size_t len, uint64_t offset);

/* open a bundle file or http:// URL and verify it: signature, then
 * manifest; payloads untouched yet. -1 with r->err set */
int bundle_open(struct bundle_reader *r, const char *src, const struct minisign_key *key);
/* the same from an open file, read once from the front; r owns fd */
int bundle_open_fd(struct bundle_reader *r, int fd, const struct minisign_key *key);
/* stream the next payload, which must be part, hashing it */
int bundle_stream(struct bundle_reader *r, const struct bundle_part *part, bundle_sink sink, void *arg);
void bundle_close(struct bundle_reader *r);

#endif
