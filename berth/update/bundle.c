/* Reading an update bundle: a tar archive (read by lib/tar.c) whose members
 * come in a fixed order — manifest.json, manifest.json.minisig, then the UKI
 * and the root image named in the manifest. The signature is checked before
 * any payload byte is looked at; payloads are hashed as they stream past.
 * Deliberately strict: anything but plain files in that order is refused,
 * and where the input ends early the message says where. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "http.h"
#include "update.h"
#include "bundle.h"
#include "hash.h"

#define SIG_MAX 4096
#define MANIFEST_MAX (64 * 1024)
#define CHUNK (1 << 20)
#define HTTP_WAIT_MS 30000

static ssize_t in_read(struct stream *s, void *buf, size_t n)
{
	struct bundle_reader *r = (struct bundle_reader *)s;
	ssize_t k = r->src->read(r->src, buf, n);

	if (k == 0)
		r->eof = 1;
	if (k > 0)
		r->consumed += (uint64_t)k;
	return k;
}

/* after a failed tar call: 1 if the input ended there (the caller says
 * where), else 0 with the error in r->err: the source's own, or tar's word
 * on the archive */
static int ended(struct bundle_reader *r)
{
	if (r->err.msg[0])
		return 0;
	if (r->eof)
		return 1;
	fail(&r->err, r->io.code, "%s", r->io.msg);
	return 0;
}

/* the next member, which must be the plain file NAME; its size */
static int member_expect(struct bundle_reader *r, const char *name, uint64_t *size)
{
	const struct tar_entry *e = &r->tar.e;
	int rc = tar_next(&r->tar);

	if (rc < 0 && !ended(r))
		return -1;
	if (rc <= 0 && r->eof)
		return fail(&r->err, 1, "truncated: a member header ends at byte %llu",
			    (unsigned long long)r->consumed);
	if (rc == 0)
		return fail(&r->err, 1, "truncated: the archive ends before %s", name);
	if (e->typeflag != '0' && e->typeflag != '\0')
		return fail(&r->err, 1, "member type '%c' at byte %llu: only plain files belong in a bundle",
			    e->typeflag, (unsigned long long)e->offset);
	if (strlen(e->path) >= 100)
		return fail(&r->err, 1, "member name too long at byte %llu", (unsigned long long)e->offset);
	if (strcmp(e->path, name) != 0)
		return fail(&r->err, 1, "expected member %s, found %s", name, e->path);
	*size = e->size;
	return 0;
}

/* the next n bytes of member NAME of size bytes */
static int member_read(struct bundle_reader *r, const char *name, uint64_t size, void *buf, size_t n)
{
	uint64_t start = r->tar.pos - (size - r->tar.left);

	if (tar_read(&r->tar, buf, n) == (ssize_t)n)
		return 0;
	if (ended(r))
		return fail(&r->err, 1, "truncated in %s after %llu of %llu bytes", name,
			    (unsigned long long)(r->consumed - start), (unsigned long long)size);
	return -1;
}

static int padding_skip(struct bundle_reader *r)
{
	if (tar_skip(&r->tar) == 0)
		return 0;
	if (ended(r))
		return fail(&r->err, 1, "truncated after byte %llu", (unsigned long long)r->consumed);
	return -1;
}

static int small_member(struct bundle_reader *r, const char *name, size_t max, char *buf, size_t *len)
{
	uint64_t size;

	if (member_expect(r, name, &size) != 0)
		return -1;
	if (size > max)
		return fail(&r->err, 1, "%s: %llu bytes, more than %zu", name, (unsigned long long)size, max);
	*len = (size_t)size;
	if (member_read(r, name, size, buf, *len) != 0)
		return -1;
	return padding_skip(r);
}

static void reset(struct bundle_reader *r)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

/* read and verify the signed manifest from src */
static int head_read(struct bundle_reader *r, struct stream *src, const struct minisign_key *key)
{
	char manifest[MANIFEST_MAX], sig[SIG_MAX], err[256];
	size_t mlen, slen;

	r->in.read = in_read;
	r->in.err = &r->io;
	r->src = src;
	tar_init(&r->tar, &r->in, 0, &r->io);
	if (small_member(r, "manifest.json", sizeof manifest, manifest, &mlen) != 0 ||
	    small_member(r, "manifest.json.minisig", sizeof sig, sig, &slen) != 0)
		return -1;
	if (minisign_verify(key, manifest, mlen, sig, slen, r->trusted, sizeof r->trusted,
			    err, sizeof err) != 0)
		return fail(&r->err, 1, "manifest.json.minisig: %s", err);
	if (manifest_parse(manifest, mlen, &r->m, err, sizeof err) != 0)
		return fail(&r->err, 1, "%s", err);
	return 0;
}

int bundle_open(struct bundle_reader *r, const char *src, const struct minisign_key *key)
{
	struct http_request rq = { .url = src, .agent = "berth-update", .wait_ms = HTTP_WAIT_MS };
	struct http_response rs;
	int fd;

	reset(r);
	/* the signature is what is trusted; https:// keeps what a node
	 * fetches private and passes proxies that only let TLS through */
	if (strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0) {
		r->http = http_open(&rq, &rs, &r->err);
		if (!r->http)
			return -1;
		r->length = rs.length;
		return head_read(r, http_body(r->http), key);
	}
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(&r->err, EXIT_SYSTEM, "%s", strerror(errno));
	return bundle_open_fd(r, fd, key);
}

int bundle_open_fd(struct bundle_reader *r, int fd, const struct minisign_key *key)
{
	struct stat st;

	reset(r);
	r->fd = fd;
	if (fstat(fd, &st) != 0)
		return fail(&r->err, EXIT_SYSTEM, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(&r->err, 1, "not a regular file");
	range_stream_init(&r->file, fd, 0, (uint64_t)st.st_size, &r->err);
	return head_read(r, &r->file.s, key);
}

int bundle_stream(struct bundle_reader *r, const struct bundle_part *part, bundle_sink sink, void *arg)
{
	struct sha256 h;
	char digest[DIGEST_LEN + 1];
	uint64_t size, done = 0;
	char *buf;

	if (member_expect(r, part->name, &size) != 0)
		return -1;
	if (size != part->size)
		return fail(&r->err, 1, "%s: %llu bytes, the manifest says %llu", part->name,
			    (unsigned long long)size, (unsigned long long)part->size);
	buf = malloc(CHUNK);
	if (!buf)
		return fail(&r->err, EXIT_SYSTEM, "out of memory");
	sha256_init(&h);
	while (done < size) {
		size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;

		if (member_read(r, part->name, size, buf, want) != 0 || (sink && sink(arg, buf, want, done) != 0)) {
			free(buf);
			return -1;
		}
		sha256_update(&h, buf, want);
		done += want;
	}
	free(buf);
	sha256_final(&h, digest);
	if (strcmp(digest_hex(digest), part->sha256) != 0)
		return fail(&r->err, 1, "%s: sha256 %s, the signed manifest says %s", part->name, digest_hex(digest),
			    part->sha256);
	return padding_skip(r);
}

void bundle_close(struct bundle_reader *r)
{
	tar_free(&r->tar);
	http_close(r->http);
	r->http = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
