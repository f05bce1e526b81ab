/* status-doc-write.c, status-doc-read.c: status.json, what provisioning did
 * on this boot. provision writes it (yajl_gen), `berth status` reads it
 * (yajl_tree); both through this one definition of its fields. */
#ifndef BERTH_STATUS_DOC_H
#define BERTH_STATUS_DOC_H

#include <stddef.h>

#include "err.h"

/* the document, in the order written:
 *   key                  JSON type          member
 *   datasource           string             datasource
 *   instance_id          string             instance_id
 *   new_instance         true or false      new_instance
 *   modules              array of objects   modules, nmodules
 *     name               string             .name
 *     result             ok|skipped|error   .result
 *     messages           array of strings   .messages, .nmessages
 * Other keys are ignored when read. */
#define SD_DATASOURCE "datasource"
#define SD_INSTANCE_ID "instance_id"
#define SD_NEW_INSTANCE "new_instance"
#define SD_MODULES "modules"
#define SD_NAME "name"
#define SD_RESULT "result"
#define SD_MESSAGES "messages"

/* a module's result: these words and no others */
#define SD_OK "ok"
#define SD_SKIPPED "skipped"
#define SD_ERROR "error"

#define STATUS_DOC_MAX (1u << 20) /* the file, as read */

struct status_module {
	const char *name;
	const char *result;
	char **messages; /* a NULL message is written as "" */
	size_t nmessages;
};
struct status_doc {
	const char *datasource;
	const char *instance_id;
	int new_instance;
	struct status_module *modules;
	size_t nmodules;
	void *tree; /* read: the parsed document, which holds the strings */
};

/* the document as JSON text in a malloc'd buffer, ending in a newline;
 * 0, or -1 with errno set */
int status_doc_gen(const struct status_doc *d, char **out, size_t *len);
/* buf (len bytes) into d, every field checked; what names the file in
 * errors, which name the key too. 0, or -1 and e filled */
int status_doc_parse(const char *buf, size_t len, const char *what, struct status_doc *d, struct err *e);
/* what status_doc_parse allocated */
void status_doc_free(struct status_doc *d);

#endif
