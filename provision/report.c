/* Module results: one line each on the console, all of them in status.json.
 * Messages name the file, line and key path, never a secret value. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "provision.h"

void mod_begin(struct prov *p, const char *name)
{
	if (p->nmods == MODS_MAX) {
		p->cur = &p->mods[MODS_MAX - 1];
		return;
	}
	p->cur = &p->mods[p->nmods++];
	memset(p->cur, 0, sizeof *p->cur);
	p->cur->name = name;
}

static void vmsg(struct prov *p, int level, const struct ynode *at, const char *path, const char *fmt, va_list ap)
{
	char text[512], line[768];

	vsnprintf(text, sizeof text, fmt, ap);
	if (at && path)
		snprintf(line, sizeof line, "%s:%d: %s: %s", at->src, at->line, path, text);
	else if (at)
		snprintf(line, sizeof line, "%s:%d: %s", at->src, at->line, text);
	else
		snprintf(line, sizeof line, "%s", text);
	printf("provision: %s%s\n", level == 1 ? "warning: " : "", line);
	fflush(stdout);
	if (!p->cur)
		mod_begin(p, "user-data");
	if (level == 2)
		p->cur->result = RES_ERROR;
	if (p->cur->nmsgs < MSGS_MAX)
		p->cur->msgs[p->cur->nmsgs++] = strdup(line);
}

void mod_error(struct prov *p, const struct ynode *at, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(p, 2, at, path, fmt, ap);
	va_end(ap);
}

void mod_warn(struct prov *p, const struct ynode *at, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(p, 1, at, path, fmt, ap);
	va_end(ap);
}

void mod_note(struct prov *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(p, 0, NULL, NULL, fmt, ap);
	va_end(ap);
}

static const char *result_name(enum result r)
{
	return r == RES_OK ? "ok" : r == RES_SKIPPED ? "skipped" : "error";
}

/* r is what the module decided; an error reported on the way wins */
void mod_end(struct prov *p, enum result r)
{
	if (!p->cur)
		return;
	if (p->cur->result != RES_ERROR)
		p->cur->result = r;
	printf("provision: %s: %s\n", p->cur->name, result_name(p->cur->result));
	fflush(stdout);
	p->cur = NULL;
}

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *t = realloc(b->s, cap);
		if (!t)
			return;
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_json(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, s, 1);
		}
	}
	put(b, "\"", 1);
}

int status_write(struct prov *p)
{
	struct buf b = {0};
	int rc;

	puts_(&b, "{\n  \"datasource\": ");
	put_json(&b, p->seed.ds);
	puts_(&b, ",\n  \"instance_id\": ");
	put_json(&b, p->seed.iid);
	puts_(&b, p->new_instance ? ",\n  \"new_instance\": true" : ",\n  \"new_instance\": false");
	puts_(&b, ",\n  \"modules\": [");
	for (int i = 0; i < p->nmods; i++) {
		struct modres *m = &p->mods[i];
		puts_(&b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		put_json(&b, m->name);
		puts_(&b, ", \"result\": ");
		put_json(&b, result_name(m->result));
		puts_(&b, ", \"messages\": [");
		for (int j = 0; j < m->nmsgs; j++) {
			if (j)
				puts_(&b, ", ");
			put_json(&b, m->msgs[j] ? m->msgs[j] : "");
		}
		puts_(&b, "]}");
	}
	puts_(&b, "\n  ]\n}\n");
	if (!b.s)
		return -1;
	rc = root_write(p, STATE_DIR "/status.json", b.s, b.len, 0644, 0, 0);
	free(b.s);
	return rc;
}
