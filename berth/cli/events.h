/* The boot timeline file (DESIGN.md section 7): read with size caps and
 * parsed into events in time order. */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H

#include <stddef.h>

#define EVENTS_MAX_BYTES (1024 * 1024)
#define EVENTS_MAX_LINES 10000

struct event {
	long long ms;     /* since boot (CLOCK_BOOTTIME) */
	unsigned line;    /* in the file, from 1 */
	const char *name; /* printable ASCII, points into events.buf */
};

struct events {
	const char *path;
	char *buf;        /* len bytes and room for one more */
	size_t len;
	struct event *ev; /* n of them, by time then line */
	size_t n;
	unsigned lines, malformed, first_malformed;
	int cut_bytes, cut_lines; /* a cap was hit */
};

/* path into buf, cut after the last whole line under EVENTS_MAX_BYTES; -1
 * and errno if it cannot be read */
int events_read(struct events *t);
/* buf into ev, in place; -1 and errno if out of memory */
int events_parse(struct events *t);
const struct event *events_find(const struct events *t, const char *name);
void events_free(struct events *t);

#endif
