/* Module results: one line each on the console, all of them in status.json.
 * Messages name the file, line and key path, never a secret value. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "provision.h"
#include "status-doc.h"

void mod_begin(struct prov *p, const char *name)
{
	if (p->nmods == MODS_MAX) {
		p->cur = &p->mods[MODS_MAX - 1];
		return;
	}
	p->cur = &p->mods[p->nmods++];
	memset(p->cur, 0, sizeof *p->cur);
	p->cur->name = name;
}

static void vmsg(struct prov *p, int level, const struct ynode *at, const char *path, const char *fmt, va_list ap)
{
	char text[512], line[768];

	vsnprintf(text, sizeof text, fmt, ap);
	if (at && path)
		snprintf(line, sizeof line, "%s:%d: %s: %s", at->src, at->line, path, text);
	else if (at)
		snprintf(line, sizeof line, "%s:%d: %s", at->src, at->line, text);
	else
		snprintf(line, sizeof line, "%s", text);
	printf("provision: %s%s\n", level == 1 ? "warning: " : "", line);
	fflush(stdout);
	if (!p->cur)
		mod_begin(p, "user-data");
	if (level == 2)
		p->cur->result = RES_ERROR;
	if (p->cur->nmsgs < MSGS_MAX)
		p->cur->msgs[p->cur->nmsgs++] = strdup(line);
}

void mod_error(struct prov *p, const struct ynode *at, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(p, 2, at, path, fmt, ap);
	va_end(ap);
}

void mod_warn(struct prov *p, const struct ynode *at, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(p, 1, at, path, fmt, ap);
	va_end(ap);
}

void mod_note(struct prov *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(p, 0, NULL, NULL, fmt, ap);
	va_end(ap);
}

static const char *result_name(enum result r)
{
	return r == RES_OK ? SD_OK : r == RES_SKIPPED ? SD_SKIPPED : SD_ERROR;
}

/* r is what the module decided; an error reported on the way wins */
void mod_end(struct prov *p, enum result r)
{
	if (!p->cur)
		return;
	if (p->cur->result != RES_ERROR)
		p->cur->result = r;
	printf("provision: %s: %s\n", p->cur->name, result_name(p->cur->result));
	fflush(stdout);
	p->cur = NULL;
}

int status_write(struct prov *p)
{
	struct status_module mods[MODS_MAX];
	struct status_doc d = {
		.datasource = p->seed.ds,
		.instance_id = p->seed.iid,
		.new_instance = p->new_instance,
		.modules = mods,
		.nmodules = (size_t)p->nmods,
	};
	char *json;
	size_t len;
	int rc;

	for (int i = 0; i < p->nmods; i++)
		mods[i] = (struct status_module){
			.name = p->mods[i].name,
			.result = result_name(p->mods[i].result),
			.messages = p->mods[i].msgs,
			.nmessages = (size_t)p->mods[i].nmsgs,
		};
	if (status_doc_gen(&d, &json, &len) != 0)
		return -1;
	rc = root_write(p, STATE_DIR "/status.json", json, len, 0644, 0, 0);
	free(json);
	return rc;
}
