/* berth system df [-v]: docker's. What the image store, the containers'
 * writable layers and the named volumes take on disk, and how much of it
 * nothing running or defined uses. Sizes are blocks on disk: for images
 * both the compressed blobs and the unpacked layers. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cli.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"

struct ctr_row {
	char name[CTR_NAME_MAX], image[256], status[32];
	uint64_t size;
	int running;
};
struct vol_row {
	char name[256];
	uint64_t size;
	size_t users;
};
struct df {
	struct ctr_paths p;
	struct ctr_row *c;
	size_t nc;
	struct vol_row *v;
	size_t nv;
};

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* the named volumes under $BERTH_ROOT/volumes */
static void volumes_read(struct df *x)
{
	char dir[CTR_PATH_MAX];
	struct dirent **ents;
	int ne, fd;

	ctr_path(dir, sizeof dir, "%s/volumes", x->p.root);
	if ((ne = scandir(dir, &ents, visible, alphasort)) < 0)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	x->v = calloc((size_t)ne + 1, sizeof *x->v);
	for (int i = 0; i < ne; i++) {
		if (x->v && fd >= 0) {
			struct vol_row *v = &x->v[x->nv++];
			snprintf(v->name, sizeof v->name, "%s", ents[i]->d_name);
			v->size = du_at(fd, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	if (fd >= 0)
		close(fd);
}

static void volume_used(struct df *x, const char *name)
{
	for (size_t i = 0; i < x->nv; i++)
		if (strcmp(x->v[i].name, name) == 0)
			x->v[i].users++;
}

/* every defined container: its state, its writable layer, its volumes */
static void containers_read(struct df *x)
{
	char dir[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct dirent **ents;
	int ne;

	ctr_path(dir, sizeof dir, "%s/berth/containers", x->p.etc);
	if ((ne = scandir(dir, &ents, ctr_def_file, alphasort)) < 0)
		return;
	x->c = calloc((size_t)ne + 1, sizeof *x->c);
	for (int i = 0; i < ne; i++) {
		struct container_def *defs = NULL;
		struct ctr_state s;
		struct ctr_row *c;
		size_t nd = 0;

		ctr_path(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (!x->c)
			continue;
		c = &x->c[x->nc];
		if (compose_name_from_path(path, c->name, sizeof c->name) < 0)
			continue;
		x->nc++;
		if (compose_load(path, &defs, &nd) == 0 && nd == 1) {
			snprintf(c->image, sizeof c->image, "%s", defs[0].image);
			for (size_t j = 0; j < defs[0].nvolumes; j++)
				if (defs[0].volumes[j].name)
					volume_used(x, defs[0].volumes[j].name);
		}
		compose_free(defs, nd);
		ctr_state_read(&x->p, c->name, &s);
		c->running = s.status == CTR_RUNNING && ctr_state_alive(&s);
		snprintf(c->status, sizeof c->status, "%s", c->running ? "running" : ctr_status_name(s.status));
		ctr_path(path, sizeof path, "%s/containers/%s/upper", x->p.root, c->name);
		c->size = du_at(AT_FDCWD, path);
	}
	free(ents);
}

static void row(const char *type, size_t total, size_t active, uint64_t size, uint64_t reclaim)
{
	char a[24], b[24], r[48];

	human_size(a, sizeof a, size);
	human_size(b, sizeof b, reclaim);
	snprintf(r, sizeof r, "%s (%d%%)", b, size ? (int)(reclaim * 100 / size) : 0);
	printf("%-15s %-9zu %-9zu %-9s %s\n", type, total, active, a, r);
}

static void verbose_images(const struct store_usage *u)
{
	printf("Images space usage:\n\n%-30s %-10s %-14s %-9s %-11s %-11s %s\n", "REPOSITORY", "TAG", "IMAGE ID",
	       "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS");
	for (size_t i = 0; i < u->n; i++) {
		const struct image_usage *iu = &u->v[i];
		char sz[24], sh[24], un[24];
		human_size(sz, sizeof sz, iu->size);
		human_size(sh, sizeof sh, iu->shared);
		human_size(un, sizeof un, iu->size - iu->shared);
		printf("%-30s %-10s %-14.12s %-9s %-11s %-11s %zu\n", iu->name, iu->tag, digest_hex(iu->config), sz, sh,
		       un, iu->containers);
	}
}

static void verbose_rest(const struct df *x)
{
	printf("\nContainers space usage:\n\n%-20s %-30s %-10s %s\n", "CONTAINER NAME", "IMAGE", "STATUS", "SIZE");
	for (size_t i = 0; i < x->nc; i++) {
		char sz[24];
		human_size(sz, sizeof sz, x->c[i].size);
		printf("%-20s %-30s %-10s %s\n", x->c[i].name, x->c[i].image[0] ? x->c[i].image : "?", x->c[i].status,
		       sz);
	}
	printf("\nLocal Volumes space usage:\n\n%-30s %-6s %s\n", "VOLUME NAME", "LINKS", "SIZE");
	for (size_t i = 0; i < x->nv; i++) {
		char sz[24];
		human_size(sz, sizeof sz, x->v[i].size);
		printf("%-30s %-6zu %s\n", x->v[i].name, x->v[i].users, sz);
	}
}

static int system_df(int argc, char **argv)
{
	struct df x = { 0 };
	struct image_store s;
	struct image_users users = { 0 };
	struct store_usage u;
	struct err e = { 0 };
	uint64_t csize = 0, creclaim = 0, vsize = 0, vreclaim = 0;
	size_t crun = 0, vused = 0;
	int verbose = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else
			usage_error("system", "unknown option %s", argv[i]);
	}
	ctr_paths_init(&x.p);
	if (image_store_open(&s, 0, &e) < 0 || ctr_image_users(&x.p, &s, &users, &e) < 0 ||
	    store_usage(&s.st, &s.refs, &users, &u, &e) < 0)
		die(e.code, "%s", e.msg);
	image_users_free(&users);
	image_store_close(&s);
	volumes_read(&x);
	containers_read(&x);
	for (size_t i = 0; i < x.nc; i++) {
		csize += x.c[i].size;
		crun += x.c[i].running;
		creclaim += x.c[i].running ? 0 : x.c[i].size;
	}
	for (size_t i = 0; i < x.nv; i++) {
		vsize += x.v[i].size;
		vused += x.v[i].users > 0;
		vreclaim += x.v[i].users ? 0 : x.v[i].size;
	}
	if (verbose) {
		verbose_images(&u);
		verbose_rest(&x);
	} else {
		printf("%-15s %-9s %-9s %-9s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
		row("Images", u.n, u.nactive, u.total, u.total - u.active);
		row("Containers", x.nc, crun, csize, creclaim);
		row("Local Volumes", x.nv, vused, vsize, vreclaim);
	}
	free(u.v);
	free(x.c);
	free(x.v);
	return 0;
}

/* berth system SUBCOMMAND: only df so far */
int cmd_system(int argc, char **argv)
{
	if (argc < 2)
		usage_error("system", "expected df");
	if (strcmp(argv[1], "df") == 0)
		return system_df(argc - 1, argv + 1);
	usage_error("system", "unknown subcommand %s (expected df)", argv[1]);
}
