/* libFuzzer target for what berth pull reads before any byte of an image:
 * the first byte picks the parser, the rest is its input.
 *   0  an image reference (ref.c, Docker's grammar): one that parses has a
 *      host and a repository, and its store name and full form parse back
 *      to the same host, repository and tag
 *   1  /etc/berth/registries.yaml (config.c, k3s's format), read as the
 *      file for a fixed host: it loads or fails with a message; every
 *      endpoint it gives is an http(s) URL
 * The file is written below $TMPDIR (or /tmp) as fuzz-registry/berth/.
 *   make out/fuzz/registry-libfuzzer; out/fuzz/registry-main runs the same
 *   target over files without libFuzzer.
 * Seeds: tests/host-slow/registry.bats's references and the docs' example. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "registry.h"

const char *fuzz_result = "";

static void ref_check(const char *s)
{
	struct reg_ref r, back;
	struct err e = { 0 };
	char name[1024];

	if (reg_ref_parse(s, &r, &e) < 0) {
		if (!e.msg[0])
			abort();
		fuzz_result = "refused";
		return;
	}
	if (!r.host[0] || !r.repo[0] || (!r.tag[0] && !r.digest[0]))
		abort();
	reg_ref_full(&r, name, sizeof name);
	if (reg_ref_parse(name, &back, &e) < 0 || strcmp(back.host, r.host) || strcmp(back.repo, r.repo) ||
	    strcmp(back.tag, r.tag) || strcmp(back.digest, r.digest))
		abort();
	if (r.tag[0]) {
		reg_ref_store_name(&r, name, sizeof name);
		if (reg_ref_parse(name, &back, &e) < 0 || strcmp(back.repo, r.repo) || strcmp(back.tag, r.tag))
			abort();
	}
	fuzz_result = "parsed";
}

static void config_check(const uint8_t *data, size_t size)
{
	static char dir[512];
	struct reg_host *h = calloc(1, sizeof *h);
	struct err e = { 0 };
	char file[600];
	int fd;

	if (!h)
		abort();
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/fuzz-registry", env_or("TMPDIR", "/tmp"));
		mkdir(dir, 0700);
		snprintf(file, sizeof file, "%s/berth", dir);
		mkdir(file, 0700);
		setenv("BERTH_ETC", dir, 1);
	}
	snprintf(file, sizeof file, "%s/berth/registries.yaml", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (reg_host_config("mirror.example:5000", "x/y", h, &e) < 0) {
		if (!e.msg[0])
			abort();
		fuzz_result = "refused";
	} else {
		for (size_t i = 0; i < h->n; i++)
			if (strncmp(h->ep[i].url, "http://", 7) && strncmp(h->ep[i].url, "https://", 8))
				abort();
		fuzz_result = "loaded";
	}
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[2048];

	if (size < 1)
		return 0;
	if (data[0] == 0) {
		if (size - 1 >= sizeof buf || memchr(data + 1, 0, size - 1))
			return 0;
		memcpy(buf, data + 1, size - 1);
		buf[size - 1] = '\0';
		ref_check(buf);
	} else if (data[0] == 1) {
		config_check(data + 1, size - 1);
	}
	return 0;
}
