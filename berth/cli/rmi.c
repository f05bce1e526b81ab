/* berth rmi [-f] NAME[:TAG]|ID...: untag images, then delete every blob and
 * layer that neither an image nor a container refers to any more. As in
 * docker, an image a container uses keeps its last name unless -f, and with
 * -f it only loses the name: the container is bound to it (berth/ctr/image.c) and
 * its blobs and layers stay until `berth rm` of the last such container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cli.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

struct rmi {
	struct ctr_paths p;
	struct image_store s;
	struct image_users users;
	int force;
	struct err e;
};

/* -f on an image containers use: bind those that only name it, so that
 * their image outlives its last name */
static int users_bind(struct rmi *x, const struct image_ref *ref)
{
	for (size_t i = 0; i < x->users.n; i++) {
		struct image_user *u = &x->users.v[i], bound;
		if (u->nlayers || strcmp(u->config, ref->config) != 0)
			continue;
		if (image_user_of(&x->s.st, ref, 1, &bound, &x->e) < 0 ||
		    ctr_image_bind(&x->p, u->container, u->image, &bound, &x->e) < 0)
			return -1;
		image_user_free(u);
		*u = bound;
	}
	return 0;
}

static int untag(struct rmi *x, const char *arg)
{
	char config[DIGEST_LEN + 1], users[512];
	struct image_refs *r = &x->s.refs;
	size_t idx, left = 0, nusers;
	int how = image_resolve(r, arg, &idx, &x->e);

	if (how < 0)
		return -1;
	if (how == 0)
		return fail(&x->e, 1, "%s: no such image", arg);
	strcpy(config, r->v[idx].config);
	/* by name one entry goes, by ID every entry of the image */
	for (size_t i = 0; i < r->n; i++)
		left += strcmp(r->v[i].config, config) == 0 && how == RESOLVE_NAME && i != idx;
	nusers = left ? 0 : ctr_image_users_of(&x->users, config, users, sizeof users);
	if (nusers && !x->force)
		return fail(&x->e, 1, "%s: image %.19s is used by container%s %s: remove %s first (rmi -f only untags it)",
			    arg, config, nusers > 1 ? "s" : "", users, nusers > 1 ? "them" : "it");
	if (nusers && users_bind(x, &r->v[idx]) < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		struct image_ref *ref = &r->v[i];
		if (how == RESOLVE_NAME ? i != idx : strcmp(ref->config, config) != 0)
			continue;
		if (strcmp(ref->name, "<none>") != 0)
			printf("Untagged: %s:%s\n", ref->name, ref->tag);
		refs_del(r, i);
		if (how == RESOLVE_NAME)
			break;
		i--;
	}
	if (!nusers && !image_named(&x->s, config))
		printf("Deleted: %s\n", config);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	struct rmi x = { .force = 0 };
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)
			x.force = 1;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			usage_error("rmi", "unknown option %s", argv[i]);
	}
	if (i >= argc)
		usage_error("rmi", "no image");
	ctr_paths_init(&x.p);
	if (image_store_open(&x.s, 1, &x.e) < 0)
		die(x.e.code, "%s", x.e.msg);
	/* under the exclusive lock: no container is bound meanwhile */
	if (ctr_image_users(&x.p, &x.s, &x.users, &x.e) < 0)
		die(x.e.code, "%s", x.e.msg);
	for (; i < argc; i++)
		if (untag(&x, argv[i]) < 0)
			break;
	/* names first: a blob without a name is garbage even after a crash */
	if (!x.e.msg[0] && refs_write(&x.s.st, &x.s.refs, &x.e) == 0)
		store_gc(&x.s.st, &x.s.refs, &x.users, 1, &x.e);
	image_users_free(&x.users);
	image_store_close(&x.s);
	if (x.e.msg[0])
		die(x.e.code, "%s", x.e.msg);
	return 0;
}
