/* JSON documents of images, parsed with yajl_tree under a size cap. */
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* yajl builds and frees its tree recursively: a document nested deeper
 * than this would overflow the stack, so it is refused before parsing */
#define JSON_DEPTH_MAX 256

static size_t json_depth(const char *buf, size_t len)
{
	size_t depth = 0, max = 0;
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

yajl_val json_parse(const char *buf, size_t len, const char *what, struct err *e)
{
	char errbuf[256], *copy;
	yajl_val v;

	if (len > JSON_MAX) {
		fail(e, 1, "%s: larger than %u bytes", what, JSON_MAX);
		return NULL;
	}
	if (memchr(buf, '\0', len)) {
		fail(e, 1, "%s: not JSON: contains a NUL byte", what);
		return NULL;
	}
	if (json_depth(buf, len) > JSON_DEPTH_MAX) {
		fail(e, 1, "%s: nested deeper than %d levels", what, JSON_DEPTH_MAX);
		return NULL;
	}
	copy = malloc(len + 1);
	if (!copy) {
		fail_errno(e, "%s", what);
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	errbuf[0] = '\0';
	v = yajl_tree_parse(copy, errbuf, sizeof errbuf);
	free(copy);
	if (!v) {
		/* yajl's message spans lines; the first says what */
		errbuf[strcspn(errbuf, "\n")] = '\0';
		fail(e, 1, "%s: not JSON: %s", what, errbuf[0] ? errbuf : "parse error");
		return NULL;
	}
	if (!YAJL_IS_OBJECT(v) && !YAJL_IS_ARRAY(v)) {
		yajl_tree_free(v);
		fail(e, 1, "%s: expected a JSON object", what);
		return NULL;
	}
	return v;
}

yajl_val json_read(struct stream *s, const char *what, struct err *e)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	yajl_val v;

	if (!buf) {
		fail_errno(e, "%s", what);
		return NULL;
	}
	for (;;) {
		ssize_t n;
		if (len == cap) {
			char *nb;
			if (cap > JSON_MAX) {
				free(buf);
				fail(e, 1, "%s: larger than %u bytes", what, JSON_MAX);
				return NULL;
			}
			cap *= 2;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				fail_errno(e, "%s", what);
				return NULL;
			}
			buf = nb;
		}
		n = s->read(s, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	v = json_parse(buf, len, what, e);
	free(buf);
	return v;
}

int json_is(yajl_val v, yajl_type type)
{
	switch (type) {
	case yajl_t_string: return YAJL_IS_STRING(v);
	case yajl_t_number: return YAJL_IS_INTEGER(v);
	case yajl_t_object: return YAJL_IS_OBJECT(v);
	case yajl_t_array: return YAJL_IS_ARRAY(v);
	default: return 0;
	}
}

yajl_val json_get(yajl_val obj, const char *key, yajl_type type)
{
	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return json_is(obj->u.object.values[i], type) ? obj->u.object.values[i] : NULL;
	return NULL;
}

const char *json_str(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key, yajl_t_string);
	return v ? v->u.string : NULL;
}

static const char *type_name(yajl_type type)
{
	switch (type) {
	case yajl_t_string: return "a string";
	case yajl_t_number: return "an integer";
	case yajl_t_object: return "an object";
	case yajl_t_array: return "an array";
	default: return "a value";
	}
}

yajl_val json_need(yajl_val obj, const char *key, yajl_type type, const char *what, struct err *e)
{
	yajl_val v = json_get(obj, key, type);

	if (!v)
		fail(e, 1, "%s: %s: expected %s", what, key, type_name(type));
	return v;
}

const char *json_need_str(yajl_val obj, const char *key, const char *what, struct err *e)
{
	yajl_val v = json_need(obj, key, yajl_t_string, what, e);
	return v ? v->u.string : NULL;
}
