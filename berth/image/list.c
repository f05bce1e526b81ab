/* berth images: the store's images as docker prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "image.h"

/* RFC 3339 as configs carry it: 2024-05-01T12:00:00.123Z or +02:00 */
static int rfc3339(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = 0;

	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		int h, m;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return -1;
		off = (h * 60L + m) * 60 * (*p == '+' ? 1 : -1);
	} else if (*p != 'Z' && *p != 'z') {
		return -1;
	}
	*out = timegm(&tm) - off;
	return 0;
}

/* docker's units.HumanDuration, then " ago" */
static void human_age(char *buf, size_t len, const char *created)
{
	char d[32];
	time_t t;

	if (!created[0] || rfc3339(created, &t) < 0) {
		snprintf(buf, len, "N/A");
		return;
	}
	human_duration((long long)(time(NULL) - t), d, sizeof d);
	snprintf(buf, len, "%s ago", d);
}

/* docker images' columns; DIGEST only with --digests */
enum { C_REPO, C_TAG, C_DIGEST, C_ID, C_CREATED, C_SIZE, NCOLS };

struct row {
	const char *col[NCOLS];
	char id[16], created[48], size[24];
};

static void row_print(const char *const col[NCOLS], const size_t width[NCOLS], int digests)
{
	for (size_t c = 0; c < C_SIZE; c++)
		if (c != C_DIGEST || digests)
			printf("%-*s   ", (int)width[c], col[c]);
	printf("%s\n", col[C_SIZE]);
}

int cmd_images(int argc, char **argv)
{
	static const char *const head[NCOLS] = { "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE" };
	struct image_refs refs;
	struct store st;
	struct err e = { 0 };
	struct row *rows;
	size_t width[NCOLS];
	int quiet = 0, digests = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "--digests") == 0)
			digests = 1;
		else
			usage_error("images", "unexpected argument %s", argv[i]);
	}
	if (store_open(&st, 0, &e) < 0 || refs_read(&st, &refs, &e) < 0)
		die(e.code, "%s", e.msg);
	store_close(&st);
	rows = calloc(refs.n + 1, sizeof *rows);
	if (!rows)
		die_errno(EXIT_SYSTEM, "images");
	for (size_t c = 0; c < NCOLS; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < refs.n; i++) {
		const struct image_ref *r = &refs.v[i];
		struct row *w = &rows[i];
		snprintf(w->id, sizeof w->id, "%.12s", digest_hex(r->config));
		human_age(w->created, sizeof w->created, r->created);
		human_size(w->size, sizeof w->size, r->size);
		w->col[C_REPO] = r->name;
		w->col[C_TAG] = r->tag;
		/* docker's <none> for an image that came by no pull */
		w->col[C_DIGEST] = r->repo_digest[0] ? r->repo_digest : "<none>";
		w->col[C_ID] = w->id;
		w->col[C_CREATED] = w->created;
		w->col[C_SIZE] = w->size;
		for (size_t c = 0; c < NCOLS; c++)
			if (strlen(w->col[c]) > width[c])
				width[c] = strlen(w->col[c]);
	}
	if (quiet) {
		/* one ID per image, as docker images -q */
		for (size_t i = 0; i < refs.n; i++) {
			int seen = 0;
			for (size_t j = 0; j < i; j++)
				seen |= strcmp(refs.v[i].config, refs.v[j].config) == 0;
			if (!seen)
				printf("%s\n", rows[i].id);
		}
	} else {
		row_print(head, width, digests);
		for (size_t i = 0; i < refs.n; i++)
			row_print(rows[i].col, width, digests);
	}
	free(rows);
	refs_free(&refs);
	return 0;
}
