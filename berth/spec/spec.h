/* A container definition plus an image's config to an OCI runtime-spec 1.0
 * config.json for crun, with Docker's hardened defaults. */
#ifndef SPEC_H
#define SPEC_H

#include <stddef.h>

#include "compose.h"

#define SPEC_IMAGE_CONFIG_MAX_BYTES (1 << 20)
#define SPEC_ETC_FILE_MAX_BYTES (4 << 20)
#define SPEC_MAX_GROUPS 64

struct spec_input {
	const struct container_def *def;
	/* the OCI image config JSON ({"config": {"Entrypoint": ...}}); NULL = none */
	const char *image_config;
	size_t image_config_len;
	const char *rootfs; /* the container's root directory: root.path */
	/* host files bind-mounted on /etc/resolv.conf, /etc/hosts,
	 * /etc/hostname; NULL = not mounted */
	const char *resolv, *hosts, *hostname_file;
};

/* The config.json text in *json (malloc'd, *len bytes, NUL-terminated).
 * Returns 0, or -1 after a message on stderr naming the container. */
int spec_generate(const struct spec_input *in, char **json, size_t *len);

struct spec_user {
	unsigned uid, gid;
	unsigned gids[SPEC_MAX_GROUPS]; /* supplementary groups from /etc/group */
	size_t ngids;
};

/* user.c: "uid", "uid:gid", "name", "name:group" against the rootfs's
 * /etc/passwd and /etc/group, opened under rootfs_fd without following a
 * symlink anywhere. 0, or -1 with the reason in err. */
int spec_user_resolve(int rootfs_fd, const char *user, struct spec_user *out, char *err,
		      size_t errsize);

/* seccomp.c: the default seccomp profile into an open yajl map (the
 * "seccomp" key and its object); caps is the final capability set */
struct yajl_gen_t;
void spec_seccomp(struct yajl_gen_t *g, const char *const *caps, size_t ncaps);

#endif
