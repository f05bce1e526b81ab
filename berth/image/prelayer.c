/* A pull unpacks each layer while it downloads, before the layers below it
 * are there (they download beside it). What it leaves, in the pull's
 * directory DIR (downloads/layers/):
 *   <blob hex>/        the layer's files, its implied directories 0755
 *   <blob hex>.meta    "berth-prelayer 1 TOKEN DIFFID FILE_BYTES N\n", then
 *                      the N directories it implies, each ending in NUL
 * .meta is written only after the blob's digest held, and the directory is
 * renamed into place last. The load (the authority on layers: it has the
 * config's DiffIDs) then takes such a directory instead of unpacking the
 * blob again: it checks the DiffID, gives the implied directories what the
 * layers below show (layer_inherit) and moves it into the store. Anything
 * missing or odd and it unpacks the blob as before.
 * Nothing here is synced: the load's syncfs, before anything in the store
 * names the layer, makes it durable. So a load takes only what its own
 * pull unpacked: one a power cut interrupted may have lost file data that
 * its names kept. What a killed pull left goes when a pull ends with no
 * other running (prelayer_sweep), or with berth image prune. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"

#define META_MAX (16u << 20)

#define NAME_MAX_ (HEX_LEN + 1 + 32 + 16)

static void names(const char *blob, const char *token, char dir[NAME_MAX_], char incoming[NAME_MAX_],
		  char meta[NAME_MAX_])
{
	snprintf(dir, NAME_MAX_, "%s.%.32s", digest_hex(blob), token);
	snprintf(incoming, NAME_MAX_, "%s.%.32s.incoming", digest_hex(blob), token);
	snprintf(meta, NAME_MAX_, "%s.%.32s.meta", digest_hex(blob), token);
}

int prelayer_unpack(int dir, const char *blob, const char *token, struct stream *in, int comp, struct prelayer *pl,
		    struct err *e)
{
	char d[NAME_MAX_], inc[NAME_MAX_], meta[NAME_MAX_], what[128];
	struct layer_stats st = { 0 };
	struct decomp *dc;
	uint64_t len;
	int rc;

	memset(pl, 0, sizeof *pl);
	pl->dfd = -1;
	names(blob, token, d, inc, meta);
	snprintf(what, sizeof what, "layer %s", blob);
	/* this pull's own, from a try before: it holds the blob's lock */
	rm_tree_at(dir, inc);
	unlinkat(dir, meta, 0);
	rm_tree_at(dir, d);
	if (mkdirat(dir, inc, 0755) < 0 ||
	    (pl->dfd = openat(dir, inc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fchmod(pl->dfd, 0755) < 0) {
		fail_errno(e, "downloads/layers/%s", inc);
		prelayer_abort(dir, blob, token, pl);
		return -1;
	}
	if (!(dc = decomp_new(in, (enum compression)comp, e))) {
		err_prefix(e, what);
		prelayer_abort(dir, blob, token, pl);
		return -1;
	}
	rc = layer_unpack_alone(decomp_stream(dc), pl->dfd, what, &st, &pl->implied, e);
	decomp_digest(dc, pl->diffid, &len);
	decomp_free(dc);
	if (rc < 0) {
		prelayer_abort(dir, blob, token, pl);
		return -1;
	}
	pl->file_bytes = st.file_bytes;
	return 0;
}

void prelayer_abort(int dir, const char *blob, const char *token, struct prelayer *pl)
{
	char d[NAME_MAX_], inc[NAME_MAX_], meta[NAME_MAX_];

	names(blob, token, d, inc, meta);
	if (pl->dfd >= 0)
		close(pl->dfd);
	pl->dfd = -1;
	rm_tree_at(dir, inc);
	free(pl->implied.paths);
	pl->implied.paths = NULL;
}

int prelayer_commit(int dir, const char *blob, const char *token, struct prelayer *pl, struct err *e)
{
	char d[NAME_MAX_], inc[NAME_MAX_], meta[NAME_MAX_], tmp[128], head[256];
	int fd, n, rc = -1;

	names(blob, token, d, inc, meta);
	snprintf(tmp, sizeof tmp, "%s.tmp", meta);
	n = snprintf(head, sizeof head, "berth-prelayer 1 %.32s %s %" PRIu64 " %zu\n", token, pl->diffid,
		     pl->file_bytes, pl->implied.n);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, head, (size_t)n) < 0 ||
	    (pl->implied.len && write_all(fd, pl->implied.paths, pl->implied.len) < 0)) {
		fail_errno(e, "downloads/layers/%s", tmp);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (renameat(dir, tmp, dir, meta) < 0 || renameat(dir, inc, dir, d) < 0) {
		fail_errno(e, "downloads/layers/%s", d);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		unlinkat(dir, tmp, 0);
		unlinkat(dir, meta, 0);
	}
	prelayer_abort(dir, blob, token, pl);
	return rc;
}

void prelayer_sweep(int dir)
{
	DIR *dh;
	struct dirent *de;
	int fd = dup(dir);

	if (fd < 0 || !(dh = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rm_tree_at(dir, de->d_name);
	closedir(dh);
}

void prelayer_remove(int dir, const char *blob, const char *token)
{
	char d[NAME_MAX_], inc[NAME_MAX_], meta[NAME_MAX_];

	names(blob, token, d, inc, meta);
	unlinkat(dir, meta, 0);
	rm_tree_at(dir, d);
}

/* DIR/<hex>.meta, parsed; 0 if there is none usable or another pull's */
static int meta_read(int dir, const char *meta, const char *token, struct prelayer *pl)
{
	char tok[33];
	struct stat sb;
	char *buf = NULL, *nl;
	int fd = openat(dir, meta, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ok = 0;
	unsigned long long bytes;
	size_t n;

	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || (uint64_t)sb.st_size > META_MAX ||
	    !(buf = malloc((size_t)sb.st_size + 1)) || read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		goto out;
	buf[sb.st_size] = '\0';
	if (!(nl = memchr(buf, '\n', (size_t)sb.st_size)))
		goto out;
	*nl = '\0';
	if (sscanf(buf, "berth-prelayer 1 %32s %71s %llu %zu", tok, pl->diffid, &bytes, &n) != 4 ||
	    strcmp(tok, token) != 0 || !digest_valid(pl->diffid))
		goto out;
	pl->file_bytes = bytes;
	pl->implied.len = (size_t)(buf + sb.st_size - (nl + 1));
	pl->implied.n = 0;
	for (size_t off = 0; off < pl->implied.len; off += strlen(nl + 1 + off) + 1)
		pl->implied.n++;
	if (pl->implied.n != n || (pl->implied.len && nl[pl->implied.len] != '\0'))
		goto out;
	if (!(pl->implied.paths = malloc(pl->implied.len + 1)))
		goto out;
	memcpy(pl->implied.paths, nl + 1, pl->implied.len);
	ok = 1;
out:
	free(buf);
	close(fd);
	return ok;
}

int prelayer_take(int dir, const char *token, const char *blob, const char *diffid, const int *lowers, size_t nlowers, int to,
		  const char *to_name, uint64_t *file_bytes, struct err *e)
{
	char d[NAME_MAX_], inc[NAME_MAX_], meta[NAME_MAX_], what[128];
	struct prelayer pl = { .dfd = -1 };
	int fd, rc;

	if (dir < 0)
		return 0;
	names(blob, token, d, inc, meta);
	if (!meta_read(dir, meta, token, &pl))
		return 0;
	if (strcmp(pl.diffid, diffid) != 0) {
		free(pl.implied.paths);
		prelayer_remove(dir, blob, token);
		return fail(e, 1, "layer %s: DiffID expected %s (config rootfs.diff_ids), found %s (blobs/sha256/%s)", blob,
			    diffid, pl.diffid, digest_hex(blob));
	}
	fd = openat(dir, d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		free(pl.implied.paths);
		return 0;
	}
	snprintf(what, sizeof what, "layer %s", blob);
	rc = layer_inherit(fd, &pl.implied, lowers, nlowers, what, e);
	close(fd);
	free(pl.implied.paths);
	if (rc < 0)
		return -1;
	if (renameat(dir, d, to, to_name) < 0)
		return errno == ENOENT ? 0 : fail_errno(e, "downloads/layers/%s", d);
	unlinkat(dir, meta, 0);
	*file_bytes = pl.file_bytes;
	return 1;
}
