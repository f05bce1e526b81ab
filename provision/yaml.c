/* YAML documents as trees (libyaml events), with the caps untrusted input
 * needs, and the YAML 1.1 scalar rules cloud-init (PyYAML) relies on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "provision.h"

struct anchor {
	char *name;
	struct ynode *node;
};

struct loader {
	yaml_parser_t parser;
	const char *src;
	struct anchor anchors[YAML_ALIAS_MAX];
	int nanchors;
	int naliases;
	long nodes;
	char *err;
	size_t errsize;
};

static struct ynode *node_new(struct loader *l, enum ytype t, int line)
{
	struct ynode *n;

	if (++l->nodes > YAML_NODE_MAX) {
		snprintf(l->err, l->errsize, "%s:%d: document too large (more than %d nodes)", l->src, line,
			 YAML_NODE_MAX);
		return NULL;
	}
	n = calloc(1, sizeof *n);
	if (!n) {
		snprintf(l->err, l->errsize, "%s: out of memory", l->src);
		return NULL;
	}
	n->type = t;
	n->line = line;
	n->src = l->src;
	return n;
}

static int node_add(struct ynode *n, struct ynode *kid)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 8;
		struct ynode **k = realloc(n->kids, cap * sizeof *k);
		if (!k)
			return -1;
		n->kids = k;
		n->cap = cap;
	}
	n->kids[n->n++] = kid;
	return 0;
}

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

/* an alias is a copy, counted against the node budget: an expansion bomb
 * stops at the budget instead of exhausting memory */
static struct ynode *node_copy(struct loader *l, const struct ynode *s)
{
	struct ynode *n = node_new(l, s->type, s->line);

	if (!n)
		return NULL;
	n->plain = s->plain;
	n->binary = s->binary;
	if (s->str && !(n->str = strdup(s->str)))
		goto fail;
	n->len = s->len;
	for (size_t i = 0; i < s->n; i++) {
		struct ynode *k = node_copy(l, s->kids[i]);
		if (!k || node_add(n, k) != 0) {
			ynode_free(k);
			goto fail;
		}
	}
	return n;
fail:
	ynode_free(n);
	return NULL;
}

static int set_anchor(struct loader *l, const yaml_char_t *name, struct ynode *n, int line)
{
	if (!name)
		return 0;
	if (l->nanchors == YAML_ALIAS_MAX) {
		snprintf(l->err, l->errsize, "%s:%d: too many anchors (more than %d)", l->src, line, YAML_ALIAS_MAX);
		return -1;
	}
	l->anchors[l->nanchors].name = strdup((const char *)name);
	l->anchors[l->nanchors++].node = n;
	return 0;
}

/* parse one node whose first event is ev; depth counts nested collections */
static struct ynode *parse_node(struct loader *l, yaml_event_t *ev, int depth)
{
	int line = (int)ev->start_mark.line + 1;
	struct ynode *n = NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (!(n = node_new(l, Y_SCALAR, line)))
			return NULL;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.plain_implicit;
		n->binary = ev->data.scalar.tag &&
			    !strcmp((const char *)ev->data.scalar.tag, "tag:yaml.org,2002:binary");
		n->len = ev->data.scalar.length;
		n->str = malloc(n->len + 1);
		if (!n->str) {
			free(n);
			return NULL;
		}
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		if (set_anchor(l, ev->data.scalar.anchor, n, line) != 0) {
			ynode_free(n);
			return NULL;
		}
		return n;
	case YAML_ALIAS_EVENT:
		if (++l->naliases > YAML_ALIAS_MAX) {
			snprintf(l->err, l->errsize, "%s:%d: too many aliases (more than %d), refused", l->src, line,
				 YAML_ALIAS_MAX);
			return NULL;
		}
		for (int i = l->nanchors - 1; i >= 0; i--)
			if (strcmp(l->anchors[i].name, (const char *)ev->data.alias.anchor) == 0)
				return node_copy(l, l->anchors[i].node);
		snprintf(l->err, l->errsize, "%s:%d: unknown alias", l->src, line);
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
		const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
		char *aname = anchor ? strdup((const char *)anchor) : NULL;

		if (depth >= YAML_DEPTH_MAX) {
			snprintf(l->err, l->errsize, "%s:%d: nested deeper than %d", l->src, line, YAML_DEPTH_MAX);
			free(aname);
			return NULL;
		}
		if (!(n = node_new(l, map ? Y_MAP : Y_SEQ, line))) {
			free(aname);
			return NULL;
		}
		for (;;) {
			yaml_event_t e;
			struct ynode *kid;

			if (!yaml_parser_parse(&l->parser, &e)) {
				snprintf(l->err, l->errsize, "%s:%d: %s", l->src, (int)l->parser.problem_mark.line + 1,
					 l->parser.problem ? l->parser.problem : "syntax error");
				goto fail;
			}
			if (e.type == end) {
				yaml_event_delete(&e);
				break;
			}
			kid = parse_node(l, &e, depth + 1);
			yaml_event_delete(&e);
			if (!kid || node_add(n, kid) != 0) {
				ynode_free(kid);
				goto fail;
			}
		}
		/* anchored collections become aliasable once complete */
		if (aname && set_anchor(l, (yaml_char_t *)aname, n, line) != 0)
			goto fail;
		free(aname);
		return n;
	fail:
		free(aname);
		ynode_free(n);
		return NULL;
	}
	default:
		snprintf(l->err, l->errsize, "%s:%d: unexpected YAML event", l->src, line);
		return NULL;
	}
}

struct ynode *yaml_load(const char *src, const char *buf, size_t len, char *err, size_t errsize)
{
	struct loader l;
	struct ynode *root = NULL;
	yaml_event_t ev;
	int started = 0;

	memset(&l, 0, sizeof l);
	l.src = src;
	l.err = err;
	l.errsize = errsize;
	err[0] = '\0';
	if (!yaml_parser_initialize(&l.parser)) {
		snprintf(err, errsize, "%s: out of memory", src);
		return NULL;
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&l.parser, &ev)) {
			snprintf(err, errsize, "%s:%d: %s", src, (int)l.parser.problem_mark.line + 1,
				 l.parser.problem ? l.parser.problem : "syntax error");
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT || (ev.type == YAML_DOCUMENT_END_EVENT && started)) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			started = 1;
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT) {
			root = parse_node(&l, &ev, 0);
			yaml_event_delete(&ev);
			if (!root && !err[0])
				snprintf(err, errsize, "%s: out of memory", src);
			if (!root)
				break;
			continue;
		}
		yaml_event_delete(&ev);
	}
	for (int i = 0; i < l.nanchors; i++)
		free(l.anchors[i].name);
	yaml_parser_delete(&l.parser);
	if (err[0]) {
		ynode_free(root);
		return NULL;
	}
	return root;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	struct ynode *found = NULL;

	if (!map || map->type != Y_MAP)
		return NULL;
	/* a later duplicate key wins, as in PyYAML */
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR && strcmp(map->kids[i]->str, key) == 0)
			found = map->kids[i + 1];
	return found;
}

const char *ystr(const struct ynode *n)
{
	return n && n->type == Y_SCALAR ? n->str : NULL;
}

int ynull(const struct ynode *n)
{
	if (!n)
		return 1;
	if (n->type != Y_SCALAR || !n->plain)
		return 0;
	return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
	       !strcmp(n->str, "NULL");
}

/* YAML 1.1 booleans as PyYAML resolves them (not y/n) */
int ybool(const struct ynode *n, int *out)
{
	static const char *const yes[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
	static const char *const no[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};

	if (!n || n->type != Y_SCALAR || !n->plain)
		return -1;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (!strcmp(n->str, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(n->str, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* YAML 1.1 integers: 0b…, 0x…, a leading 0 means octal (0644), '_' allowed */
int yint(const struct ynode *n, long long *out)
{
	const char *s;
	char digits[64];
	size_t k = 0;
	int base = 10, neg = 0;
	char *end;

	if (!n || n->type != Y_SCALAR || !n->plain)
		return -1;
	s = n->str;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (k + 1 >= sizeof digits)
			return -1;
		digits[k++] = *s;
	}
	digits[k] = '\0';
	if (k == 0 || digits[0] == '-' || digits[0] == '+')
		return -1;
	errno = 0;
	*out = strtoll(digits, &end, base);
	if (errno || *end)
		return -1;
	if (neg)
		*out = -*out;
	return 0;
}

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
		} else if (node_add(base, k) != 0 || node_add(base, v) != 0) {
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
