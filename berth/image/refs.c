/* images.json: the names of the images in the store. Written atomically and
 * last by a load, so an image is either complete and named, or absent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "berth.h"
#include "image.h"

void ref_free(struct image_ref *ref)
{
	free(ref->layers);
	free(ref->blobs);
	ref->layers = ref->blobs = NULL;
	ref->nlayers = ref->nblobs = 0;
}

void refs_free(struct image_refs *r)
{
	for (size_t i = 0; i < r->n; i++)
		ref_free(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int ref_copy(struct image_ref *dst, const struct image_ref *src)
{
	*dst = *src;
	dst->layers = calloc(src->nlayers + 1, sizeof *dst->layers);
	dst->blobs = calloc(src->nblobs + 1, sizeof *dst->blobs);
	if (!dst->layers || !dst->blobs) {
		ref_free(dst);
		return -1;
	}
	memcpy(dst->layers, src->layers, src->nlayers * sizeof *dst->layers);
	memcpy(dst->blobs, src->blobs, src->nblobs * sizeof *dst->blobs);
	return 0;
}

void refs_del(struct image_refs *r, size_t i)
{
	ref_free(&r->v[i]);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof r->v[0]);
	r->n--;
}

/* 1 if an entry other than r->v[i] is of the same image */
static int refs_other(const struct image_refs *r, size_t i)
{
	for (size_t j = 0; j < r->n; j++)
		if (j != i && strcmp(r->v[j].config, r->v[i].config) == 0)
			return 1;
	return 0;
}

int refs_put(struct image_refs *r, const struct image_ref *ref)
{
	int named = strcmp(ref->name, "<none>") != 0;
	struct image_ref *nv;

	for (size_t i = 0; i < r->n; i++) {
		struct image_ref *o = &r->v[i];
		/* a tag moves to the new image; an untagged entry gives way to
		 * any entry for the same image */
		if ((named && strcmp(o->name, ref->name) == 0 && strcmp(o->tag, ref->tag) == 0) ||
		    (strcmp(o->name, "<none>") == 0 && strcmp(o->config, ref->config) == 0)) {
			/* as in docker, an image that loses its last name stays,
			 * dangling (<none>:<none>), until rmi or image prune */
			if (strcmp(o->config, ref->config) != 0 && !refs_other(r, i)) {
				strcpy(o->name, "<none>");
				strcpy(o->tag, "<none>");
				continue;
			}
			refs_del(r, i);
			i--;
		} else if (!named && strcmp(o->config, ref->config) == 0) {
			return 0; /* already known by a name */
		}
	}
	if (r->n >= IMAGES_MAX) {
		errno = ENOSPC;
		return -1;
	}
	nv = realloc(r->v, (r->n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	r->v = nv;
	if (ref_copy(&r->v[r->n], ref) < 0)
		return -1;
	r->n++;
	return 0;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
}

static int tag_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

int ref_parse(const char *s, char name[REF_MAX], char tag[REF_MAX])
{
	const char *slash = strrchr(s, '/'), *colon = strrchr(s, ':');
	size_t nlen;

	if (strchr(s, '@'))
		return -1; /* NAME@DIGEST: not a name a store keeps */
	if (colon && slash && colon < slash)
		colon = NULL; /* host:port/name */
	nlen = colon ? (size_t)(colon - s) : strlen(s);
	/* "docker.io/library/x" is what docker calls "x" */
	if (nlen > 18 && strncmp(s, "docker.io/library/", 18) == 0) {
		s += 18;
		nlen -= 18;
	} else if (nlen > 10 && strncmp(s, "docker.io/", 10) == 0) {
		s += 10;
		nlen -= 10;
	}
	if (nlen == 0 || nlen >= REF_MAX || s[0] == '/' || s[nlen - 1] == '/')
		return -1;
	for (size_t i = 0; i < nlen; i++)
		if (!name_char(s[i]) && !(s[i] == ':' && memchr(s + i, '/', nlen - i)))
			return -1;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	if (!colon) {
		strcpy(tag, "latest");
		return 0;
	}
	colon++;
	if (!*colon || strlen(colon) > 128)
		return -1;
	for (const char *p = colon; *p; p++)
		if (!tag_char(*p))
			return -1;
	strcpy(tag, colon);
	return 0;
}

static int digest_list(yajl_val arr, char (**out)[DIGEST_LEN + 1], size_t *n)
{
	if (!arr || arr->u.array.len > LAYERS_MAX)
		return -1;
	*n = arr->u.array.len;
	*out = calloc(*n + 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		yajl_val v = arr->u.array.values[i];
		if (!YAJL_IS_STRING(v) || !digest_valid(v->u.string))
			return -1;
		strcpy((*out)[i], v->u.string);
	}
	return 0;
}

static int str_field(yajl_val o, const char *key, char *dst, size_t size)
{
	const char *s = json_str(o, key);

	if (!s || strlen(s) >= size)
		return -1;
	strcpy(dst, s);
	return 0;
}

static int ref_from_json(yajl_val o, struct image_ref *ref)
{
	yajl_val size = json_get(o, "size", yajl_t_number);

	memset(ref, 0, sizeof *ref);
	if (str_field(o, "name", ref->name, sizeof ref->name) < 0 ||
	    str_field(o, "tag", ref->tag, sizeof ref->tag) < 0 ||
	    str_field(o, "manifest", ref->manifest, sizeof ref->manifest) < 0 ||
	    str_field(o, "config", ref->config, sizeof ref->config) < 0 ||
	    !digest_valid(ref->manifest) || !digest_valid(ref->config) || !size ||
	    YAJL_GET_INTEGER(size) < 0)
		return -1;
	str_field(o, "created", ref->created, sizeof ref->created);
	/* the registry's digest a pull came by (older stores have none) */
	if (str_field(o, "repo_digest", ref->repo_digest, sizeof ref->repo_digest) == 0 && !digest_valid(ref->repo_digest))
		return -1;
	ref->size = (uint64_t)YAJL_GET_INTEGER(size);
	if (digest_list(json_get(o, "layers", yajl_t_array), &ref->layers, &ref->nlayers) < 0 ||
	    digest_list(json_get(o, "blobs", yajl_t_array), &ref->blobs, &ref->nblobs) < 0) {
		ref_free(ref);
		return -1;
	}
	return 0;
}

int refs_read(struct store *st, struct image_refs *r, struct err *e)
{
	struct range_stream rs;
	struct stat sb;
	yajl_val doc, arr;
	char what[2100];
	int fd;

	r->n = 0;
	r->v = NULL;
	snprintf(what, sizeof what, "%s/images.json", st->root);
	fd = openat(st->fd, "images.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &sb) < 0)
		return fail_errno(e, "%s", what);
	range_stream_init(&rs, fd, 0, (uint64_t)sb.st_size, e);
	doc = json_read(&rs.s, what, e);
	close(fd);
	if (!doc)
		return -1;
	arr = json_need(doc, "images", yajl_t_array, what, e);
	if (arr && arr->u.array.len <= IMAGES_MAX) {
		r->v = calloc(arr->u.array.len + 1, sizeof *r->v);
		if (!r->v) {
			yajl_tree_free(doc);
			return fail_errno(e, "%s", what);
		}
		for (size_t i = 0; i < arr->u.array.len; i++) {
			if (ref_from_json(arr->u.array.values[i], &r->v[r->n]) < 0) {
				fail(e, 1, "%s: images[%zu]: expected name, tag, manifest, config, size, layers, blobs", what, i);
				break;
			}
			r->n++;
		}
	} else if (arr) {
		fail(e, 1, "%s: images: more than %d entries", what, IMAGES_MAX);
	}
	yajl_tree_free(doc);
	if (e->msg[0]) {
		refs_free(r);
		return -1;
	}
	return 0;
}

#define GSTR(g, s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))

static void gen_list(yajl_gen g, const char *key, char (*v)[DIGEST_LEN + 1], size_t n)
{
	GSTR(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++)
		GSTR(g, v[i]);
	yajl_gen_array_close(g);
}

int refs_write(struct store *st, const struct image_refs *r, struct err *e)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char path[2100];
	size_t len;
	int rc = 0;

	if (!g)
		return fail_errno(e, "images.json");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_map_open(g);
	GSTR(g, "images");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < r->n; i++) {
		const struct image_ref *ref = &r->v[i];
		yajl_gen_map_open(g);
		GSTR(g, "name"); GSTR(g, ref->name);
		GSTR(g, "tag"); GSTR(g, ref->tag);
		GSTR(g, "manifest"); GSTR(g, ref->manifest);
		GSTR(g, "config"); GSTR(g, ref->config);
		GSTR(g, "created"); GSTR(g, ref->created);
		if (ref->repo_digest[0]) {
			GSTR(g, "repo_digest"); GSTR(g, ref->repo_digest);
		}
		GSTR(g, "size"); yajl_gen_integer(g, (long long)ref->size);
		gen_list(g, "layers", ref->layers, ref->nlayers);
		gen_list(g, "blobs", ref->blobs, ref->nblobs);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return fail(e, EXIT_SYSTEM, "images.json: JSON generation failed");
	}
	snprintf(path, sizeof path, "%s/images.json", st->root);
	if (file_write_atomic(path, buf, len, 0600) < 0)
		rc = fail_errno(e, "%s", path);
	yajl_gen_free(g);
	return rc;
}
