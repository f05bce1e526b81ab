/* Garbage collection: a blob or layer stays while an entry of images.json
 * or a container names it. Runs under the store's exclusive lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"

/* the names gc keeps in one directory of the store, as hex digests */
struct keep {
	size_t n, cap;
	char (*v)[HEX_LEN + 1];
};

static int keep_add(struct keep *k, const char *digest)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 256;
		char (*nv)[HEX_LEN + 1] = realloc(k->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		k->v = nv;
		k->cap = cap;
	}
	memcpy(k->v[k->n++], digest_hex(digest), HEX_LEN + 1);
	return 0;
}

static int keep_has(const struct keep *k, const char *hex)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i], hex) == 0)
			return 1;
	return 0;
}

static int keep_list(struct keep *k, char (*v)[DIGEST_LEN + 1], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep_add(k, v[i]) < 0)
			return -1;
	return 0;
}

/* what images.json and the containers name: blobs, and layer dirs (each
 * image's ChainIDs, or an old store's DiffID dirs where those are missing) */
static int keep_fill(struct store *st, const struct image_refs *r, const struct image_users *u,
		     struct keep *blobs, struct keep *layers, struct err *e)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct image_ref *ref = &r->v[i];
		char (*dirs)[DIGEST_LEN + 1] = calloc(ref->nlayers + 1, sizeof *dirs);
		if (!dirs)
			return fail_errno(e, "gc");
		chain_ids(ref->layers, ref->nlayers, dirs);
		for (size_t j = 0; j < ref->nlayers; j++)
			if (!store_has_layer(st, dirs[j]))
				strcpy(dirs[j], ref->layers[j]);
		if (keep_add(blobs, ref->manifest) < 0 || keep_add(blobs, ref->config) < 0 ||
		    keep_list(blobs, ref->blobs, ref->nblobs) < 0 || keep_list(layers, dirs, ref->nlayers) < 0) {
			free(dirs);
			return fail_errno(e, "gc");
		}
		free(dirs);
	}
	for (size_t i = 0; u && i < u->n; i++) {
		const struct image_user *c = &u->v[i];
		if (keep_add(blobs, c->config) < 0 || (c->manifest[0] && keep_add(blobs, c->manifest) < 0) ||
		    keep_list(blobs, c->blobs, c->nblobs) < 0 || keep_list(layers, c->layers, c->nlayers) < 0)
			return fail_errno(e, "gc");
	}
	return 0;
}

/* remove every entry of dir that keep does not name (all of it if NULL) */
static int sweep(struct store *st, const char *dir, const struct keep *keep, const char *label, int verbose,
		 struct err *e)
{
	struct dirent *d;
	DIR *dp;
	int fd = openat(st->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : fail_errno(e, "%s/%s", st->root, dir);
	if (!(dp = fdopendir(fd))) {
		close(fd);
		return fail_errno(e, "%s/%s", st->root, dir);
	}
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		if (keep && keep_has(keep, d->d_name))
			continue;
		if (rm_tree_at(fd, d->d_name) < 0) {
			fail_errno(e, "%s/%s/%s", st->root, dir, d->d_name);
			break;
		}
		if (verbose && label)
			printf("Deleted: %s%s\n", label, d->d_name);
	}
	closedir(dp);
	store_sync_dir(st, dir);
	return e->msg[0] ? -1 : 0;
}

int store_gc(struct store *st, const struct image_refs *r, const struct image_users *u, int verbose,
	     struct err *e)
{
	struct keep blobs = { 0 }, layers = { 0 };
	int rc = -1;

	if (keep_fill(st, r, u, &blobs, &layers, e) == 0 && sweep(st, "blobs/sha256", &blobs, NULL, 0, e) == 0 &&
	    sweep(st, "layers", &layers, "layer sha256:", verbose, e) == 0 &&
	    sweep(st, "layerdb", &layers, NULL, 0, e) == 0 && sweep(st, "tmp", NULL, NULL, 0, e) == 0)
		rc = 0;
	free(blobs.v);
	free(layers.v);
	return rc;
}
