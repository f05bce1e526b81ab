/* Resolve a container's user inside its rootfs. The rootfs comes from an
 * untrusted image: /etc or /etc/passwd may be a symlink to the host's
 * /etc/shadow, so every component is opened with O_NOFOLLOW under the
 * rootfs directory fd and a symlink anywhere is an error. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "spec.h"

/* the contents of etc/NAME under rootfs_fd; NULL with errno set (ENOENT if
 * it is not there, ELOOP for a symlink) */
static char *etc_read(int rootfs_fd, const char *name)
{
	int etc, fd;
	struct stat st;
	char *buf;
	size_t len;

	etc = openat(rootfs_fd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0) {
		/* O_NOFOLLOW|O_DIRECTORY on a symlink gives ENOTDIR or ELOOP */
		struct stat lst;

		if (errno == ENOTDIR && fstatat(rootfs_fd, "etc", &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(lst.st_mode))
			errno = ELOOP;
		return NULL;
	}
	fd = openat(etc, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	close(etc);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SPEC_ETC_FILE_MAX_BYTES) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = fd_read_alloc(fd, SPEC_ETC_FILE_MAX_BYTES, &len);
	close(fd);
	return buf;
}

static int numeric(const char *s, unsigned *v)
{
	char *end;
	unsigned long n;

	if (!*s || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n > 0xfffffffeUL)
		return 0;
	*v = (unsigned)n;
	return 1;
}

/* split a passwd/group line into at most max ':' fields; the count */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = 0;
	}
	return n;
}

/* find the passwd entry whose name (or uid, if by_id) matches */
static int passwd_find(char *passwd, const char *name, int by_id, unsigned id, char *uname,
		       size_t unsize, unsigned *uid, unsigned *gid)
{
	char *line, *next;

	for (line = passwd; line; line = next) {
		char *f[7];
		unsigned u, g;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (fields(line, f, 7) < 4 || !numeric(f[2], &u) || !numeric(f[3], &g))
			continue;
		if (by_id ? u == id : strcmp(f[0], name) == 0) {
			*uid = u;
			*gid = g;
			snprintf(uname, unsize, "%s", f[0]);
			return 1;
		}
	}
	return 0;
}

int spec_user_resolve(int rootfs_fd, const char *user, struct spec_user *out, char *err,
		      size_t errsize)
{
	char spec[256], *group, uname[256] = "";
	char *passwd = NULL, *grp = NULL;
	int have_user = 0, r = -1;
	unsigned id;

	memset(out, 0, sizeof *out);
	if (!user || !*user)
		user = "0";
	if (snprintf(spec, sizeof spec, "%s", user) >= (int)sizeof spec) {
		snprintf(err, errsize, "user \"%.32s...\" too long", user);
		return -1;
	}
	group = strchr(spec, ':');
	if (group)
		*group++ = 0;
	passwd = etc_read(rootfs_fd, "passwd");
	if (!passwd && errno != ENOENT) {
		snprintf(err, errsize, "/etc/passwd in the image: %s%s", strerror(errno),
			 errno == ELOOP ? " (a symlink: refused)" : "");
		goto out;
	}
	grp = etc_read(rootfs_fd, "group");
	if (!grp && errno != ENOENT) {
		snprintf(err, errsize, "/etc/group in the image: %s%s", strerror(errno),
			 errno == ELOOP ? " (a symlink: refused)" : "");
		goto out;
	}
	if (numeric(spec, &id)) {
		/* a number needs no entry; with one, it brings its group */
		out->uid = id;
		out->gid = 0;
		if (passwd)
			have_user = passwd_find(passwd, NULL, 1, id, uname, sizeof uname, &out->uid, &out->gid);
	} else {
		if (!passwd || !passwd_find(passwd, spec, 0, 0, uname, sizeof uname, &out->uid, &out->gid)) {
			snprintf(err, errsize, "user \"%s\" not found in the image's /etc/passwd", spec);
			goto out;
		}
		have_user = 1;
	}
	/* passwd_find cut the text into lines; the group file is untouched */
	if (group && numeric(group, &id)) {
		out->gid = id;
	} else if (group) {
		int found = 0;

		if (grp) {
			char *copy = strdup(grp), *line, *next;

			if (!copy)
				goto out;
			for (line = copy; line && !found; line = next) {
				char *f[4];

				next = strchr(line, '\n');
				if (next)
					*next++ = 0;
				if (fields(line, f, 4) >= 3 && strcmp(f[0], group) == 0 && numeric(f[2], &id))
					out->gid = id, found = 1;
			}
			free(copy);
		}
		if (!found) {
			snprintf(err, errsize, "group \"%s\" not found in the image's /etc/group", group);
			goto out;
		}
	}
	/* supplementary groups: every group that lists the user, as Docker */
	if (have_user && grp) {
		char *line, *next;

		for (line = grp; line; line = next) {
			char *f[4], *m, *sp;

			next = strchr(line, '\n');
			if (next)
				*next++ = 0;
			if (fields(line, f, 4) < 4 || !numeric(f[2], &id))
				continue;
			for (m = strtok_r(f[3], ",", &sp); m; m = strtok_r(NULL, ",", &sp)) {
				if (strcmp(m, uname) != 0)
					continue;
				size_t k;
				for (k = 0; k < out->ngids && out->gids[k] != id; k++)
					;
				if (k == out->ngids && out->ngids < SPEC_MAX_GROUPS)
					out->gids[out->ngids++] = id;
			}
		}
	}
	r = 0;
out:
	free(passwd);
	free(grp);
	return r;
}
