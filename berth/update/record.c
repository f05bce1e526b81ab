/* $BERTH_ROOT/update/: plain files a person can cat. "last" is the last
 * `update apply`, "check" the last boot check (key=value lines); slot-a and
 * slot-b hold the version last installed in each slot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "host.h"

static void copy_line(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v);
	for (; *dst; dst++)
		if (*dst == '\n' || *dst == '\r')
			*dst = ' ';
}

int record_read(const struct update_ctx *c, const char *name, struct update_record *r)
{
	char path[UPD_PATH_MAX], buf[4096], *line, *save;

	memset(r, 0, sizeof *r);
	upath(path, sizeof path, "%s/%s", c->state, name);
	if (file_read(path, buf, sizeof buf) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "result") == 0)
			copy_line(r->result, sizeof r->result, v);
		else if (strcmp(line, "time") == 0)
			r->time = (time_t)atoll(v);
		else if (strcmp(line, "version") == 0)
			copy_line(r->version, sizeof r->version, v);
		else if (strcmp(line, "slot") == 0)
			copy_line(r->slot, sizeof r->slot, v);
		else if (strcmp(line, "source") == 0)
			copy_line(r->source, sizeof r->source, v);
		else if (strcmp(line, "error") == 0)
			copy_line(r->error, sizeof r->error, v);
	}
	return r->result[0] ? 0 : -1;
}

int record_write(const struct update_ctx *c, const char *name, const struct update_record *r)
{
	char path[UPD_PATH_MAX], buf[4096], source[sizeof r->source], error[sizeof r->error];
	int n;

	upath(path, sizeof path, "%s/%s", c->state, name);
	copy_line(source, sizeof source, r->source);
	copy_line(error, sizeof error, r->error);
	n = snprintf(buf, sizeof buf, "result=%s\ntime=%lld\nversion=%s\nslot=%s\nsource=%s\nerror=%s\n",
		     r->result, (long long)r->time, r->version, r->slot, source, error);
	if (n < 0 || (size_t)n >= sizeof buf || mkdir_p(c->state, 0755) != 0 ||
	    file_write_atomic(path, buf, (size_t)n, 0644) != 0) {
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
