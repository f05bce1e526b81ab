/* berth spec: print the config.json a definition and an image config give;
 * how the tests (and a curious person) see what crun will be handed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cli.h"
#include "spec.h"

int cmd_spec(int argc, char **argv)
{
	const char *def_path = NULL, *image_path = NULL;
	struct spec_input in = { 0 };
	struct container_def *defs;
	size_t ndefs, len;
	char *json, *image = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--definition") == 0)
			dst = &def_path;
		else if (strcmp(argv[i], "--image-config") == 0)
			dst = &image_path;
		else if (strcmp(argv[i], "--rootfs") == 0)
			dst = &in.rootfs;
		else if (strcmp(argv[i], "--resolv") == 0)
			dst = &in.resolv;
		else if (strcmp(argv[i], "--hosts") == 0)
			dst = &in.hosts;
		else if (strcmp(argv[i], "--hostname-file") == 0)
			dst = &in.hostname_file;
		else
			usage_error("spec", "unknown option \"%s\"", argv[i]);
		if (++i >= argc)
			usage_error("spec", "%s needs a value", argv[i - 1]);
		*dst = argv[i];
	}
	if (!def_path || !in.rootfs)
		usage_error("spec", "--definition and --rootfs are required");
	if (image_path) {
		char *buf = malloc(SPEC_IMAGE_CONFIG_MAX_BYTES + 2);
		ssize_t n;

		if (!buf)
			die(EXIT_SYSTEM, "out of memory");
		n = file_read(image_path, buf, SPEC_IMAGE_CONFIG_MAX_BYTES + 2);
		if (n < 0)
			die_errno(EXIT_SYSTEM, "read %s", image_path);
		if (n > SPEC_IMAGE_CONFIG_MAX_BYTES)
			die(1, "%s: larger than %d bytes", image_path, SPEC_IMAGE_CONFIG_MAX_BYTES);
		image = buf;
		in.image_config = buf;
		in.image_config_len = (size_t)n;
	}
	r = compose_load(def_path, &defs, &ndefs);
	if (r != 0 || ndefs != 1) {
		if (r == 0)
			warn("%s: expected exactly one service, got %zu", def_path, ndefs);
		compose_free(defs, ndefs);
		free(image);
		return 1;
	}
	in.def = &defs[0];
	r = spec_generate(&in, &json, &len);
	if (r == 0) {
		fwrite(json, 1, len, stdout);
		free(json);
	}
	compose_free(defs, ndefs);
	free(image);
	return r == 0 ? 0 : 1;
}
