/* The image store behind `berth load`, `berth images` and `berth rmi`:
 * content-addressed blobs, layers unpacked once, names in images.json. */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "err.h"
#include "hash.h"
#include "json.h"
#include "stream.h"

#define IMAGES_MAX 4096             /* entries in images.json */
#define LAYERS_MAX 256              /* layers of one image (docker's limit is 127) */
#define REF_MAX 256                 /* NAME:TAG */

/* digest.c: the ChainIDs of a stack of DiffIDs, bottom first (OCI image spec):
 * ChainID(L1) = DiffID(L1), ChainID(Ln) = sha256 of "ChainID(Ln-1) DiffID(Ln)".
 * A layer's unpacked directory depends on the layers below it, so the
 * store keys it by ChainID */
void chain_ids(char (*diffids)[DIGEST_LEN + 1], size_t n, char (*out)[DIGEST_LEN + 1]);

/* store.c: the store root, its lock and its directories */
struct store {
	char root[2048];
	int fd;   /* the root, O_DIRECTORY */
	int lock; /* flock'ed */
};
/* BERTH_ROOT, else BERTH_ROOT_DEFAULT; exclusive for writers */
int store_open(struct store *st, int exclusive, struct err *e);
void store_close(struct store *st);
/* 1 if blobs/sha256/<hex> or layers/<hex> (a ChainID) exists */
int store_has_blob(struct store *st, const char *digest);
int store_has_layer(struct store *st, const char *chainid);
/* open blobs/sha256/<hex> for reading */
int store_blob_open(struct store *st, const char *digest, struct err *e);
/* fsync a directory below the store root */
void store_sync_dir(struct store *st, const char *dir);
/* uncompressed size recorded for a layer (by ChainID), or 0 */
uint64_t store_layer_size(struct store *st, const char *chainid);

/* refs.c: images.json, the only file that makes an image visible */
struct image_ref {
	char name[REF_MAX];     /* repository, or "<none>" */
	char tag[REF_MAX];      /* or "<none>" */
	char manifest[DIGEST_LEN + 1];
	char config[DIGEST_LEN + 1];
	char created[64];       /* RFC 3339, from the config; may be "" */
	char repo_digest[DIGEST_LEN + 1]; /* the manifest or index digest a pull came by, or "" */
	uint64_t size;          /* bytes of files in the layers */
	size_t nlayers;
	char (*layers)[DIGEST_LEN + 1]; /* diffids, bottom first */
	size_t nblobs;
	char (*blobs)[DIGEST_LEN + 1];  /* layer blobs, as the manifest has them */
};
struct image_refs {
	size_t n;
	struct image_ref *v;
};
int refs_read(struct store *st, struct image_refs *r, struct err *e);
int refs_write(struct store *st, const struct image_refs *r, struct err *e);
void refs_free(struct image_refs *r);
/* add or replace the entry for ref->name:ref->tag (moving the tag) */
int refs_put(struct image_refs *r, const struct image_ref *ref);
void refs_del(struct image_refs *r, size_t i);
void ref_free(struct image_ref *ref);
int ref_copy(struct image_ref *dst, const struct image_ref *src);
/* split "NAME[:TAG]" into a repository and a tag (default "latest");
 * returns -1 if it is not a valid reference */
int ref_parse(const char *s, char name[REF_MAX], char tag[REF_MAX]);
/* store.c: the directories under layers/ that hold ref's layers, bottom first, as
 * digests: each ChainID, or for a store written before layers were keyed by
 * ChainID, the DiffID when only that directory exists. *dirs is malloc'ed;
 * fails naming the layer when neither exists */
int store_layer_dirs(struct store *st, const struct image_ref *ref, char (**dirs)[DIGEST_LEN + 1], struct err *e);
/* the same names, the DiffID where neither exists (what gc keeps and
 * counts); malloc'ed, NULL when out of memory */
char (*store_layer_names(struct store *st, const struct image_ref *ref))[DIGEST_LEN + 1];

/* resolve.c: what `berth run`, `create` and `rmi` call an image,
 * docker's rules: sha256:<64 hex> is that image ID; else NAME[:TAG] if an
 * entry has that name; else a hex prefix (with or without "sha256:") of
 * exactly one image ID. Returns RESOLVE_NAME (*idx is that entry),
 * RESOLVE_ID (*idx is an entry with that config), 0 for no such image, or
 * -1 with e filled for an ambiguous prefix (naming two matches) */
enum { RESOLVE_NAME = 1, RESOLVE_ID = 2 };
int image_resolve(const struct image_refs *r, const char *arg, size_t *idx, struct err *e);

/* What the containers use, whether images.json still names it or not:
 * berth/ctr/image.c fills it from the records containers are bound by and from
 * the definitions not bound yet; use.c frees it */
struct image_user {
	char container[128];
	char image[2 * REF_MAX];        /* what its definition calls the image */
	char config[DIGEST_LEN + 1];
	char manifest[DIGEST_LEN + 1];
	size_t nblobs, nlayers;         /* nlayers 0: not bound yet (only config, manifest) */
	char (*blobs)[DIGEST_LEN + 1];  /* layer blobs */
	char (*layers)[DIGEST_LEN + 1]; /* directories under layers/, bottom first */
};
struct image_users {
	size_t n;
	struct image_user *v;
};
void image_user_free(struct image_user *u);
void image_users_free(struct image_users *u);

/* use.c: all that berth/ctr takes from the store (parts.mk lists these) */
struct image_store {
	struct store st;
	struct image_refs refs;
};
/* the store under its lock (exclusive for a writer), images.json read;
 * close it even when this fails */
int image_store_open(struct image_store *s, int exclusive, struct err *e);
void image_store_close(struct image_store *s);
/* what a definition calls an image (image_resolve's rules) to that image:
 * u's config and manifest, and with with_layers its layer blobs and layer
 * directories (store_layer_dirs). RESOLVE_NAME or RESOLVE_ID; 0 for no such
 * image; -1 with e filled (an ambiguous prefix, a layer not in the store) */
int image_lookup(struct image_store *s, const char *arg, int with_layers, struct image_user *u, struct err *e);
/* the same for an entry already found */
int image_user_of(struct store *st, const struct image_ref *ref, int with_layers, struct image_user *u,
		  struct err *e);
/* 1 if an entry of images.json has this config (image ID) */
int image_named(const struct image_store *s, const char *config);
/* u's config blob (at most max bytes, malloc'd, *len set), once every layer
 * directory of u is in the store; NULL with e naming the image as what */
char *image_config_load(struct image_store *s, const struct image_user *u, const char *what, size_t max,
			size_t *len, struct err *e);
/* store_gc, quietly, of what neither images.json nor u uses */
int image_collect(struct image_store *s, const struct image_users *u, struct err *e);

/* gc.c: delete blobs and layers that neither an image nor a
 * container refers to; prints "Deleted: ..." for each when verbose */
int store_gc(struct store *st, const struct image_refs *r, const struct image_users *u, int verbose,
	     struct err *e);

/* gc.c, for berth system df: what the store takes on disk (bytes of
 * blocks: compressed blobs and unpacked layers both), in all and per image */
struct image_usage {
	char config[DIGEST_LEN + 1]; /* the image ID */
	char name[REF_MAX], tag[REF_MAX], created[64]; /* its first entry's, or <none> */
	uint64_t size;     /* its blobs and layer directories */
	uint64_t shared;   /* of which another image uses too */
	size_t containers; /* how many containers use it */
};
struct store_usage {
	uint64_t total;  /* blobs, layers, layerdb, tmp and downloads */
	uint64_t active; /* what the containers keep: the rest is what prune -a frees */
	size_t n, nactive; /* images (an image ID once), those a container uses */
	struct image_usage *v;
};
/* bytes on disk of blobs, layers, layerdb, tmp and downloads (store_usage's total) */
uint64_t store_disk(struct store *st);
/* u: what ctr_image_users found; free out->v */
int store_usage(struct store *st, const struct image_refs *r, const struct image_users *u, struct store_usage *out,
		struct err *e);

/* source.c: what `berth load` reads: an OCI layout directory, or a tar
 * archive (oci-archive, docker save) indexed once and read in place */
struct member;
struct source {
	const char *path;
	int fd;      /* the directory or the archive */
	int is_dir;
	size_t n;
	struct member *m;
};
int source_open(struct source *src, const char *path, struct err *e);
void source_close(struct source *src);
/* 1 if the member exists (a regular file, after symlinks in an archive) */
int source_has(struct source *src, const char *name);
/* a stream over the member's bytes and its size */
int source_member(struct source *src, const char *name, struct range_stream *r, uint64_t *size, struct err *e);

/* decompress.c: gzip, zstd or plain tar, chosen by the media type and
 * checked against the magic bytes; the output is hashed (the DiffID) */
enum compression { COMP_DETECT, COMP_NONE, COMP_GZIP, COMP_ZSTD };
struct decomp;
/* media type to compression; -1 if it is not a layer type we know */
int layer_media_compression(const char *media_type);
struct decomp *decomp_new(struct stream *in, enum compression want, struct err *e);
struct stream *decomp_stream(struct decomp *d);
/* the digest of everything read so far, and its length */
void decomp_digest(struct decomp *d, char out[DIGEST_LEN + 1], uint64_t *len);
void decomp_free(struct decomp *d);

/* layer.c: unpack one layer tar below dirfd (OCI layer rules) */
struct layer_stats {
	uint64_t file_bytes;
};
/* lowers: the unpacked directories of the layers below, nearest first; a
 * parent directory the tar does not list is made as they show it. what
 * names the layer in messages; with dirfd < 0 the tar is only read through
 * (to check its DiffID) */
int layer_unpack(struct stream *tar, int dirfd, const int *lowers, size_t nlowers, const char *what,
		 struct layer_stats *st, struct err *e);
/* the directories a layer's tar implies without listing them ("" is the
 * layer root), NUL-separated, in the order they were made */
struct layer_implied {
	char *paths;
	size_t len, cap, n;
};
/* layer_unpack before the layers below are there: the directories it
 * implies are made 0755 and listed in *implied for layer_inherit */
int layer_unpack_alone(struct stream *tar, int dirfd, const char *what, struct layer_stats *st,
		       struct layer_implied *implied, struct err *e);
/* then, once they are: give those directories what the layers below show
 * (what layer_unpack does as it goes); one that a later entry of the layer
 * replaced is skipped */
int layer_inherit(int dirfd, const struct layer_implied *implied, const int *lowers, size_t nlowers, const char *what,
		  struct err *e);

/* prelayer.c, for berth/registry: a layer unpacked as it downloads, into
 * dir (the pull's downloads/layers/) by its blob digest, for the load to
 * take (prelayer.c says how) */
struct prelayer {
	char diffid[DIGEST_LEN + 1];
	uint64_t file_bytes;
	struct layer_implied implied;
	int dfd;
};
/* unpack the blob's stream in (of compression comp) into dir/<hex>.incoming;
 * -1 with e filled (the directory is gone then). The blob's own digest is
 * the caller's to check: then prelayer_commit, else prelayer_abort */
int prelayer_unpack(int dir, const char *blob, const char *token, struct stream *in, int comp, struct prelayer *pl,
		    struct err *e);
/* write its .meta, naming the pull by token (32 characters, no space),
 * and rename it into place; pl is freed */
int prelayer_commit(int dir, const char *blob, const char *token, struct prelayer *pl, struct err *e);
void prelayer_abort(int dir, const char *blob, const char *token, struct prelayer *pl);
/* what the pull named by token left for blob in dir, gone */
void prelayer_remove(int dir, const char *blob, const char *token);
/* everything in dir, gone: only while no pull runs (downloads/ locked) */
void prelayer_sweep(int dir);
/* the load's side: move dir/<hex> to to/to_name, finished on top of lowers
 * (nearest first), if the pull named by token left it and its DiffID is
 * diffid. 1 taken (its
 * file bytes in *file_bytes), 0 not there (unpack the blob instead), -1
 * with e filled: its DiffID is another */
int prelayer_take(int dir, const char *token, const char *blob, const char *diffid, const int *lowers, size_t nlowers, int to,
		  const char *to_name, uint64_t *file_bytes, struct err *e);

/* load.c, for berth/registry: load the OCI layout dir a pull assembled,
 * as berth load does, recording repo_digest (or NULL) on its images; a
 * blob the layout lacks is taken from the store, where it was verified.
 * The pull verified the layout's blobs as they came: they are linked, not
 * hashed again. pre: its downloads/layers (prelayer_take), or -1, and
 * token the pull's there. 0, or -1 with e filled; quiet: no "Loaded
 * image" lines */
int image_load_layout(const char *dir, int pre, const char *token, const char *repo_digest, int quiet,
		      struct err *e);
/* this machine's architecture as OCI names it ("amd64", "arm64"): the
 * image an index gives it, for berth load and berth pull alike */
const char *image_arch(void);
/* 1 if the store holds this blob (committed: verified by its digest) */
int image_has_blob(const char *digest);

/* the subcommands: load.c and list.c */
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);

#endif
