#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "events.h"

#define EVENT_MAX 255        /* lib/timeline.c formats an event into 256 bytes */
#define SECONDS_DIGITS_MAX 9 /* 30 years of uptime; keeps the arithmetic small */

int events_read(struct events *t)
{
	ssize_t n;
	int err;

	/* one byte over the cap tells a cut file from a whole one */
	t->buf = malloc(EVENTS_MAX_BYTES + 2);
	if (!t->buf)
		return -1;
	n = file_read(t->path, t->buf, EVENTS_MAX_BYTES + 2);
	if (n < 0) {
		err = errno;
		free(t->buf);
		t->buf = NULL;
		errno = err;
		return -1;
	}
	t->len = (size_t)n;
	if (t->len > EVENTS_MAX_BYTES) {
		char *nl = memrchr(t->buf, '\n', EVENTS_MAX_BYTES);

		t->cut_bytes = 1;
		t->len = nl ? (size_t)(nl - t->buf) + 1 : 0;
	}
	t->buf[t->len] = '\0';
	return 0;
}

/* "berth[S.mmm]: EVENT", EVENT printable ASCII: that is all Berth writes,
 * and it keeps both the terminal and the SVG safe from what else might */
static int line_parse(const char *line, size_t len, struct event *ev)
{
	const char *p = line, *end = line + len;
	long long sec = 0, ms = 0;
	int digits = 0;

	if (len < 6 || memcmp(p, "berth[", 6) != 0)
		return -1;
	for (p += 6; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++digits > SECONDS_DIGITS_MAX)
			return -1;
		sec = sec * 10 + (*p - '0');
	}
	if (digits == 0 || p >= end || *p++ != '.')
		return -1;
	for (digits = 0; digits < 3; digits++, p++) {
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		ms = ms * 10 + (*p - '0');
	}
	if (end - p < 4 || memcmp(p, "]: ", 3) != 0 || p[3] == ' ')
		return -1;
	p += 3;
	if (end - p > EVENT_MAX)
		return -1;
	for (const char *c = p; c < end; c++)
		if (*c < 0x20 || *c > 0x7e)
			return -1;
	ev->ms = sec * 1000 + ms;
	ev->name = p;
	return 0;
}

/* by time, then by line: lines from several programs may land out of order */
static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

int events_parse(struct events *t)
{
	char *p = t->buf, *end = t->buf + t->len;

	t->ev = calloc(EVENTS_MAX_LINES, sizeof *t->ev);
	if (!t->ev)
		return -1;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		struct event *ev = &t->ev[t->n];

		if (t->lines == EVENTS_MAX_LINES) {
			t->cut_lines = 1;
			break;
		}
		t->lines++;
		/* copied from a serial console, lines end in \r\n */
		if (eol > p && eol[-1] == '\r')
			eol--;
		*eol = '\0';
		if (eol > p) {
			ev->line = t->lines;
			if (line_parse(p, (size_t)(eol - p), ev) == 0) {
				t->n++;
			} else if (t->malformed++ == 0) {
				t->first_malformed = t->lines;
			}
		}
		p = nl ? nl + 1 : end;
	}
	qsort(t->ev, t->n, sizeof *t->ev, event_cmp);
	return 0;
}

const struct event *events_find(const struct events *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->ev[i].name, name) == 0)
			return &t->ev[i];
	return NULL;
}

void events_free(struct events *t)
{
	free(t->ev);
	free(t->buf);
	t->ev = NULL;
	t->buf = NULL;
}
