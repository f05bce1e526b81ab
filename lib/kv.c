/* key=value files: a table of fields read and written in one place, so
 * that what `cat` shows is what the programs read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "kv.h"

/* a value is one line: a newline in it would start a key */
static void one_line(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r')
			s[i] = ' ';
}

/* "a, b or c" */
static void names_list(const char *const *names, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
}

static int field_set(const char *path, const struct kv_field *f, const char *v, void *obj, struct err *e)
{
	char *at = (char *)obj + f->off, list[512];

	switch (f->type) {
	case KV_STR:
		snprintf(at, f->size, "%s", v);
		one_line(at, strlen(at));
		return 0;
	case KV_INT:
		*(int *)at = (int)atol(v);
		return 0;
	case KV_INT_NONE:
		*(int *)at = *v ? (int)atol(v) : -1;
		return 0;
	case KV_TIME:
		*(time_t *)at = (time_t)atoll(v);
		return 0;
	case KV_ENUM:
		for (int i = 0; f->names[i]; i++)
			if (strcmp(f->names[i], v) == 0) {
				*(int *)at = i;
				return 0;
			}
		names_list(f->names, list, sizeof list);
		return fail(e, 1, "%s: %s=%.64s: expected %s", path, f->key, v, list), 1;
	}
	return 0;
}

int kv_read(const char *path, char *buf, size_t size, const struct kv_field *t, size_t n, void *obj,
	    struct err *e)
{
	char *line, *save;

	if (file_read(path, buf, size) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		for (size_t i = 0; i < n; i++)
			if (strcmp(line, t[i].key) == 0 && field_set(path, &t[i], v, obj, e) != 0)
				return 1;
	}
	return 0;
}

int kv_format(char *buf, size_t size, size_t *len, const struct kv_field *t, size_t n, const void *obj)
{
	for (size_t i = 0; i < n; i++) {
		const char *at = (const char *)obj + t[i].off;
		size_t o = *len, room = o < size ? size - o : 0;
		int k = -1;

		switch (t[i].type) {
		case KV_STR:
			k = snprintf(buf + o, room, "%s=%s\n", t[i].key, at);
			if (k >= 0 && (size_t)k < room)
				one_line(buf + o + strlen(t[i].key) + 1, strlen(at));
			break;
		case KV_INT:
		case KV_INT_NONE:
			k = snprintf(buf + o, room, "%s=%d\n", t[i].key, *(const int *)at);
			break;
		case KV_TIME:
			k = snprintf(buf + o, room, "%s=%lld\n", t[i].key, (long long)*(const time_t *)at);
			break;
		case KV_ENUM: {
			int v = *(const int *)at, m = 0;

			while (t[i].names[m])
				m++;
			if (v < 0 || v >= m)
				return errno = EINVAL, -1;
			k = snprintf(buf + o, room, "%s=%s\n", t[i].key, t[i].names[v]);
			break;
		}
		}
		if (k < 0 || (size_t)k >= room)
			return errno = EFBIG, -1;
		*len = o + (size_t)k;
	}
	return 0;
}

int kv_write(const char *path, mode_t mode, int durable, const struct kv_field *t, size_t n, const void *obj)
{
	char buf[KV_WRITE_MAX];
	size_t len = 0;

	if (kv_format(buf, sizeof buf, &len, t, n, obj) < 0)
		return -1;
	return file_replace(path, buf, len, mode, durable);
}
