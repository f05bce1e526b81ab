/* libFuzzer target for the update parsers: the bundle reader (ustar
 * members, sizes, padding), the minisign key and signature formats, the
 * manifest, and the UKI file names on the ESP. The first byte picks one:
 *   0 manifest.json       1 a minisign public key      2 a UKI file name
 *   3 a bundle: one line with a base64 public key, then the archive
 * Whatever the bytes, nothing crashes and whatever is accepted is
 * well-formed. Seeds: tests/lib/update.bash makes them with minisign.
 *   make out/fuzz/update-libfuzzer   (and out/fuzz/update-main: the seeds, no clang)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "update.h"
#include "bundle.h"

#define INPUT_MAX (8 << 20)

/* what the last input came to, for fuzz-main.c */
const char *fuzz_result = "";

static char *cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void manifest_one(const uint8_t *data, size_t size)
{
	struct bundle_manifest m;
	char err[256];

	if (manifest_parse((const char *)data, size, &m, err, sizeof err) != 0) {
		if (strlen(err) == 0)
			abort();
		fuzz_result = "manifest refused";
		return;
	}
	if (m.format != 1 || !version_valid(m.version) || !version_valid(m.min_version) ||
	    m.uki.size == 0 || m.root.size == 0 || strchr(m.uki.name, '/') || strchr(m.root.name, '/') ||
	    strlen(m.root.sha256) != 64 || strlen(m.roothash) != 64)
		abort();
	fuzz_result = "manifest ok";
}

static void key_one(const uint8_t *data, size_t size)
{
	struct minisign_key key;
	char err[256], *s = cstr(data, size);

	fuzz_result = minisign_key_parse(s, &key, err, sizeof err) == 0 ? "key ok" : "key refused";
	free(s);
}

static void name_one(const uint8_t *data, size_t size)
{
	struct uki_name a, b;
	char *s = cstr(data, size), again[256];

	fuzz_result = "name refused";
	if (uki_name_parse(s, &a) == 0) {
		/* what parses formats back into a name that parses the same */
		if (!version_valid(a.version) || a.left > UKI_COUNT_MAX || a.done > UKI_COUNT_MAX ||
		    uki_name_format(&a, again, sizeof again) != 0 || uki_name_parse(again, &b) != 0 ||
		    memcmp(&a, &b, sizeof a) != 0)
			abort();
		fuzz_result = "name ok";
	}
	free(s);
}

struct sink_check {
	const struct bundle_part *part;
	uint64_t next;
};

static int sink(void *arg, const void *buf, size_t len, uint64_t off)
{
	struct sink_check *c = arg;

	(void)buf;
	if (off != c->next || len == 0 || off + len > c->part->size)
		abort();
	c->next = off + len;
	return 0;
}

static void bundle_one(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct minisign_key key;
	struct bundle_reader r;
	struct sink_check c;
	char err[256], *line;
	int fd;

	if (!nl)
		return;
	line = cstr(data, (size_t)(nl - data));
	if (minisign_key_parse(line, &key, err, sizeof err) != 0)
		memset(&key, 0, sizeof key);
	free(line);
	size -= (size_t)(nl + 1 - data);
	data = nl + 1;
	fd = memfd_create("bundle", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	fuzz_result = "bundle refused";
	if (bundle_open_fd(&r, fd, &key) == 0) {
		c = (struct sink_check){ &r.m.uki, 0 };
		if (bundle_stream(&r, &r.m.uki, sink, &c) == 0 && c.next == r.m.uki.size) {
			c = (struct sink_check){ &r.m.root, 0 };
			if (bundle_stream(&r, &r.m.root, sink, &c) == 0) {
				if (c.next != r.m.root.size || r.consumed > size)
					abort();
				fuzz_result = "bundle ok";
			}
		}
	}
	if (strcmp(fuzz_result, "bundle refused") == 0 && r.err.msg[0] == '\0')
		abort();
	bundle_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_MAX)
		return 0;
	switch (data[0] % 4) {
	case 0:
		manifest_one(data + 1, size - 1);
		break;
	case 1:
		key_one(data + 1, size - 1);
		break;
	case 2:
		name_one(data + 1, size - 1);
		break;
	default:
		bundle_one(data + 1, size - 1);
	}
	return 0;
}
