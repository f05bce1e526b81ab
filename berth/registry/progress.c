/* berth pull's progress on a terminal, as docker draws it: a line per blob,
 * redrawn in place (at most every 100 ms) from the records the download
 * children send through one pipe. Off a terminal each child prints its own
 * line as a blob completes, and none of this runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "registry.h"

static const char *const words[] = {
	[BLOB_QUEUED] = "Pulling fs layer",   [BLOB_WAITING] = "Waiting",
	[BLOB_EXISTS] = "Already exists",     [BLOB_DOWNLOADING] = "Downloading",
	[BLOB_COMPLETE] = "Download complete", [BLOB_FAILED] = "Failed",
};

int bars_init(struct bars *b, FILE *out, size_t n)
{
	memset(b, 0, sizeof *b);
	if (!(b->v = calloc(n + 1, sizeof *b->v)))
		return -1;
	b->out = out;
	b->n = n;
	b->dirty = 1;
	return 0;
}

void bars_update(struct bars *b, const struct blob_news *r)
{
	if (r->idx >= b->n || r->state > BLOB_FAILED)
		return;
	b->v[r->idx].state = r->state;
	b->v[r->idx].have = r->have;
	b->v[r->idx].size = r->size;
	b->dirty = 1;
}

/* "[=====>      ]  1.2MB/6.5MB", docker's 50 columns */
static void bar_text(const struct bar *v, char *buf, size_t size)
{
	char have[24], total[24], line[52];
	size_t fill = v->size ? (size_t)(v->have * 50 / v->size) : 0;

	if (v->state != BLOB_DOWNLOADING) {
		snprintf(buf, size, "%s: %s", v->id, words[v->state]);
		return;
	}
	memset(line, ' ', 50);
	memset(line, '=', fill > 50 ? 50 : fill);
	if (fill < 50)
		line[fill] = '>';
	line[50] = '\0';
	human_size(have, sizeof have, v->have);
	human_size(total, sizeof total, v->size);
	snprintf(buf, size, "%s: Downloading [%s]  %s/%s", v->id, line, have, total);
}

void bars_draw(struct bars *b, int force)
{
	long long now = now_ms();

	if (!b->dirty || (!force && now - b->drawn_ms < 100))
		return;
	if (b->drawn)
		fprintf(b->out, "\033[%zuA", b->n); /* back to the first bar */
	for (size_t i = 0; i < b->n; i++) {
		char line[160];
		bar_text(&b->v[i], line, sizeof line);
		fprintf(b->out, "\r\033[2K%s\n", line);
	}
	fflush(b->out);
	b->drawn = 1;
	b->dirty = 0;
	b->drawn_ms = now;
}

void bars_free(struct bars *b)
{
	free(b->v);
	b->v = NULL;
}
