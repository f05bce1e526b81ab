/* Files of key=value lines, a value a line, that a person can cat: the
 * container state, the update records. A table of a struct's fields names
 * the keys, the order they are written in and how each value reads. */
#ifndef BERTH_KV_H
#define BERTH_KV_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

enum kv_type {
	KV_STR,      /* char[size], cut to fit; written on one line: \n and \r become spaces */
	KV_INT,      /* int */
	KV_INT_NONE, /* int; an empty value reads as -1 (none yet) */
	KV_TIME,     /* time_t */
	KV_ENUM,     /* int, an index into names (NULL-terminated); any other name is refused */
};

struct kv_field {
	const char *key;
	enum kv_type type;
	size_t off;               /* offsetof the field in the struct */
	const char *const *names; /* KV_ENUM */
	size_t size;              /* KV_STR: sizeof the field */
};

/* a table's rows; the key is the field's name. The sizeof(char[...]) is 0
 * but stops the build when the field is not of the size the type reads */
#define KV_SIZED(T, f, want) (offsetof(T, f) + 0 * sizeof(char[sizeof(((T *)0)->f) == (want) ? 1 : -1]))
#define KV_STRING(T, f) { #f, KV_STR, offsetof(T, f), NULL, sizeof(((T *)0)->f) }
#define KV_NUMBER(T, f, type) { #f, type, KV_SIZED(T, f, (type) == KV_TIME ? sizeof(time_t) : sizeof(int)), NULL, 0 }
#define KV_NAMED(T, f, names) { #f, KV_ENUM, KV_SIZED(T, f, sizeof(int)), names, 0 }

/* read path (at most size-1 bytes of it, into buf) and set the fields of
 * obj that it has lines for: other keys and lines without '=' are skipped,
 * the last line of a key wins. 0; -1 if path cannot be read (errno); 1 if a
 * value is not one its field allows (e names the file, the key and what it
 * expected; obj is then partly set) */
int kv_read(const char *path, char *buf, size_t size, const struct kv_field *t, size_t n, void *obj,
	    struct err *e);
/* append the lines of t's fields of obj to buf, from *len; 0, or -1 if they
 * do not fit in size (or an enum is out of range) */
int kv_format(char *buf, size_t size, size_t *len, const struct kv_field *t, size_t n, const void *obj);
/* the lines, at most KV_WRITE_MAX bytes, put in place by file_replace
 * (durable or not); 0, or -1 (errno) */
#define KV_WRITE_MAX 8192
int kv_write(const char *path, mode_t mode, int durable, const struct kv_field *t, size_t n, const void *obj);

#endif
