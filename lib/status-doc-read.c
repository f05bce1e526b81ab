/* status.json read with yajl_tree (json.c), every field of status-doc.h
 * checked; an error names the file and the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "json.h"
#include "status-doc.h"

/* Where yajl stopped in a document it could not parse: the key path of
 * the innermost object key or array element open at that point, so that a
 * truncated file says which field it ends in. Only the error path runs it. */
#define WHERE_DEPTH 8
struct where {
	size_t depth; /* containers open; the first WHERE_DEPTH are recorded */
	struct {
		int array;
		size_t index;
		char key[64];
	} at[WHERE_DEPTH];
};

static int w_value(void *ctx)
{
	struct where *w = ctx;

	if (w->depth && w->depth <= WHERE_DEPTH && w->at[w->depth - 1].array)
		w->at[w->depth - 1].index++;
	return 1;
}

static int w_bool(void *ctx, int b) { (void)b; return w_value(ctx); }
static int w_number(void *ctx, const char *s, size_t n) { (void)s, (void)n; return w_value(ctx); }
static int w_string(void *ctx, const unsigned char *s, size_t n) { (void)s, (void)n; return w_value(ctx); }

static int w_open(struct where *w, int array)
{
	if (w->depth < WHERE_DEPTH) {
		w->at[w->depth].array = array;
		w->at[w->depth].index = 0;
		w->at[w->depth].key[0] = '\0';
	}
	w->depth++;
	return 1;
}

static int w_start_map(void *ctx) { return w_open(ctx, 0); }
static int w_start_array(void *ctx) { return w_open(ctx, 1); }

static int w_close(void *ctx)
{
	((struct where *)ctx)->depth--;
	return w_value(ctx);
}

static int w_key(void *ctx, const unsigned char *key, size_t len)
{
	struct where *w = ctx;
	char *k;

	if (!w->depth || w->depth > WHERE_DEPTH)
		return 1;
	k = w->at[w->depth - 1].key;
	if (len > sizeof w->at[0].key - 1)
		len = sizeof w->at[0].key - 1;
	/* the key goes into a terminal line: no control bytes */
	for (size_t i = 0; i < len; i++)
		k[i] = key[i] < 0x20 || key[i] == 0x7f ? '?' : (char)key[i];
	k[len] = '\0';
	return 1;
}

static void where_stopped(const char *buf, size_t len, char *out, size_t size)
{
	static const yajl_callbacks cb = {
		.yajl_null = w_value, .yajl_boolean = w_bool, .yajl_number = w_number, .yajl_string = w_string,
		.yajl_start_map = w_start_map, .yajl_map_key = w_key, .yajl_end_map = w_close,
		.yajl_start_array = w_start_array, .yajl_end_array = w_close,
	};
	struct where w = {0};
	yajl_handle h = yajl_alloc(&cb, NULL, &w);
	size_t n = 0;

	out[0] = '\0';
	if (!h)
		return;
	yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse does */
	if (yajl_parse(h, (const unsigned char *)buf, len) == yajl_status_ok)
		yajl_complete_parse(h);
	yajl_free(h);
	for (size_t i = 0; i < w.depth && i < WHERE_DEPTH && n < size; i++) {
		if (w.at[i].array)
			n += (size_t)snprintf(out + n, size - n, "[%zu]", w.at[i].index);
		else if (w.at[i].key[0])
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "." : "", w.at[i].key);
	}
}

/* json_parse, its error naming the key at which the text stopped */
static yajl_val parse(const char *buf, size_t len, const char *what, struct err *e)
{
	struct err first = {0};
	char at[256], where[4096 + sizeof at];
	yajl_val v = json_parse(buf, len, what, &first);

	if (v)
		return v;
	where_stopped(buf, len, at, sizeof at);
	if (!at[0] || snprintf(where, sizeof where, "%s: %s", what, at) >= (int)sizeof where)
		fail(e, first.code, "%s", first.msg);
	else
		json_parse(buf, len, where, e);
	return NULL;
}

/* obj[key], a string; at is the path of obj (NULL: the document) */
static const char *need_str(yajl_val obj, const char *at, const char *key, const char *what, struct err *e)
{
	const char *s = json_str(obj, key);

	if (!s)
		fail(e, 1, "%s: %s%s%s: expected a string", what, at ? at : "", at ? "." : "", key);
	return s;
}

static int read_module(yajl_val m, size_t i, const char *what, struct status_module *out, struct err *e)
{
	yajl_val msgs;
	char at[64];

	snprintf(at, sizeof at, SD_MODULES "[%zu]", i);
	if (!YAJL_IS_OBJECT(m))
		return fail(e, 1, "%s: %s: expected an object", what, at);
	if (!(out->name = need_str(m, at, SD_NAME, what, e)) || !(out->result = need_str(m, at, SD_RESULT, what, e)))
		return -1;
	if (strcmp(out->result, SD_OK) != 0 && strcmp(out->result, SD_SKIPPED) != 0 && strcmp(out->result, SD_ERROR) != 0)
		return fail(e, 1, "%s: %s." SD_RESULT ": expected " SD_OK ", " SD_SKIPPED " or " SD_ERROR, what, at);
	if (!(msgs = json_get(m, SD_MESSAGES, yajl_t_array)))
		return fail(e, 1, "%s: %s." SD_MESSAGES ": expected an array of strings", what, at);
	if (!(out->messages = calloc(msgs->u.array.len + 1, sizeof *out->messages)))
		return fail_errno(e, "%s", what);
	for (size_t j = 0; j < msgs->u.array.len; j++) {
		yajl_val s = msgs->u.array.values[j];
		if (!YAJL_IS_STRING(s))
			return fail(e, 1, "%s: %s." SD_MESSAGES "[%zu]: expected a string", what, at, j);
		out->messages[out->nmessages++] = s->u.string;
	}
	return 0;
}

static int read_doc(yajl_val v, const char *what, struct status_doc *d, struct err *e)
{
	const char *key[] = { SD_NEW_INSTANCE, NULL };
	yajl_val b, mods;

	if (!YAJL_IS_OBJECT(v))
		return fail(e, 1, "%s: expected a JSON object", what);
	if (!(d->datasource = need_str(v, NULL, SD_DATASOURCE, what, e)) ||
	    !(d->instance_id = need_str(v, NULL, SD_INSTANCE_ID, what, e)))
		return -1;
	b = yajl_tree_get(v, key, yajl_t_any);
	if (!b || !(YAJL_IS_TRUE(b) || YAJL_IS_FALSE(b)))
		return fail(e, 1, "%s: " SD_NEW_INSTANCE ": expected true or false", what);
	d->new_instance = YAJL_IS_TRUE(b);
	if (!(mods = json_get(v, SD_MODULES, yajl_t_array)))
		return fail(e, 1, "%s: " SD_MODULES ": expected an array of objects", what);
	if (!(d->modules = calloc(mods->u.array.len + 1, sizeof *d->modules)))
		return fail_errno(e, "%s", what);
	d->nmodules = mods->u.array.len;
	for (size_t i = 0; i < d->nmodules; i++)
		if (read_module(mods->u.array.values[i], i, what, &d->modules[i], e) != 0)
			return -1;
	return 0;
}

int status_doc_parse(const char *buf, size_t len, const char *what, struct status_doc *d, struct err *e)
{
	memset(d, 0, sizeof *d);
	if (!(d->tree = parse(buf, len, what, e)))
		return -1;
	if (read_doc(d->tree, what, d, e) != 0) {
		status_doc_free(d);
		return -1;
	}
	return 0;
}

void status_doc_free(struct status_doc *d)
{
	for (size_t i = 0; i < d->nmodules; i++)
		free(d->modules[i].messages);
	free(d->modules);
	if (d->tree)
		yajl_tree_free(d->tree);
	memset(d, 0, sizeof *d);
}
