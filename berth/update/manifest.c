/* The bundle's manifest.json: parsed with yajl's tree API, every field
 * checked for type, length and form. It is trusted only after its minisign
 * signature verified; the checks here catch a signed but wrong manifest. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "update.h"

#define MANIFEST_MAX (64 * 1024)

static int str_field(yajl_val root, const char **path, char *out, size_t size,
		     const char *what, char *err, size_t errlen)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	const char *s = v ? YAJL_GET_STRING(v) : NULL;

	if (!s) {
		snprintf(err, errlen, "manifest.json: %s: missing or not a string", what);
		return -1;
	}
	if (strlen(s) >= size || s[0] == '\0') {
		snprintf(err, errlen, "manifest.json: %s: empty or longer than %zu bytes", what, size - 1);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int is_version(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (*s != '.' || digits == 0)
			return 0;
		else
			digits = 0;
	}
	return digits > 0;
}

static int part_parse(yajl_val root, const char *key, struct bundle_part *p, char *err, size_t errlen)
{
	const char *name[] = { key, "name", NULL }, *size[] = { key, "size", NULL },
		   *sha[] = { key, "sha256", NULL };
	char what[64];
	yajl_val v;

	snprintf(what, sizeof what, "%s.name", key);
	if (str_field(root, name, p->name, sizeof p->name, what, err, errlen) != 0)
		return -1;
	if (strchr(p->name, '/') || strcmp(p->name, ".") == 0 || strcmp(p->name, "..") == 0) {
		snprintf(err, errlen, "manifest.json: %s: \"%s\" is not a plain file name", what, p->name);
		return -1;
	}
	v = yajl_tree_get(root, size, yajl_t_number);
	if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0) {
		snprintf(err, errlen, "manifest.json: %s.size: missing or not a positive integer", key);
		return -1;
	}
	p->size = (uint64_t)YAJL_GET_INTEGER(v);
	snprintf(what, sizeof what, "%s.sha256", key);
	if (str_field(root, sha, p->sha256, sizeof p->sha256, what, err, errlen) != 0)
		return -1;
	if (!is_hex64(p->sha256)) {
		snprintf(err, errlen, "manifest.json: %s: expected 64 lowercase hex digits", what);
		return -1;
	}
	return 0;
}

int manifest_parse(const char *json, size_t len, struct bundle_manifest *m, char *err, size_t errlen)
{
	const char *format[] = { "format", NULL }, *version[] = { "version", NULL },
		   *compatible[] = { "compatible", NULL }, *arch[] = { "arch", NULL },
		   *min[] = { "min_version", NULL }, *roothash[] = { "root", "roothash", NULL };
	char buf[MANIFEST_MAX + 1], yerr[256];
	yajl_val root, v;
	int rc = -1;

	memset(m, 0, sizeof *m);
	if (len > MANIFEST_MAX) {
		snprintf(err, errlen, "manifest.json: larger than %d bytes", MANIFEST_MAX);
		return -1;
	}
	memcpy(buf, json, len);
	buf[len] = '\0';
	root = yajl_tree_parse(buf, yerr, sizeof yerr);
	if (!root || !YAJL_IS_OBJECT(root)) {
		char *nl = strchr(yerr, '\n');
		if (nl)
			*nl = '\0';
		snprintf(err, errlen, "manifest.json: not a JSON object: %s", root ? "" : yerr);
		goto out;
	}
	v = yajl_tree_get(root, format, yajl_t_number);
	if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) != 1) {
		snprintf(err, errlen, "manifest.json: format: expected 1");
		goto out;
	}
	m->format = 1;
	if (str_field(root, version, m->version, sizeof m->version, "version", err, errlen) != 0 ||
	    str_field(root, compatible, m->compatible, sizeof m->compatible, "compatible", err, errlen) != 0 ||
	    str_field(root, arch, m->arch, sizeof m->arch, "arch", err, errlen) != 0 ||
	    str_field(root, min, m->min_version, sizeof m->min_version, "min_version", err, errlen) != 0 ||
	    part_parse(root, "uki", &m->uki, err, errlen) != 0 ||
	    part_parse(root, "root", &m->root, err, errlen) != 0 ||
	    str_field(root, roothash, m->roothash, sizeof m->roothash, "root.roothash", err, errlen) != 0)
		goto out;
	if (!is_version(m->version) || !is_version(m->min_version)) {
		snprintf(err, errlen, "manifest.json: version \"%s\" or min_version \"%s\": expected N.N.N",
			 m->version, m->min_version);
		goto out;
	}
	if (!is_hex64(m->roothash)) {
		snprintf(err, errlen, "manifest.json: root.roothash: expected 64 lowercase hex digits");
		goto out;
	}
	rc = 0;
out:
	yajl_tree_free(root);
	return rc;
}

int version_valid(const char *s)
{
	return is_version(s);
}

int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return 0;
}
