/* What the container side (berth/ctr) takes from the store, all of it
 * through here: the store held under its lock with images.json read; one
 * lookup that resolves what a definition calls an image to that image's
 * config, manifest, layer blobs and layer directories; the config's bytes
 * once every layer directory is there; and collecting what neither an
 * image nor a container uses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "image.h"

/* a user freed is an empty one, as is the list */
void image_user_free(struct image_user *u)
{
	free(u->blobs);
	free(u->layers);
	memset(u, 0, sizeof *u);
}

void image_users_free(struct image_users *u)
{
	while (u->n)
		image_user_free(&u->v[--u->n]);
	free(u->v);
	u->v = NULL;
}

int image_store_open(struct image_store *s, int exclusive, struct err *e)
{
	s->refs.n = 0;
	s->refs.v = NULL;
	return store_open(&s->st, exclusive, e) < 0 || refs_read(&s->st, &s->refs, e) < 0 ? -1 : 0;
}

void image_store_close(struct image_store *s)
{
	refs_free(&s->refs);
	store_close(&s->st);
}

int image_named(const struct image_store *s, const char *config)
{
	for (size_t i = 0; i < s->refs.n; i++)
		if (strcmp(s->refs.v[i].config, config) == 0)
			return 1;
	return 0;
}

int image_user_of(struct store *st, const struct image_ref *ref, int with_layers, struct image_user *u,
		  struct err *e)
{
	memset(u, 0, sizeof *u);
	strcpy(u->config, ref->config);
	strcpy(u->manifest, ref->manifest);
	if (!with_layers)
		return 0;
	u->nblobs = ref->nblobs;
	u->nlayers = ref->nlayers;
	if (!(u->blobs = calloc(ref->nblobs + 1, sizeof *u->blobs))) {
		image_user_free(u);
		return fail_errno(e, "layers");
	}
	memcpy(u->blobs, ref->blobs, ref->nblobs * sizeof *u->blobs);
	if (store_layer_dirs(st, ref, &u->layers, e) < 0) {
		image_user_free(u);
		return -1;
	}
	return 0;
}

int image_lookup(struct image_store *s, const char *arg, int with_layers, struct image_user *u, struct err *e)
{
	size_t idx;
	int how = image_resolve(&s->refs, arg, &idx, e);

	memset(u, 0, sizeof *u);
	if (how <= 0)
		return how;
	return image_user_of(&s->st, &s->refs.v[idx], with_layers, u, e) < 0 ? -1 : how;
}

char *image_config_load(struct image_store *s, const struct image_user *u, const char *what, size_t max,
			size_t *len, struct err *e)
{
	char *buf;
	int fd;

	for (size_t i = 0; i < u->nlayers; i++)
		if (!store_has_layer(&s->st, u->layers[i]))
			return fail(e, EXIT_SYSTEM, "image %s: layer %s is not in %s/layers", what, u->layers[i],
				    s->st.root),
			       NULL;
	fd = store_blob_open(&s->st, u->config, e);
	if (fd < 0) {
		char why[sizeof e->msg];
		memcpy(why, e->msg, sizeof why);
		return fail(e, e->code ? e->code : EXIT_SYSTEM, "image %s: config: %.*s", what, 400, why), NULL;
	}
	buf = fd_read_alloc(fd, max, len);
	if (!buf)
		fail(e, EXIT_SYSTEM, "image %s: read its config: %s", what, strerror(errno));
	close(fd);
	return buf;
}

int image_collect(struct image_store *s, const struct image_users *u, struct err *e)
{
	return store_gc(&s->st, &s->refs, u, 0, e);
}
