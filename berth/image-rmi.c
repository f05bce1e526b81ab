/* berth rmi NAME[:TAG]|ID...: untag images, then delete every blob and
 * layer no image refers to any more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "berth-cli.h"
#include "image.h"

static int config_used(const struct image_refs *r, const char *config)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].config, config) == 0)
			return 1;
	return 0;
}

/* the config digest an ID (full, or a unique prefix of the hex) names */
static int id_match(const struct image_refs *r, const char *arg, char out[DIGEST_LEN + 1], struct err *e)
{
	const char *hex = strncmp(arg, "sha256:", 7) == 0 ? arg + 7 : arg;
	size_t len = strlen(hex);

	out[0] = '\0';
	if (len == 0 || len > HEX_LEN || strspn(hex, "0123456789abcdef") != len)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *c = r->v[i].config;
		if (strncmp(digest_hex(c), hex, len) != 0 || strcmp(c, out) == 0)
			continue;
		if (out[0])
			return fail(e, 1, "%s: ambiguous image ID, matches %.19s and %.19s", arg, out, c);
		strcpy(out, c);
	}
	return out[0] != 0;
}

static int untag(struct image_refs *r, const char *arg, struct err *e)
{
	char name[REF_MAX], tag[REF_MAX], config[DIGEST_LEN + 1];
	int by_id, removed = 0;

	by_id = id_match(r, arg, config, e);
	if (by_id < 0)
		return -1;
	if (!by_id) {
		if (ref_parse(arg, name, tag) < 0)
			return fail(e, 1, "%s: not NAME[:TAG] or an image ID", arg);
		config[0] = '\0';
	}
	for (size_t i = 0; i < r->n; i++) {
		struct image_ref *ref = &r->v[i];
		if (by_id ? strcmp(ref->config, config) != 0
			  : strcmp(ref->name, name) != 0 || strcmp(ref->tag, tag) != 0)
			continue;
		if (strcmp(ref->name, "<none>") != 0)
			printf("Untagged: %s:%s\n", ref->name, ref->tag);
		strcpy(config, ref->config);
		refs_del(r, i--);
		removed = 1;
	}
	if (!removed)
		return fail(e, 1, "%s: no such image", arg);
	if (!config_used(r, config))
		printf("Deleted: %s\n", config);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	struct image_refs refs;
	struct store st;
	struct err e = { 0 };

	if (argc < 2)
		usage_error("rmi", "no image");
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			usage_error("rmi", "unknown option %s", argv[i]);
	if (store_open(&st, 1, &e) < 0 || refs_read(&st, &refs, &e) < 0)
		die(e.code, "%s", e.msg);
	for (int i = 1; i < argc; i++)
		if (untag(&refs, argv[i], &e) < 0)
			break;
	/* names first: a blob without a name is garbage even after a crash */
	if (!e.msg[0] && refs_write(&st, &refs, &e) == 0)
		store_gc(&st, &refs, 1, &e);
	refs_free(&refs);
	store_close(&st);
	if (e.msg[0])
		die(e.code, "%s", e.msg);
	return 0;
}
