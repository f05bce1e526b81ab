/* libFuzzer target for what `berth load` parses before it trusts anything:
 * the tar reader (lib/tar.c: ustar, GNU base-256, pax records, GNU long names,
 * GNU sparse maps),
 * the archive index of image/source.c (member names, links followed to a
 * file, byte ranges), and the JSON of index.json, an image manifest, an
 * image config and docker save's manifest.json. The first byte picks one:
 *   0 a layer tar, walked with tar_next/tar_read/tar_hole and read through
 *     by layer_unpack with no directory (nothing is written anywhere)
 *   1 an archive, walked strictly, then indexed by source_open over a
 *     memfd and every member looked up through source_has/source_member
 *   2 a JSON document, parsed by json_parse and json_read and walked as
 *     each of the four documents with json.c's accessors
 * The byte's high six bits, if not 0, are the most bytes a read returns.
 * image/load.c's own checks of the documents (desc_get, config_diff_ids,
 * index_pick, path_digest) are static and interleaved with staging blobs
 * in the store, so they are not reached: the walk here goes through the
 * same accessors and checks what they hand back (json_get's types,
 * digest_valid, ref_parse, layer_media_compression).
 * Whatever the bytes, nothing crashes or leaks, an error always says
 * what, and whatever is accepted is in its documented bounds.
 *   make out/fuzz/image-libfuzzer; out/fuzz/image-main (fuzz-main.c) runs the same
 *   target over files without libFuzzer.
 * Seeds: tests/lib/fuzz.bash makes them (image_seeds, sparse_seeds). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image.h"
#include "tar.h"

#define INPUT_MAX (8 << 20)
#define NAMES_MAX 64 /* member names looked up in the archive index */
#define KEYS_MAX 64  /* keys of one object checked against json_get */
#define DEPTH_MAX 64 /* of the generic walk */

/* what the last input came to, for fuzz-main.c */
const char *fuzz_result = "";

/* ---- a stream over the input, in reads of at most chunk bytes ---- */

struct mem_stream {
	struct stream s;
	const uint8_t *p;
	size_t len, pos, chunk;
};

static ssize_t mem_read(struct stream *s, void *buf, size_t n)
{
	struct mem_stream *m = (struct mem_stream *)s;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static void mem_init(struct mem_stream *m, const uint8_t *data, size_t size, size_t chunk, struct err *e)
{
	*m = (struct mem_stream){ { mem_read, e }, data, size, 0, chunk };
}

/* "sha256:" and 64 lowercase hex digits, spelled out again */
static int digest_ok(const char *s)
{
	if (strlen(s) != DIGEST_LEN || memcmp(s, "sha256:", 7) != 0)
		return 0;
	for (size_t i = 7; i < DIGEST_LEN; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

static void digest_check(const char *s)
{
	if (digest_valid(s) != digest_ok(s))
		abort();
	if (digest_valid(s) && strcmp(digest_hex(s), s + 7) != 0)
		abort();
}

/* ---- 0 and 1: tar ---- */

struct walk {
	int r;              /* tar_next's last: 0 the end, -1 an error */
	size_t n;           /* entries */
	uint64_t file_bytes;
	int sparse;         /* a sparse file seen: an archive refuses it */
	size_t nnames;
	char *names[NAMES_MAX];
};

static void entry_check(const struct tar *t, uint64_t last_off, size_t n)
{
	const struct tar_entry *e = &t->e;
	size_t plen;

	if (!e->path || !e->link || e->path[0] == '\0')
		abort();
	plen = strlen(e->path);
	if (plen >= TAR_PATH_MAX || strlen(e->link) >= TAR_PATH_MAX)
		abort();
	if (e->type < TAR_FILE || e->type > TAR_FIFO || (e->mode & ~(mode_t)07777))
		abort();
	if ((uint64_t)e->uid > UINT32_MAX - 1 || (uint64_t)e->gid > UINT32_MAX - 1)
		abort();
	if (e->mtime.tv_sec < 0 || e->mtime.tv_nsec < 0 || e->mtime.tv_nsec >= 1000000000L)
		abort();
	if (e->size > INT64_MAX || (e->type != TAR_FILE && e->size != 0))
		abort();
	if (e->type == TAR_CHAR || e->type == TAR_BLOCK) {
		if (e->devmajor > 0xfff || e->devminor > 0xfffff)
			abort();
	} else if (e->devmajor || e->devminor) {
		abort();
	}
	if ((e->type == TAR_HARDLINK || e->type == TAR_SYMLINK) && e->link[0] == '\0')
		abort();
	if (e->nxattrs > TAR_XATTRS_MAX)
		abort();
	for (size_t i = 0; i < e->nxattrs; i++) {
		size_t len = strlen(e->xattrs[i].name);
		if (len == 0 || len > 255 || e->xattrs[i].len > TAR_XATTR_VALUE_MAX || !e->xattrs[i].value)
			abort();
	}
	/* headers come one after another, 512-byte aligned, before the data */
	if (e->offset % 512 || (n > 0 && e->offset <= last_off) || e->offset + 512 > t->pos || t->pos % 512)
		abort();
	if (!e->sparse) {
		if (t->left != e->size || t->pad != (512 - e->size % 512) % 512 || e->nchunks || e->chunks)
			abort();
		return;
	}
	/* a sparse file's chunks: in order, apart, inside its size, and all
	 * that is stored (a 1.0 map before them is a whole number of blocks) */
	uint64_t end = 0, sum = 0;
	if (e->type != TAR_FILE || e->nchunks > TAR_CHUNKS_MAX || (e->nchunks && !e->chunks) || t->at || t->chunk)
		abort();
	for (size_t i = 0; i < e->nchunks; i++) {
		const struct tar_chunk *c = &e->chunks[i];
		if (c->off < end || c->off > e->size || c->len > e->size - c->off)
			abort();
		end = c->off + c->len;
		sum += c->len;
	}
	if (t->left != sum || t->pad != (512 - sum % 512) % 512)
		abort();
}

/* a file's data to its end: holes passed over by tar_hole, or read as
 * zeros when the file is small (then checked against the map); its size */
static ssize_t data_walk(struct tar *t, int holes, char *buf, size_t n)
{
	const struct tar_entry *e = &t->e;
	uint64_t got = 0;
	size_t c = 0;
	ssize_t k;

	for (;;) {
		uint64_t hole = holes ? tar_hole(t) : 0;
		if (hole && !e->sparse)
			abort();
		got += hole;
		if (hole)
			continue;
		if ((k = tar_read(t, buf, n)) <= 0)
			break;
		for (ssize_t i = 0; e->sparse && i < k; i++) {
			uint64_t at = got + (uint64_t)i;
			while (c < e->nchunks && at >= e->chunks[c].off + e->chunks[c].len)
				c++;
			if ((c == e->nchunks || at < e->chunks[c].off) && buf[i])
				abort();
		}
		got += (uint64_t)k;
	}
	if (k < 0)
		return -1;
	if (got != e->size || t->left != 0)
		abort();
	return 0;
}

/* every entry; the data of every other one read in odd-sized bites, the
 * rest left for tar_next to skip */
static void tar_walk(const uint8_t *data, size_t size, size_t chunk, int strict, struct walk *w)
{
	struct mem_stream ms;
	struct err e = { 0 };
	struct tar t;
	uint64_t last_off = 0;
	char buf[777];

	memset(w, 0, sizeof *w);
	mem_init(&ms, data, size, chunk, &e);
	tar_init(&t, &ms.s, strict, &e);
	while ((w->r = tar_next(&t)) > 0) {
		entry_check(&t, last_off, w->n);
		last_off = t.e.offset;
		if (t.e.type == TAR_FILE)
			w->file_bytes += t.e.size;
		w->sparse |= t.e.sparse;
		if (w->nnames < NAMES_MAX && !(w->names[w->nnames++] = strdup(t.e.path)))
			abort();
		if (w->n++ % 2 == 0 && data_walk(&t, t.e.size > (1u << 20), buf, sizeof buf) < 0) {
			w->r = -1;
			break;
		}
		if (t.pos > size)
			abort();
	}
	if (w->r > 0 || (w->r < 0) != (e.msg[0] != '\0') || (w->r < 0 && e.code != 1) || t.pos > size)
		abort();
	tar_free(&t);
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->nnames; i++)
		free(w->names[i]);
}

static void layer_one(const uint8_t *data, size_t size, size_t chunk)
{
	struct layer_stats st;
	struct mem_stream ms;
	struct err e = { 0 };
	struct walk w;
	int r;

	tar_walk(data, size, chunk, 0, &w);
	mem_init(&ms, data, size, chunk, &e);
	r = layer_unpack(&ms.s, -1, NULL, 0, "layer", &st, &e);
	/* reading it through agrees with the walk, and reads to the end */
	if (r != (w.r < 0 ? -1 : 0) || (r < 0) != (e.msg[0] != '\0') ||
	    (r == 0 && (st.file_bytes != w.file_bytes || ms.pos != size)))
		abort();
	if (r < 0 && strncmp(e.msg, "layer: ", 7) != 0)
		abort();
	fuzz_result = r == 0 ? "layer ok" : "layer refused";
	walk_free(&w);
}

static void lookup(struct source *src, const char *name, uint64_t file_size)
{
	struct range_stream rs;
	struct err e = { 0 };
	uint64_t msize = 0, got = 0;
	char buf[4096];
	ssize_t k;
	int has = source_has(src, name), r = source_member(src, name, &rs, &msize, &e);

	if (has != (r == 0) || (r < 0) != (e.msg[0] != '\0'))
		abort();
	if (r < 0)
		return;
	/* a member is read in place: its bytes lie inside the archive */
	if (rs.fd != src->fd || rs.pos > rs.end || rs.end > file_size || rs.end - rs.pos != msize)
		abort();
	while ((k = rs.s.read(&rs.s, buf, sizeof buf)) > 0)
		got += (uint64_t)k;
	if (k < 0 || got != msize)
		abort();
}

static void archive_one(const uint8_t *data, size_t size, size_t chunk)
{
	static const char *const fixed[] = { "index.json", "oci-layout", "manifest.json", "./index.json",
					     "blobs/../index.json", "../index.json", "", "/" };
	struct source src;
	struct err e = { 0 };
	struct walk w;
	char path[64];
	int fd, r, packed;

	tar_walk(data, size, chunk, 1, &w);
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	r = source_open(&src, path, &e);
	close(fd);
	packed = size >= 4 && ((data[0] == 0x1f && data[1] == 0x8b) || (data[0] == 0x28 && data[1] == 0xb5));
	/* the index refuses what the walk refuses, what looks compressed and
	 * sparse members */
	if ((r < 0) != (w.r < 0 || packed || w.sparse) || (r < 0) != (e.msg[0] != '\0') || src.is_dir)
		abort();
	fuzz_result = "archive refused";
	if (r == 0) {
		for (size_t i = 0; i < w.nnames; i++)
			lookup(&src, w.names[i], size);
		for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
			lookup(&src, fixed[i], size);
		fuzz_result = source_has(&src, "index.json") ? "archive ok: index.json"
			      : source_has(&src, "manifest.json") ? "archive ok: manifest.json" : "archive ok";
	}
	source_close(&src);
	walk_free(&w);
}

/* ---- 2: JSON ---- */

/* json_get returns the first value of the key, and only of the type asked */
static void json_tree_check(yajl_val v, int depth)
{
	static const yajl_type types[] = { yajl_t_string, yajl_t_number, yajl_t_object, yajl_t_array };

	if (!v || depth > DEPTH_MAX)
		return;
	if (YAJL_IS_STRING(v) && !v->u.string)
		abort();
	if (YAJL_IS_ARRAY(v))
		for (size_t i = 0; i < v->u.array.len; i++)
			json_tree_check(v->u.array.values[i], depth + 1);
	if (!YAJL_IS_OBJECT(v))
		return;
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *key = v->u.object.keys[i];
		size_t first = i;
		if (!key)
			abort();
		if (i < KEYS_MAX) {
			for (size_t j = 0; j < i; j++)
				if (strcmp(v->u.object.keys[j], key) == 0) {
					first = j;
					break;
				}
			for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
				yajl_val got = json_get(v, key, types[t]);
				yajl_val want = json_is(v->u.object.values[first], types[t]) ? v->u.object.values[first] : NULL;
				if (got != want)
					abort();
			}
		}
		json_tree_check(v->u.object.values[i], depth + 1);
	}
}

/* a descriptor as desc_get reads it; 1 if it is one */
static int desc_walk(yajl_val o)
{
	struct err e = { 0 };
	const char *mt = json_str(o, "mediaType"), *digest = json_need_str(o, "digest", "desc", &e);
	yajl_val size;

	if (mt && json_get(o, "mediaType", yajl_t_string)->u.string != mt)
		abort();
	if (!digest) {
		if (!e.msg[0] || e.code != 1)
			abort();
		return 0;
	}
	digest_check(digest);
	size = json_need(o, "size", yajl_t_number, "desc", &e);
	if (!size) {
		if (!e.msg[0])
			abort();
		return 0;
	}
	if (!YAJL_IS_INTEGER(size) || e.msg[0])
		abort();
	return digest_valid(digest) && YAJL_GET_INTEGER(size) >= 0;
}

static void name_walk(const char *s)
{
	char name[REF_MAX], tag[REF_MAX];
	size_t nlen, tlen;

	if (ref_parse(s, name, tag) < 0)
		return;
	nlen = strnlen(name, REF_MAX);
	tlen = strnlen(tag, REF_MAX);
	if (nlen == 0 || nlen >= REF_MAX || tlen == 0 || tlen > 128 || name[0] == '/' || name[nlen - 1] == '/')
		abort();
	for (size_t i = 0; i < tlen; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", tag[i]))
			abort();
}

/* index.json, or an index inside the layout */
static int index_walk(yajl_val v)
{
	yajl_val ms = json_get(v, "manifests", yajl_t_array);
	int ok = ms && ms->u.array.len > 0;

	for (size_t i = 0; ms && i < ms->u.array.len; i++) {
		yajl_val o = ms->u.array.values[i], ann = json_get(o, "annotations", yajl_t_object);
		yajl_val p = json_get(o, "platform", yajl_t_object);
		const char *name = json_str(ann, "io.containerd.image.name");
		if (!name)
			name = json_str(ann, "org.opencontainers.image.ref.name");
		if (name)
			name_walk(name);
		json_str(p, "os");
		json_str(p, "architecture");
		ok &= desc_walk(o);
	}
	return ok;
}

static int manifest_walk(yajl_val v)
{
	yajl_val layers = json_get(v, "layers", yajl_t_array);
	int ok = desc_walk(json_get(v, "config", yajl_t_object)) && layers && layers->u.array.len <= LAYERS_MAX;

	for (size_t i = 0; layers && i < layers->u.array.len && i <= LAYERS_MAX; i++) {
		yajl_val o = layers->u.array.values[i];
		const char *mt = json_str(o, "mediaType");
		int c = mt ? layer_media_compression(mt) : -1;
		if (c != -1 && c != COMP_NONE && c != COMP_GZIP && c != COMP_ZSTD)
			abort();
		ok &= desc_walk(o) && c >= 0;
	}
	return ok;
}

static int config_walk(yajl_val v)
{
	yajl_val ids = json_get(json_get(v, "rootfs", yajl_t_object), "diff_ids", yajl_t_array);
	int ok = ids != NULL;

	json_str(v, "created");
	for (size_t i = 0; ids && i < ids->u.array.len; i++) {
		yajl_val d = ids->u.array.values[i];
		if (YAJL_IS_STRING(d))
			digest_check(d->u.string);
		ok &= YAJL_IS_STRING(d) && digest_valid(d->u.string);
	}
	return ok;
}

/* docker save's manifest.json: an array of Config, Layers, RepoTags */
static int docker_walk(yajl_val v)
{
	int ok = YAJL_IS_ARRAY(v) && v->u.array.len > 0;

	for (size_t i = 0; YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
		yajl_val o = v->u.array.values[i];
		yajl_val layers = json_get(o, "Layers", yajl_t_array), tags = json_get(o, "RepoTags", yajl_t_array);
		struct err e = { 0 };
		if (!json_need_str(o, "Config", "manifest.json", &e)) {
			if (!e.msg[0])
				abort();
			ok = 0;
		}
		for (size_t j = 0; layers && j < layers->u.array.len; j++)
			ok &= YAJL_IS_STRING(layers->u.array.values[j]);
		for (size_t j = 0; tags && j < tags->u.array.len; j++)
			if (YAJL_IS_STRING(tags->u.array.values[j]))
				name_walk(tags->u.array.values[j]->u.string);
		ok &= layers != NULL;
	}
	return ok;
}

static void json_one(const uint8_t *data, size_t size, size_t chunk)
{
	struct err e1 = { 0 }, e2 = { 0 };
	struct mem_stream ms;
	yajl_val a, b;

	a = json_parse((const char *)data, size, "doc", &e1);
	mem_init(&ms, data, size, chunk, &e2);
	b = json_read(&ms.s, "doc", &e2);
	/* whole or in pieces, the same answer; a refusal says what and why */
	if (!a != !b || (!a) != (e1.msg[0] != '\0') || (!b) != (e2.msg[0] != '\0') ||
	    (!a && (e1.code != 1 || strncmp(e1.msg, "doc: ", 5) != 0)))
		abort();
	if (!a) {
		fuzz_result = "json refused";
		return;
	}
	if (!YAJL_IS_OBJECT(a) && !YAJL_IS_ARRAY(a))
		abort();
	json_tree_check(a, 0);
	fuzz_result = docker_walk(a) ? "manifest.json ok"
		      : index_walk(a)  ? "index ok"
		      : manifest_walk(a) ? "manifest ok"
		      : config_walk(a)   ? "config ok" : "json: no image document";
	yajl_tree_free(a);
	yajl_tree_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	/* 0: reads as large as asked, else at most 1 to 63 bytes */
	chunk = data[0] >> 2;
	switch (data[0] & 3) {
	case 0:
		layer_one(data + 1, size - 1, chunk);
		break;
	case 1:
		archive_one(data + 1, size - 1, chunk);
		break;
	default:
		json_one(data + 1, size - 1, chunk);
	}
	return 0;
}
