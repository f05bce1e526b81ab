/* Garbage collection: a blob or layer stays while an entry of images.json
 * names it. Runs under the store's exclusive lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"

static int used_blob(const struct image_refs *r, const char *hex)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct image_ref *ref = &r->v[i];
		if (strcmp(digest_hex(ref->manifest), hex) == 0 || strcmp(digest_hex(ref->config), hex) == 0)
			return 1;
		for (size_t j = 0; j < ref->nblobs; j++)
			if (strcmp(digest_hex(ref->blobs[j]), hex) == 0)
				return 1;
	}
	return 0;
}

static int used_layer(const struct image_refs *r, const char *hex)
{
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->v[i].nlayers; j++)
			if (strcmp(digest_hex(r->v[i].layers[j]), hex) == 0)
				return 1;
	return 0;
}

/* remove every entry of dir that used() does not claim */
static int sweep(struct store *st, const char *dir, int (*used)(const struct image_refs *, const char *),
		 const struct image_refs *r, const char *label, int verbose, struct err *e)
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
		if (used && used(r, d->d_name))
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

int store_gc(struct store *st, const struct image_refs *r, int verbose, struct err *e)
{
	if (sweep(st, "blobs/sha256", used_blob, r, NULL, 0, e) < 0 ||
	    sweep(st, "layers", used_layer, r, "layer sha256:", verbose, e) < 0 ||
	    sweep(st, "layerdb", used_layer, r, NULL, 0, e) < 0 ||
	    sweep(st, "tmp", NULL, r, NULL, 0, e) < 0)
		return -1;
	return 0;
}
