/* $BERTH_ROOT/containers/NAME/image: the image a container is bound to, as
 * docker binds a container to an image ID. Written when `berth create` or
 * `run` defines the container (or, for a definition written by hand, at its
 * first start), under the store's lock, and removed with the container by
 * `berth rm`. While it exists the store keeps what it names even when no
 * tag does (`rmi -f`), and a tag that moves changes nothing under a
 * container whose writable layer sits on these layers. Key=value lines:
 *   ref=demo:t            the definition's image when it was bound
 *   config=sha256:...     the image ID
 *   manifest=sha256:...
 *   blobs=sha256:... ...  layer blobs
 *   layers=sha256:... ... directories under layers/, bottom first */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

#define RECORD_MAX (2 * LAYERS_MAX * (DIGEST_LEN + 1) + 4096)

/* "sha256:a sha256:b": at most LAYERS_MAX digests */
static int digests_parse(char *s, char (**out)[DIGEST_LEN + 1], size_t *n)
{
	char *save = NULL;

	*n = 0;
	*out = calloc(LAYERS_MAX + 1, sizeof **out);
	if (!*out)
		return -1;
	for (char *w = strtok_r(s, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (*n == LAYERS_MAX || !digest_valid(w))
			return -1;
		strcpy((*out)[(*n)++], w);
	}
	return 0;
}

int ctr_image_read(const struct ctr_paths *p, const char *name, struct image_user *ci)
{
	char path[CTR_PATH_MAX], *buf, *line, *save = NULL;
	int bad = 0, have_blobs = 0, have_layers = 0;
	ssize_t len;

	memset(ci, 0, sizeof *ci);
	snprintf(ci->container, sizeof ci->container, "%s", name);
	ctr_path(path, sizeof path, "%s/containers/%s/image", p->root, name);
	if (!(buf = malloc(RECORD_MAX)))
		return -1;
	len = file_read(path, buf, RECORD_MAX);
	if (len < 0) {
		int err = errno;
		free(buf);
		if (err == ENOENT || err == ENOTDIR)
			return 1;
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line && !bad; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "ref") == 0)
			snprintf(ci->image, sizeof ci->image, "%s", v);
		else if (strcmp(line, "config") == 0 && digest_valid(v))
			strcpy(ci->config, v);
		else if (strcmp(line, "manifest") == 0 && digest_valid(v))
			strcpy(ci->manifest, v);
		else if (strcmp(line, "blobs") == 0 && !have_blobs++)
			bad = digests_parse(v, &ci->blobs, &ci->nblobs) < 0;
		else if (strcmp(line, "layers") == 0 && !have_layers++)
			bad = digests_parse(v, &ci->layers, &ci->nlayers) < 0;
	}
	free(buf);
	if (bad || !ci->config[0] || !ci->nlayers || (size_t)len >= RECORD_MAX - 1) {
		image_user_free(ci);
		return -1;
	}
	return 0;
}

static size_t digests_put(char *buf, size_t o, size_t size, const char *key, char (*v)[DIGEST_LEN + 1], size_t n)
{
	o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s=", key);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", i ? " " : "", v[i]);
	o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "\n");
	return o;
}

int ctr_image_bind(const struct ctr_paths *p, const char *name, const char *image_str, struct image_user *ci,
		   struct err *e)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX], *buf;
	size_t o;
	int rc = 0;

	snprintf(ci->container, sizeof ci->container, "%s", name);
	if (snprintf(ci->image, sizeof ci->image, "%s", image_str) >= (int)sizeof ci->image) {
		image_user_free(ci);
		return fail(e, 1, "image %.100s...: longer than %zu bytes", image_str, sizeof ci->image - 1);
	}
	if (!(buf = malloc(RECORD_MAX))) {
		image_user_free(ci);
		return fail_errno(e, "%s", name);
	}
	o = (size_t)snprintf(buf, RECORD_MAX, "ref=%s\nconfig=%s\nmanifest=%s\n", ci->image, ci->config,
			     ci->manifest);
	o = digests_put(buf, o, RECORD_MAX, "blobs", ci->blobs, ci->nblobs);
	o = digests_put(buf, o, RECORD_MAX, "layers", ci->layers, ci->nlayers);
	ctr_path(dir, sizeof dir, "%s/containers/%s", p->root, name);
	ctr_path(path, sizeof path, "%s/image", dir);
	/* the store keeps the image for the container only once this is on disk */
	if (o >= RECORD_MAX)
		rc = fail(e, 1, "%s: the image record is larger than %d bytes", path, RECORD_MAX);
	else if (mkdir_p(dir, 0700) < 0 || file_write_atomic(path, buf, o, 0600) < 0)
		rc = fail_errno(e, "%s", path);
	free(buf);
	if (rc < 0)
		image_user_free(ci);
	return rc;
}

static int users_add(struct image_users *u, struct image_user *one)
{
	struct image_user *nv = realloc(u->v, (u->n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	u->v = nv;
	u->v[u->n++] = *one;
	return 0;
}

/* a definition's image as s looks it up, as a user that is not bound */
static int user_unbound(const char *name, const char *image, struct image_store *s, struct image_users *u,
			struct err *e)
{
	struct image_user one;
	int got = image_lookup(s, image, 0, &one, e);

	if (got < 0) {
		/* an ambiguous name binds nothing: ctr-exec refuses it too */
		e->msg[0] = '\0';
		e->code = 0;
		return 0;
	}
	if (got == 0)
		return 0;
	snprintf(one.container, sizeof one.container, "%s", name);
	snprintf(one.image, sizeof one.image, "%s", image);
	return users_add(u, &one) < 0 ? fail_errno(e, "containers") : 0;
}

int ctr_image_users(const struct ctr_paths *p, struct image_store *s, struct image_users *u, struct err *e)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct dirent **ents;
	int ne;

	u->n = 0;
	u->v = NULL;
	/* every record, with or without a definition: its container may still
	 * run on those layers */
	ctr_path(dir, sizeof dir, "%s/containers", p->root);
	ne = scandir(dir, &ents, NULL, alphasort);
	if (ne < 0 && errno != ENOENT)
		return fail_errno(e, "%s", dir);
	for (int i = 0; i < ne; i++) {
		const char *name = ents[i]->d_name;
		struct image_user ci;
		int r = name[0] == '.' || e->msg[0] ? 1 : ctr_image_read(p, name, &ci);
		/* what a record that cannot be read keeps is unknown: keep all */
		if (r < 0)
			fail(e, 1, "%s/%s/image: not a readable image record (expected ref, config, manifest, blobs and "
				   "layers lines): fix or remove it", dir, name);
		else if (r == 0 && users_add(u, &ci) < 0) {
			image_user_free(&ci);
			fail_errno(e, "%s", dir);
		}
		free(ents[i]);
	}
	if (ne >= 0)
		free(ents);
	/* every definition: what it names now, if it is not bound to that */
	ctr_path(dir, sizeof dir, "%s/berth/containers", p->etc);
	ne = scandir(dir, &ents, ctr_def_file, alphasort);
	if (ne < 0 && errno != ENOENT && !e->msg[0])
		fail_errno(e, "%s", dir);
	for (int i = 0; i < ne; i++) {
		struct container_def *defs = NULL;
		struct image_user ci;
		char name[128];
		size_t nd = 0;

		ctr_path(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (e->msg[0] || compose_name_from_path(path, name, sizeof name) < 0 || !compose_valid_name(name))
			continue;
		if (compose_load(path, &defs, &nd) == 0 && nd == 1 && defs[0].image) {
			int bound = ctr_image_read(p, name, &ci) == 0;
			if (!bound || strcmp(ci.image, defs[0].image) != 0)
				user_unbound(name, defs[0].image, s, u, e);
			if (bound)
				image_user_free(&ci);
		}
		compose_free(defs, nd);
	}
	if (ne >= 0)
		free(ents);
	if (e->msg[0]) {
		image_users_free(u);
		return -1;
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the containers that use config, "a, b" in name order (cut to buf) */
size_t ctr_image_users_of(const struct image_users *u, const char *config, char *buf, size_t size)
{
	const char **names = calloc(u->n + 1, sizeof *names);
	size_t n = 0, k = 0, o = 0;

	buf[0] = '\0';
	if (!names) {
		snprintf(buf, size, "(out of memory)");
		return 1; /* used, whoever it is: never collect on a guess */
	}
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].config, config) == 0)
			names[n++] = u->v[i].container;
	qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", k ? ", " : "", names[i]);
		k++;
	}
	free(names);
	return k;
}

void ctr_image_release(const struct ctr_paths *p, const char *config)
{
	struct image_users users;
	struct image_store s;
	struct err e = { 0 };

	if (image_store_open(&s, 1, &e) < 0) {
		warn("image store: %s", e.msg);
		image_store_close(&s);
		return;
	}
	/* a named image stays in any case: nothing to collect */
	if (!image_named(&s, config) && ctr_image_users(p, &s, &users, &e) == 0) {
		image_collect(&s, &users, &e);
		image_users_free(&users);
	}
	if (e.msg[0])
		warn("image store: %s", e.msg);
	image_store_close(&s);
}
