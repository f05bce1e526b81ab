/* Reading an update bundle: a ustar archive whose members come in a fixed
 * order — manifest.json, manifest.json.minisig, then the UKI and the root
 * image named in the manifest. The signature is checked before any payload
 * byte is looked at; payloads are hashed as they stream past. Deliberately
 * strict: anything but plain files in that order is refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "update.h"
#include "bundle.h"
#include "hash.h"

#define SIG_MAX 4096
#define MANIFEST_MAX (64 * 1024)
#define CHUNK (1 << 20)

/* read exactly len bytes, or fewer at the end of the input (r->eof set);
 * -1 on a read error, named in r->err. A socket's receive timeout shows up
 * as EAGAIN: say "timed out", not "Resource temporarily unavailable". */
static int source_read(struct bundle_reader *r, void *buf, size_t len, size_t *got)
{
	char *p = buf;

	*got = 0;
	while (*got < len) {
		ssize_t n = read(r->fd, p + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bundle_fail(r, "read at byte %llu: %s",
					   (unsigned long long)(r->consumed),
					   errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
		if (n == 0) {
			r->eof = 1;
			break;
		}
		*got += (size_t)n;
		r->consumed += (uint64_t)n;
	}
	return 0;
}

static int octal(const char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < len && f[i] == ' ')
		i++;
	if (i == len || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

/* the next member's header: its name and size; 1 at the end of the archive */
static int member_next(struct bundle_reader *r, char *name, size_t namesize, uint64_t *size)
{
	unsigned char h[512];
	uint64_t sum, want = 0;
	size_t got;

	if (source_read(r, h, sizeof h, &got) != 0)
		return -1;
	if (got != sizeof h)
		return bundle_fail(r, "truncated: a member header ends at byte %llu",
				   (unsigned long long)(r->offset + got));
	r->offset += sizeof h;
	for (size_t i = 0; i < sizeof h; i++)
		want |= h[i];
	if (want == 0)
		return 1;
	want = 0;
	for (size_t i = 0; i < sizeof h; i++)
		want += (i >= 148 && i < 156) ? ' ' : h[i];
	if (octal((char *)h + 148, 8, &sum) != 0 || sum != want)
		return bundle_fail(r, "not a tar archive: bad header checksum at byte %llu",
				   (unsigned long long)(r->offset - sizeof h));
	if (h[156] != '0' && h[156] != '\0')
		return bundle_fail(r, "member type '%c' at byte %llu: only plain files belong in a bundle",
				   h[156], (unsigned long long)(r->offset - sizeof h));
	if (h[345] != '\0' || memchr(h, '\0', 100) == NULL)
		return bundle_fail(r, "member name too long at byte %llu",
				   (unsigned long long)(r->offset - sizeof h));
	/* the name field is NUL-terminated within its 100 bytes (checked above) */
	memcpy(name, h, namesize < 100 ? namesize : 100);
	name[namesize - 1] = '\0';
	if (octal((char *)h + 124, 12, size) != 0)
		return bundle_fail(r, "%s: bad size field", name);
	return 0;
}

/* expect member NAME next; returns its size */
static int member_expect(struct bundle_reader *r, const char *name, uint64_t *size)
{
	char got[101];
	int rc = member_next(r, got, sizeof got, size);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return bundle_fail(r, "truncated: the archive ends before %s", name);
	if (strcmp(got, name) != 0)
		return bundle_fail(r, "expected member %s, found %s", name, got);
	return 0;
}

static int padding_skip(struct bundle_reader *r, uint64_t size)
{
	char pad[512];
	size_t n = (size_t)((512 - size % 512) % 512), got;

	if (n == 0)
		return 0;
	if (source_read(r, pad, n, &got) != 0)
		return -1;
	if (got != n)
		return bundle_fail(r, "truncated after byte %llu", (unsigned long long)(r->offset + got));
	r->offset += n;
	return 0;
}

static int small_member(struct bundle_reader *r, const char *name, size_t max, char *buf, size_t *len)
{
	uint64_t size;
	size_t got;

	if (member_expect(r, name, &size) != 0)
		return -1;
	if (size > max)
		return bundle_fail(r, "%s: %llu bytes, more than %zu", name, (unsigned long long)size, max);
	if (source_read(r, buf, (size_t)size, &got) != 0)
		return -1;
	if (got != size)
		return bundle_fail(r, "truncated in %s after %zu of %llu bytes", name, got,
				   (unsigned long long)size);
	r->offset += size;
	*len = (size_t)size;
	return padding_skip(r, size);
}

int bundle_fail(struct bundle_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return -1;
}

int bundle_open(struct bundle_reader *r, const char *path, const struct minisign_key *key)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		memset(r, 0, sizeof *r);
		r->fd = -1;
		return bundle_fail(r, "%s", strerror(errno));
	}
	return bundle_open_fd(r, fd, key);
}

int bundle_open_fd(struct bundle_reader *r, int fd, const struct minisign_key *key)
{
	char manifest[MANIFEST_MAX], sig[SIG_MAX], err[256];
	size_t mlen, slen;

	memset(r, 0, sizeof *r);
	r->fd = fd;
	if (small_member(r, "manifest.json", sizeof manifest, manifest, &mlen) != 0 ||
	    small_member(r, "manifest.json.minisig", sizeof sig, sig, &slen) != 0)
		return -1;
	if (minisign_verify(key, manifest, mlen, sig, slen, r->trusted, sizeof r->trusted,
			    err, sizeof err) != 0)
		return bundle_fail(r, "manifest.json.minisig: %s", err);
	if (manifest_parse(manifest, mlen, &r->m, err, sizeof err) != 0)
		return bundle_fail(r, "%s", err);
	return 0;
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
		return bundle_fail(r, "%s: %llu bytes, the manifest says %llu", part->name,
				   (unsigned long long)size, (unsigned long long)part->size);
	buf = malloc(CHUNK);
	if (!buf)
		return bundle_fail(r, "out of memory");
	sha256_init(&h);
	while (done < size) {
		size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK, got;

		if (source_read(r, buf, want, &got) != 0) {
			free(buf);
			return -1;
		}
		if (got != want) {
			free(buf);
			return bundle_fail(r, "truncated in %s after %llu of %llu bytes", part->name,
					   (unsigned long long)(done + got), (unsigned long long)size);
		}
		sha256_update(&h, buf, got);
		if (sink && sink(arg, buf, got, done) != 0) {
			free(buf);
			return -1;
		}
		done += got;
		r->offset += got;
	}
	free(buf);
	sha256_final(&h, digest);
	if (strcmp(digest_hex(digest), part->sha256) != 0)
		return bundle_fail(r, "%s: sha256 %s, the signed manifest says %s", part->name, digest_hex(digest),
				   part->sha256);
	return padding_skip(r, size);
}

void bundle_close(struct bundle_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
