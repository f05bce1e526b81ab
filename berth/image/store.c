/* The store root (BERTH_ROOT, else /var/lib/berth):
 *   lock                 flock: writers exclusive, readers shared
 *   blobs/sha256/<hex>   manifests, configs and layer blobs, by digest
 *   layers/<hex>/        each layer unpacked once, by ChainID: overlayfs lower dirs
 *   layerdb/<hex>        the bytes of files in that layer (by ChainID), for `berth images`
 *   images.json          NAME:TAG -> manifest and config digests and the
 *                        DiffIDs, written last
 *   containers/NAME/image  the image a container is bound to (berth/ctr/image.c):
 *                        what it names stays until the container is removed
 *   tmp/                 a load in progress; emptied by the next writer
 *
 * Layers are keyed by ChainID, not DiffID, because a layer's directory
 * depends on the layers below it: a parent directory the layer's tar does
 * not list is made with the metadata the layers below give it (an entry
 * missing from a layer leaves the path unchanged). The bottom layer's
 * ChainID is its DiffID. A store from before this keyed every layer by
 * DiffID; such a directory above the bottom one is still used while its
 * ChainID directory is missing (store_layer_dirs), the next `berth load` of
 * the image unpacks it again under its ChainID, and gc then removes the old
 * one once no container is bound to it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"

int store_open(struct store *st, int exclusive, struct err *e)
{
	const char *root = env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT);
	static const char *const dirs[] = { "blobs", "blobs/sha256", "layers", "layerdb", "tmp" };

	st->fd = st->lock = -1;
	if (snprintf(st->root, sizeof st->root, "%s", root) >= (int)sizeof st->root)
		return fail(e, EXIT_USAGE, "BERTH_ROOT: longer than %zu bytes", sizeof st->root - 1);
	if (mkdir_p(st->root, 0700) < 0)
		return fail_errno(e, "%s", st->root);
	st->fd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->fd < 0)
		return fail_errno(e, "%s", st->root);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdirat(st->fd, dirs[i], 0700) < 0 && errno != EEXIST)
			return fail_errno(e, "%s/%s", st->root, dirs[i]);
	st->lock = openat(st->fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lock < 0)
		return fail_errno(e, "%s/lock", st->root);
	if (flock(st->lock, exclusive ? LOCK_EX : LOCK_SH) < 0)
		return fail_errno(e, "%s/lock", st->root);
	return 0;
}

void store_close(struct store *st)
{
	if (st->lock >= 0)
		close(st->lock);
	if (st->fd >= 0)
		close(st->fd);
	st->fd = st->lock = -1;
}

static int exists_at(int fd, const char *dir, const char *digest)
{
	char p[128];
	struct stat sb;

	snprintf(p, sizeof p, "%s/%s", dir, digest_hex(digest));
	return fstatat(fd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_has_blob(struct store *st, const char *digest) { return exists_at(st->fd, "blobs/sha256", digest); }
int store_has_layer(struct store *st, const char *chainid) { return exists_at(st->fd, "layers", chainid); }

char (*store_layer_names(struct store *st, const struct image_ref *ref))[DIGEST_LEN + 1]
{
	char (*v)[DIGEST_LEN + 1] = calloc(ref->nlayers + 1, sizeof *v);

	if (!v)
		return NULL;
	chain_ids(ref->layers, ref->nlayers, v);
	for (size_t i = 0; i < ref->nlayers; i++)
		if (!store_has_layer(st, v[i]))
			strcpy(v[i], ref->layers[i]);
	return v;
}

int store_layer_dirs(struct store *st, const struct image_ref *ref, char (**dirs)[DIGEST_LEN + 1], struct err *e)
{
	char (*v)[DIGEST_LEN + 1] = store_layer_names(st, ref);

	*dirs = NULL;
	if (!v)
		return fail_errno(e, "layers");
	for (size_t i = 0; i < ref->nlayers; i++)
		if (!store_has_layer(st, v[i])) {
			/* neither its ChainID nor (an old store's) DiffID */
			chain_ids(ref->layers, ref->nlayers, v);
			fail(e, EXIT_SYSTEM, "layer %s (ChainID %s): not in %s/layers", ref->layers[i], v[i], st->root);
			free(v);
			return -1;
		}
	*dirs = v;
	return 0;
}

int store_blob_open(struct store *st, const char *digest, struct err *e)
{
	char p[128];
	int fd;

	snprintf(p, sizeof p, "blobs/sha256/%s", digest_hex(digest));
	fd = openat(st->fd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(e, "%s/%s", st->root, p);
	return fd;
}

void store_sync_dir(struct store *st, const char *dir)
{
	int fd = openat(st->fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

uint64_t store_layer_size(struct store *st, const char *chainid)
{
	char p[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(p, sizeof p, "layerdb/%s", digest_hex(chainid));
	fd = openat(st->fd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}
