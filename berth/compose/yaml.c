/* YAML to a small tree through libyaml's event API. The document API would
 * keep aliases as shared nodes, and walking a billion-laughs DAG is as bad
 * as expanding it; here every alias is counted and copied against a node
 * budget, so a bomb is refused after a handful of aliases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compose.h"

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	const char *file;
	size_t nodes;
	size_t aliases;
	struct anchor *anchors;
	size_t nanchors;
	/* open collections, innermost last; the anchor each one was given */
	struct ynode *stack[COMPOSE_MAX_DEPTH + 1];
	char *stack_anchor[COMPOSE_MAX_DEPTH + 1];
	size_t depth;
	struct ynode *root;
};

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->kid[i]);
	free(n->kid);
	free(n->val);
	free(n);
}

static struct ynode *node_new(struct builder *b, enum ynode_kind kind, int line)
{
	struct ynode *n;

	if (++b->nodes > COMPOSE_MAX_NODES) {
		fprintf(stderr, "%s:%d: more than %d YAML nodes\n", b->file, line, COMPOSE_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof *n);
	if (!n) {
		fprintf(stderr, "%s:%d: out of memory\n", b->file, line);
		return NULL;
	}
	n->kind = kind;
	n->line = line;
	return n;
}

static struct ynode *node_copy(struct builder *b, const struct ynode *src, int line)
{
	struct ynode *n = node_new(b, src->kind, line);

	if (!n)
		return NULL;
	n->plain = src->plain;
	n->len = src->len;
	if (src->val && !(n->val = strndup(src->val, src->len)))
		goto fail;
	if (src->n) {
		n->kid = calloc(src->n, sizeof *n->kid);
		if (!n->kid)
			goto fail;
		for (size_t i = 0; i < src->n; i++) {
			if (!(n->kid[i] = node_copy(b, src->kid[i], line)))
				goto fail;
			n->n++;
		}
	}
	return n;
fail:
	ynode_free(n);
	return NULL;
}

static int anchor_add(struct builder *b, const char *name, struct ynode *node, int line)
{
	struct anchor *a;

	if (b->nanchors >= 1024) {
		fprintf(stderr, "%s:%d: too many anchors\n", b->file, line);
		return -1;
	}
	a = realloc(b->anchors, (b->nanchors + 1) * sizeof *a);
	if (!a)
		return -1;
	b->anchors = a;
	if (!(a[b->nanchors].name = strdup(name)))
		return -1;
	a[b->nanchors++].node = node;
	return 0;
}

/* attach a finished node to the collection being built, or make it the root */
static int attach(struct builder *b, struct ynode *n)
{
	struct ynode *parent, **k;

	if (b->depth == 0) {
		if (!b->root)
			b->root = n;
		else
			ynode_free(n);
		return 0;
	}
	parent = b->stack[b->depth - 1];
	k = realloc(parent->kid, (parent->n + 1) * sizeof *k);
	if (!k) {
		ynode_free(n);
		return -1;
	}
	parent->kid = k;
	k[parent->n++] = n;
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	struct ynode *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (!(n = node_new(b, Y_SCALAR, line)))
			return -1;
		n->plain = ev->data.scalar.plain_implicit &&
			   ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->len = ev->data.scalar.length;
		if (!(n->val = strndup((const char *)ev->data.scalar.value, n->len))) {
			ynode_free(n);
			return -1;
		}
		if (ev->data.scalar.anchor &&
		    anchor_add(b, (const char *)ev->data.scalar.anchor, n, line) != 0) {
			ynode_free(n);
			return -1;
		}
		return attach(b, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= COMPOSE_MAX_DEPTH) {
			fprintf(stderr, "%s:%d: nested deeper than %d levels\n", b->file, line,
				COMPOSE_MAX_DEPTH);
			return -1;
		}
		n = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP, line);
		if (!n)
			return -1;
		b->stack_anchor[b->depth] = NULL;
		{
			yaml_char_t *a = ev->type == YAML_SEQUENCE_START_EVENT
						 ? ev->data.sequence_start.anchor
						 : ev->data.mapping_start.anchor;
			if (a && !(b->stack_anchor[b->depth] = strdup((const char *)a))) {
				ynode_free(n);
				return -1;
			}
		}
		b->stack[b->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		char *anchor;

		if (b->depth == 0)
			return -1;
		n = b->stack[--b->depth];
		anchor = b->stack_anchor[b->depth];
		b->stack_anchor[b->depth] = NULL;
		/* an anchor on a collection becomes usable once it is complete,
		 * which also rules out self-referencing aliases */
		if (anchor) {
			int r = anchor_add(b, anchor, n, line);

			free(anchor);
			if (r != 0) {
				ynode_free(n);
				return -1;
			}
		}
		return attach(b, n);
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		size_t i;

		if (++b->aliases > COMPOSE_MAX_ALIASES) {
			fprintf(stderr, "%s:%d: more than %d aliases (refusing a YAML bomb)\n",
				b->file, line, COMPOSE_MAX_ALIASES);
			return -1;
		}
		for (i = b->nanchors; i > 0; i--)
			if (strcmp(b->anchors[i - 1].name, name) == 0)
				break;
		if (i == 0) {
			fprintf(stderr, "%s:%d: alias *%s names no complete anchor\n", b->file, line, name);
			return -1;
		}
		if (!(n = node_copy(b, b->anchors[i - 1].node, line)))
			return -1;
		return attach(b, n);
	}
	default:
		return 0;
	}
}

int ytree_parse(const char *file, const char *buf, size_t len, struct ynode **root)
{
	struct builder b = { .file = file };
	yaml_parser_t p;
	yaml_event_t ev;
	int r = 0, docs = 0;

	*root = NULL;
	if (len > COMPOSE_MAX_BYTES) {
		fprintf(stderr, "%s: larger than %d bytes\n", file, COMPOSE_MAX_BYTES);
		return -1;
	}
	if (!yaml_parser_initialize(&p)) {
		fprintf(stderr, "%s: out of memory\n", file);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "%s:%d: YAML: %s%s%s\n", file, (int)p.problem_mark.line + 1,
				p.problem ? p.problem : "syntax error", p.context ? " " : "",
				p.context ? p.context : "");
			r = -1;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			fprintf(stderr, "%s:%d: only one YAML document is read\n", file,
				(int)ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			r = -1;
			break;
		}
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r != 0)
			break;
	}
	yaml_parser_delete(&p);
	while (b.depth > 0) {
		b.depth--;
		ynode_free(b.stack[b.depth]);
		free(b.stack_anchor[b.depth]);
	}
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (r != 0) {
		ynode_free(b.root);
		return -1;
	}
	*root = b.root;
	return 0;
}
