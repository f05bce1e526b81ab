/* Layer decompression: gzip (zlib), zstd (libzstd) or none. The media type
 * says which, and the magic bytes must agree; the output is hashed on the way
 * through, since its digest is the layer's DiffID. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "berth.h"
#include "image.h"

#define INBUF 65536

struct decomp {
	struct stream s;
	struct stream *in;
	enum compression c;
	z_stream z;
	int z_live;
	ZSTD_DStream *zs;
	size_t zs_left;        /* ZSTD_decompressStream's hint: 0 at a frame's end */
	int in_eof, done;
	unsigned char *buf;
	size_t pos, len;       /* unread input in buf */
	struct sha256 h;
	uint64_t out;
};

static const char *comp_name(enum compression c)
{
	return c == COMP_GZIP ? "gzip" : c == COMP_ZSTD ? "zstd" : "uncompressed tar";
}

int layer_media_compression(const char *mt)
{
	static const struct {
		const char *type;
		enum compression c;
	} types[] = {
		{ "application/vnd.oci.image.layer.v1.tar", COMP_NONE },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", COMP_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", COMP_ZSTD },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", COMP_NONE },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", COMP_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", COMP_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar", COMP_NONE },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", COMP_GZIP },
		{ "application/vnd.docker.image.rootfs.diff.tar.zstd", COMP_ZSTD },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", COMP_GZIP },
	};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(mt, types[i].type) == 0)
			return (int)types[i].c;
	return -1;
}

/* refill buf when it is empty; 0 at the end of the input */
static int fill(struct decomp *d)
{
	ssize_t n;

	if (d->pos < d->len)
		return 1;
	if (d->in_eof)
		return 0;
	n = d->in->read(d->in, d->buf, INBUF);
	if (n < 0)
		return -1;
	d->pos = 0;
	d->len = (size_t)n;
	if (n == 0)
		d->in_eof = 1;
	return n > 0;
}

static ssize_t gzip_read(struct decomp *d, void *out, size_t n)
{
	for (;;) {
		int f = fill(d), r;
		size_t before_in, produced;
		if (f < 0)
			return -1;
		if (f == 0)
			return fail(d->s.err, 1, "gzip data ends early: truncated");
		d->z.next_in = d->buf + d->pos;
		d->z.avail_in = (uInt)(d->len - d->pos);
		d->z.next_out = out;
		d->z.avail_out = (uInt)(n > 1u << 30 ? 1u << 30 : n);
		before_in = d->z.avail_in;
		r = inflate(&d->z, Z_NO_FLUSH);
		d->pos += before_in - d->z.avail_in;
		produced = (size_t)((unsigned char *)d->z.next_out - (unsigned char *)out);
		if (r == Z_STREAM_END) {
			/* another gzip member may follow (pigz, concatenated files) */
			if ((f = fill(d)) < 0)
				return -1;
			if (f == 0)
				d->done = 1;
			else
				inflateReset(&d->z);
		} else if (r != Z_OK && !(r == Z_BUF_ERROR && produced == 0 && d->z.avail_in == 0)) {
			return fail(d->s.err, 1, "gzip data is corrupt: %s", d->z.msg ? d->z.msg : "inflate failed");
		}
		if (produced > 0 || d->done)
			return (ssize_t)produced;
	}
}

static ssize_t zstd_read(struct decomp *d, void *out, size_t n)
{
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer o = { out, n, 0 };
		int f = fill(d);
		if (f < 0)
			return -1;
		if (f == 0) {
			if (d->zs_left != 0)
				return fail(d->s.err, 1, "zstd data ends early: truncated");
			d->done = 1;
			return 0;
		}
		in.src = d->buf;
		in.size = d->len;
		in.pos = d->pos;
		d->zs_left = ZSTD_decompressStream(d->zs, &o, &in);
		if (ZSTD_isError(d->zs_left))
			return fail(d->s.err, 1, "zstd data is corrupt: %s", ZSTD_getErrorName(d->zs_left));
		d->pos = in.pos;
		if (o.pos > 0)
			return (ssize_t)o.pos;
	}
}

static ssize_t plain_read(struct decomp *d, void *out, size_t n)
{
	int f = fill(d);

	if (f <= 0) {
		d->done = f == 0;
		return f;
	}
	if (n > d->len - d->pos)
		n = d->len - d->pos;
	memcpy(out, d->buf + d->pos, n);
	d->pos += n;
	return (ssize_t)n;
}

static ssize_t decomp_read(struct stream *s, void *out, size_t n)
{
	struct decomp *d = (struct decomp *)s;
	ssize_t r;

	if (d->done || n == 0)
		return 0;
	r = d->c == COMP_GZIP ? gzip_read(d, out, n) : d->c == COMP_ZSTD ? zstd_read(d, out, n) : plain_read(d, out, n);
	if (r > 0) {
		sha256_update(&d->h, out, (size_t)r);
		d->out += (uint64_t)r;
	}
	return r;
}

struct decomp *decomp_new(struct stream *in, enum compression want, struct err *e)
{
	struct decomp *d = calloc(1, sizeof *d);
	enum compression got = COMP_NONE;

	if (!d || !(d->buf = malloc(INBUF))) {
		free(d);
		fail_errno(e, "decompress");
		return NULL;
	}
	d->s.read = decomp_read;
	d->s.err = e;
	d->in = in;
	sha256_init(&d->h);
	/* enough bytes for the magic, unless the whole layer is shorter */
	while (d->len < 4 && !d->in_eof) {
		ssize_t n = in->read(in, d->buf + d->len, INBUF - d->len);
		if (n < 0)
			goto fail;
		if (n == 0)
			d->in_eof = 1;
		d->len += (size_t)n;
	}
	if (d->len >= 2 && d->buf[0] == 0x1f && d->buf[1] == 0x8b)
		got = COMP_GZIP;
	else if (d->len >= 4 && !memcmp(d->buf, "\x28\xb5\x2f\xfd", 4))
		got = COMP_ZSTD;
	if (want != COMP_DETECT && want != got) {
		fail(e, 1, "media type says %s, but the data is %s", comp_name(want), comp_name(got));
		goto fail;
	}
	d->c = got;
	if (got == COMP_GZIP) {
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) {
			fail(e, EXIT_SYSTEM, "zlib: inflateInit2 failed");
			goto fail;
		}
		d->z_live = 1;
		/* gzip's CRC-32 is not computed: the SHA-256 of what comes out
		 * (the DiffID) is checked instead, and a tenth of a pull's CPU
		 * went to the CRC */
		inflateValidate(&d->z, 0);
	} else if (got == COMP_ZSTD) {
		if (!(d->zs = ZSTD_createDStream())) {
			fail(e, EXIT_SYSTEM, "zstd: out of memory");
			goto fail;
		}
		/* frames wider than 128 MiB windows need more memory than a layer is worth */
		ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 27);
		d->zs_left = 1;
	}
	return d;
fail:
	decomp_free(d);
	return NULL;
}

struct stream *decomp_stream(struct decomp *d) { return &d->s; }

void decomp_digest(struct decomp *d, char out[DIGEST_LEN + 1], uint64_t *len)
{
	struct sha256 copy = d->h;

	sha256_final(&copy, out);
	*len = d->out;
}

void decomp_free(struct decomp *d)
{
	if (!d)
		return;
	if (d->z_live)
		inflateEnd(&d->z);
	ZSTD_freeDStream(d->zs);
	free(d->buf);
	free(d);
}
