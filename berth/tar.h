/* A streaming tar reader for untrusted archives: ustar, pax extended headers
 * (path, linkpath, size, uid, gid, mtime, SCHILY.xattr.*) and GNU long names
 * ('L', 'K'), every field and header size capped. */
#ifndef BERTH_TAR_H
#define BERTH_TAR_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "image.h"

#define TAR_PATH_MAX 4096
#define TAR_PAX_MAX (1u << 20)      /* one pax or GNU long-name header */
#define TAR_XATTRS_MAX 64
#define TAR_XATTR_VALUE_MAX 65536

enum tar_type { TAR_FILE, TAR_HARDLINK, TAR_SYMLINK, TAR_CHAR, TAR_BLOCK, TAR_DIR, TAR_FIFO };

struct tar_xattr {
	char *name;
	char *value;
	size_t len;
};

struct tar_entry {
	char *path;
	char *link;           /* hard or symbolic link target, else "" */
	enum tar_type type;
	mode_t mode;          /* permission bits with setuid, setgid, sticky */
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	uint64_t size;        /* of the data that follows (regular files) */
	unsigned devmajor, devminor;
	size_t nxattrs;
	struct tar_xattr xattrs[TAR_XATTRS_MAX];
	uint64_t offset;      /* of its first header in the tar stream */
};

struct tar {
	struct stream *in;
	struct err *err;
	int strict_end;       /* an archive without its end marker is truncated */
	uint64_t pos;         /* bytes consumed from in */
	uint64_t left;        /* data bytes of the current entry not yet read */
	uint64_t pad;         /* padding after them */
	struct tar_entry e;
};

void tar_init(struct tar *t, struct stream *in, int strict_end, struct err *e);
/* the next entry in t->e: 1, 0 at the end of the archive, -1 on error */
int tar_next(struct tar *t);
/* read the current entry's data: count, 0 at its end, -1 on error */
ssize_t tar_read(struct tar *t, void *buf, size_t n);
void tar_free(struct tar *t);

#endif
