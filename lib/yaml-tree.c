/* YAML to a small tree through libyaml's event API, and YAML 1.1 scalars
 * (yaml.h has the rules). The document API would keep aliases as shared
 * nodes, and walking a billion-laughs DAG is as bad as expanding it; here
 * every alias is counted and copied against a node budget, so a bomb is
 * refused after a handful of aliases. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml-tree.h"
#include <yaml.h>

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	const char *src;
	char *err;
	size_t errsize;
	size_t nodes, aliases;
	struct anchor *anchors;
	size_t nanchors;
	/* open collections, innermost last, and the anchor each one was given */
	struct ynode *stack[YAML_DEPTH_MAX];
	char *stack_anchor[YAML_DEPTH_MAX];
	size_t depth;
	struct ynode *root;
	/* merge keys' pairs, taken out of their mapping: an anchor may point
	 * into them, so they live until the document is read */
	struct ynode **dead;
	size_t ndead;
};

static int bury(struct builder *b, struct ynode *n)
{
	struct ynode **d = realloc(b->dead, (b->ndead + 1) * sizeof *d);

	if (!d) {
		ynode_free(n);
		return -1;
	}
	b->dead = d;
	d[b->ndead++] = n;
	return 0;
}

static int bad(struct builder *b, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct builder *b, int line, const char *fmt, ...)
{
	va_list ap;
	int n = line ? snprintf(b->err, b->errsize, "%s:%d: ", b->src, line)
		     : snprintf(b->err, b->errsize, "%s: ", b->src);

	if (n < 0 || (size_t)n >= b->errsize)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errsize - n, fmt, ap);
	va_end(ap);
	return -1;
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

int ynode_add(struct ynode *n, struct ynode *kid)
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

static struct ynode *node_new(struct builder *b, enum ytype type, int line)
{
	struct ynode *n;

	if (++b->nodes > YAML_NODE_MAX) {
		bad(b, line, "more than %d YAML nodes", YAML_NODE_MAX);
		return NULL;
	}
	if (!(n = calloc(1, sizeof *n))) {
		bad(b, 0, "out of memory");
		return NULL;
	}
	n->type = type;
	n->line = line;
	n->src = b->src;
	return n;
}

/* an alias is a copy at the alias's line, so a message points where it is used */
static struct ynode *node_copy(struct builder *b, const struct ynode *s, int line)
{
	struct ynode *n = node_new(b, s->type, line);

	if (!n)
		return NULL;
	n->plain = s->plain;
	n->binary = s->binary;
	n->merge_tag = s->merge_tag;
	n->len = s->len;
	if (s->str && !(n->str = strndup(s->str, s->len)))
		goto oom;
	for (size_t i = 0; i < s->n; i++) {
		struct ynode *k = node_copy(b, s->kids[i], line);

		if (!k)
			goto fail;
		if (ynode_add(n, k) != 0) {
			ynode_free(k);
			goto oom;
		}
	}
	return n;
oom:
	bad(b, 0, "out of memory");
fail:
	ynode_free(n);
	return NULL;
}

static int anchor_add(struct builder *b, const char *name, struct ynode *node, int line)
{
	struct anchor *a;

	if (b->nanchors >= YAML_ANCHOR_MAX)
		return bad(b, line, "more than %d anchors", YAML_ANCHOR_MAX);
	if (!(a = realloc(b->anchors, (b->nanchors + 1) * sizeof *a)))
		return bad(b, 0, "out of memory");
	b->anchors = a;
	if (!(a[b->nanchors].name = strdup(name)))
		return bad(b, 0, "out of memory");
	a[b->nanchors++].node = node;
	return 0;
}

/* a finished node goes into the collection being built, or becomes the root */
static int attach(struct builder *b, struct ynode *n)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	if (ynode_add(b->stack[b->depth - 1], n) != 0) {
		ynode_free(n);
		return bad(b, 0, "out of memory");
	}
	return 0;
}

static int merge_tag(const char *tag)
{
	return !tag ? YTAG_NONE : strcmp(tag, "!reset") == 0 ? YTAG_RESET : strcmp(tag, "!override") == 0 ? YTAG_OVERRIDE
													 : YTAG_NONE;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev, int line)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	struct ynode *n = node_new(b, Y_SCALAR, line);

	if (!n)
		return -1;
	n->plain = ev->data.scalar.plain_implicit && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->binary = tag && strcmp(tag, "tag:yaml.org,2002:binary") == 0;
	n->merge_tag = merge_tag(tag);
	n->len = ev->data.scalar.length;
	if (!(n->str = strndup((const char *)ev->data.scalar.value, n->len))) {
		ynode_free(n);
		return bad(b, 0, "out of memory");
	}
	if (ev->data.scalar.anchor && anchor_add(b, (const char *)ev->data.scalar.anchor, n, line) != 0) {
		ynode_free(n);
		return -1;
	}
	return attach(b, n);
}

static int on_start(struct builder *b, const yaml_event_t *ev, int line)
{
	int seq = ev->type == YAML_SEQUENCE_START_EVENT;
	const char *anchor = (const char *)(seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
	struct ynode *n;

	if (b->depth >= YAML_DEPTH_MAX)
		return bad(b, line, "nested deeper than %d levels", YAML_DEPTH_MAX);
	if (!(n = node_new(b, seq ? Y_SEQ : Y_MAP, line)))
		return -1;
	n->merge_tag = merge_tag((const char *)(seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag));
	b->stack_anchor[b->depth] = NULL;
	if (anchor && !(b->stack_anchor[b->depth] = strdup(anchor))) {
		ynode_free(n);
		return bad(b, 0, "out of memory");
	}
	b->stack[b->depth++] = n;
	return 0;
}

static int map_has(const struct ynode *m, const char *key, size_t upto)
{
	for (size_t i = 0; i + 1 < upto; i += 2)
		if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->str, key) == 0)
			return 1;
	return 0;
}

/* YAML 1.1's merge key (yaml.org/type/merge.html): `<<: *base` or
 * `<<: [*a, *b]` in a mapping adds each pair of the merged mappings whose
 * key the mapping lacks; its own keys win, and of a list the earlier
 * mapping wins. The `<<` pair is then dropped. */
static int merge_keys(struct builder *b, struct ynode *m)
{
	for (size_t i = 0; i + 1 < m->n;) {
		struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		size_t nsrc;

		if (k->type != Y_SCALAR || !k->plain || strcmp(k->str, "<<") != 0) {
			i += 2;
			continue;
		}
		nsrc = v->type == Y_SEQ ? v->n : 1;
		for (size_t s = 0; s < nsrc; s++) {
			const struct ynode *src = v->type == Y_SEQ ? v->kids[s] : v;
			if (src->type != Y_MAP)
				return bad(b, src->line, "<<: expected a mapping or a list of mappings to merge");
		}
		/* take the pair out, then add what the mapping lacks */
		memmove(m->kids + i, m->kids + i + 2, (m->n - i - 2) * sizeof *m->kids);
		m->n -= 2;
		for (size_t s = 0; s < nsrc; s++) {
			const struct ynode *src = v->type == Y_SEQ ? v->kids[s] : v;
			for (size_t j = 0; j + 1 < src->n; j += 2) {
				struct ynode *ck, *cv;
				if (src->kids[j]->type == Y_SCALAR && map_has(m, src->kids[j]->str, m->n))
					continue;
				if (!(ck = node_copy(b, src->kids[j], src->kids[j]->line)))
					goto fail;
				if (!(cv = node_copy(b, src->kids[j + 1], src->kids[j + 1]->line)) ||
				    ynode_add(m, ck) != 0) {
					ynode_free(ck);
					ynode_free(cv);
					goto fail;
				}
				if (ynode_add(m, cv) != 0) {
					ynode_free(cv);
					goto fail;
				}
			}
		}
		if (bury(b, k) != 0 || bury(b, v) != 0)
			return bad(b, 0, "out of memory");
		continue;
	fail:
		bury(b, k);
		bury(b, v);
		return b->err[0] ? -1 : bad(b, 0, "out of memory");
	}
	return 0;
}

static int on_end(struct builder *b, int line)
{
	struct ynode *n;
	char *anchor;
	int r = 0;

	if (b->depth == 0)
		return bad(b, line, "unbalanced YAML events");
	n = b->stack[--b->depth];
	anchor = b->stack_anchor[b->depth];
	if (n->type == Y_MAP && merge_keys(b, n) != 0) {
		free(anchor);
		ynode_free(n);
		return -1;
	}
	/* an anchor on a collection becomes usable once it is complete, which
	 * also rules out an alias to itself */
	if (anchor)
		r = anchor_add(b, anchor, n, line);
	free(anchor);
	if (r != 0) {
		ynode_free(n);
		return -1;
	}
	return attach(b, n);
}

static int on_alias(struct builder *b, const yaml_event_t *ev, int line)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *n;
	size_t i;

	if (++b->aliases > YAML_ALIAS_MAX)
		return bad(b, line, "more than %d aliases (refusing a YAML bomb)", YAML_ALIAS_MAX);
	for (i = b->nanchors; i > 0; i--)
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			break;
	if (i == 0)
		return bad(b, line, "alias *%s names no complete anchor", name);
	if (!(n = node_copy(b, b->anchors[i - 1].node, line)))
		return -1;
	return attach(b, n);
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev, line);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, line);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, line);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev, line);
	default:
		return 0;
	}
}

struct ynode *yaml_load(const char *src, const char *buf, size_t len, char *err, size_t errsize)
{
	struct builder b = { .src = src, .err = err, .errsize = errsize };
	yaml_parser_t p;
	yaml_event_t ev;
	int r = 0, docs = 0;

	err[0] = '\0';
	if (!yaml_parser_initialize(&p)) {
		bad(&b, 0, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = bad(&b, (int)p.problem_mark.line + 1, "YAML: %s%s%s",
				p.problem ? p.problem : "syntax error", p.context ? " " : "",
				p.context ? p.context : "");
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			r = bad(&b, (int)ev.start_mark.line + 1, "only one YAML document is read");
		else
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
	for (size_t i = 0; i < b.ndead; i++)
		ynode_free(b.dead[i]);
	free(b.dead);
	if (r != 0) {
		if (!err[0])
			bad(&b, 0, "out of memory");
		ynode_free(b.root);
		return NULL;
	}
	return b.root;
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

/* ---- YAML 1.1 scalars ---- */

static int plain_scalar(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && n->plain;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

int ynull(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };

	if (!n)
		return 1;
	return plain_scalar(n) && in_list(n->str, nulls);
}

int ybool(const struct ynode *n, int *out)
{
	static const char *const yes[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
					   "on", "On", "ON", NULL };
	static const char *const no[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE",
					  "off", "Off", "OFF", NULL };

	if (!plain_scalar(n))
		return -1;
	if (in_list(n->str, yes))
		return *out = 1, 0;
	if (in_list(n->str, no))
		return *out = 0, 0;
	return -1;
}

/* 0-15 for a hex digit of either case, 99 for anything else */
static int digit_value(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : 99;
}

/* s as a YAML 1.1 int: 0 and *out, or -1 (not an int, or past long long) */
static int int_text(const char *s, long long *out)
{
	unsigned long long v = 0, limit;
	int base = 10, neg = 0, digits = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && s[1] == 'b')
		base = 2, s += 2;
	else if (s[0] == '0' && s[1] == 'x')
		base = 16, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	else if (*s == '_')
		return -1; /* a decimal starts with a digit */
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; *s; s++) {
		int d;

		if (*s == '_')
			continue;
		if ((d = digit_value(*s)) >= base)
			return -1;
		if (v > (limit - (unsigned)d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + (unsigned)d;
		digits++;
	}
	if (!digits)
		return -1;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

int yint(const struct ynode *n, long long *out)
{
	return plain_scalar(n) ? int_text(n->str, out) : -1;
}

/* [0-9][0-9_]*: the length of such a run at s, 0 if none */
static size_t digit_run(const char *s)
{
	size_t i = 0;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	while (isdigit((unsigned char)s[i]) || s[i] == '_')
		i++;
	return i;
}

/* s as a YAML 1.1 float (base 10, .inf, .nan): 0 and *out, or -1 */
static int float_text(const char *s, double *out)
{
	static const char *const inf[] = { ".inf", ".Inf", ".INF", NULL };
	static const char *const nan_[] = { ".nan", ".NaN", ".NAN", NULL };
	char text[128];
	size_t i = 0, j = 0, k;
	int neg = 0;
	char *end;

	if (in_list(s, nan_))
		return *out = NAN, 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (in_list(s, inf))
		return *out = neg ? -INFINITY : INFINITY, 0;
	/* ([0-9][0-9_]*)? \. [0-9_]* ([eE][-+][0-9]+)?, with a digit somewhere */
	i = digit_run(s);
	if (s[i] != '.')
		return -1;
	k = i + 1;
	while (isdigit((unsigned char)s[k]) || s[k] == '_')
		k++;
	if (i == 0 && (k == 1 || s[1] == '_'))
		return -1;
	if (s[k] == 'e' || s[k] == 'E') {
		if ((s[k + 1] != '-' && s[k + 1] != '+') || !isdigit((unsigned char)s[k + 2]))
			return -1;
		k += 2;
		while (isdigit((unsigned char)s[k]))
			k++;
	}
	if (s[k] || k >= sizeof text - 2)
		return -1;
	if (neg)
		text[j++] = '-';
	for (i = 0; i < k; i++)
		if (s[i] != '_')
			text[j++] = s[i];
	text[j] = '\0';
	errno = 0;
	*out = strtod(text, &end);
	return *end || errno == ERANGE ? -1 : 0;
}

int yfloat(const struct ynode *n, double *out)
{
	long long i;

	if (!plain_scalar(n))
		return -1;
	if (int_text(n->str, &i) == 0)
		return *out = (double)i, 0;
	return float_text(n->str, out);
}

int ymode(const struct ynode *n, long long *out)
{
	const char *s;
	long long v = 0;
	int b;

	if (!n || n->type != Y_SCALAR)
		return -1;
	if (yint(n, out) == 0)
		return 0;
	if (ynull(n) || ybool(n, &b) == 0)
		return -1;
	/* a string: octal digits, as cloud-init's int(s, 8) and compose-go's
	 * ParseInt(s, 8) read one; Python's 0o prefix too */
	s = n->str;
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (!*s || strlen(s) > 20)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* ---- building and editing ---- */

static void *oom_check(void *p)
{
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(111);
	}
	return p;
}

struct ynode *ynode_new(enum ytype type, const struct ynode *at)
{
	struct ynode *n = oom_check(calloc(1, sizeof *n));

	n->type = type;
	n->src = at ? at->src : "";
	n->line = at ? at->line : 0;
	return n;
}

struct ynode *ynode_str(const struct ynode *at, const char *s, int plain)
{
	struct ynode *n = ynode_new(Y_SCALAR, at);

	n->str = oom_check(strdup(s));
	n->len = strlen(s);
	n->plain = plain;
	return n;
}

struct ynode *ynode_copy(const struct ynode *s)
{
	struct ynode *n = oom_check(calloc(1, sizeof *n));

	*n = *s;
	n->kids = NULL;
	n->n = n->cap = 0;
	if (s->str)
		n->str = oom_check(strndup(s->str, s->len));
	for (size_t i = 0; i < s->n; i++)
		if (ynode_add(n, ynode_copy(s->kids[i])) != 0)
			oom_check(NULL);
	return n;
}

struct ynode *ymap_take(struct ynode *m, const char *key)
{
	struct ynode *found = NULL;

	if (!m || m->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n;) {
		if (m->kids[i]->type != Y_SCALAR || strcmp(m->kids[i]->str, key) != 0) {
			i += 2;
			continue;
		}
		ynode_free(found);
		found = m->kids[i + 1];
		ynode_free(m->kids[i]);
		memmove(m->kids + i, m->kids + i + 2, (m->n - i - 2) * sizeof *m->kids);
		m->n -= 2;
	}
	return found;
}

void ymap_set(struct ynode *m, const char *key, struct ynode *v)
{
	if (v) {
		/* in the first pair's place, so the order stays */
		for (size_t i = 0; i + 1 < m->n; i += 2) {
			if (m->kids[i]->type != Y_SCALAR || strcmp(m->kids[i]->str, key) != 0)
				continue;
			ynode_free(m->kids[i + 1]);
			m->kids[i + 1] = v;
			/* later duplicates go */
			for (size_t j = i + 2; j + 1 < m->n;) {
				if (m->kids[j]->type != Y_SCALAR || strcmp(m->kids[j]->str, key) != 0) {
					j += 2;
					continue;
				}
				ynode_free(m->kids[j]);
				ynode_free(m->kids[j + 1]);
				memmove(m->kids + j, m->kids + j + 2, (m->n - j - 2) * sizeof *m->kids);
				m->n -= 2;
			}
			return;
		}
	}
	ynode_free(ymap_take(m, key));
	if (v && (ynode_add(m, ynode_str(v, key, 1)) != 0 || ynode_add(m, v) != 0))
		oom_check(NULL);
}
