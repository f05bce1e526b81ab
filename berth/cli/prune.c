/* berth image prune [-a] [-f]: docker's. Deletes the dangling images (no
 * name left, <none>:<none>), with -a every image no container uses, then
 * every blob and layer nothing names any more and what pulls left in
 * downloads/. Asks first on a terminal; elsewhere it wants -f. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cli.h"
#include "ctr.h"
#include "image.h"
#include "registry.h"

/* 1 if every entry of the image is <none> */
static int dangling(const struct image_refs *r, const char *config)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].config, config) == 0 && strcmp(r->v[i].name, "<none>") != 0)
			return 0;
	return 1;
}

/* remove the image's entries, as docker prints them; 1 if it went */
static int prune_image(struct image_refs *r, const struct image_users *users, const char *config, int all,
		       int *said)
{
	char who[512];

	if (ctr_image_users_of(users, config, who, sizeof who) || (!all && !dangling(r, config)))
		return 0;
	if (!*said) {
		printf("Deleted Images:\n");
		*said = 1;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].config, config) != 0)
			continue;
		if (strcmp(r->v[i].name, "<none>") != 0)
			printf("untagged: %s:%s\n", r->v[i].name, r->v[i].tag);
		refs_del(r, i);
		i--;
	}
	printf("deleted: %s\n", config);
	return 1;
}

static int confirm(int all)
{
	char line[16];

	fprintf(stderr, "WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
		all ? "images without at least one container associated to them" : "dangling images");
	fflush(stderr);
	return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int image_prune(int argc, char **argv)
{
	struct ctr_paths p;
	struct image_store s;
	struct image_users users = { 0 };
	struct err e = { 0 };
	uint64_t before, after;
	int all = 0, force = 0, said = 0, busy = 0;
	char freed[24] = "0B";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)
			force = 1;
		else
			usage_error("image", "unknown option %s", argv[i]);
	}
	if (!force && !isatty(STDIN_FILENO))
		usage_error("image", "prune: no terminal to ask on: -f to prune without asking");
	if (!force && !confirm(all))
		return 0;
	ctr_paths_init(&p);
	if (image_store_open(&s, 1, &e) < 0 || ctr_image_users(&p, &s, &users, &e) < 0)
		die(e.code, "%s", e.msg);
	before = store_disk(&s.st);
	for (size_t i = 0; i < s.refs.n; i++) {
		char config[DIGEST_LEN + 1];
		strcpy(config, s.refs.v[i].config);
		if (prune_image(&s.refs, &users, config, all, &said))
			i = (size_t)-1; /* entries moved: from the top */
	}
	if (said)
		printf("\n");
	/* names first: a blob without a name is garbage even after a crash */
	if (refs_write(&s.st, &s.refs, &e) == 0 && store_gc(&s.st, &s.refs, &users, 0, &e) == 0 &&
	    (busy = registry_downloads_prune(&e)) >= 0) {
		after = store_disk(&s.st);
		human_size(freed, sizeof freed, before > after ? before - after : 0);
	}
	image_users_free(&users);
	image_store_close(&s);
	if (e.msg[0])
		die(e.code, "%s", e.msg);
	if (busy == 1)
		printf("downloads: a pull is running: what it downloads stays\n");
	printf("Total reclaimed space: %s\n", freed);
	return 0;
}

/* berth image SUBCOMMAND: only prune so far */
int cmd_image(int argc, char **argv)
{
	if (argc < 2)
		usage_error("image", "expected prune");
	if (strcmp(argv[1], "prune") == 0)
		return image_prune(argc - 1, argv + 1);
	usage_error("image", "unknown subcommand %s (expected prune)", argv[1]);
}
