/* One way to name an image, for every command that takes one: `berth run`
 * and `create` (and so ctr-exec) bind a container with it, `berth rmi`
 * removes with it. Docker's order: a digest is an ID, then a name, then an
 * ID prefix, which must be unique. NAME@DIGEST is the image a pull came
 * by that digest to (its repo digest), named NAME or, pulled by digest,
 * untagged. */
#include <stdio.h>
#include <string.h>

#include "image.h"

static int is_hex(const char *s, size_t len)
{
	return len > 0 && strspn(s, "0123456789abcdef") == len;
}

static int by_repo_digest(const struct image_refs *r, const char *arg, const char *at, size_t *idx)
{
	char ref[2 * REF_MAX], name[REF_MAX], tag[REF_MAX];

	if (!digest_valid(at + 1) || (size_t)(at - arg) >= sizeof ref)
		return 0;
	snprintf(ref, sizeof ref, "%.*s", (int)(at - arg), arg);
	if (ref_parse(ref, name, tag) < 0)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].repo_digest, at + 1) == 0 &&
		    (strcmp(r->v[i].name, name) == 0 || strcmp(r->v[i].name, "<none>") == 0)) {
			*idx = i;
			return RESOLVE_NAME;
		}
	return 0;
}

int image_resolve(const struct image_refs *r, const char *arg, size_t *idx, struct err *e)
{
	char name[REF_MAX], tag[REF_MAX];
	const char *hex = strncmp(arg, "sha256:", 7) == 0 ? arg + 7 : arg;
	size_t len = strlen(hex), found = 0;
	int full = hex != arg && len == HEX_LEN;

	if (strchr(arg, '@'))
		return by_repo_digest(r, arg, strchr(arg, '@'), idx);
	/* sha256:<64 hex> is never a name */
	if (!full && ref_parse(arg, name, tag) == 0)
		for (size_t i = 0; i < r->n; i++)
			if (strcmp(r->v[i].name, name) == 0 && strcmp(r->v[i].tag, tag) == 0) {
				*idx = i;
				return RESOLVE_NAME;
			}
	if (len > HEX_LEN || !is_hex(hex, len))
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *c = r->v[i].config;
		if (strncmp(digest_hex(c), hex, full ? HEX_LEN + 1 : len) != 0)
			continue;
		if (found && strcmp(r->v[*idx].config, c) != 0)
			return fail(e, 1, "%s: ambiguous image ID, matches %.19s and %.19s", arg, r->v[*idx].config, c);
		if (!found)
			*idx = i;
		found = 1;
	}
	return found ? RESOLVE_ID : 0;
}
