/* A YAML tree written out with libyaml's emitter (it quotes what needs
 * quoting); for `berth compose config` and the definitions `berth compose
 * up` writes. A string that was quoted in its file and would read as
 * another type if plain ("80", "yes", "") stays quoted, so what is written
 * reads back as it was read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "berth.h"
#include "compose.h"

struct em {
	yaml_emitter_t e;
	int flags;
	int failed;
};

static void ev(struct em *m, yaml_event_t *e, int ok)
{
	if (m->failed)
		return;
	if (!ok || !yaml_emitter_emit(&m->e, e))
		m->failed = 1;
}

/* would the text read as something other than a string when plain? */
static int typed_if_plain(const char *s, size_t len)
{
	struct ynode t = { .type = Y_SCALAR, .plain = 1, .str = (char *)s, .len = len };
	long long i;
	double d;
	int b;

	return ynull(&t) || ybool(&t, &b) == 0 || yint(&t, &i) == 0 || yfloat(&t, &d) == 0;
}

static void scalar(struct em *m, const char *s, size_t len, int was_plain)
{
	yaml_event_t e;
	char *dup = NULL;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (m->flags & COMPOSE_EMIT_LITERAL && memchr(s, '$', len)) {
		size_t o = 0;
		if (!(dup = malloc(len * 2 + 1)))
			die(EXIT_SYSTEM, "out of memory");
		for (size_t i = 0; i < len; i++) {
			dup[o++] = s[i];
			if (s[i] == '$')
				dup[o++] = '$';
		}
		s = dup;
		len = o;
	}
	if (!was_plain && typed_if_plain(s, len))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	ev(m, &e, yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style));
	free(dup);
}

static void node(struct em *m, const struct ynode *n, int depth);

static int key_cmp(const void *a, const void *b)
{
	const struct ynode *const *x = a, *const *y = b;

	return strcmp(x[0]->str ? x[0]->str : "", y[0]->str ? y[0]->str : "");
}

/* the top level's order: as docker compose config writes it */
static int top_rank(const char *k)
{
	static const char *const order[] = { "name", "services", "networks", "volumes", "secrets", "configs", NULL };

	for (int i = 0; order[i]; i++)
		if (strcmp(order[i], k) == 0)
			return i;
	return 10;
}

static int top_cmp(const void *a, const void *b)
{
	const struct ynode *const *x = a, *const *y = b;
	int r = top_rank(x[0]->str) - top_rank(y[0]->str);

	return r ? r : strcmp(x[0]->str, y[0]->str);
}

static void map(struct em *m, const struct ynode *n, int depth)
{
	yaml_event_t e;
	const struct ynode **kv = NULL;
	size_t pairs = n->n / 2;

	ev(m, &e, yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
	if (pairs && !(kv = malloc(n->n * sizeof *kv)))
		die(EXIT_SYSTEM, "out of memory");
	if (pairs)
		memcpy(kv, n->kids, 2 * pairs * sizeof *kv);
	/* sorted: the top level in its order, every mapping below by key, as
	 * docker compose config writes Go's maps */
	if (m->flags & COMPOSE_EMIT_SORTED && pairs > 1) {
		int scalars = 1;
		for (size_t i = 0; i < pairs; i++)
			scalars &= kv[2 * i]->type == Y_SCALAR;
		if (scalars && depth == 0)
			qsort(kv, pairs, 2 * sizeof *kv, top_cmp);
		else if (scalars)
			qsort(kv, pairs, 2 * sizeof *kv, key_cmp);
	}
	for (size_t i = 0; i < pairs; i++) {
		node(m, kv[2 * i], depth + 1);
		node(m, kv[2 * i + 1], depth + 1);
	}
	free(kv);
	ev(m, &e, yaml_mapping_end_event_initialize(&e));
}

static void node(struct em *m, const struct ynode *n, int depth)
{
	yaml_event_t e;

	if (n->type == Y_SCALAR) {
		scalar(m, n->str ? n->str : "", n->str ? n->len : 0, n->plain);
	} else if (n->type == Y_SEQ) {
		ev(m, &e, yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
		for (size_t i = 0; i < n->n; i++)
			node(m, n->kids[i], depth + 1);
		ev(m, &e, yaml_sequence_end_event_initialize(&e));
	} else {
		map(m, n, depth);
	}
}

int compose_emit(FILE *out, const struct ynode *n, int flags)
{
	struct em m = { .flags = flags };
	yaml_event_t e;

	if (!yaml_emitter_initialize(&m.e)) {
		errno = ENOMEM;
		return -1;
	}
	yaml_emitter_set_output_file(&m.e, out);
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_width(&m.e, -1);
	yaml_emitter_set_indent(&m.e, 2);
	ev(&m, &e, yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING));
	ev(&m, &e, yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1));
	node(&m, n, 0);
	ev(&m, &e, yaml_document_end_event_initialize(&e, 1));
	ev(&m, &e, yaml_stream_end_event_initialize(&e));
	if (!m.failed && !yaml_emitter_flush(&m.e))
		m.failed = 1;
	yaml_emitter_delete(&m.e);
	if (m.failed) {
		errno = EIO;
		return -1;
	}
	return 0;
}
