/* berth pull REF: the manifest (through an index or manifest list to this
 * machine's linux image), its config and layers from the registry, each
 * verified by digest and size while it streams into
 * $BERTH_ROOT/downloads/sha256/. A blob the store has is not fetched. A
 * transfer that breaks resumes with Range, there and on the next pull (a
 * power cut leaves <hex>.partial, which is checked again before it is
 * continued). Two pulls of one blob take turns on its flock: one
 * download. The blobs then go in as an OCI layout through berth/image's
 * load, which checks them again, unpacks and commits the image. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "berth.h"
#include "http.h"
#include "image.h"
#include "json.h"
#include "registry.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_SCHEMA1 "application/vnd.docker.distribution.manifest.v1"
#define ACCEPT MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST
#define PARALLEL 3         /* blobs downloading at once, as docker's default */
#define RESUMES_MAX 5      /* a broken transfer is continued this many times */
#define LAYERS_PULL_MAX 256

struct blob {
	char digest[DIGEST_LEN + 1];
	uint64_t size;
	const char *kind; /* "config", "layer" */
	int comp;         /* a layer's compression (enum compression), else -1 */
};

struct pull {
	struct reg_ref ref;
	struct reg_host host;
	struct reg_client c;
	char full[1024];      /* the reference as given, for messages */
	char root[2048];      /* BERTH_ROOT */
	int dl;               /* downloads/, O_DIRECTORY */
	int pre;              /* downloads/layers/: layers unpacked as they come */
	char token[33];       /* what names this pull's there (prelayer.c) */
	char layout[64];      /* downloads/pull.<pid> */
	int lfd;
	FILE *out;            /* progress, or NULL: quiet */
	int news;             /* on a terminal, a download child's pipe to the bars; else -1 */
	uint32_t cur;         /* the blob that child fetches */
	struct blob blobs[LAYERS_PULL_MAX + 1];
	size_t nblobs;
};

static int is_index(const char *mt)
{
	return strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

static int is_manifest(const char *mt)
{
	return strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0;
}

/* the media type of a manifest: its own mediaType, else the Content-Type */
static void media_type(yajl_val doc, const char *ctype, char *out, size_t size)
{
	const char *mt = json_str(doc, "mediaType");
	size_t n;

	if (!mt || !*mt) {
		mt = ctype;
		if (!json_get(doc, "manifests", yajl_t_array) && json_get(doc, "layers", yajl_t_array) &&
		    strcmp(mt, MT_DOCKER_MANIFEST) != 0)
			mt = MT_OCI_MANIFEST; /* an OCI manifest may omit its mediaType */
		else if (json_get(doc, "manifests", yajl_t_array) && !is_index(mt))
			mt = MT_OCI_INDEX;
	}
	n = strcspn(mt, "; ");
	snprintf(out, size, "%.*s", (int)n, mt);
}

/* GET a manifest by tag or digest: verified against the digest asked for
 * and against Docker-Content-Digest; *doc parsed, *body kept (it is
 * stored as the blob) */
static int manifest_get(struct pull *p, const char *what, const char *want, char **body, size_t *len, yajl_val *doc,
			char mt[128], char digest[DIGEST_LEN + 1], struct err *e)
{
	struct http_response rs;
	struct sha256 h;
	char path[1024];

	snprintf(path, sizeof path, "%s/manifests/%s", p->ref.repo, what);
	if (reg_fetch(&p->c, path, ACCEPT, REG_MANIFEST_MAX, &rs, body, len, e) < 0)
		return -1;
	sha256_init(&h);
	sha256_update(&h, *body, *len);
	sha256_final(&h, digest);
	if (want && strcmp(digest, want) != 0)
		return fail(e, 1, "%s: manifest %s: the registry sent %s, a wrong digest", p->c.host->ep[p->c.endpoint].host,
			    want, digest);
	if (rs.content_digest[0] && strcmp(rs.content_digest, digest) != 0)
		return fail(e, 1, "%s: manifest %s: Docker-Content-Digest says %.80s, the body is %s",
			    p->c.host->ep[p->c.endpoint].host, what, rs.content_digest, digest);
	if (strncmp(rs.content_type, MT_SCHEMA1, strlen(MT_SCHEMA1)) == 0)
		return fail(e, 1, "%s: manifest %s is Docker schema 1 (%s), which Berth does not pull: push the image "
			    "again with a current tool", p->c.host->ep[p->c.endpoint].host, what, rs.content_type);
	if (!(*doc = json_parse(*body, *len, "manifest", e)))
		return -1;
	{
		yajl_val sv = json_get(*doc, "schemaVersion", yajl_t_number);
		if (sv && YAJL_IS_INTEGER(sv) && YAJL_GET_INTEGER(sv) == 1)
			return fail(e, 1, "%s: manifest %s is Docker schema 1, which Berth does not pull",
				    p->c.host->ep[p->c.endpoint].host, what);
	}
	media_type(*doc, rs.content_type, mt, 128);
	if (!is_index(mt) && !is_manifest(mt))
		return fail(e, 1, "%s: manifest %s: media type \"%.100s\" is neither an image manifest nor an index",
			    p->c.host->ep[p->c.endpoint].host, what, mt);
	return 0;
}

/* the spec's platform rules: os and architecture must match; of several,
 * one without a variant or the arm64 "v8" one */
static int platform_pick(struct pull *p, yajl_val index, char digest[DIGEST_LEN + 1], uint64_t *size, struct err *e)
{
	yajl_val ms = json_need(index, "manifests", yajl_t_array, "index", e);
	const char *arch = image_arch();
	char seen[512] = "";
	long best = -1;

	if (!ms)
		return -1;
	for (size_t i = 0; i < ms->u.array.len; i++) {
		yajl_val o = ms->u.array.values[i], pf = json_get(o, "platform", yajl_t_object);
		const char *os = json_str(pf, "os"), *a = json_str(pf, "architecture"), *v = json_str(pf, "variant");
		size_t n = strlen(seen);
		if (os && a && n + 64 < sizeof seen)
			snprintf(seen + n, sizeof seen - n, "%s%s/%s%s%s", n ? ", " : "", os, a, v ? "/" : "", v ? v : "");
		if (!os || !a || strcmp(os, "linux") != 0 || strcmp(a, arch) != 0)
			continue;
		if (best < 0 || !v || strcmp(v, "v8") == 0)
			best = (long)i;
	}
	if (best < 0)
		return fail(e, 1, "%s: no image for linux/%s in the index (it has %s)", p->c.host->ep[p->c.endpoint].host,
			    arch, seen[0] ? seen : "no platforms");
	{
		yajl_val o = ms->u.array.values[best], sz;
		const char *d = json_str(o, "digest");
		if (!d || !digest_valid(d))
			return fail(e, 1, "index: manifests[%ld].digest: expected sha256:<64 hex digits>", best);
		sz = json_get(o, "size", yajl_t_number);
		strcpy(digest, d);
		*size = sz && YAJL_IS_INTEGER(sz) && YAJL_GET_INTEGER(sz) > 0 ? (uint64_t)YAJL_GET_INTEGER(sz) : 0;
	}
	return 0;
}

/* write len bytes to fd; on ENOSPC, say how much room was left */
static int pull_write(struct pull *p, int fd, const char *buf, size_t len, struct err *e)
{
	struct statvfs sv;
	int er;

	if (write_all(fd, buf, len) == 0)
		return 0;
	er = errno;
	if (er == ENOSPC && fstatvfs(fd, &sv) == 0)
		return fail(e, EXIT_SYSTEM, "%s/downloads: no space left on the device (%llu bytes free)", p->root,
			    (unsigned long long)sv.f_bavail * sv.f_frsize);
	errno = er;
	return fail_errno(e, "%s/downloads", p->root);
}

static void short_id(const char *digest, char out[13])
{
	snprintf(out, 13, "%.12s", digest_hex(digest));
}

/* what a download child says of its blob: a record for the bars on a
 * terminal, else (line) a line of its own */
static void blob_say(struct pull *p, uint32_t state, uint64_t have, uint64_t size, const char *line)
{
	if (p->news >= 0) {
		struct blob_news r = { p->cur, state, have, size };
		if (write(p->news, &r, sizeof r) < 0) {
			/* the parent is gone: the pull is over anyway */
		}
	} else if (p->out && line) {
		fprintf(p->out, "%s\n", line);
	}
}

/* A blob as it downloads: what an earlier pull kept in <hex>.partial is
 * read back first, then the registry's bytes from where it ends (Range),
 * each hashed and appended to the file on the way through; a transfer that
 * breaks is continued, RESUMES_MAX times */
struct blob_stream {
	struct stream s;
	struct pull *p;
	const struct blob *b;
	int fd;            /* <hex>.partial */
	struct sha256 h;
	uint64_t have;     /* bytes in the file */
	uint64_t pos;      /* bytes read through (and hashed) */
	uint64_t told;
	struct http *hh;
	int tries;
	int unpacking;     /* an unpack reads: a restart from byte 0 must fail it */
	int restarted;     /* the server sent everything again: what was read is void */
	int answered;      /* the last connect got an HTTP status */
	int failed;        /* the transfer or the file failed; bad: the bytes are wrong */
	int bad;
	struct err te, *e;
};

static ssize_t bs_fail(struct blob_stream *bs, int bad)
{
	bs->failed = 1;
	bs->bad = bad;
	if (bs->hh) {
		http_close(bs->hh);
		bs->hh = NULL;
	}
	return -1;
}

/* connect (again) from byte have; 0, or -1 with e filled */
static int bs_connect(struct blob_stream *bs)
{
	struct pull *p = bs->p;
	struct http_response rs = { 0 };
	char path[512], id[13];

	short_id(bs->b->digest, id);
	if (bs->tries > RESUMES_MAX) {
		char cause[200];
		snprintf(cause, sizeof cause, "%.199s", bs->e->msg[0] ? bs->e->msg : "the connection closed early");
		bs->e->msg[0] = '\0';
		return fail(bs->e, 1, "%s %s: the transfer broke %d times (the last: %s); %llu of %llu bytes kept for the "
			    "next pull", bs->b->kind, bs->b->digest, RESUMES_MAX + 1, cause, (unsigned long long)bs->have,
			    (unsigned long long)bs->b->size);
	}
	if (bs->tries > 0 && p->out)
		fprintf(stderr, "%s: %s; resuming at byte %llu\n", id, bs->e->msg[0] ? bs->e->msg : "the transfer broke",
			(unsigned long long)bs->have);
	bs->e->msg[0] = bs->te.msg[0] = '\0';
	snprintf(path, sizeof path, "%s/blobs/%s", p->ref.repo, bs->b->digest);
	bs->hh = reg_get(&p->c, path, NULL, bs->have, 0, &rs, bs->tries ? &bs->te : bs->e);
	bs->tries++;
	if (!bs->hh && rs.status == 206 && bs->have > 0 && rs.range_start != bs->have) {
		/* a 206 from another byte than asked: the Range is not to be
		 * trusted there; the whole blob again, without one */
		if (p->out)
			fprintf(stderr, "%s: the registry answered from byte %llu for byte %llu: starting again\n", id,
				(unsigned long long)rs.range_start, (unsigned long long)bs->have);
		bs->e->msg[0] = bs->te.msg[0] = '\0';
		bs->hh = reg_get(&p->c, path, NULL, 0, 0, &rs, bs->e);
		if (bs->hh)
			rs.status = 200; /* as a server that ignores Range: start over below */
	}
	bs->answered = rs.status != 0;
	if (!bs->hh) {
		if (bs->tries > 1 && bs->te.msg[0])
			*bs->e = bs->te;
		return -1;
	}
	if (rs.status == 200 && bs->have > 0) {
		/* the server sent it all again, not the range: start over */
		if (ftruncate(bs->fd, 0) < 0 || lseek(bs->fd, 0, SEEK_SET) < 0)
			return fail_errno(bs->e, "%s/downloads/sha256/%s.partial", p->root, digest_hex(bs->b->digest));
		sha256_init(&bs->h);
		bs->have = bs->pos = 0;
		if (bs->unpacking) {
			bs->restarted = 1;
			return fail(bs->e, 1, "the registry ignored Range: starting again");
		}
	}
	return 0;
}

static ssize_t bs_read(struct stream *s, void *buf, size_t n)
{
	struct blob_stream *bs = (struct blob_stream *)s;
	struct pull *p = bs->p;
	const struct blob *b = bs->b;
	ssize_t r;

	if (bs->failed)
		return -1;
	if (bs->restarted && bs->unpacking)
		return -1;
	/* what the file holds already */
	if (bs->pos < bs->have) {
		if (n > bs->have - bs->pos)
			n = (size_t)(bs->have - bs->pos);
		r = pread(bs->fd, buf, n, (off_t)bs->pos);
		if (r <= 0) {
			fail_errno(bs->e, "%s/downloads/sha256/%s.partial", p->root, digest_hex(b->digest));
			return bs_fail(bs, 0);
		}
		sha256_update(&bs->h, buf, (size_t)r);
		bs->pos += (uint64_t)r;
		return r;
	}
	for (;;) {
		if (!bs->hh) {
			if (bs->have == b->size && (b->size > 0 || bs->tries > 0))
				return 0;
			if (bs_connect(bs) < 0) {
				if (bs->restarted)
					return -1;
				/* no answer at all (refused, reset, a timeout): another
				 * try after a pause, as a broken transfer gets; an HTTP
				 * error has had reg_get's own retries */
				if (!bs->answered && bs->tries > 0 && bs->tries <= RESUMES_MAX) {
					sleep(1u << (bs->tries - 1 < 3 ? bs->tries - 1 : 3));
					continue;
				}
				return bs_fail(bs, 0);
			}
		}
		r = http_body(bs->hh)->read(http_body(bs->hh), buf, n);
		if (r > 0) {
			if (bs->have + (uint64_t)r > b->size) {
				fail(bs->e, 1, "%s %s: more than the %llu bytes its descriptor gives", b->kind, b->digest,
				     (unsigned long long)b->size);
				return bs_fail(bs, 1);
			}
			sha256_update(&bs->h, buf, (size_t)r);
			if (pull_write(p, bs->fd, buf, (size_t)r, bs->e) < 0)
				return bs_fail(bs, 0);
			bs->have += (uint64_t)r;
			bs->pos = bs->have;
			if (p->news >= 0 && bs->have - bs->told >= 256 * 1024) {
				blob_say(p, BLOB_DOWNLOADING, bs->have, b->size, NULL);
				bs->told = bs->have;
			}
			return r;
		}
		http_close(bs->hh);
		bs->hh = NULL;
		if (r < 0 && !bs->e->msg[0])
			*bs->e = bs->te.msg[0] ? bs->te : (struct err){ 1, "the transfer broke" };
		if (b->size == 0)
			return 0;
		/* a short body or a broken one: continued from where it ends */
	}
}

/* downloads/sha256/<hex>: the blob, whole and verified, unless the store
 * has it already. A layer is unpacked on the way (downloads/layers/, for
 * the load: berth/image/prelayer.c) */
static int blob_get(struct pull *p, const struct blob *b, struct err *e)
{
	char part[128], done[128], id[13], got[DIGEST_LEN + 1], line[160], buf[65536];
	struct blob_stream bs = { .s = { .read = bs_read, .err = e }, .p = p, .b = b, .e = e };
	struct prelayer pl = { .dfd = -1 };
	int fd, rc = -1, unpacked = 0;
	uint64_t kept;
	struct stat sb;
	ssize_t n;

	short_id(b->digest, id);
	snprintf(done, sizeof done, "sha256/%s", digest_hex(b->digest));
	snprintf(part, sizeof part, "sha256/%s.partial", digest_hex(b->digest));
	/* another pull of this blob: wait for it, then use what it got. The
	 * lock is on the inode: one renamed or removed meanwhile is not the
	 * name's any more, so open the name again */
	for (int waited = 0;; waited = 1) {
		struct stat a, nb;
		fd = openat(p->dl, part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return fail_errno(e, "%s/downloads/%s", p->root, part);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			snprintf(line, sizeof line, "%s: Waiting", id);
			if (!waited)
				blob_say(p, BLOB_WAITING, 0, b->size, line);
			if (flock(fd, LOCK_EX) < 0) {
				close(fd);
				return fail_errno(e, "%s/downloads/%s", p->root, part);
			}
		}
		if (fstat(fd, &a) == 0 && fstatat(p->dl, part, &nb, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == nb.st_ino &&
		    a.st_dev == nb.st_dev)
			break;
		close(fd);
		if (image_has_blob(b->digest) || faccessat(p->dl, done, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			snprintf(line, sizeof line, "%s: Already exists", id);
			blob_say(p, BLOB_EXISTS, b->size, b->size, line);
			return 0;
		}
	}
	if (image_has_blob(b->digest) || faccessat(p->dl, done, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		close(fd);
		unlinkat(p->dl, part, 0); /* may be another's, already renamed: no matter */
		snprintf(line, sizeof line, "%s: Already exists", id);
		blob_say(p, BLOB_EXISTS, b->size, b->size, line);
		return 0;
	}
	bs.fd = fd;
	sha256_init(&bs.h);
	if (fstat(fd, &sb) < 0) {
		fail_errno(e, "%s/downloads/%s", p->root, part);
		goto out;
	}
	bs.have = (uint64_t)sb.st_size;
	if (bs.have > b->size) {
		if (ftruncate(fd, 0) < 0) {
			fail_errno(e, "%s/downloads/%s", p->root, part);
			goto out;
		}
		bs.have = 0;
	}
	if (lseek(fd, 0, SEEK_END) < 0) {
		fail_errno(e, "%s/downloads/%s", p->root, part);
		goto out;
	}
	snprintf(line, sizeof line, "%s: Resuming at byte %llu of %llu (kept from an earlier pull)", id,
		 (unsigned long long)bs.have, (unsigned long long)b->size);
	blob_say(p, BLOB_DOWNLOADING, bs.have, b->size, bs.have > 0 ? line : NULL);
	kept = bs.have;
again:
	/* a layer unpacks as it comes; if that fails for any reason but the
	 * transfer, the download goes on and the load, which unpacks it
	 * again, has the last word */
	if (b->comp >= 0 && p->pre >= 0) {
		struct err ue = { 0 };
		bs.unpacking = 1;
		bs.s.err = &ue;
		unpacked = prelayer_unpack(p->pre, b->digest, p->token, &bs.s, b->comp, &pl, &ue) == 0;
		bs.unpacking = 0;
		bs.s.err = e;
		if (bs.failed)
			goto fail;
		if (bs.restarted) {
			/* from byte 0 again, read through below */
			bs.restarted = 0;
			e->msg[0] = '\0';
		}
	}
	while ((n = bs.s.read(&bs.s, buf, sizeof buf)) > 0)
		;
	if (n < 0)
		goto fail;
	if (bs.have != b->size) {
		fail(e, 1, "%s %s: %llu of %llu bytes", b->kind, b->digest, (unsigned long long)bs.have,
		     (unsigned long long)b->size);
		goto out;
	}
	sha256_final(&bs.h, got);
	if (strcmp(got, b->digest) != 0 && kept > 0) {
		/* the bytes an earlier pull kept are what is wrong (a power cut
		 * can leave a file's end unwritten): once more, all of it */
		fprintf(stderr, "%s: the %llu bytes kept from an earlier pull do not make the blob: downloading it again\n",
			id, (unsigned long long)kept);
		if (unpacked)
			prelayer_abort(p->pre, b->digest, p->token, &pl);
		unpacked = 0;
		kept = 0;
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			fail_errno(e, "%s/downloads/%s", p->root, part);
			goto out;
		}
		sha256_init(&bs.h);
		bs.have = bs.pos = bs.told = 0;
		bs.tries = 0;
		e->msg[0] = '\0';
		goto again;
	}
	if (strcmp(got, b->digest) != 0) {
		fail(e, 1, "%s %s: the registry sent %llu bytes with digest %s: a wrong digest, refused", b->kind, b->digest,
		     (unsigned long long)bs.have, got);
		goto bad;
	}
	if (unpacked) {
		struct err ce = { 0 };
		/* a layer kept back is only time lost: the load unpacks it */
		prelayer_commit(p->pre, b->digest, p->token, &pl, &ce);
		unpacked = 0;
	}
	if (fsync(fd) < 0 || renameat(p->dl, part, p->dl, done) < 0) {
		fail_errno(e, "%s/downloads/%s", p->root, done);
		goto out;
	}
	snprintf(line, sizeof line, "%s: Download complete", id);
	blob_say(p, BLOB_COMPLETE, bs.have, b->size, line);
	rc = 0;
	goto out;
fail:
	if (!bs.bad)
		goto out;
bad:
	/* bytes that do not make the blob: never continued */
	unlinkat(p->dl, part, 0);
out:
	if (unpacked)
		prelayer_abort(p->pre, b->digest, p->token, &pl);
	if (bs.hh)
		http_close(bs.hh);
	close(fd);
	return rc;
}

/* up to PARALLEL blobs at a time, each in a child of its own; the first
 * failure's message is the pull's */
/* the children's news, drawn: 1 if some came, 0 after timeout_ms without */
static int news_read(int fd, struct bars *b, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct blob_news r;
	int got = 0;

	if (poll(&pfd, 1, timeout_ms) > 0)
		while (read(fd, &r, sizeof r) == (ssize_t)sizeof r) {
			bars_update(b, &r);
			got = 1;
		}
	bars_draw(b, 0);
	return got;
}

static int blobs_get(struct pull *p, struct err *e)
{
	pid_t pids[PARALLEL] = { 0 };
	int pipes[PARALLEL] = { -1, -1, -1 }, news[2] = { -1, -1 };
	uint32_t slot_blob[PARALLEL] = { 0 };
	size_t next = 0, running = 0;
	pid_t parent = getpid();
	struct bars bars = { 0 };
	int rc = 0;

	if (p->out)
		fflush(p->out);
	/* bars on a terminal, as docker; a line per blob elsewhere */
	if (p->out && isatty(fileno(p->out)) && bars_init(&bars, p->out, p->nblobs) == 0) {
		if (pipe2(news, O_CLOEXEC) < 0 || fcntl(news[0], F_SETFL, O_NONBLOCK) < 0) {
			bars_free(&bars);
			return fail_errno(e, "pipe");
		}
		for (size_t i = 0; i < p->nblobs; i++)
			short_id(p->blobs[i].digest, bars.v[i].id);
		bars_draw(&bars, 1);
	}
	while (next < p->nblobs || running > 0) {
		while (rc == 0 && next < p->nblobs && running < PARALLEL) {
			int fds[2], slot = 0;
			while (pids[slot])
				slot++;
			if (pipe2(fds, O_CLOEXEC) < 0)
				return fail_errno(e, "pipe");
			pids[slot] = fork();
			if (pids[slot] < 0)
				return fail_errno(e, "fork");
			if (pids[slot] == 0) {
				struct err ce = { 0 };
				/* a pull killed is killed whole, as a power cut would */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(1);
				close(fds[0]);
				if (news[1] >= 0) {
					close(news[0]);
					p->news = news[1];
					p->cur = (uint32_t)next;
				}
				if (blob_get(p, &p->blobs[next], &ce) < 0) {
					if (write(fds[1], &ce, sizeof ce) < 0)
						_exit(2);
					if (p->out)
						fflush(p->out);
					_exit(1);
				}
				if (p->out)
					fflush(p->out);
				_exit(0);
			}
			close(fds[1]);
			pipes[slot] = fds[0];
			slot_blob[slot] = (uint32_t)next;
			next++;
			running++;
		}
		if (running == 0)
			break;
		{
			int status;
			pid_t w = waitpid(-1, &status, news[0] >= 0 ? WNOHANG : 0);
			if (w == 0) {
				news_read(news[0], &bars, 100);
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return fail_errno(e, "wait");
			for (int s = 0; s < PARALLEL; s++) {
				if (pids[s] != w)
					continue;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
					struct err ce = { 0 };
					if (read(pipes[s], &ce, sizeof ce) != (ssize_t)sizeof ce)
						snprintf(ce.msg, sizeof ce.msg, "a download process ended (%s %d)",
							 WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ?
							 WTERMSIG(status) : WEXITSTATUS(status));
					if (rc == 0) {
						*e = ce;
						rc = -1;
					}
					if (news[0] >= 0) {
						struct blob_news r = { slot_blob[s], BLOB_FAILED, 0, 0 };
						news_read(news[0], &bars, 0);
						bars_update(&bars, &r);
					}
				}
				close(pipes[s]);
				pids[s] = 0;
				running--;
			}
		}
	}
	if (news[0] >= 0) {
		while (news_read(news[0], &bars, 0))
			;
		bars_draw(&bars, 1);
		close(news[0]);
		close(news[1]);
		bars_free(&bars);
	}
	return rc;
}

/* downloads/pull.<pid>: an OCI layout of links to the downloaded blobs;
 * what the store has already stays out of it (load takes the store's) */
static int layout_add(struct pull *p, const char *digest, struct err *e)
{
	char from[128], to[128];

	snprintf(from, sizeof from, "sha256/%s", digest_hex(digest));
	snprintf(to, sizeof to, "blobs/sha256/%s", digest_hex(digest));
	if (linkat(p->dl, from, p->lfd, to, 0) < 0 && errno != EEXIST && !(errno == ENOENT && image_has_blob(digest)))
		return fail_errno(e, "%s/downloads/%s", p->root, from);
	return 0;
}

static int layout_write(struct pull *p, const char *file, const char *data, size_t len, struct err *e)
{
	int fd = openat(p->lfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return fail_errno(e, "%s/downloads/%s/%s", p->root, p->layout, file);
	if (pull_write(p, fd, data, len, e) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int blob_write(struct pull *p, const char *digest, const char *data, size_t len, struct err *e)
{
	char file[128];

	snprintf(file, sizeof file, "blobs/sha256/%s", digest_hex(digest));
	return layout_write(p, file, data, len, e);
}

/* the manifest's config and layers, as blobs to fetch */
static int manifest_blobs(struct pull *p, yajl_val m, struct err *e)
{
	yajl_val cfg = json_need(m, "config", yajl_t_object, "manifest", e), layers;
	const char *d;
	yajl_val sz;

	if (!cfg)
		return -1;
	if (!(layers = json_need(m, "layers", yajl_t_array, "manifest", e)))
		return -1;
	if (layers->u.array.len > LAYERS_PULL_MAX)
		return fail(e, 1, "manifest: layers: more than %d", LAYERS_PULL_MAX);
	p->nblobs = 0;
	for (size_t i = 0; i <= layers->u.array.len; i++) {
		yajl_val o = i == 0 ? cfg : layers->u.array.values[i - 1];
		struct blob *b = &p->blobs[p->nblobs];
		const char *mt = json_str(o, "mediaType");
		d = json_str(o, "digest");
		sz = json_get(o, "size", yajl_t_number);
		if ((!d || !digest_valid(d) || !sz || !YAJL_IS_INTEGER(sz) || YAJL_GET_INTEGER(sz) < 0) && i == 0)
			return fail(e, 1, "manifest: config: expected a digest (sha256:<64 hex digits>) and a size");
		if (!d || !digest_valid(d) || !sz || !YAJL_IS_INTEGER(sz) || YAJL_GET_INTEGER(sz) < 0)
			return fail(e, 1, "manifest: layers[%zu]: expected a digest (sha256:<64 hex digits>) and a size", i - 1);
		if (i > 0 && (!mt || layer_media_compression(mt) < 0))
			return fail(e, 1, "manifest: layers[%zu]: media type \"%.100s\" is not a layer type Berth knows", i - 1,
				    mt ? mt : "");
		if (i == 0 && (uint64_t)YAJL_GET_INTEGER(sz) > JSON_MAX)
			return fail(e, 1, "manifest: config: %lld bytes, more than %u", YAJL_GET_INTEGER(sz), JSON_MAX);
		strcpy(b->digest, d);
		b->size = (uint64_t)YAJL_GET_INTEGER(sz);
		b->kind = i == 0 ? "config" : "layer";
		b->comp = i == 0 ? -1 : layer_media_compression(mt);
		/* a layer listed twice is fetched once */
		{
			size_t k = 0;
			while (k < p->nblobs && strcmp(p->blobs[k].digest, d) != 0)
				k++;
			if (k == p->nblobs)
				p->nblobs++;
		}
	}
	return 0;
}

static int index_json(struct pull *p, const char *mt, const char *digest, size_t size, const char *name,
		      struct err *e)
{
	char doc[2048];
	int n;

	if (name)
		n = snprintf(doc, sizeof doc,
			     "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
			     "\"annotations\":{\"io.containerd.image.name\":\"%s\"}}]}\n", mt, digest, size, name);
	else
		n = snprintf(doc, sizeof doc,
			     "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}\n",
			     mt, digest, size);
	if (n >= (int)sizeof doc)
		return fail(e, 1, "index.json: the name is too long");
	if (layout_write(p, "index.json", doc, (size_t)n, e) < 0)
		return -1;
	return layout_write(p, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}\n", 31, e);
}

static int pull_run(struct pull *p, struct err *e)
{
	char *body = NULL, *body2 = NULL, mt[128], top[DIGEST_LEN + 1], md[DIGEST_LEN + 1], name[600];
	yajl_val doc = NULL, doc2 = NULL, m;
	size_t len = 0, len2 = 0, mlen;
	const char *mbody;
	int rc = -1, fresh = 0;

	if (reg_host_config(p->ref.host, p->ref.repo, &p->host, e) < 0)
		return -1;
	p->c.ref = &p->ref;
	p->c.host = &p->host;
	p->c.quiet = !p->out;
	/* a mirror that lacks the image, or fails it, is one warning: the next
	 * endpoint is asked, the upstream last (as containerd's hosts) */
	for (size_t from = 0;; from = p->c.endpoint + 1) {
		if (reg_probe(&p->c, from, e) < 0)
			goto out;
		if (manifest_get(p, p->ref.digest[0] ? p->ref.digest : p->ref.tag, p->ref.digest[0] ? p->ref.digest : NULL,
				 &body, &len, &doc, mt, top, e) == 0)
			break;
		if (p->host.ep[p->c.endpoint].upstream || p->c.endpoint + 1 >= p->host.n)
			goto out;
		warn("%s: %s; trying %s", reg_endpoint(&p->c), e->msg, p->host.ep[p->c.endpoint + 1].url);
		e->msg[0] = '\0';
		free(body);
		body = NULL;
		if (doc)
			yajl_tree_free(doc);
		doc = NULL;
	}
	if (p->out)
		fprintf(p->out, "%s: Pulling from %s\n", p->ref.tag[0] ? p->ref.tag : p->ref.digest, p->ref.repo);
	m = doc;
	mbody = body;
	mlen = len;
	strcpy(md, top);
	if (is_index(mt)) {
		uint64_t want_size = 0;
		char mt2[128];
		if (platform_pick(p, doc, md, &want_size, e) < 0)
			goto out;
		char got[DIGEST_LEN + 1];
		if (manifest_get(p, md, md, &body2, &len2, &doc2, mt2, got, e) < 0)
			goto out;
		if (want_size && want_size != len2) {
			fail(e, 1, "manifest %s: %zu bytes, the index says %llu", md, len2, (unsigned long long)want_size);
			goto out;
		}
		if (!is_manifest(mt2)) {
			fail(e, 1, "manifest %s: the index names a \"%s\", not an image manifest", md, mt2);
			goto out;
		}
		m = doc2;
		mbody = body2;
		mlen = len2;
		strcpy(mt, mt2);
	}
	if (manifest_blobs(p, m, e) < 0)
		goto out;
	/* where the downloads go: beside the store, outside the tmp/ a load empties */
	if (snprintf(p->root, sizeof p->root, "%s", env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT)) >= (int)sizeof p->root) {
		fail(e, EXIT_USAGE, "BERTH_ROOT: too long");
		goto out;
	}
	{
		char d[sizeof p->root + 32];
		snprintf(d, sizeof d, "%s/downloads/sha256", p->root);
		if (mkdir_p(d, 0700) < 0) {
			fail_errno(e, "%s", d);
			goto out;
		}
		snprintf(d, sizeof d, "%s/downloads", p->root);
		/* shared: image prune empties downloads/ only while no pull runs */
		if ((p->dl = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || flock(p->dl, LOCK_SH) < 0) {
			fail_errno(e, "%s", d);
			goto out;
		}
		if ((mkdirat(p->dl, "layers", 0700) < 0 && errno != EEXIST) ||
		    (p->pre = openat(p->dl, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			fail_errno(e, "%s/layers", d);
			goto out;
		}
	}
	for (size_t i = 0; i < p->nblobs; i++)
		if (!image_has_blob(p->blobs[i].digest))
			fresh = 1;
	if (blobs_get(p, e) < 0)
		goto out;
	snprintf(p->layout, sizeof p->layout, "pull.%ld", (long)getpid());
	rm_tree_at(p->dl, p->layout);
	if (mkdirat(p->dl, p->layout, 0700) < 0 ||
	    (p->lfd = openat(p->dl, p->layout, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mkdirat(p->lfd, "blobs", 0700) < 0 || mkdirat(p->lfd, "blobs/sha256", 0700) < 0) {
		fail_errno(e, "%s/downloads/%s", p->root, p->layout);
		goto out;
	}
	for (size_t i = 0; i < p->nblobs; i++)
		if (layout_add(p, p->blobs[i].digest, e) < 0)
			goto out;
	if (blob_write(p, md, mbody, mlen, e) < 0)
		goto out;
	if (p->ref.tag[0])
		reg_ref_store_name(&p->ref, name, sizeof name);
	if (index_json(p, mt, md, mlen, p->ref.tag[0] ? name : NULL, e) < 0)
		goto out;
	{
		char lpath[sizeof p->root + 128];
		snprintf(lpath, sizeof lpath, "%s/downloads/%s", p->root, p->layout);
		if (image_load_layout(lpath, p->pre, p->token, top, 1, e) < 0)
			goto out;
	}
	/* what the store now holds is not kept twice */
	for (size_t i = 0; i < p->nblobs; i++)
		if (image_has_blob(p->blobs[i].digest)) {
			char f[128];
			snprintf(f, sizeof f, "sha256/%s", digest_hex(p->blobs[i].digest));
			unlinkat(p->dl, f, 0);
		}
	if (p->out) {
		fprintf(p->out, "Digest: %s\n", top);
		fprintf(p->out, "Status: %s for %s\n", fresh ? "Downloaded newer image" : "Image is up to date",
			p->ref.tag[0] ? name : p->full);
		reg_ref_full(&p->ref, name, sizeof name);
		fprintf(p->out, "%s\n", name);
	}
	rc = 0;
out:
	if (p->lfd >= 0) {
		close(p->lfd);
		rm_tree_at(p->dl, p->layout);
	}
	if (p->pre >= 0) {
		/* this pull's layers the load did not take (it failed, or the
		 * store had them); and when no other pull runs, what killed
		 * ones left */
		for (size_t i = 0; i < p->nblobs; i++)
			prelayer_remove(p->pre, p->blobs[i].digest, p->token);
		if (flock(p->dl, LOCK_EX | LOCK_NB) == 0)
			prelayer_sweep(p->pre);
		close(p->pre);
	}
	if (p->dl >= 0)
		close(p->dl);
	if (doc)
		yajl_tree_free(doc);
	if (doc2)
		yajl_tree_free(doc2);
	free(body);
	free(body2);
	return rc;
}

/* 32 hex digits no other pull has: random, else this process and time */
static void pull_token(char out[33])
{
	unsigned char r[16];
	struct timespec ts;

	if (getrandom(r, sizeof r, 0) == (ssize_t)sizeof r) {
		for (size_t i = 0; i < sizeof r; i++)
			snprintf(out + 2 * i, 3, "%02x", r[i]);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, 33, "%08lx%08lx%016llx", (unsigned long)getpid() & 0xffffffff, (unsigned long)ts.tv_nsec,
		 (unsigned long long)ts.tv_sec);
}

int registry_pull(const char *ref_text, FILE *out, struct err *e)
{
	struct pull *p = calloc(1, sizeof *p);
	int rc;

	if (!p)
		return fail_errno(e, "pull");
	p->out = out;
	p->dl = p->lfd = p->news = p->pre = -1;
	pull_token(p->token);
	snprintf(p->full, sizeof p->full, "%s", ref_text);
	rc = reg_ref_parse(ref_text, &p->ref, e);
	if (rc == 0)
		rc = pull_run(p, e);
	memset(&p->host, 0, sizeof p->host);
	memset(&p->c, 0, sizeof p->c);
	free(p);
	return rc;
}

int cmd_pull(int argc, char **argv)
{
	struct err e = { 0 };
	const char *ref = NULL;
	int quiet = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else if (argv[i][0] == '-')
			usage_error("pull", "unknown option %s", argv[i]);
		else if (ref)
			usage_error("pull", "one image at a time");
		else
			ref = argv[i];
	}
	if (!ref)
		usage_error("pull", "no image");
	/* a child's downloads: the parent reaps them all */
	signal(SIGPIPE, SIG_IGN);
	if (registry_pull(ref, quiet ? NULL : stdout, &e) < 0)
		die(e.code ? e.code : 1, "pull %s: %s", ref, e.msg);
	return 0;
}
