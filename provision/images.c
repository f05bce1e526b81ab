/* berth.images: container images shipped on the seed medium, loaded into
 * the store by `berth load` while the medium is still mounted, so a first
 * boot can run a container without a registry. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "hash.h"
#include "provision.h"
#include "spawn.h"

#define BERTH_BIN "/usr/bin/berth"
#define IMAGE_FD 3 /* the image's fd in berth load, which opens it by IMAGE_PATH */
#define IMAGE_PATH "/proc/self/fd/3"
#define OUTPUT_MAX 4096

/* relative, inside the seed: no leading '/', no ".." component */
static int valid_seed_path(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 1024 || s[0] == '/' || strpbrk(s, "\n\r"))
		return 0;
	for (const char *c = s; (c = strstr(c, "..")); c += 2)
		if ((c == s || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return 0;
	return 1;
}

/* opened below the seed's root with no symlink anywhere on the path:
 * the fd handed to berth load is the very file checked and hashed */
static int seed_open(struct prov *p, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, p->seed.dirfd, path, &how, sizeof how);
}

/* pread: the offset stays at 0 for berth load */
static int sha256_fd(int fd, char digest[DIGEST_LEN + 1])
{
	unsigned char buf[65536];
	struct sha256 h;
	off_t off = 0;
	ssize_t n;

	sha256_init(&h);
	while ((n = pread(fd, buf, sizeof buf, off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		sha256_update(&h, buf, (size_t)n);
		off += n;
	}
	sha256_final(&h, digest);
	return 0;
}

/* 64 hex digits, "sha256:" allowed in front */
static const char *sha256_want(const char *s)
{
	if (s && !strncmp(s, "sha256:", 7))
		s += 7;
	if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		return NULL;
	return s;
}

/* berth's output, its tail kept; control characters made '?' */
struct output {
	char buf[OUTPUT_MAX + 1];
	size_t len;
};

static void output_read(int fd, struct output *o)
{
	char chunk[1024];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (o->len + (size_t)n > OUTPUT_MAX) { /* chunk < OUTPUT_MAX: drop the oldest */
			size_t drop = o->len + (size_t)n - OUTPUT_MAX;
			memmove(o->buf, o->buf + drop, o->len - drop);
			o->len -= drop;
		}
		memcpy(o->buf + o->len, chunk, (size_t)n);
		o->len += (size_t)n;
	}
	for (size_t i = 0; i < o->len; i++)
		if ((unsigned char)o->buf[i] < 0x20 && o->buf[i] != '\n')
			o->buf[i] = '?';
	o->buf[o->len] = '\0';
}

/* berth load IMAGE_PATH, the image open on IMAGE_FD; its exit status or -1 */
static int berth_load(struct prov *p, int imgfd, struct output *o)
{
	const char *berth = getenv("BERTH_PROVISION_BERTH");
	char store[4200], root[4300], what[4200];
	char *argv[] = { "berth", "load", "--", IMAGE_PATH, NULL }, *env[] = { root, NULL };
	struct spawn sp = { .argv = argv, .dir = "/", .what = what, .fd = { 0, SPAWN_PIPE, SPAWN_PIPE, imgfd } };
	pid_t pid;
	int r;

	if (!berth || !*berth)
		berth = BERTH_BIN;
	/* --root: the store of the root being provisioned, unless named */
	if (snprintf(store, sizeof store, "%s/" BERTH_ROOT_RELATIVE, p->root) >= (int)sizeof store)
		return -1;
	if (strcmp(p->root, "/") && !getenv("BERTH_ROOT")) {
		snprintf(root, sizeof root, "BERTH_ROOT=%s", store);
		sp.env_add = env;
	}
	sp.path = berth;
	snprintf(what, sizeof what, "exec %s", berth);
	fflush(stdout);
	fflush(stderr);
	pid = spawn_start(&sp);
	if (pid < 0)
		return -1;
	output_read(sp.pipe, o);
	close(sp.pipe);
	r = spawn_wait(pid, -1);
	return r >= SPAWN_SIGNAL ? 128 + r - SPAWN_SIGNAL : r;
}

/* the last line berth printed, without its "berth load: IMAGE_PATH: " */
static const char *last_line(struct output *o)
{
	char *line, *prefix;

	while (o->len && o->buf[o->len - 1] == '\n')
		o->buf[--o->len] = '\0';
	line = strrchr(o->buf, '\n');
	line = line ? line + 1 : o->buf;
	if ((prefix = strstr(line, IMAGE_PATH ": ")))
		line = prefix + strlen(IMAGE_PATH ": ");
	else if (!strncmp(line, "berth: ", 7))
		line += 7;
	return line;
}

static int load_one(struct prov *p, const struct ynode *e, const char *kpath)
{
	const struct ynode *at = e, *pn = e, *hn = NULL;
	const char *path, *want = NULL;
	char got[DIGEST_LEN + 1], keypath[80];
	struct output out = {0};
	struct stat sb;
	int fd, rc, err;

	if (e->type == Y_MAP) {
		for (size_t i = 0; i + 1 < e->n; i += 2) {
			const char *k = ystr(e->kids[i]);
			if (!k || (strcmp(k, "path") && strcmp(k, "sha256")))
				mod_warn(p, e->kids[i], kpath, "unknown key %.64s ignored", k ? k : "?");
		}
		pn = ymap_get(e, "path");
		hn = ymap_get(e, "sha256");
		at = pn ? pn : e;
	}
	path = pn ? ystr(pn) : NULL;
	if (!path) {
		mod_error(p, at, kpath, "expected a file on the seed, or {path: FILE, sha256: HEX}");
		return -1;
	}
	if (!valid_seed_path(path)) {
		mod_error(p, at, kpath, "\"%.200s\": expected a path inside the seed (relative, without '..')", path);
		return -1;
	}
	if (!ynull(hn) && !(want = sha256_want(ystr(hn)))) {
		snprintf(keypath, sizeof keypath, "%s.sha256", kpath);
		mod_error(p, hn, keypath, "%.200s: expected 64 hex digits", path);
		return -1;
	}
	if ((fd = seed_open(p, path)) < 0) {
		err = errno;
		mod_error(p, at, kpath, "%.200s: %s", path,
			  err == ENOENT    ? "no such file on the seed" :
			  err == ELOOP     ? "refused: a symlink on the path" :
			  err == EXDEV     ? "refused: outside the seed" :
			  err == ENOSYS    ? "openat2: not supported by this kernel" :
					     strerror(err));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !(S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode))) {
		mod_error(p, at, kpath, "%.200s: not a file or an OCI layout directory", path);
		close(fd);
		return -1;
	}
	if (want) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(keypath, sizeof keypath, "%s.sha256", kpath);
			mod_error(p, hn, keypath, "%.200s: a directory has no sha256 (only an archive file)", path);
			close(fd);
			return -1;
		}
		if (sha256_fd(fd, got) != 0) {
			mod_error(p, at, kpath, "%.200s: read: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (strcasecmp(digest_hex(got), want)) {
			snprintf(keypath, sizeof keypath, "%s.sha256", kpath);
			mod_error(p, hn, keypath, "%.200s: sha256 is %s, expected %s", path, digest_hex(got), want);
			close(fd);
			return -1;
		}
	}
	rc = berth_load(p, fd, &out);
	err = errno;
	close(fd);
	if (rc != 0) {
		const char *why = rc < 0 ? strerror(err) : last_line(&out);
		if (*why)
			mod_error(p, at, kpath, "%.200s: berth load: %.240s", path, why);
		else
			mod_error(p, at, kpath, "%.200s: berth load exited with status %d", path, rc);
		return -1;
	}
	for (char *line = strtok(out.buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "Loaded image", 12))
			mod_note(p, "%s: %.200s: %.200s", kpath, path, line);
	return 0;
}

void mod_images(struct prov *p, const struct ynode *cfg)
{
	const struct ynode *im = ymap_get(ymap_get(cfg, "berth"), "images");
	int done = 0;

	mod_begin(p, "berth.images");
	if (ynull(im)) {
		mod_end(p, RES_SKIPPED);
		return;
	}
	if (im->type != Y_SEQ) {
		mod_error(p, im, "berth.images", "expected a list of files on the seed");
		mod_end(p, RES_ERROR);
		return;
	}
	/* HTTP seedfrom and EC2 have no medium to read files from */
	if (!p->seed.held) {
		mod_warn(p, im, "berth.images",
			 "the %s seed was read over HTTP: no filesystem to load images from; none loaded", p->seed.ds);
		mod_end(p, RES_SKIPPED);
		return;
	}
	for (size_t i = 0; i < im->n; i++) {
		char kpath[48];

		snprintf(kpath, sizeof kpath, "berth.images[%zu]", i);
		if (i == IMAGES_MAX) {
			mod_error(p, im->kids[i], kpath, "more than %d images; the rest are not loaded", IMAGES_MAX);
			break;
		}
		if (load_one(p, im->kids[i], kpath) == 0)
			done++;
	}
	mod_end(p, done ? RES_OK : RES_SKIPPED);
}
