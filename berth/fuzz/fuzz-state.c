/* libFuzzer target for the two state formats in lib/: the key=value files
 * (kv.c: container state, update records) and status.json (status-doc-*.c).
 * The first byte chooses:
 *   0: status.json. What parses is written again and read back to the same
 *      document, and the text written reads back to itself; every prefix of
 *      it that stops before its last '}' is refused in one line naming the file.
 *   1: a key=value file read through a table with every field type. What
 *      reads is formatted, read again to the same struct, and formatted to
 *      the same lines; a refused value names the file and the key.
 *   make out/fuzz/state-libfuzzer   (and out/fuzz/state-main: the seeds, no clang)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kv.h"
#include "status-doc.h"

const char *fuzz_result = "";

#define PREFIXES_MAX 4096 /* a longer document's prefixes are not all tried: O(n^2) */

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int doc_eq(const struct status_doc *a, const struct status_doc *b)
{
	if (!str_eq(a->datasource, b->datasource) || !str_eq(a->instance_id, b->instance_id) ||
	    a->new_instance != b->new_instance || a->nmodules != b->nmodules)
		return 0;
	for (size_t i = 0; i < a->nmodules; i++) {
		const struct status_module *x = &a->modules[i], *y = &b->modules[i];
		if (!str_eq(x->name, y->name) || !str_eq(x->result, y->result) || x->nmessages != y->nmessages)
			return 0;
		for (size_t j = 0; j < x->nmessages; j++)
			if (strcmp(x->messages[j] ? x->messages[j] : "", y->messages[j] ? y->messages[j] : "") != 0)
				return 0;
	}
	return 1;
}

static int refused_naming(int rc, const struct err *e, const char *what)
{
	return rc != 0 && strncmp(e->msg, what, strlen(what)) == 0 && e->msg[strlen(what)] == ':' &&
	       !strchr(e->msg, '\n');
}

static void status_doc(const uint8_t *data, size_t size)
{
	struct status_doc d = { 0 }, again = { 0 };
	struct err e = { 0 };
	char *text, *text2;
	size_t len, len2, last = 0;

	if (status_doc_parse((const char *)data, size, "fuzz", &d, &e) != 0) {
		if (!refused_naming(-1, &e, "fuzz"))
			abort();
		status_doc_free(&d);
		fuzz_result = "status.json refused";
		return;
	}
	if (status_doc_gen(&d, &text, &len) != 0)
		abort();
	if (status_doc_parse(text, len, "again", &again, &e) != 0 || !doc_eq(&d, &again))
		abort();
	if (status_doc_gen(&again, &text2, &len2) != 0 || len2 != len || memcmp(text, text2, len) != 0)
		abort();
	status_doc_free(&again);
	free(text2);
	/* a document cut before its closing brace is not one */
	for (size_t i = 0; i < size; i++)
		if (data[i] == '}')
			last = i;
	for (size_t k = 0; k < last && size <= PREFIXES_MAX; k++) {
		struct status_doc cut = { 0 };
		struct err ce = { 0 };
		int rc = status_doc_parse((const char *)data, k, "cut", &cut, &ce);
		if (!refused_naming(rc, &ce, "cut"))
			abort();
		status_doc_free(&cut);
	}
	status_doc_free(&d);
	free(text);
	fuzz_result = "status.json ok";
}

static const char *const colours[] = { "red", "green", "blue", NULL };
struct every {
	char name[16];
	int count;
	int pid;
	time_t since;
	int colour;
};
static const struct kv_field every_fields[] = {
	KV_STRING(struct every, name),
	KV_NUMBER(struct every, count, KV_INT),
	KV_NUMBER(struct every, pid, KV_INT_NONE),
	KV_NUMBER(struct every, since, KV_TIME),
	KV_NAMED(struct every, colour, colours),
};
#define NFIELDS (sizeof every_fields / sizeof every_fields[0])

/* path of a memfd holding len bytes of p */
static int memfd_of(const void *p, size_t len, char *path, size_t size)
{
	int fd = memfd_create("kv", 0);

	if (fd < 0 || write(fd, p, len) != (ssize_t)len)
		abort();
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

static void kv(const uint8_t *data, size_t size)
{
	char path[64], path2[64], buf[KV_WRITE_MAX], out[KV_WRITE_MAX], out2[KV_WRITE_MAX];
	struct every a, b;
	struct err e = { 0 };
	size_t len = 0, len2 = 0;
	int fd, fd2, rc;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	fd = memfd_of(data, size, path, sizeof path);
	rc = kv_read(path, buf, sizeof buf, every_fields, NFIELDS, &a, &e);
	close(fd);
	if (rc < 0)
		abort(); /* a memfd is always readable */
	if (rc == 1) {
		if (!refused_naming(rc, &e, path) || !strstr(e.msg, "colour="))
			abort();
		fuzz_result = "kv refused";
		return;
	}
	if (memchr(a.name, '\n', sizeof a.name) || memchr(a.name, '\r', sizeof a.name))
		abort();
	if (kv_format(out, sizeof out, &len, every_fields, NFIELDS, &a) != 0)
		abort();
	fd2 = memfd_of(out, len, path2, sizeof path2);
	if (kv_read(path2, buf, sizeof buf, every_fields, NFIELDS, &b, &e) != 0)
		abort();
	close(fd2);
	/* field by field: a shorter name read over a longer one leaves bytes past its end */
	if (strcmp(a.name, b.name) != 0 || a.count != b.count || a.pid != b.pid || a.since != b.since ||
	    a.colour != b.colour)
		abort();
	if (kv_format(out2, sizeof out2, &len2, every_fields, NFIELDS, &b) != 0 || len2 != len ||
	    memcmp(out, out2, len) != 0)
		abort();
	fuzz_result = "kv ok";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > STATUS_DOC_MAX)
		return 0;
	if (data[0] % 2 == 0)
		status_doc(data + 1, size - 1);
	else
		kv(data + 1, size - 1);
	return 0;
}
