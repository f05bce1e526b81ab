/* Datasources in cloud-init's order: NoCloud (cidata), OpenStack config
 * drive (config-2), EC2 IMDS (only on EC2), none. A ds= on the kernel
 * command line wins. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "http.h"
#include "provision.h"

#define SEED_MOUNT "/run/berth/provision-seed"
#define IMDS_DEFAULT "http://169.254.169.254"

static int read_capped(int dirfd, const char *name, size_t cap, char **out, size_t *len)
{
	char *buf = file_read_at(dirfd, name, cap, len);

	if (!buf)
		return -1;
	*out = buf;
	return 0;
}

static void seed_string(char *dst, size_t size, const char *s)
{
	if (s && strlen(s) < size && !strpbrk(s, "\n\r\"\\/"))
		snprintf(dst, size, "%s", s);
}

static void seed_key(struct seed *s, const char *k)
{
	if (k && *k && s->nkeys < KEYS_MAX && !strpbrk(k, "\r\n"))
		s->keys[s->nkeys++] = strdup(k);
}

/* meta-data as YAML or JSON (JSON parses as YAML); NULL, said, if neither */
static struct ynode *meta_parse(struct prov *p, const char *name, const char *buf, size_t len)
{
	char err[256];
	struct ynode *md = yaml_load(name, buf, len, err, sizeof err);

	if (!md && err[0])
		mod_error(p, NULL, NULL, "%s", err);
	return md;
}

static void nocloud_meta(struct prov *p, struct seed *s, const char *buf, size_t len)
{
	struct ynode *md = meta_parse(p, "meta-data", buf, len), *k;

	if (!md)
		return;
	seed_string(s->iid, sizeof s->iid, ystr(ymap_get(md, "instance-id")));
	seed_string(s->hostname, sizeof s->hostname, ystr(ymap_get(md, "local-hostname")));
	if (!s->hostname[0])
		seed_string(s->hostname, sizeof s->hostname, ystr(ymap_get(md, "hostname")));
	k = ymap_get(md, "public-keys");
	if (ystr(k))
		seed_key(s, k->str);
	for (size_t i = 0; k && k->type == Y_SEQ && i < k->n; i++)
		seed_key(s, ystr(k->kids[i]));
	ynode_free(md);
}

static void openstack_meta(struct prov *p, struct seed *s, const char *buf, size_t len)
{
	struct ynode *md = meta_parse(p, "meta_data.json", buf, len), *k;

	if (!md)
		return;
	seed_string(s->iid, sizeof s->iid, ystr(ymap_get(md, "uuid")));
	seed_string(s->hostname, sizeof s->hostname, ystr(ymap_get(md, "hostname")));
	k = ymap_get(md, "public_keys");
	for (size_t i = 0; k && k->type == Y_MAP && i + 1 < k->n; i += 2)
		seed_key(s, ystr(k->kids[i + 1]));
	ynode_free(md);
}

/* the seed's root stays open for berth.images until seed_release() */
static void seed_hold(struct seed *s, int dfd)
{
	s->dirfd = dfd;
	s->held = 1;
}

/* read a seed from a directory: NoCloud files, or a config drive's tree */
static int seed_from_dir(struct prov *p, struct seed *s, const char *dir, const char *want)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *md;
	size_t mdlen;

	if (dfd < 0) {
		warn_errno("open seed %s", dir);
		return -1;
	}
	if ((!want || !strcmp(want, "configdrive")) &&
	    read_capped(dfd, "openstack/latest/meta_data.json", META_MAX, &md, &mdlen) == 0) {
		snprintf(s->ds, sizeof s->ds, "configdrive");
		openstack_meta(p, s, md, mdlen);
		free(md);
		if (read_capped(dfd, "openstack/latest/user_data", UD_RAW_MAX, &s->ud, &s->udlen) != 0 && errno == EFBIG)
			mod_error(p, NULL, NULL, "user_data: more than %u bytes, ignored", UD_RAW_MAX);
		read_capped(dfd, "openstack/latest/vendor_data", UD_RAW_MAX, &s->vd, &s->vdlen);
		seed_hold(s, dfd);
		return 0;
	}
	if (want && strcmp(want, "nocloud")) {
		close(dfd);
		return -1;
	}
	snprintf(s->ds, sizeof s->ds, "nocloud");
	if (read_capped(dfd, "meta-data", META_MAX, &md, &mdlen) == 0) {
		nocloud_meta(p, s, md, mdlen);
		free(md);
	} else {
		mod_error(p, NULL, NULL, "meta-data: %s", strerror(errno));
	}
	if (read_capped(dfd, "user-data", UD_RAW_MAX, &s->ud, &s->udlen) != 0 && errno == EFBIG)
		mod_error(p, NULL, NULL, "user-data: more than %u bytes, ignored", UD_RAW_MAX);
	read_capped(dfd, "vendor-data", UD_RAW_MAX, &s->vd, &s->vdlen);
	if (read_capped(dfd, "network-config", META_MAX, &s->nc, &s->nclen) != 0 && errno == EFBIG)
		mod_error(p, NULL, NULL, "network-config: more than %u bytes, ignored", META_MAX);
	seed_hold(s, dfd);
	return 0;
}

/* the block device whose superblock carries one of the labels */
static int find_label(const char *want, char *dev, size_t dsize, char *type, size_t tsize)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d))) {
		char label[64], path[300];
		if (e->d_name[0] == '.' || !strncmp(e->d_name, "ram", 3))
			continue;
		snprintf(path, sizeof path, "/dev/%s", e->d_name);
		if (fs_label(path, type, tsize, label, sizeof label) == 0 && !strcasecmp(label, want)) {
			snprintf(dev, dsize, "%s", path);
			found = 0;
		}
	}
	closedir(d);
	return found;
}

static int seed_from_label(struct prov *p, struct seed *s, const char *label, const char *want)
{
	char dev[300], type[16];
	int rc;

	if (find_label(label, dev, sizeof dev, type, sizeof type) != 0)
		return -1;
	mkdir("/run/berth", 0755);
	if (mkdir(SEED_MOUNT, 0700) != 0 && errno != EEXIST) {
		warn_errno("mkdir %s", SEED_MOUNT);
		return -1;
	}
	if (mount(dev, SEED_MOUNT, type, MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC, NULL) != 0) {
		warn_errno("mount %s (%s, label %s)", dev, type, label);
		rmdir(SEED_MOUNT);
		return -1;
	}
	rc = seed_from_dir(p, s, SEED_MOUNT, want);
	s->mounted = 1;
	if (rc != 0)
		seed_release(s);
	return rc;
}

/* METHOD base+name, a 200's body capped; on failure e says what went wrong:
 * the transport's reason, a truncated body, or the HTTP status (*status,
 * 404 for absent) */
static int fetch(const char *method, const char *base, const char *name, const char *hdr, int timeout_ms,
		 size_t cap, char **out, size_t *len, int *status, struct err *e)
{
	char url[1024];
	struct http_request rq = { .method = method, .url = url, .agent = "berth-provision", .headers = { hdr },
				   .wait_ms = timeout_ms, .total_ms = timeout_ms, .max = cap };
	struct http_response rs;
	int rc;

	e->msg[0] = '\0';
	*status = 0;
	if (snprintf(url, sizeof url, "%s%s", base, name) >= (int)sizeof url)
		return fail(e, 1, "URL longer than %zu bytes", sizeof url - 1);
	rc = http_fetch(&rq, &rs, out, len, e);
	*status = rs.status;
	return rc;
}

/* NoCloud's seedfrom: s=http://host:port/path/ or https:// (files
 * appended to it; https trusts the CA bundle, ca_certs' too once a boot
 * has applied it) */
static int seed_from_url(struct prov *p, struct seed *s, const char *url)
{
	char base[1024], *md;
	struct err e;
	size_t mdlen;
	int st;

	if (url[0] == '/')
		return seed_from_dir(p, s, url, "nocloud");
	if (!strncmp(url, "file://", 7))
		return seed_from_dir(p, s, url + 7, "nocloud");
	if (snprintf(base, sizeof base, "%s%s", url, url[strlen(url) - 1] == '/' ? "" : "/") >= (int)sizeof base)
		return -1;
	if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) {
		char what[1100];
		snprintf(what, sizeof what, "seedfrom %s", url);
		if (net_for(p, what, url, 0) != 0)
			return -1;
	}
	if (fetch("GET", base, "meta-data", NULL, 5000, META_MAX, &md, &mdlen, &st, &e) != 0) {
		warn("seedfrom %s: meta-data: %s", url, e.msg);
		return -1;
	}
	snprintf(s->ds, sizeof s->ds, "nocloud");
	nocloud_meta(p, s, md, mdlen);
	free(md);
	if (fetch("GET", base, "user-data", NULL, 5000, UD_RAW_MAX, &s->ud, &s->udlen, &st, &e) != 0 && st != 404)
		mod_error(p, NULL, NULL, "seedfrom %suser-data: %s", base, e.msg);
	/* absent is fine; anything else is said, never taken in part */
	if (fetch("GET", base, "vendor-data", NULL, 5000, UD_RAW_MAX, &s->vd, &s->vdlen, &st, &e) != 0 && st != 404)
		mod_error(p, NULL, NULL, "seedfrom %svendor-data: %s", base, e.msg);
	if (fetch("GET", base, "network-config", NULL, 5000, META_MAX, &s->nc, &s->nclen, &st, &e) != 0 && st != 404)
		mod_error(p, NULL, NULL, "seedfrom %snetwork-config: %s", base, e.msg);
	return 0;
}

static void trim_nl(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* EC2 IMDSv2: a session token from PUT, then GETs carrying it */
static int seed_from_imds(struct prov *p, struct seed *s, const char *base)
{
	char url[1024], hdr[300], *tok = NULL, *v;
	struct err e;
	size_t len;
	int st = 0;

	/* on EC2 the first interface with a lease reaches the IMDS */
	if (net_for(p, "ec2", base, 1) != 0)
		return -1;
	if (fetch("PUT", base, "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600", 3000, 256, &tok,
		  &len, &st, &e) != 0) {
		warn("imds %s: no session token (%s)", base, e.msg);
		return -1;
	}
	trim_nl(tok);
	if (!*tok || strpbrk(tok, "\r\n")) {
		free(tok);
		return -1;
	}
	snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %.200s", tok);
	free(tok);
	snprintf(url, sizeof url, "%s/latest/", base);
	if (fetch("GET", url, "meta-data/instance-id", hdr, 5000, 256, &v, &len, &st, &e) != 0) {
		warn("imds %s: instance-id: %s", base, e.msg);
		return -1;
	}
	snprintf(s->ds, sizeof s->ds, "ec2");
	trim_nl(v);
	seed_string(s->iid, sizeof s->iid, v);
	free(v);
	if (fetch("GET", url, "meta-data/local-hostname", hdr, 5000, 256, &v, &len, &st, &e) == 0) {
		trim_nl(v);
		seed_string(s->hostname, sizeof s->hostname, v);
		free(v);
	} else if (st != 404) {
		mod_error(p, NULL, NULL, "imds %smeta-data/local-hostname: %s", url, e.msg);
	}
	if (fetch("GET", url, "meta-data/public-keys/0/openssh-key", hdr, 5000, 16384, &v, &len, &st, &e) == 0) {
		trim_nl(v);
		seed_key(s, v);
		free(v);
	} else if (st != 404) {
		mod_error(p, NULL, NULL, "imds %smeta-data/public-keys/0/openssh-key: %s", url, e.msg);
	}
	if (fetch("GET", url, "user-data", hdr, 5000, UD_RAW_MAX, &s->ud, &s->udlen, &st, &e) != 0 && st != 404)
		mod_error(p, NULL, NULL, "imds %suser-data: %s", url, e.msg);
	return 0;
}

static int on_ec2(void)
{
	char v[128];

	if (file_read("/sys/class/dmi/id/sys_vendor", v, sizeof v) > 0 && (strstr(v, "Amazon") || strstr(v, "EC2")))
		return 1;
	if (file_read("/sys/class/dmi/id/product_uuid", v, sizeof v) > 0 && !strncasecmp(v, "ec2", 3))
		return 1;
	return 0;
}

/* ds=NAME[;s=URL][;i=ID][;h=HOST] */
static void ds_option(const char *ds, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	out[0] = '\0';
	for (const char *c = strchr(ds, ';'); c; c = strchr(c, ';')) {
		c++;
		if (!strncmp(c, key, klen) && c[klen] == '=') {
			snprintf(out, size, "%.*s", (int)strcspn(c + klen + 1, ";"), c + klen + 1);
			return;
		}
	}
}

int datasource_find(struct prov *p, struct seed *s)
{
	char ds[1024] = "", name[32], url[1024], opt[256];
	int forced = cmdline_get(p->cmdline, "ds", ds, sizeof ds) == 1;
	int rc = -1;

	memset(s, 0, sizeof *s);
	snprintf(name, sizeof name, "%.*s", (int)strcspn(ds, ";"), ds);
	if (p->seed_dir) {
		rc = seed_from_dir(p, s, p->seed_dir, NULL);
	} else if (p->imds) {
		rc = seed_from_imds(p, s, p->imds);
	} else if (forced) {
		ds_option(ds, "s", url, sizeof url);
		if (!url[0])
			ds_option(ds, "seedfrom", url, sizeof url);
		if (!strcasecmp(name, "nocloud") || !strcasecmp(name, "nocloud-net"))
			rc = url[0] ? seed_from_url(p, s, url) : seed_from_label(p, s, "cidata", "nocloud");
		else if (!strcasecmp(name, "configdrive") || !strcasecmp(name, "openstack"))
			rc = seed_from_label(p, s, "config-2", "configdrive");
		else if (!strcasecmp(name, "ec2"))
			rc = seed_from_imds(p, s, IMDS_DEFAULT);
		else if (strcasecmp(name, "none"))
			warn("ds=%s: unknown datasource", name);
		ds_option(ds, "i", opt, sizeof opt);
		if (rc == 0 && opt[0])
			seed_string(s->iid, sizeof s->iid, opt);
		ds_option(ds, "h", opt, sizeof opt);
		if (rc == 0 && opt[0])
			seed_string(s->hostname, sizeof s->hostname, opt);
	} else {
		rc = seed_from_label(p, s, "cidata", "nocloud");
		if (rc != 0)
			rc = seed_from_label(p, s, "config-2", "configdrive");
		if (rc != 0 && on_ec2())
			rc = seed_from_imds(p, s, IMDS_DEFAULT);
	}
	if (rc != 0) {
		seed_free(s);
		snprintf(s->ds, sizeof s->ds, "none");
		return -1;
	}
	if (!s->iid[0]) {
		mod_warn(p, NULL, NULL, "%s: no instance-id, using iid-%s", s->ds, s->ds);
		snprintf(s->iid, sizeof s->iid, "iid-%s", s->ds);
	}
	return 0;
}

/* close the seed's root and unmount the medium: main calls it as soon as
 * berth.images is done or known not to run */
void seed_release(struct seed *s)
{
	if (s->held)
		close(s->dirfd);
	s->held = 0;
	if (!s->mounted)
		return;
	s->mounted = 0;
	if (umount2(SEED_MOUNT, 0) != 0 && umount2(SEED_MOUNT, MNT_DETACH) != 0)
		warn_errno("umount %s", SEED_MOUNT);
	rmdir(SEED_MOUNT);
}

void seed_free(struct seed *s)
{
	seed_release(s);
	for (int i = 0; i < s->nkeys; i++)
		free(s->keys[i]);
	free(s->ud);
	free(s->vd);
	free(s->nc);
	memset(s, 0, sizeof *s);
}
