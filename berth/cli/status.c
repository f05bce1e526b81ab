/* berth status: what provisioning did on this boot — datasource,
 * instance-id, each module's result and every message — from the
 * status.json that provision writes (secrets never reach that file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cli.h"
#include "status-doc.h"

int cmd_status(int argc, char **argv)
{
	const char *root = env_or("BERTH_ROOT", BERTH_ROOT_DEFAULT);
	char path[4096], *buf;
	struct status_doc d;
	struct err e = {0};
	ssize_t len;
	int errors = 0;

	for (int i = 1; i < argc; i++)
		usage_error("status", "unexpected argument %s", argv[i]);
	if (snprintf(path, sizeof path, "%s/provision/status.json", root) >= (int)sizeof path)
		usage_error("status", "BERTH_ROOT is too long");
	/* one byte more than the cap tells a larger file */
	buf = malloc(STATUS_DOC_MAX + 2);
	if (!buf)
		die(EXIT_SYSTEM, "out of memory");
	if ((len = file_read(path, buf, STATUS_DOC_MAX + 2)) < 0)
		die_errno(EXIT_SYSTEM, "%s (provisioning has not run)", path);
	if ((size_t)len > STATUS_DOC_MAX)
		die(1, "%s: larger than %u bytes", path, STATUS_DOC_MAX);
	if (status_doc_parse(buf, (size_t)len, path, &d, &e) != 0)
		die(e.code, "%s", e.msg);
	free(buf);
	printf("datasource   %s\ninstance-id  %s\n", d.datasource, d.instance_id);
	for (size_t i = 0; i < d.nmodules; i++) {
		const struct status_module *m = &d.modules[i];

		printf("  %-22s %s\n", m->name, m->result);
		if (strcmp(m->result, SD_ERROR) == 0)
			errors++;
		for (size_t j = 0; j < m->nmessages; j++)
			printf("      %s\n", m->messages[j]);
	}
	printf("%d module%s with errors\n", errors, errors == 1 ? "" : "s");
	status_doc_free(&d);
	return errors ? 1 : 0;
}
