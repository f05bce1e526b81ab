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
		char (*dirs)[DIGEST_LEN + 1] = store_layer_names(st, ref);
		if (!dirs)
			return fail_errno(e, "gc");
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

/* store_usage: each blob and layer directory once, with its size, how
 * many images use it and whether a container keeps it */
struct item {
	char hex[HEX_LEN + 1];
	int layer;      /* a directory under layers/ (with its layerdb/ file), else a blob */
	size_t nimages; /* how many images use it */
	size_t last;    /* the last image counted, + 1 */
	int kept;       /* a container uses it */
	uint64_t size;
};
struct items {
	size_t n, cap;
	struct item *v;
	struct store *st;
};

static uint64_t item_size(struct store *st, const char *hex, int layer)
{
	char p[HEX_LEN + 32];

	if (!layer) {
		snprintf(p, sizeof p, "blobs/sha256/%s", hex);
		return du_at(st->fd, p);
	}
	snprintf(p, sizeof p, "layers/%s", hex);
	uint64_t n = du_at(st->fd, p);
	snprintf(p, sizeof p, "layerdb/%s", hex);
	return n + du_at(st->fd, p);
}

static struct item *item_get(struct items *t, const char *digest, int layer)
{
	const char *hex = digest_hex(digest);
	struct item *it;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].layer == layer && strcmp(t->v[i].hex, hex) == 0)
			return &t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct item *nv = realloc(t->v, cap * sizeof *nv);
		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = cap;
	}
	it = &t->v[t->n++];
	memset(it, 0, sizeof *it);
	memcpy(it->hex, hex, HEX_LEN + 1);
	it->layer = layer;
	it->size = item_size(t->st, hex, layer);
	return it;
}

/* what a pass over an image's items does with each */
enum pass { P_COUNT, P_KEEP, P_SHARED };

static int item_pass(struct items *t, const char *digest, int layer, enum pass how, size_t img,
		     struct image_usage *iu)
{
	struct item *it = item_get(t, digest, layer);

	if (!it)
		return -1;
	if (how == P_KEEP)
		it->kept = 1;
	else if (how == P_SHARED && it->nimages > 1 && it->last != img)
		iu->shared += it->size;
	else if (how == P_COUNT && it->last != img) {
		it->nimages++;
		iu->size += it->size;
	}
	it->last = img;
	return 0;
}

static int items_pass(struct items *t, char (*v)[DIGEST_LEN + 1], size_t n, int layer, enum pass how, size_t img,
		      struct image_usage *iu)
{
	for (size_t i = 0; i < n; i++)
		if (item_pass(t, v[i], layer, how, img, iu) < 0)
			return -1;
	return 0;
}

/* the items of an image: an entry of images.json (its layer directories
 * by store_layer_names), or a container's record of one it is bound to */
static int image_pass(struct items *t, const struct image_ref *ref, const struct image_user *c, enum pass how,
		      size_t img, struct image_usage *iu)
{
	char (*dirs)[DIGEST_LEN + 1];
	int rc = 0;

	if (c)
		return item_pass(t, c->config, 0, how, img, iu) < 0 ||
				       (c->manifest[0] && item_pass(t, c->manifest, 0, how, img, iu) < 0) ||
				       items_pass(t, c->blobs, c->nblobs, 0, how, img, iu) < 0 ||
				       items_pass(t, c->layers, c->nlayers, 1, how, img, iu) < 0
			       ? -1
			       : 0;
	if (!(dirs = store_layer_names(t->st, ref)))
		return -1;
	if (item_pass(t, ref->manifest, 0, how, img, iu) < 0 || item_pass(t, ref->config, 0, how, img, iu) < 0 ||
	    items_pass(t, ref->blobs, ref->nblobs, 0, how, img, iu) < 0 ||
	    items_pass(t, dirs, ref->nlayers, 1, how, img, iu) < 0)
		rc = -1;
	free(dirs);
	return rc;
}

static size_t usage_find(const struct store_usage *out, const char *config)
{
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i].config, config) == 0)
			return i;
	return (size_t)-1;
}

uint64_t store_disk(struct store *st)
{
	static const char *const top[] = { "blobs", "layers", "layerdb", "tmp", "downloads" };
	uint64_t n = 0;

	for (size_t k = 0; k < sizeof top / sizeof top[0]; k++)
		n += du_at(st->fd, top[k]);
	return n;
}

int store_usage(struct store *st, const struct image_refs *r, const struct image_users *u, struct store_usage *out,
		struct err *e)
{
	struct items t = { .st = st };
	size_t nu = u ? u->n : 0;
	/* each image's source: an entry of images.json or a container's record */
	const struct image_ref **refs = calloc(r->n + nu + 1, sizeof *refs);
	const struct image_user **recs = calloc(r->n + nu + 1, sizeof *recs);
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->v = calloc(r->n + nu + 1, sizeof *out->v);
	if (!refs || !recs || !out->v) {
		fail_errno(e, "usage");
		goto done;
	}
	for (size_t i = 0; i < r->n + nu; i++) {
		const struct image_ref *ref = i < r->n ? &r->v[i] : NULL;
		const struct image_user *c = ref ? NULL : &u->v[i - r->n];
		struct image_usage *iu;
		/* another name of an image counted already; a definition not bound yet */
		if (usage_find(out, ref ? ref->config : c->config) != (size_t)-1 || (c && !c->nlayers))
			continue;
		iu = &out->v[out->n];
		strcpy(iu->config, ref ? ref->config : c->config);
		snprintf(iu->name, sizeof iu->name, "%s", ref ? ref->name : "<none>");
		snprintf(iu->tag, sizeof iu->tag, "%s", ref ? ref->tag : "<none>");
		snprintf(iu->created, sizeof iu->created, "%s", ref ? ref->created : "");
		refs[out->n] = ref;
		recs[out->n] = c;
		out->n++;
		if (image_pass(&t, ref, c, P_COUNT, out->n, iu) < 0) {
			fail_errno(e, "usage");
			goto done;
		}
	}
	/* what the containers keep: the image each is bound to, or names */
	for (size_t i = 0; i < nu; i++) {
		const struct image_user *c = &u->v[i];
		size_t k = usage_find(out, c->config);
		if (k != (size_t)-1)
			out->v[k].containers++;
		if ((c->nlayers ? image_pass(&t, NULL, c, P_KEEP, 0, NULL)
				: k != (size_t)-1 ? image_pass(&t, refs[k], recs[k], P_KEEP, 0, NULL) : 0) < 0) {
			fail_errno(e, "usage");
			goto done;
		}
	}
	for (size_t i = 0; i < t.n; i++)
		t.v[i].last = 0;
	for (size_t k = 0; k < out->n; k++) {
		out->nactive += out->v[k].containers > 0;
		if (image_pass(&t, refs[k], recs[k], P_SHARED, k + 1, &out->v[k]) < 0) {
			fail_errno(e, "usage");
			goto done;
		}
	}
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].kept)
			out->active += t.v[i].size;
	out->total = store_disk(st);
	rc = 0;
done:
	free(t.v);
	free(refs);
	free(recs);
	return rc;
}
