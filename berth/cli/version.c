/* berth version: which Berth this is, from os-release, and with --sbom the
 * software bill of materials that scripts/sbom.sh wrote into the verified
 * root. Both paths come from the environment for the host tests:
 *   BERTH_OS_RELEASE  /usr/lib/os-release
 *   BERTH_SBOM        /usr/share/berth/sbom.json */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cli.h"

#define OS_RELEASE_MAX 4096

static int print_version(void)
{
	/* os-release(5): /usr/lib/os-release is the system's own file */
	const char *path = env_or("BERTH_OS_RELEASE", "/usr/lib/os-release");
	char text[OS_RELEASE_MAX], version[64], id[64];

	if (file_read(path, text, sizeof text) < 0) {
		if (errno == ENOENT)
			die(1, "%s: no such file: cannot tell the version", path);
		die_errno(EXIT_SYSTEM, "%s", path);
	}
	if (os_release_get(text, "VERSION", version, sizeof version) != 0)
		die(1, "%s: VERSION: missing, empty or longer than %zu bytes", path, sizeof version - 1);
	if (os_release_get(text, "ID", id, sizeof id) != 0)
		die(1, "%s: ID: missing, empty or longer than %zu bytes", path, sizeof id - 1);
	printf("Berth %s (%s)\n", version, id);
	return 0;
}

/* copy the SBOM to stdout as it is: it is JSON already */
static int print_sbom(void)
{
	const char *path = env_or("BERTH_SBOM", "/usr/share/berth/sbom.json");
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			die(1, "%s: no such file: this root has no SBOM", path);
		die_errno(EXIT_SYSTEM, "%s", path);
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno(EXIT_SYSTEM, "read %s", path);
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			die_errno(EXIT_SYSTEM, "write to standard output");
	}
	close(fd);
	return 0;
}

int cmd_version(int argc, char **argv)
{
	int sbom = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sbom") == 0)
			sbom = 1;
		else
			usage_error("version", "unexpected argument %s", argv[i]);
	}
	return sbom ? print_sbom() : print_version();
}
