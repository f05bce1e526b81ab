/* status.json written with yajl_gen, in the order status-doc.h lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "status-doc.h"

/* the reader refuses invalid UTF-8, and a message can quote bytes from
 * the seed that are not: those strings go out with every non-ASCII byte
 * as '?' rather than make the whole file unreadable */
static int gen_str(yajl_gen g, const char *s)
{
	size_t len = strlen(s);
	yajl_gen_status st = yajl_gen_string(g, (const unsigned char *)s, len);
	char *ascii;

	if (st != yajl_gen_invalid_string)
		return st == yajl_gen_status_ok ? 0 : -1;
	if (!(ascii = malloc(len + 1)))
		return -1;
	for (size_t i = 0; i <= len; i++)
		ascii[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	st = yajl_gen_string(g, (const unsigned char *)ascii, len);
	free(ascii);
	return st == yajl_gen_status_ok ? 0 : -1;
}

static int gen_key_str(yajl_gen g, const char *key, const char *value)
{
	return gen_str(g, key) || gen_str(g, value ? value : "") ? -1 : 0;
}

static int gen_module(yajl_gen g, const struct status_module *m)
{
	if (yajl_gen_map_open(g) || gen_key_str(g, SD_NAME, m->name) || gen_key_str(g, SD_RESULT, m->result) ||
	    gen_str(g, SD_MESSAGES) || yajl_gen_array_open(g))
		return -1;
	for (size_t i = 0; i < m->nmessages; i++)
		if (gen_str(g, m->messages[i] ? m->messages[i] : ""))
			return -1;
	return yajl_gen_array_close(g) || yajl_gen_map_close(g) ? -1 : 0;
}

static int gen_doc(yajl_gen g, const struct status_doc *d)
{
	if (yajl_gen_map_open(g) || gen_key_str(g, SD_DATASOURCE, d->datasource) ||
	    gen_key_str(g, SD_INSTANCE_ID, d->instance_id) || gen_str(g, SD_NEW_INSTANCE) ||
	    yajl_gen_bool(g, d->new_instance) || gen_str(g, SD_MODULES) || yajl_gen_array_open(g))
		return -1;
	for (size_t i = 0; i < d->nmodules; i++)
		if (gen_module(g, &d->modules[i]))
			return -1;
	return yajl_gen_array_close(g) || yajl_gen_map_close(g) ? -1 : 0;
}

int status_doc_gen(const struct status_doc *d, char **out, size_t *len)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	int rc = -1;

	if (!g) {
		errno = ENOMEM;
		return -1;
	}
	/* beautified (two-space indent, final newline): a person can cat it */
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	if (gen_doc(g, d) == 0 && yajl_gen_get_buf(g, &buf, len) == yajl_gen_status_ok && (*out = malloc(*len))) {
		memcpy(*out, buf, *len);
		rc = 0;
	}
	yajl_gen_free(g);
	if (rc != 0)
		errno = ENOMEM; /* the calls above are in order: memory is what runs out */
	return rc;
}
