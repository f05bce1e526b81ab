/* cloud-init's merge of cloud-config parts, and a tree back to YAML text
 * (berth.containers). The tree and its scalar rules are lib/yaml-tree.c's. */
#include <stdlib.h>
#include <string.h>

#include "provision.h"
#include <yaml.h>

/* cloud-init's default merge of cloud-config parts: a later part's keys
 * win; maps merge key by key; lists and scalars are replaced */
struct ynode *ymerge(struct ynode *base, struct ynode *over)
{
	if (!base)
		return over;
	if (!over)
		return base;
	if (base->type != Y_MAP || over->type != Y_MAP) {
		ynode_free(base);
		return over;
	}
	for (size_t i = 0; i + 1 < over->n; i += 2) {
		struct ynode *k = over->kids[i], *v = over->kids[i + 1];
		size_t j;

		for (j = 0; j + 1 < base->n; j += 2)
			if (base->kids[j]->type == Y_SCALAR && k->type == Y_SCALAR &&
			    !strcmp(base->kids[j]->str, k->str))
				break;
		if (j + 1 < base->n) {
			base->kids[j + 1] = ymerge(base->kids[j + 1], v);
			ynode_free(k);
		} else if (ynode_add(base, k) != 0 || ynode_add(base, v) != 0) {
			ynode_free(k);
			ynode_free(v);
		}
		over->kids[i] = over->kids[i + 1] = NULL;
	}
	over->n = 0;
	ynode_free(over);
	return base;
}

static int emit_node(yaml_emitter_t *em, const struct ynode *n)
{
	yaml_event_t ev;

	switch (n->type) {
	case Y_SCALAR:
		/* a quoted scalar stays quoted: "0644" must not turn into a number */
		yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->str, (int)n->len, n->plain, !n->plain,
					     n->plain ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	case Y_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		break;
	case Y_MAP:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		break;
	}
	if (!yaml_emitter_emit(em, &ev))
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (emit_node(em, n->kids[i]) != 0)
			return -1;
	if (n->type == Y_SEQ)
		yaml_sequence_end_event_initialize(&ev);
	else
		yaml_mapping_end_event_initialize(&ev);
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_write(void *data, unsigned char *buf, size_t size)
{
	struct sink *s = data;

	if (s->len + size + 1 > s->cap) {
		size_t cap = (s->len + size + 1) * 2;
		char *b = realloc(s->buf, cap);
		if (!b)
			return 0;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, buf, size);
	s->len += size;
	s->buf[s->len] = '\0';
	return 1;
}

int yaml_emit(const struct ynode *n, char **out, size_t *len)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct sink s = {0};
	int ok;

	if (!yaml_emitter_initialize(&em))
		return -1;
	yaml_emitter_set_output(&em, sink_write, &s);
	yaml_emitter_set_unicode(&em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && emit_node(&em, n) == 0;
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_emitter_delete(&em);
	if (!ok) {
		free(s.buf);
		return -1;
	}
	*out = s.buf;
	*len = s.len;
	return 0;
}
