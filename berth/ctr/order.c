/* depends_on order: a depth-first walk that names a cycle as a path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

struct walk {
	struct container_def *const *defs;
	size_t n, *order, done;
	int *color; /* 0 new, 1 on the path, 2 placed */
	size_t *path, depth;
};

static long find(const struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->defs[i]->name, name) == 0)
			return (long)i;
	return -1;
}

static int visit(struct walk *w, size_t i)
{
	const struct container_def *d = w->defs[i];

	if (w->color[i] == 2)
		return 0;
	if (w->color[i] == 1) {
		char msg[1024];
		size_t o = 0, k = 0;
		while (k < w->depth && w->path[k] != i)
			k++;
		for (; k < w->depth && o < sizeof msg; k++)
			o += (size_t)snprintf(msg + o, sizeof msg - o, "%s -> ", w->defs[w->path[k]]->name);
		if (o < sizeof msg)
			snprintf(msg + o, sizeof msg - o, "%s", d->name);
		warn("depends_on cycle: %s", msg);
		return -1;
	}
	w->color[i] = 1;
	w->path[w->depth++] = i;
	for (size_t k = 0; k < d->ndepends; k++) {
		long j = find(w, d->depends[k].service);
		if (j < 0) {
			warn("%s: depends_on %s, which has no definition", d->name, d->depends[k].service);
			return -1;
		}
		if (visit(w, (size_t)j) < 0)
			return -1;
	}
	w->depth--;
	w->color[i] = 2;
	w->order[w->done++] = i;
	return 0;
}

int ctr_order(struct container_def *const *defs, size_t n, size_t *order)
{
	struct walk w = { defs, n, order, 0, calloc(n + 1, sizeof(int)), calloc(n + 1, sizeof(size_t)), 0 };
	int r = 0;

	if (!w.color || !w.path)
		die(EXIT_SYSTEM, "out of memory");
	for (size_t i = 0; i < n && r == 0; i++)
		r = visit(&w, i);
	free(w.color);
	free(w.path);
	return r;
}
