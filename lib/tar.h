/* A streaming tar reader for untrusted archives: ustar, pax extended headers
 * (path, linkpath, size, uid, gid, mtime, SCHILY.xattr.*), GNU long names
 * ('L', 'K') and GNU tar's pax sparse files (versions 0.0, 0.1 and 1.0),
 * every field, header and sparse map capped. Old GNU sparse entries ('S')
 * are refused. */
#ifndef BERTH_TAR_H
#define BERTH_TAR_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "stream.h"

#define TAR_PATH_MAX 4096
#define TAR_PAX_MAX (1u << 20)      /* one pax or GNU long-name header */
#define TAR_XATTRS_MAX 64
#define TAR_XATTR_VALUE_MAX 65536
#define TAR_CHUNKS_MAX 65536        /* data regions of one sparse file */
#define TAR_SPARSE_MAP_MAX (3u << 20) /* 1.0's map text: 65536 pairs of 19-digit numbers fit */

enum tar_type { TAR_FILE, TAR_HARDLINK, TAR_SYMLINK, TAR_CHAR, TAR_BLOCK, TAR_DIR, TAR_FIFO };

struct tar_xattr {
	char *name;
	char *value;
	size_t len;
};

/* a region of a sparse file that holds data; the rest is holes */
struct tar_chunk {
	uint64_t off, len;
};

struct tar_entry {
	char *path;
	char *link;           /* hard or symbolic link target, else "" */
	enum tar_type type;
	mode_t mode;          /* permission bits with setuid, setgid, sticky */
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	uint64_t size;        /* of a regular file: its real size, holes included */
	int sparse;           /* a GNU sparse file: only chunks[] are stored */
	size_t nchunks;       /* in increasing order, apart, within size */
	struct tar_chunk *chunks;
	unsigned devmajor, devminor;
	size_t nxattrs;
	struct tar_xattr xattrs[TAR_XATTRS_MAX];
	uint64_t offset;      /* of its first header in the tar stream */
	char typeflag;        /* of that header: 'x', 'g', 'L' or 'K' if such came first */
};

struct tar {
	struct stream *in;
	struct err *err;
	int strict_end;       /* an archive without its end marker is truncated */
	uint64_t pos;         /* bytes consumed from in */
	uint64_t left;        /* stored data bytes of the current entry not yet read */
	uint64_t pad;         /* padding after them */
	uint64_t at;          /* read position in a sparse file, holes included */
	size_t chunk;         /* the first chunk not yet read past */
	struct tar_entry e;
};

void tar_init(struct tar *t, struct stream *in, int strict_end, struct err *e);
/* the next entry in t->e: 1, 0 at the end of the archive, -1 on error */
int tar_next(struct tar *t);
/* read the current entry's data: count, 0 at its end, -1 on error; a hole
 * of a sparse file reads as zeros */
ssize_t tar_read(struct tar *t, void *buf, size_t n);
/* pass over what is left of the current entry and its padding: 0 or -1 */
int tar_skip(struct tar *t);
/* the length of the hole at the read position of a sparse file, now passed
 * over (the caller seeks past it); 0 when data or the end comes next */
uint64_t tar_hole(struct tar *t);
void tar_free(struct tar *t);

#endif
