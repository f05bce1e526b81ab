#ifndef BERTH_UPDATE_BUNDLE_H
#define BERTH_UPDATE_BUNDLE_H

#include <stdarg.h>
#include <stdint.h>

#include "update.h"

struct bundle_reader {
	int fd;
	uint64_t offset;   /* where the parser is in the archive */
	uint64_t consumed; /* bytes read from fd */
	int eof;           /* the input ended early */
	struct bundle_manifest m;
	char trusted[256];
	char err[512];
};

/* a consumer of payload bytes (e.g. the slot writer); non-zero stops */
typedef int (*bundle_sink)(void *arg, const void *buf, size_t len, uint64_t offset);

/* open and verify: signature, then manifest; payloads untouched yet */
int bundle_open(struct bundle_reader *r, const char *path, const struct minisign_key *key);
/* the same from an open file or socket, read once from the front; r owns fd */
int bundle_open_fd(struct bundle_reader *r, int fd, const struct minisign_key *key);
/* stream the next payload, which must be part, hashing it */
int bundle_stream(struct bundle_reader *r, const struct bundle_part *part, bundle_sink sink, void *arg);
void bundle_close(struct bundle_reader *r);
int bundle_fail(struct bundle_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
