/* berth update status: what is in each slot and what boots next; berth
 * update rollback: mark the booted UKI bad so that the other slot boots. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "berth.h"
#include "host.h"

struct slot_view {
	char slot;
	char version[64]; /* "" when unknown */
	int esp_ok;       /* the ESP was read */
	const struct esp_uki *uki;
};

/* the one berth UKI whose version is not the booted one */
static const struct esp_uki *uki_other(const struct update_ctx *c)
{
	const struct esp_uki *found = NULL;

	for (size_t i = 0; i < c->nuki; i++) {
		const struct esp_uki *u = &c->uki[i];

		if (!u->parsed || u->tmp || strcmp(u->n.version, c->version) == 0)
			continue;
		if (found)
			return NULL;
		found = u;
	}
	return found;
}

/* a slot's version: the booted one, the record of the last install, or
 * (no record: installed by the disk image) the other UKI on the ESP */
static void slot_view(const struct update_ctx *c, char slot, int esp_ok, struct slot_view *v)
{
	const struct esp_uki *other;

	memset(v, 0, sizeof *v);
	v->slot = slot;
	v->esp_ok = esp_ok;
	if (slot == c->booted)
		snprintf(v->version, sizeof v->version, "%s", c->version);
	else if (slot_version_read(c, slot, v->version, sizeof v->version) != 0 && c->booted && esp_ok &&
		 (other = uki_other(c)))
		snprintf(v->version, sizeof v->version, "%s", other->n.version);
	if (esp_ok && v->version[0])
		v->uki = esp_find(c, v->version);
}

static void slot_state(const struct slot_view *v, char *buf, size_t size)
{
	if (v->uki)
		uki_state_str(&v->uki->n, buf, size);
	else if (!v->esp_ok)
		snprintf(buf, size, "unknown (the ESP is not readable)");
	else
		snprintf(buf, size, v->version[0] ? "no UKI" : "empty");
}

static void record_print(const struct update_ctx *c, const char *what, const char *name)
{
	struct update_record r;
	char when[64];

	if (record_read(c, name, &r) != 0) {
		printf("%s: none\n", what);
		return;
	}
	update_time_str(r.time, when, sizeof when);
	if (strcmp(r.result, "running") == 0 && !update_locked(c))
		snprintf(r.result, sizeof r.result, "interrupted");
	printf("%s: %s, %s", what, r.result, when);
	if (r.version[0])
		printf(", Berth %s", r.version);
	if (r.slot[0])
		printf(", slot %s", r.slot);
	if (r.source[0])
		printf(", from %s", r.source);
	if (r.error[0])
		printf(": %s", r.error);
	printf("\n");
}

static void status_text(const struct update_ctx *c, const struct slot_view *v, const struct esp_uki *next)
{
	char state[64];

	if (c->booted)
		printf("booted: slot %c, Berth %s\n", c->booted, c->version);
	else
		printf("booted: unknown slot, Berth %s\n", c->version);
	for (int i = 0; i < 2; i++) {
		slot_state(&v[i], state, sizeof state);
		printf("slot %c: ", v[i].slot);
		if (v[i].version[0])
			printf("Berth %s, ", v[i].version);
		printf("%s", state);
		if (v[i].uki)
			printf(", %s", v[i].uki->name);
		if (v[i].slot == c->booted)
			printf(" (booted)");
		if (next && v[i].uki == next)
			printf(" (boots next)");
		printf("\n");
	}
	record_print(c, "last update", "last");
	record_print(c, "last check", "check");
}

static void jstr(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

static void kstr(yajl_gen g, const char *k, const char *v)
{
	jstr(g, k);
	jstr(g, v && *v ? v : NULL);
}

static void jrecord(yajl_gen g, const struct update_ctx *c, const char *key, const char *name)
{
	struct update_record r;

	jstr(g, key);
	if (record_read(c, name, &r) != 0) {
		yajl_gen_null(g);
		return;
	}
	if (strcmp(r.result, "running") == 0 && !update_locked(c))
		snprintf(r.result, sizeof r.result, "interrupted");
	yajl_gen_map_open(g);
	kstr(g, "result", r.result);
	jstr(g, "time");
	yajl_gen_integer(g, (long long)r.time);
	kstr(g, "version", r.version);
	kstr(g, "slot", r.slot);
	kstr(g, "source", r.source);
	kstr(g, "error", r.error);
	yajl_gen_map_close(g);
}

static void jslot(yajl_gen g, const struct update_ctx *c, const struct slot_view *v, const struct esp_uki *next)
{
	char slot[2] = { v->slot, '\0' };
	const char *state = v->uki ? (!v->uki->n.counted ? "good" : v->uki->n.left ? "trial" : "bad") :
			    !v->esp_ok ? "unknown" : v->version[0] ? "no-uki" : "empty";

	yajl_gen_map_open(g);
	kstr(g, "slot", slot);
	kstr(g, "version", v->version[0] ? v->version : NULL);
	kstr(g, "state", state);
	jstr(g, "tries_left");
	if (v->uki && v->uki->n.counted)
		yajl_gen_integer(g, v->uki->n.left);
	else
		yajl_gen_null(g);
	kstr(g, "uki", v->uki ? v->uki->name : NULL);
	jstr(g, "booted");
	yajl_gen_bool(g, v->slot == c->booted);
	jstr(g, "boots_next");
	yajl_gen_bool(g, next && v->uki == next);
	yajl_gen_map_close(g);
}

static void status_json(const struct update_ctx *c, const struct slot_view *v, const struct esp_uki *next)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	char slot[2] = { c->booted, '\0' };
	const unsigned char *buf;
	size_t len;

	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	jstr(g, "booted");
	yajl_gen_map_open(g);
	kstr(g, "slot", c->booted ? slot : NULL);
	kstr(g, "version", c->version);
	yajl_gen_map_close(g);
	jstr(g, "slots");
	yajl_gen_array_open(g);
	jslot(g, c, &v[0], next);
	jslot(g, c, &v[1], next);
	yajl_gen_array_close(g);
	jrecord(g, c, "last_update", "last");
	jrecord(g, c, "last_check", "check");
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, stdout);
	yajl_gen_free(g);
}

/* the one flag subcommand sub takes: 1 if given */
static int flag_arg(int argc, char **argv, const char *sub, const char *flag)
{
	int set = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], flag) != 0)
			usage_error("update", "%s: unknown argument %s", sub, argv[i]);
		set = 1;
	}
	return set;
}

int update_status(int argc, char **argv)
{
	struct update_ctx c;
	struct slot_view v[2];
	int json = flag_arg(argc, argv, "status", "--json"), esp_ok;

	update_ctx_init(&c);
	if (update_booted(&c, 0) != 0)
		return 1;
	esp_ok = esp_open(&c) == 0;
	slot_view(&c, 'a', esp_ok, &v[0]);
	slot_view(&c, 'b', esp_ok, &v[1]);
	if (json)
		status_json(&c, v, esp_ok ? esp_next(&c) : NULL);
	else
		status_text(&c, v, esp_ok ? esp_next(&c) : NULL);
	esp_close(&c);
	return esp_ok ? 0 : 1;
}

static int rollback_target(struct update_ctx *c, const struct esp_uki **to)
{
	struct slot_view v;
	char other = c->booted == 'a' ? 'b' : 'a', state[64];

	slot_view(c, other, 1, &v);
	*to = v.uki;
	if (!v.uki)
		return update_err(c, "slot %c has no UKI in %s: nothing to roll back to", other, c->linux_dir);
	if (v.uki->n.counted) {
		uki_state_str(&v.uki->n, state, sizeof state);
		return update_err(c, "slot %c (%s) is %s, not known good: nothing to roll back to", other,
				  v.uki->name, state);
	}
	return 0;
}

int update_rollback(int argc, char **argv)
{
	const struct esp_uki *booted, *to;
	struct update_ctx c;
	char bad[256];
	int reboot = flag_arg(argc, argv, "rollback", "--reboot"), rc = 1;

	update_ctx_init(&c);
	if (update_lock(&c) != 0 || update_booted(&c, 1) != 0 || esp_open(&c) != 0)
		goto out;
	booted = esp_find(&c, c.version);
	if (!booted) {
		update_err(&c, "ESP: no UKI of the booted version %s in %s", c.version, c.linux_dir);
		goto out;
	}
	if (rollback_target(&c, &to) != 0 || esp_mark_bad(&c, booted, bad, sizeof bad) != 0)
		goto out;
	printf("update: %s marked bad (now %s); next boot: slot %c, Berth %s (%s)\n", booted->name, bad,
	       c.booted == 'a' ? 'b' : 'a', to->n.version, to->name);
	rc = 0;
	if (reboot && kill(1, SIGTERM) != 0)
		rc = update_err(&c, "reboot: signal PID 1: %s", strerror(errno));
out:
	esp_close(&c);
	return rc;
}
