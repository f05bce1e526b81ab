/* berth status: what provisioning did on this boot — datasource,
 * instance-id, each module's result and every message — from the
 * status.json that provision writes (secrets never reach that file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "berth.h"
#include "cli.h"

#define STATUS_MAX (1024 * 1024)

static const char *str(yajl_val v, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	return s ? YAJL_GET_STRING(s) : "?";
}

int cmd_status(int argc, char **argv)
{
	const char *root = env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT), *mpath[] = { "modules", NULL };
	char path[4096], err[256], *buf;
	yajl_val doc, mods;
	int errors = 0;

	for (int i = 1; i < argc; i++)
		usage_error("status", "unexpected argument %s", argv[i]);
	if (snprintf(path, sizeof path, "%s/provision/status.json", root) >= (int)sizeof path)
		usage_error("status", "BERTH_ROOT is too long");
	buf = malloc(STATUS_MAX);
	if (!buf)
		die(EXIT_SYSTEM, "out of memory");
	if (file_read(path, buf, STATUS_MAX) < 0)
		die_errno(EXIT_SYSTEM, "%s (provisioning has not run)", path);
	doc = yajl_tree_parse(buf, err, sizeof err);
	free(buf);
	if (!doc || !YAJL_IS_OBJECT(doc))
		die(1, "%s: not a JSON object", path);
	printf("datasource   %s\ninstance-id  %s\n", str(doc, "datasource"), str(doc, "instance_id"));
	mods = yajl_tree_get(doc, mpath, yajl_t_array);
	for (size_t i = 0; mods && i < YAJL_GET_ARRAY(mods)->len; i++) {
		yajl_val m = YAJL_GET_ARRAY(mods)->values[i];
		const char *msgs[] = { "messages", NULL };
		yajl_val ms = yajl_tree_get(m, msgs, yajl_t_array);
		const char *result = str(m, "result");

		printf("  %-22s %s\n", str(m, "name"), result);
		if (strcmp(result, "error") == 0)
			errors++;
		for (size_t j = 0; ms && j < YAJL_GET_ARRAY(ms)->len; j++)
			if (YAJL_IS_STRING(YAJL_GET_ARRAY(ms)->values[j]))
				printf("      %s\n", YAJL_GET_STRING(YAJL_GET_ARRAY(ms)->values[j]));
	}
	printf("%d module%s with errors\n", errors, errors == 1 ? "" : "s");
	yajl_tree_free(doc);
	return errors ? 1 : 0;
}
