/* libFuzzer target for provision's parsers of untrusted user-data: the
 * first byte picks the path, the rest is the input.
 *   '0' (and every byte ≡ 0 mod 3): user-data (gzip, MIME, #cloud-config,
 *       #! scripts) decoded, then every module that only writes files
 *   '1': a MIME multipart body under a fixed boundary, same modules
 *   '2': network-config (v1/v2) → /etc/berth/network.conf
 * Modules write under a scratch root ($FUZZ_ROOT, else a new /tmp dir),
 * emptied before each input. bootcmd, runcmd, scripts and berth.images run
 * commands and are left out.
 *   make out/fuzz/provision-libfuzzer   (and out/fuzz/provision-main: the corpus, no clang)
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "provision.h"

#define MIME_HEAD "Content-Type: multipart/mixed; boundary=\"==B==\"\nMIME-Version: 1.0\n\n"

static char root[4096];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void put(const char *name, const char *text)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof path, "%s/%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, text, strlen(text)) != 0)
		abort();
	close(fd);
}

/* the same empty root for every input: a crash replays alone */
static void root_reset(void)
{
	char path[4200];

	if (!root[0]) {
		const char *env = getenv("FUZZ_ROOT");
		snprintf(root, sizeof root, "%s", env ? env : "/tmp/provision-fuzz.XXXXXX");
		if (!env && !mkdtemp(root))
			abort();
	}
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(path, sizeof path, "%s/etc", root);
	if (mkdir_p(path, 0755) != 0)
		abort();
	put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
	put("etc/group", "root:x:0:\nwheel:x:10:\n");
	put("etc/shadow", "root:!:1::::::\n");
	put("etc/hosts", "127.0.0.1\tlocalhost\n");
}

static void prov_free(struct prov *p)
{
	for (int i = 0; i < p->nmods; i++)
		for (int j = 0; j < p->mods[i].nmsgs; j++)
			free(p->mods[i].msgs[j]);
	ynode_free(p->ud.cfg);
	for (int i = 0; i < p->ud.nscripts; i++)
		free(p->ud.scripts[i].data);
	seed_free(&p->seed);
	close(p->rootfd);
}

/* for berth/fuzz/fuzz-main.c: the path taken, and whether a module failed */
const char *fuzz_result = "";

/* the path's result: NAME, or NAME_ERR when a module reported an error */
static const char *result(const struct prov *p, const char *name, const char *name_err)
{
	for (int i = 0; i < p->nmods; i++)
		if (p->mods[i].result == RES_ERROR)
			return name_err;
	return name;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct prov prov;
	struct prov *p = &prov;
	const char *in = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	char *buf;

	fuzz_result = "not read";
	if (size < 1 || size > UD_RAW_MAX)
		return 0;
	root_reset();
	memset(p, 0, sizeof *p);
	p->root = root;
	p->cmdline = "";
	p->new_instance = 1;
	if ((p->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	snprintf(p->seed.ds, sizeof p->seed.ds, "nocloud");
	snprintf(p->seed.iid, sizeof p->seed.iid, "i-fuzz");
	snprintf(p->seed.hostname, sizeof p->seed.hostname, "fuzz");

	switch (data[0] % 3) {
	case 0:
	case 1:
		if (data[0] % 3 == 1) {
			if (!(buf = malloc(sizeof MIME_HEAD + len)))
				abort();
			memcpy(buf, MIME_HEAD, sizeof MIME_HEAD - 1);
			memcpy(buf + sizeof MIME_HEAD - 1, in, len);
			len += sizeof MIME_HEAD - 1;
		} else {
			if (!(buf = malloc(len + 1)))
				abort();
			memcpy(buf, in, len);
		}
		buf[len] = '\0';
		userdata_decode(p, "user-data", buf, len, &p->ud);
		free(buf);
		mod_per_instance(p, 0);
		fuzz_result = data[0] % 3 ? result(p, "multipart ok", "multipart with errors")
					  : result(p, "user-data ok", "user-data with errors");
		break;
	case 2:
		if (len > META_MAX)
			break;
		if (!(p->seed.nc = malloc(len + 1)))
			abort();
		memcpy(p->seed.nc, in, len);
		p->seed.nc[len] = '\0';
		p->seed.nclen = len;
		mod_network(p);
		fuzz_result = result(p, "network-config ok", "network-config with errors");
		break;
	}
	status_write(p);
	prov_free(p);
	return 0;
}
