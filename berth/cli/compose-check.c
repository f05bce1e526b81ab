/* berth compose-check FILE...: parse container definitions, print each
 * usable one as JSON and every warning and error; exit 1 if any had one. */
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "berth.h"
#include "cli.h"
#include "compose.h"

int cmd_compose_check(int argc, char **argv)
{
	int bad = 0, i = 1;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		usage_error("compose-check", "no definition file given");
	for (; i < argc; i++) {
		struct container_def *defs;
		size_t n;
		int r = compose_load(argv[i], &defs, &n);

		if (r != 0)
			bad = 1;
		for (size_t j = 0; j < n; j++) {
			yajl_gen g = yajl_gen_alloc(NULL);
			const unsigned char *out;
			size_t len;

			if (!g)
				die(EXIT_SYSTEM, "out of memory");
			yajl_gen_config(g, yajl_gen_beautify, 1);
			yajl_gen_config(g, yajl_gen_indent_string, "  ");
			if (compose_json(g, &defs[j]) != 0 ||
			    yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
				die(EXIT_SYSTEM, "%s: cannot write JSON", argv[i]);
			fwrite(out, 1, len, stdout);
			yajl_gen_free(g);
		}
		compose_free(defs, n);
	}
	return bad;
}
