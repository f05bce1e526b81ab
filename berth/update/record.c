/* $BERTH_ROOT/update/: plain files a person can cat. "last" is the last
 * `update apply`, "check" the last boot check (key=value lines); slot-a and
 * slot-b hold the version last installed in each slot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "host.h"
#include "kv.h"

/* "last" and "check", in the order they are written */
#define S(f) KV_STRING(struct update_record, f)
static const struct kv_field fields[] = {
	S(result), KV_NUMBER(struct update_record, time, KV_TIME), S(version), S(slot), S(source), S(error),
};
#undef S

int record_read(const struct update_ctx *c, const char *name, struct update_record *r)
{
	char path[UPD_PATH_MAX], buf[4096];
	struct err e = { 0 };

	memset(r, 0, sizeof *r);
	upath(path, sizeof path, "%s/%s", c->state, name);
	if (kv_read(path, buf, sizeof buf, fields, sizeof fields / sizeof fields[0], r, &e) != 0)
		return -1;
	return r->result[0] ? 0 : -1;
}

int record_write(const struct update_ctx *c, const char *name, const struct update_record *r)
{
	char path[UPD_PATH_MAX];

	upath(path, sizeof path, "%s/%s", c->state, name);
	if (mkdir_p(c->state, 0755) != 0 ||
	    kv_write(path, 0644, 1, fields, sizeof fields / sizeof fields[0], r) != 0) {
		warn_errno("update: record %s", path);
		return -1;
	}
	return 0;
}

int slot_version_read(const struct update_ctx *c, char slot, char *buf, size_t size)
{
	char path[UPD_PATH_MAX];
	ssize_t n;

	upath(path, sizeof path, "%s/slot-%c", c->state, slot);
	n = file_read(path, buf, size);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n > 0 && version_valid(buf) ? 0 : -1;
}

int slot_version_write(const struct update_ctx *c, char slot, const char *version)
{
	char path[UPD_PATH_MAX], line[80];
	int n;

	upath(path, sizeof path, "%s/slot-%c", c->state, slot);
	if (!version) {
		if (unlink(path) != 0 && errno != ENOENT) {
			warn_errno("update: %s", path);
			return -1;
		}
		return 0;
	}
	n = snprintf(line, sizeof line, "%s\n", version);
	if (n < 0 || (size_t)n >= sizeof line || mkdir_p(c->state, 0755) != 0 ||
	    file_write_atomic(path, line, (size_t)n, 0644) != 0) {
		warn_errno("update: %s", path);
		return -1;
	}
	return 0;
}
