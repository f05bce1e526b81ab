/* berth load FILE: import the images of an OCI layout directory, an
 * oci-archive or a `docker save` tarball (legacy or Docker 25+ OCI form).
 * Everything is staged under tmp/ first: blobs verified by digest and size,
 * layers unpacked and checked against the config's DiffIDs. Only when all of
 * it holds is it moved into place, and images.json is written last. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "berth.h"
#include "image.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define STAGED_MAX 4096

struct staged_layer {
	char chain[DIGEST_LEN + 1]; /* its ChainID, the name of its directory */
	uint64_t size;
};

struct load {
	const char *file;
	struct store st;
	struct source src;
	struct err e;
	char tmp[64];   /* tmp/load.<pid>, below the store root */
	int tmpfd;
	size_t nblobs, nlayers;
	char (*blobs)[DIGEST_LEN + 1];
	struct staged_layer *layers;
	struct image_refs out; /* what to add to images.json */
	const char *repo_digest; /* a pull's, for every image it names */
	int link_source;         /* a pull's layout: its blobs are linked, verified already */
	int pre;                 /* a pull's downloads/layers (prelayer.c), or -1 */
	const char *token;       /* and what names that pull there */
	int quiet;
};

/* a descriptor from a manifest or an index */
struct desc {
	const char *media_type;
	const char *digest;
	long long size;
};

static int desc_get(struct load *l, yajl_val o, const char *what, struct desc *d)
{
	yajl_val size;

	d->media_type = json_str(o, "mediaType");
	d->digest = json_need_str(o, "digest", what, &l->e);
	if (!d->digest)
		return -1;
	if (!digest_valid(d->digest))
		return fail(&l->e, 1, "%s: digest: expected sha256:<64 hex digits>, found \"%.80s\"", what, d->digest);
	size = json_need(o, "size", yajl_t_number, what, &l->e);
	if (!size)
		return -1;
	d->size = YAJL_GET_INTEGER(size);
	if (d->size < 0)
		return fail(&l->e, 1, "%s: size: negative", what);
	return 0;
}

static int staged_blob(struct load *l, const char *digest)
{
	for (size_t i = 0; i < l->nblobs; i++)
		if (strcmp(l->blobs[i], digest) == 0)
			return 1;
	return 0;
}

/* copy a member of the input into tmp/load.N/blobs/<hex>, hashing it; want
 * (if set) is the digest and want_size (if >= 0) the size it must have; the
 * digest found goes to out */
static int blob_stage(struct load *l, const char *member, const char *want, long long want_size,
		      char out[DIGEST_LEN + 1])
{
	struct range_stream rs;
	struct sha256 h;
	char buf[65536], dst[128];
	uint64_t size, done = 0;
	ssize_t n;
	int fd, rc = 0;

	if (want && staged_blob(l, want)) {
		strcpy(out, want);
		return 0;
	}
	if (l->nblobs == STAGED_MAX)
		return fail(&l->e, 1, "more than %d blobs (%s)", STAGED_MAX, member);
	/* a pull leaves out what the store has: link the store's copy */
	if (want && !source_has(&l->src, member) && store_has_blob(&l->st, want)) {
		char from[128];
		snprintf(from, sizeof from, "blobs/sha256/%s", digest_hex(want));
		snprintf(dst, sizeof dst, "blobs/%s", digest_hex(want));
		if (linkat(l->st.fd, from, l->tmpfd, dst, 0) < 0)
			return fail_errno(&l->e, "%s/%s", l->st.root, from);
		strcpy(out, want);
		strcpy(l->blobs[l->nblobs++], want);
		return 0;
	}
	if (source_member(&l->src, member, &rs, &size, &l->e) < 0)
		return -1;
	/* a pull's layout, which nobody else writes, is linked, not copied:
	 * only read, to check its digest (a user's directory is copied: a
	 * link would let a later write to it change the store) */
	unlinkat(l->tmpfd, "blobs/incoming", 0);
	if (l->link_source && l->src.is_dir && linkat(l->src.fd, member, l->tmpfd, "blobs/incoming", 0) == 0)
		fd = -2;
	else
		fd = openat(l->tmpfd, "blobs/incoming", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = fail_errno(&l->e, "%s/%s/blobs/incoming", l->st.root, l->tmp);
		goto out;
	}
	/* a pull's blob was verified as it came, and only root writes there:
	 * not hashed a second time, its size checked */
	if (fd == -2 && want && want_size >= 0) {
		struct stat sb;
		if (fstatat(l->tmpfd, "blobs/incoming", &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = fail_errno(&l->e, "%s/%s/blobs/incoming", l->st.root, l->tmp);
			goto out;
		}
		if ((uint64_t)sb.st_size != (uint64_t)want_size) {
			rc = fail(&l->e, 1, "blob %s: expected %lld bytes, found %llu (%s)", want, want_size,
				  (unsigned long long)sb.st_size, member);
			goto out;
		}
		strcpy(out, want);
		goto named;
	}
	sha256_init(&h);
	while ((n = rs.s.read(&rs.s, buf, sizeof buf)) > 0) {
		sha256_update(&h, buf, (size_t)n);
		done += (uint64_t)n;
		for (ssize_t off = 0; fd >= 0 && off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR) {
				rc = fail_errno(&l->e, "%s/%s/blobs", l->st.root, l->tmp);
				goto out;
			}
			off += w > 0 ? w : 0;
		}
	}
	if (n < 0) {
		rc = -1;
		goto out;
	}
	sha256_final(&h, out);
	if ((want && strcmp(out, want) != 0) || (want_size >= 0 && done != (uint64_t)want_size)) {
		rc = fail(&l->e, 1, "blob %s: expected %s (%lld bytes), found %s (%llu bytes) (%s)", want ? want : out,
			  want ? want : out, want_size, out, (unsigned long long)done, member);
		goto out;
	}
	if (fd >= 0 && fsync(fd) < 0) {
		rc = fail_errno(&l->e, "%s/%s/blobs", l->st.root, l->tmp);
		goto out;
	}
named:
	snprintf(dst, sizeof dst, "blobs/%s", digest_hex(out));
	if (renameat(l->tmpfd, "blobs/incoming", l->tmpfd, dst) < 0) {
		rc = fail_errno(&l->e, "%s/%s/%s", l->st.root, l->tmp, dst);
		goto out;
	}
	if (!staged_blob(l, out))
		strcpy(l->blobs[l->nblobs++], out);
out:
	if (fd >= 0)
		close(fd);
	if (rs.fd != l->src.fd)
		close(rs.fd);
	return rc;
}

static int staged_open(struct load *l, const char *digest)
{
	char p[128];
	int fd;

	snprintf(p, sizeof p, "blobs/%s", digest_hex(digest));
	fd = openat(l->tmpfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(&l->e, "%s/%s/%s", l->st.root, l->tmp, p);
	return fd;
}

/* a staged blob as JSON */
static yajl_val staged_json(struct load *l, const char *digest, const char *what)
{
	struct range_stream rs;
	struct stat sb;
	yajl_val v;
	int fd = staged_open(l, digest);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0) {
		fail_errno(&l->e, "%s", what);
		close(fd);
		return NULL;
	}
	range_stream_init(&rs, fd, 0, (uint64_t)sb.st_size, &l->e);
	v = json_read(&rs.s, what, &l->e);
	close(fd);
	return v;
}

/* the input's member NAME (index.json, manifest.json) as JSON */
static yajl_val member_json(struct load *l, const char *name)
{
	struct range_stream rs;
	uint64_t size;
	yajl_val v;

	if (source_member(&l->src, name, &rs, &size, &l->e) < 0)
		return NULL;
	v = json_read(&rs.s, name, &l->e);
	if (rs.fd != l->src.fd)
		close(rs.fd);
	return v;
}

/* verify a JSON blob the input names by descriptor and parse it */
static yajl_val json_blob(struct load *l, const struct desc *d, const char *what)
{
	char member[128], got[DIGEST_LEN + 1];

	if (d->size > (long long)JSON_MAX) {
		fail(&l->e, 1, "%s %s: %lld bytes, more than %u (blobs/sha256/%s)", what, d->digest, d->size, JSON_MAX,
		     digest_hex(d->digest));
		return NULL;
	}
	snprintf(member, sizeof member, "blobs/sha256/%s", digest_hex(d->digest));
	if (blob_stage(l, member, d->digest, d->size, got) < 0)
		return NULL;
	return staged_json(l, d->digest, what);
}

static struct staged_layer *staged_layer(struct load *l, const char *chain)
{
	for (size_t i = 0; i < l->nlayers; i++)
		if (strcmp(l->layers[i].chain, chain) == 0)
			return &l->layers[i];
	return NULL;
}

/* the directory of a layer below, staged by this load or in the store */
static int lower_open(struct load *l, const char *chain)
{
	char p[128];
	int fd;

	snprintf(p, sizeof p, "layers/%s", digest_hex(chain));
	fd = openat(staged_layer(l, chain) ? l->tmpfd : l->st.fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(&l->e, "%s/%s (a layer below)", l->st.root, p);
	return fd;
}

/* unpack the staged blob of layer i (of chains, bottom first) into
 * tmp/load.N/layers/<ChainID hex>, on top of the layers below it, unless
 * the store or this load has it already; its file bytes go to *size */
static int layer_stage(struct load *l, const char *blob, int comp, const char *diffid,
		       char (*chains)[DIGEST_LEN + 1], size_t i, uint64_t *size)
{
	const char *chain = chains[i];
	struct staged_layer *sl = staged_layer(l, chain);
	struct layer_stats stats;
	struct range_stream rs;
	struct decomp *d = NULL;
	struct stat sb;
	char what[128], got[DIGEST_LEN + 1], dir[128];
	uint64_t len;
	int fd, dfd = -1, rc = -1, *lowers = NULL;
	size_t nlowers = 0;

	if (sl) {
		*size = sl->size;
		return 0;
	}
	/* a layer in the store was checked against its DiffID when it was
	 * unpacked on the same layers below, which its ChainID names: reuse it */
	if (store_has_layer(&l->st, chain)) {
		*size = store_layer_size(&l->st, chain);
		return 0;
	}
	if (l->nlayers >= STAGED_MAX)
		return fail(&l->e, 1, "more than %d layers", STAGED_MAX);
	snprintf(what, sizeof what, "layer %s", blob);
	snprintf(dir, sizeof dir, "layers/%s", digest_hex(chain));
	if (!(lowers = calloc(i + 1, sizeof *lowers)))
		return fail_errno(&l->e, "%s", what);
	for (; nlowers < i; nlowers++)
		if ((lowers[nlowers] = lower_open(l, chains[i - 1 - nlowers])) < 0) {
			err_prefix(&l->e, what);
			goto out_lowers;
		}
	/* unpacked already as it downloaded: finished on these lowers */
	switch (prelayer_take(l->pre, l->token, blob, diffid, lowers, nlowers, l->tmpfd, dir, size, &l->e)) {
	case 1:
		sl = &l->layers[l->nlayers++];
		strcpy(sl->chain, chain);
		sl->size = *size;
		rc = 0;
		goto out_lowers;
	case -1:
		goto out_lowers;
	}
	fd = staged_open(l, blob);
	if (fd < 0)
		goto out_lowers;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		fail_errno(&l->e, "%s", what);
		goto out_lowers;
	}
	if (mkdirat(l->tmpfd, "layers/incoming", 0755) < 0 ||
	    (dfd = openat(l->tmpfd, "layers/incoming", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchmod(dfd, 0755) < 0) {
		fail_errno(&l->e, "%s/%s/layers/incoming", l->st.root, l->tmp);
		goto out;
	}
	range_stream_init(&rs, fd, 0, (uint64_t)sb.st_size, &l->e);
	d = decomp_new(&rs.s, (enum compression)comp, &l->e);
	if (!d) {
		err_prefix(&l->e, what);
		goto out;
	}
	if (layer_unpack(decomp_stream(d), dfd, lowers, nlowers, what, &stats, &l->e) < 0)
		goto out;
	decomp_digest(d, got, &len);
	if (strcmp(got, diffid) != 0) {
		fail(&l->e, 1, "layer %s: DiffID expected %s (config rootfs.diff_ids), found %s (blobs/sha256/%s)", blob,
		     diffid, got, digest_hex(blob));
		goto out;
	}
	if (renameat(l->tmpfd, "layers/incoming", l->tmpfd, dir) < 0) {
		fail_errno(&l->e, "%s/%s/%s", l->st.root, l->tmp, dir);
		goto out;
	}
	sl = &l->layers[l->nlayers++];
	strcpy(sl->chain, chain);
	sl->size = *size = stats.file_bytes;
	rc = 0;
out:
	decomp_free(d);
	if (dfd >= 0)
		close(dfd);
	close(fd);
	if (rc < 0)
		rm_tree_at(l->tmpfd, "layers/incoming");
out_lowers:
	while (nlowers > 0)
		close(lowers[--nlowers]);
	free(lowers);
	return rc;
}

/* rootfs.diff_ids of a config, n of them expected */
static yajl_val config_diff_ids(struct load *l, yajl_val config, size_t n, const char *what)
{
	yajl_val rootfs = json_need(config, "rootfs", yajl_t_object, what, &l->e), ids;

	if (!rootfs)
		return NULL;
	ids = json_need(rootfs, "diff_ids", yajl_t_array, what, &l->e);
	if (!ids)
		return NULL;
	if (ids->u.array.len != n) {
		fail(&l->e, 1, "%s: rootfs.diff_ids: %zu entries for %zu layers", what, ids->u.array.len, n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		yajl_val v = ids->u.array.values[i];
		if (!YAJL_IS_STRING(v) || !digest_valid(v->u.string)) {
			fail(&l->e, 1, "%s: rootfs.diff_ids[%zu]: expected sha256:<64 hex digits>", what, i);
			return NULL;
		}
	}
	return ids;
}

/* names an image gets: full references, or a bare tag (umoci, skopeo oci:)
 * that takes the input's file name as its repository */
static int name_add(struct load *l, struct image_ref *tmpl, const char *ref)
{
	char full[2 * REF_MAX];

	if (!strchr(ref, ':') && !strchr(ref, '/')) {
		const char *base = strrchr(l->file, '/');
		size_t blen;
		base = base && base[1] ? base + 1 : l->file;
		blen = strcspn(base, ".");
		snprintf(full, sizeof full, "%.*s:%s", (int)blen, base, ref);
		ref = full;
	}
	if (ref_parse(ref, tmpl->name, tmpl->tag) < 0)
		return fail(&l->e, 1, "image name \"%.200s\" is not NAME[:TAG]", ref);
	if (refs_put(&l->out, tmpl) < 0)
		return fail_errno(&l->e, "names");
	return 0;
}

/* the RepoTags of docker's manifest.json entry whose Config is config */
static yajl_val docker_tags(yajl_val docker, const char *config)
{
	if (!docker || !YAJL_IS_ARRAY(docker))
		return NULL;
	for (size_t i = 0; i < docker->u.array.len; i++) {
		yajl_val o = docker->u.array.values[i];
		const char *c = json_str(o, "Config");
		if (c && strstr(c, digest_hex(config)))
			return json_get(o, "RepoTags", yajl_t_array);
	}
	return NULL;
}

/* the layers of a config and its manifest's (or docker's) layer blobs;
 * fills ref's layers, blobs and size */
static int image_layers(struct load *l, struct image_ref *ref, yajl_val config, const char *cwhat,
			char (*blobs)[DIGEST_LEN + 1], const int *comp, size_t n)
{
	yajl_val ids = config_diff_ids(l, config, n, cwhat);
	const char *created = json_str(config, "created");
	const char *os = json_str(config, "os"), *arch = json_str(config, "architecture");
	char (*chains)[DIGEST_LEN + 1];
	int rc = 0;

	if (!ids)
		return -1;
	/* its programs would not run here (Berth has no emulation) */
	if (os && arch && (strcmp(os, "linux") != 0 || strcmp(arch, image_arch()) != 0))
		return fail(&l->e, 1, "%s: an image for %.40s/%.40s, and this machine is linux/%s: refused", cwhat, os, arch,
			    image_arch());
	snprintf(ref->created, sizeof ref->created, "%s", created ? created : "");
	ref->nlayers = ref->nblobs = n;
	ref->layers = calloc(n + 1, sizeof *ref->layers);
	ref->blobs = calloc(n + 1, sizeof *ref->blobs);
	if (!ref->layers || !ref->blobs)
		return fail_errno(&l->e, "layers");
	ref->size = 0;
	for (size_t i = 0; i < n; i++) {
		strcpy(ref->layers[i], ids->u.array.values[i]->u.string);
		strcpy(ref->blobs[i], blobs[i]);
	}
	if (!(chains = calloc(n + 1, sizeof *chains)))
		return fail_errno(&l->e, "layers");
	chain_ids(ref->layers, n, chains);
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t size;
		rc = layer_stage(l, blobs[i], comp[i], ref->layers[i], chains, i, &size);
		ref->size += size;
	}
	free(chains);
	return rc;
}

static void names_from(struct load *l, struct image_ref *ref, yajl_val tags)
{
	for (size_t i = 0; tags && i < tags->u.array.len && !l->e.msg[0]; i++)
		if (YAJL_IS_STRING(tags->u.array.values[i]))
			name_add(l, ref, tags->u.array.values[i]->u.string);
}

static int image_finish(struct load *l, struct image_ref *ref, const char *name, yajl_val tags)
{
	size_t before = l->out.n;

	if (name)
		name_add(l, ref, name);
	else
		names_from(l, ref, tags);
	if (l->e.msg[0])
		return -1;
	if (l->out.n == before) {
		strcpy(ref->name, "<none>");
		strcpy(ref->tag, "<none>");
		if (refs_put(&l->out, ref) < 0)
			return fail_errno(&l->e, "names");
	}
	return 0;
}

static int manifest_load(struct load *l, const struct desc *md, const char *name, yajl_val docker)
{
	struct image_ref ref = { 0 };
	yajl_val m, config = NULL, layers;
	struct desc cd;
	char what[128], cwhat[128], got[DIGEST_LEN + 1];
	char (*blobs)[DIGEST_LEN + 1] = NULL;
	int *comp = NULL, rc = -1;
	const char *mt;
	size_t n;

	snprintf(what, sizeof what, "manifest %s", md->digest);
	if (!(m = json_blob(l, md, what)))
		return -1;
	mt = json_str(m, "mediaType");
	if (mt && strcmp(mt, MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0) {
		fail(&l->e, 1, "%s: mediaType: \"%.100s\" is not an image manifest", what, mt);
		goto out;
	}
	if (desc_get(l, json_need(m, "config", yajl_t_object, what, &l->e), "config", &cd) < 0)
		goto out;
	snprintf(cwhat, sizeof cwhat, "config %s", cd.digest);
	if (!(config = json_blob(l, &cd, cwhat)))
		goto out;
	if (!(layers = json_need(m, "layers", yajl_t_array, what, &l->e)))
		goto out;
	n = layers->u.array.len;
	if (n > LAYERS_MAX) {
		fail(&l->e, 1, "%s: layers: more than %d", what, LAYERS_MAX);
		goto out;
	}
	blobs = calloc(n + 1, sizeof *blobs);
	comp = calloc(n + 1, sizeof *comp);
	if (!blobs || !comp) {
		fail_errno(&l->e, "%s", what);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct desc ld;
		char lwhat[160], member[128];
		snprintf(lwhat, sizeof lwhat, "%s: layers[%zu]", what, i);
		if (desc_get(l, layers->u.array.values[i], lwhat, &ld) < 0)
			goto out;
		if (!ld.media_type || (comp[i] = layer_media_compression(ld.media_type)) < 0) {
			fail(&l->e, 1, "%s: mediaType: \"%.100s\" is not a layer type Berth knows", lwhat,
			     ld.media_type ? ld.media_type : "");
			goto out;
		}
		snprintf(member, sizeof member, "blobs/sha256/%s", digest_hex(ld.digest));
		if (blob_stage(l, member, ld.digest, ld.size, got) < 0)
			goto out;
		strcpy(blobs[i], ld.digest);
	}
	strcpy(ref.manifest, md->digest);
	strcpy(ref.config, cd.digest);
	if (image_layers(l, &ref, config, cwhat, blobs, comp, n) < 0)
		goto out;
	rc = image_finish(l, &ref, name, name ? NULL : docker_tags(docker, cd.digest));
out:
	ref_free(&ref);
	free(blobs);
	free(comp);
	if (config)
		yajl_tree_free(config);
	yajl_tree_free(m);
	return rc;
}

const char *image_arch(void)
{
	struct utsname u;

	if (uname(&u) == 0 && strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	return "amd64";
}

/* an image index inside the layout: this machine's linux image */
static int index_pick(struct load *l, yajl_val index, const char *what, struct desc *out)
{
	yajl_val ms = json_need(index, "manifests", yajl_t_array, what, &l->e);

	if (!ms)
		return -1;
	for (size_t i = 0; i < ms->u.array.len; i++) {
		yajl_val o = ms->u.array.values[i], p = json_get(o, "platform", yajl_t_object);
		const char *os = json_str(p, "os"), *arch = json_str(p, "architecture");
		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, image_arch()) == 0)
			return desc_get(l, o, what, out);
	}
	return fail(&l->e, 1, "%s: no image for linux/%s", what, image_arch());
}

static int oci_load(struct load *l, yajl_val docker)
{
	yajl_val index, ms, sub = NULL;
	int rc = 0;

	if (!(index = member_json(l, "index.json")))
		return -1;
	if (!(ms = json_need(index, "manifests", yajl_t_array, "index.json", &l->e)))
		rc = -1;
	else if (ms->u.array.len == 0)
		rc = fail(&l->e, 1, "index.json: manifests: empty, no image");
	for (size_t i = 0; rc == 0 && ms && i < ms->u.array.len; i++) {
		yajl_val o = ms->u.array.values[i], ann = json_get(o, "annotations", yajl_t_object);
		const char *name = json_str(ann, "io.containerd.image.name");
		char what[64];
		struct desc d;
		snprintf(what, sizeof what, "index.json: manifests[%zu]", i);
		if (!name)
			name = json_str(ann, "org.opencontainers.image.ref.name");
		if ((rc = desc_get(l, o, what, &d)) < 0)
			break;
		if (d.media_type && (strcmp(d.media_type, MT_OCI_INDEX) == 0 || strcmp(d.media_type, MT_DOCKER_LIST) == 0)) {
			char iwhat[96];
			snprintf(iwhat, sizeof iwhat, "index %s", d.digest);
			if (!(sub = json_blob(l, &d, iwhat)) || index_pick(l, sub, iwhat, &d) < 0) {
				rc = -1;
				break;
			}
		}
		rc = manifest_load(l, &d, name, docker);
		if (sub)
			yajl_tree_free(sub);
		sub = NULL;
	}
	if (sub)
		yajl_tree_free(sub);
	yajl_tree_free(index);
	return rc;
}

/* the digest a docker save path spells: "<hex>.json", "blobs/sha256/<hex>" */
static const char *path_digest(const char *path, char buf[DIGEST_LEN + 1])
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	snprintf(buf, DIGEST_LEN + 1, "sha256:%.64s", base);
	if (!digest_valid(buf) || (base[HEX_LEN] && strcmp(base + HEX_LEN, ".json") != 0 &&
				   strcmp(base + HEX_LEN, ".tar") != 0))
		return NULL;
	/* "<diffid>.tar" in skopeo's form names the content, not the blob */
	return strcmp(base + HEX_LEN, ".tar") == 0 ? NULL : buf;
}

/* the OCI manifest a legacy docker save lacks, so every image has one */
static int manifest_synth(struct load *l, struct image_ref *ref, const char *config, uint64_t csize,
			  char (*blobs)[DIGEST_LEN + 1], const uint64_t *sizes, const int *comp, size_t n)
{
	static const char *const mts[] = { "application/vnd.oci.image.layer.v1.tar",
					   "application/vnd.oci.image.layer.v1.tar",
					   "application/vnd.oci.image.layer.v1.tar+gzip",
					   "application/vnd.oci.image.layer.v1.tar+zstd" };
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	struct sha256 h;
	char p[128];
	size_t len;
	int rc = 0;

#define S(x) yajl_gen_string(g, (const unsigned char *)(x), strlen(x))
	if (!g)
		return fail_errno(&l->e, "manifest");
	yajl_gen_map_open(g);
	S("schemaVersion"); yajl_gen_integer(g, 2);
	S("mediaType"); S(MT_OCI_MANIFEST);
	S("config"); yajl_gen_map_open(g);
	S("mediaType"); S(MT_OCI_CONFIG);
	S("digest"); S(config);
	S("size"); yajl_gen_integer(g, (long long)csize);
	yajl_gen_map_close(g);
	S("layers"); yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		S("mediaType"); S(mts[comp[i]]);
		S("digest"); S(blobs[i]);
		S("size"); yajl_gen_integer(g, (long long)sizes[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
#undef S
	yajl_gen_get_buf(g, &buf, &len);
	sha256_init(&h);
	sha256_update(&h, buf, len);
	sha256_final(&h, ref->manifest);
	snprintf(p, sizeof p, "blobs/%s", digest_hex(ref->manifest));
	if (!staged_blob(l, ref->manifest)) {
		int fd = openat(l->tmpfd, p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0)
			rc = fail_errno(&l->e, "%s/%s/%s", l->st.root, l->tmp, p);
		if (fd >= 0)
			close(fd);
		if (rc == 0)
			strcpy(l->blobs[l->nblobs++], ref->manifest);
	}
	yajl_gen_free(g);
	return rc;
}

/* the compression of a staged blob, by its magic bytes */
static int blob_compression(struct load *l, const char *digest)
{
	unsigned char m[4] = { 0 };
	int fd = staged_open(l, digest);

	if (fd < 0)
		return -1;
	if (pread(fd, m, 4, 0) < 0) {
		close(fd);
		return fail_errno(&l->e, "blob %s", digest);
	}
	close(fd);
	if (m[0] == 0x1f && m[1] == 0x8b)
		return COMP_GZIP;
	if (!memcmp(m, "\x28\xb5\x2f\xfd", 4))
		return COMP_ZSTD;
	return COMP_NONE;
}

static int docker_image(struct load *l, yajl_val o, size_t idx)
{
	struct image_ref ref = { 0 };
	yajl_val layers, config = NULL;
	char what[64], cd[DIGEST_LEN + 1], want[DIGEST_LEN + 1], cwhat[128];
	char (*blobs)[DIGEST_LEN + 1] = NULL;
	uint64_t *sizes = NULL;
	int *comp = NULL, rc = -1;
	const char *cpath;
	struct stat sb;
	size_t n;

	snprintf(what, sizeof what, "manifest.json[%zu]", idx);
	if (!(cpath = json_need_str(o, "Config", what, &l->e)) ||
	    !(layers = json_need(o, "Layers", yajl_t_array, what, &l->e)))
		return -1;
	if (blob_stage(l, cpath, path_digest(cpath, want), -1, cd) < 0)
		return -1;
	snprintf(cwhat, sizeof cwhat, "config %s", cd);
	if (!(config = staged_json(l, cd, cwhat)))
		return -1;
	n = layers->u.array.len;
	blobs = calloc(n + 1, sizeof *blobs);
	sizes = calloc(n + 1, sizeof *sizes);
	comp = calloc(n + 1, sizeof *comp);
	if (!blobs || !sizes || !comp) {
		fail_errno(&l->e, "%s", what);
		goto out;
	}
	if (n > LAYERS_MAX) {
		fail(&l->e, 1, "%s: Layers: more than %d", what, LAYERS_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		yajl_val v = layers->u.array.values[i];
		int fd;
		if (!YAJL_IS_STRING(v)) {
			fail(&l->e, 1, "%s: Layers[%zu]: expected a string", what, i);
			goto out;
		}
		if (blob_stage(l, v->u.string, path_digest(v->u.string, want), -1, blobs[i]) < 0 ||
		    (comp[i] = blob_compression(l, blobs[i])) < 0 || (fd = staged_open(l, blobs[i])) < 0)
			goto out;
		fstat(fd, &sb);
		sizes[i] = (uint64_t)sb.st_size;
		close(fd);
	}
	if (image_layers(l, &ref, config, cwhat, blobs, comp, n) < 0)
		goto out;
	{
		int fd = staged_open(l, cd);
		if (fd < 0)
			goto out;
		fstat(fd, &sb);
		close(fd);
	}
	strcpy(ref.config, cd);
	if (manifest_synth(l, &ref, cd, (uint64_t)sb.st_size, blobs, sizes, comp, n) < 0)
		goto out;
	rc = image_finish(l, &ref, NULL, json_get(o, "RepoTags", yajl_t_array));
out:
	ref_free(&ref);
	free(blobs);
	free(sizes);
	free(comp);
	if (config)
		yajl_tree_free(config);
	return rc;
}

static int load_input(struct load *l)
{
	yajl_val docker = NULL;
	int rc = 0;

	if (source_has(&l->src, "manifest.json")) {
		if (!(docker = member_json(l, "manifest.json")))
			return -1;
		if (!YAJL_IS_ARRAY(docker)) {
			yajl_tree_free(docker);
			return fail(&l->e, 1, "manifest.json: expected an array");
		}
	}
	if (source_has(&l->src, "index.json")) {
		if (!source_has(&l->src, "oci-layout"))
			rc = fail(&l->e, 1, "index.json without oci-layout: not an OCI image layout (oci-layout)");
		else
			rc = oci_load(l, docker);
	} else if (docker) {
		if (docker->u.array.len == 0)
			rc = fail(&l->e, 1, "manifest.json: no image");
		for (size_t i = 0; rc == 0 && i < docker->u.array.len; i++)
			rc = docker_image(l, docker->u.array.values[i], i);
	} else {
		rc = fail(&l->e, 1, "neither an OCI layout nor a docker save archive (no index.json, no manifest.json)");
	}
	if (docker)
		yajl_tree_free(docker);
	return rc;
}

/* move what this load staged into the store, then name it */
static int load_commit(struct load *l)
{
	struct image_refs refs;
	char from[128], to[sizeof l->st.root + 128];

	/* everything staged reaches the disk before anything refers to it */
	if (syncfs(l->tmpfd) < 0)
		return fail_errno(&l->e, "%s: syncfs", l->st.root);
	for (size_t i = 0; i < l->nblobs; i++) {
		snprintf(from, sizeof from, "%s/blobs/%s", l->tmp, digest_hex(l->blobs[i]));
		snprintf(to, sizeof to, "blobs/sha256/%s", digest_hex(l->blobs[i]));
		if (store_has_blob(&l->st, l->blobs[i]))
			continue;
		if (renameat(l->st.fd, from, l->st.fd, to) < 0)
			return fail_errno(&l->e, "%s/%s", l->st.root, to);
	}
	store_sync_dir(&l->st, "blobs/sha256");
	for (size_t i = 0; i < l->nlayers; i++) {
		char size[32];
		const char *hex = digest_hex(l->layers[i].chain);
		snprintf(from, sizeof from, "%s/layers/%s", l->tmp, hex);
		snprintf(to, sizeof to, "%s/layerdb/%s", l->st.root, hex);
		snprintf(size, sizeof size, "%llu\n", (unsigned long long)l->layers[i].size);
		if (file_write_atomic(to, size, strlen(size), 0600) < 0)
			return fail_errno(&l->e, "%s", to);
		snprintf(to, sizeof to, "layers/%s", hex);
		if (!store_has_layer(&l->st, l->layers[i].chain) && renameat(l->st.fd, from, l->st.fd, to) < 0)
			return fail_errno(&l->e, "%s/%s", l->st.root, to);
	}
	store_sync_dir(&l->st, "layers");
	if (refs_read(&l->st, &refs, &l->e) < 0)
		return -1;
	for (size_t i = 0; i < l->out.n; i++) {
		if (l->repo_digest)
			snprintf(l->out.v[i].repo_digest, sizeof l->out.v[i].repo_digest, "%s", l->repo_digest);
		if (refs_put(&refs, &l->out.v[i]) < 0) {
			refs_free(&refs);
			return fail_errno(&l->e, "images.json");
		}
	}
	if (refs_write(&l->st, &refs, &l->e) < 0) {
		refs_free(&refs);
		return -1;
	}
	refs_free(&refs);
	for (size_t i = 0; i < l->out.n && !l->quiet; i++) {
		const struct image_ref *r = &l->out.v[i];
		if (strcmp(r->name, "<none>") == 0)
			printf("Loaded image ID: %s\n", r->config);
		else
			printf("Loaded image: %s:%s\n", r->name, r->tag);
	}
	return 0;
}

static int load_run(struct load *l)
{
	if (store_open(&l->st, 1, &l->e) < 0)
		return -1;
	/* whatever a crashed load left: no other writer holds the lock (a
	 * store_open waiting for it may make tmp/ again meanwhile) */
	if (rm_tree_at(l->st.fd, "tmp") < 0 || (mkdirat(l->st.fd, "tmp", 0700) < 0 && errno != EEXIST))
		return fail_errno(&l->e, "%s/tmp", l->st.root);
	snprintf(l->tmp, sizeof l->tmp, "tmp/load.%ld", (long)getpid());
	if (mkdirat(l->st.fd, l->tmp, 0700) < 0 ||
	    (l->tmpfd = openat(l->st.fd, l->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mkdirat(l->tmpfd, "blobs", 0700) < 0 || mkdirat(l->tmpfd, "layers", 0700) < 0)
		return fail_errno(&l->e, "%s/%s", l->st.root, l->tmp);
	l->blobs = calloc(STAGED_MAX, sizeof *l->blobs);
	l->layers = calloc(STAGED_MAX, sizeof *l->layers);
	if (!l->blobs || !l->layers)
		return fail_errno(&l->e, "load");
	if (source_open(&l->src, l->file, &l->e) < 0 || load_input(l) < 0)
		return -1;
	if (l->nlayers >= STAGED_MAX)
		return fail(&l->e, 1, "more than %d layers", STAGED_MAX);
	return load_commit(l);
}

/* one load, start to end, and what it held freed */
static int load_one(struct load *l)
{
	int rc = load_run(l);

	if (l->tmpfd >= 0) {
		close(l->tmpfd);
		rm_tree_at(l->st.fd, l->tmp);
	}
	source_close(&l->src);
	refs_free(&l->out);
	free(l->blobs);
	free(l->layers);
	store_close(&l->st);
	return rc;
}

int image_load_layout(const char *dir, int pre, const char *token, const char *repo_digest, int quiet,
		      struct err *e)
{
	struct load l = { .tmpfd = -1, .src = { .fd = -1 }, .file = dir, .repo_digest = repo_digest, .quiet = quiet,
			 .link_source = 1, .pre = pre, .token = token };
	int rc = load_one(&l);

	if (rc < 0)
		*e = l.e;
	return rc;
}

int image_has_blob(const char *digest)
{
	char p[4096];

	if (!digest_valid(digest))
		return 0;
	path_fmt(p, sizeof p, "%s/blobs/sha256/%s", env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT), digest_hex(digest));
	return access(p, F_OK) == 0;
}

int cmd_load(int argc, char **argv)
{
	struct load l = { .tmpfd = -1, .src = { .fd = -1 }, .pre = -1 };
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--input") == 0) {
			if (++i == argc)
				usage_error("load", "%s needs a FILE", argv[i - 1]);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("load", "unknown option %s", argv[i]);
		}
		if (i < argc) {
			if (l.file)
				usage_error("load", "one FILE at a time");
			l.file = argv[i];
		}
	}
	if (!l.file)
		usage_error("load", "no FILE");
	rc = load_one(&l);
	if (rc < 0)
		die(l.e.code ? l.e.code : 1, "%s: %s", l.file, l.e.msg);
	return 0;
}
