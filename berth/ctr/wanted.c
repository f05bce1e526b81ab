/* The containers that must be running: what `berth update check` watches
 * on a trial boot. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"

static int yaml_file(const struct dirent *e)
{
	size_t l = strlen(e->d_name);

	return e->d_name[0] != '.' && l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0;
}

/* every restart policy but "no" keeps a container running, unless a
 * person stopped an unless-stopped one (start.c's marker) */
static int must_run(const struct ctr_paths *p, const struct container_def *d)
{
	char path[CTR_PATH_MAX];

	if (d->restart == RESTART_NO)
		return 0;
	ctr_path(path, sizeof path, "%s/containers/%s/stopped", p->root, d->name);
	return d->restart != RESTART_UNLESS_STOPPED || access(path, F_OK) != 0;
}

int ctr_wanted(const struct ctr_paths *p, char (**names)[CTR_NAME_MAX], size_t *n)
{
	char dir[CTR_PATH_MAX], name[CTR_NAME_MAX];
	struct dirent **ents;
	int k;

	*names = NULL;
	*n = 0;
	ctr_path(dir, sizeof dir, "%s/berth/containers", p->etc);
	k = scandir(dir, &ents, yaml_file, alphasort);
	if (k < 0) {
		if (errno == ENOENT)
			return 0;
		warn_errno("%s", dir);
		return -1;
	}
	*names = calloc((size_t)k + 1, sizeof **names);
	if (!*names)
		die(EXIT_SYSTEM, "out of memory");
	for (int i = 0; i < k; i++) {
		struct container_def *d;
		size_t nd;

		if (compose_name_from_path(ents[i]->d_name, name, sizeof name) != 0 ||
		    ctr_def_load(p, name, &d, &nd) != 0) {
			warn("%s/%s: not checked, it does not load", dir, ents[i]->d_name);
		} else {
			if (must_run(p, d))
				memcpy((*names)[(*n)++], name, sizeof name);
			compose_free(d, nd);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}
