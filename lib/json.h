/* json.c: JSON documents (yajl_tree) with a size cap and errors that name the key */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "err.h"
#include "stream.h"

#define JSON_MAX (4u << 20) /* any JSON document read */

yajl_val json_parse(const char *buf, size_t len, const char *what, struct err *e);
/* read the whole stream (at most JSON_MAX bytes) and parse it */
yajl_val json_read(struct stream *s, const char *what, struct err *e);
/* obj[key] of the wanted type, or NULL; _need forms fail naming what.key */
/* whether v is of the type; a number is an integer */
int json_is(yajl_val v, yajl_type type);
yajl_val json_get(yajl_val obj, const char *key, yajl_type type);
const char *json_str(yajl_val obj, const char *key);
const char *json_need_str(yajl_val obj, const char *key, const char *what, struct err *e);
yajl_val json_need(yajl_val obj, const char *key, yajl_type type, const char *what, struct err *e);

#endif
