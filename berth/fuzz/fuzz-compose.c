/* libFuzzer target for the container definition parser: lib/yaml-tree.c's
 * tree (depth, alias and node caps) and compose.c's keys, for a service
 * body and for a full compose file (services:). Whatever the bytes,
 * nothing crashes, every service that parses is well-formed (the values
 * the supervisor and spec.c take on trust are in range) and formats to
 * JSON that parses back. The definition is named fuzz.yaml; an env_file
 * names a file relative to the working directory: run it in an empty one.
 *   make out/fuzz/compose-libfuzzer; out/fuzz/compose-main (fuzz-main.c) runs the same
 *   target over files without libFuzzer.
 * Seeds: tests/host/fixtures/compose. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "compose.h"

/* what the last input came to, for fuzz-main.c */
const char *fuzz_result = "";

static void strv_check(const struct strv *s)
{
	if ((s->n == 0) != (s->v == NULL))
		abort();
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i])
			abort();
	if (s->v && s->v[s->n])
		abort();
}

static void def_check(const struct container_def *d)
{
	if (!d->name || !compose_valid_name(d->name) || !d->image || !d->image[0])
		abort();
	strv_check(&d->command);
	strv_check(&d->entrypoint);
	strv_check(&d->env);
	strv_check(&d->cap_add);
	strv_check(&d->cap_drop);
	strv_check(&d->health.test);
	for (size_t i = 0; i < d->env.n; i++)
		if (!strchr(d->env.v[i], '=') || d->env.v[i][0] == '=')
			abort();
	/* ranges count port by port against the cap */
	if (d->nports > COMPOSE_MAX_PORTS || (d->nports == 0) != (d->ports == NULL))
		abort();
	for (size_t i = 0; i < d->nports; i++) {
		const struct port *p = &d->ports[i];

		if (p->container_port < 1 || p->container_port > 65535 || p->host_port > 65535 ||
		    (p->host_port_end && (p->host_port_end <= p->host_port || p->host_port_end > 65535 || !p->host_port)) ||
		    (strcmp(p->proto, "tcp") != 0 && strcmp(p->proto, "udp") != 0) ||
		    !memchr(p->host_ip, '\0', sizeof p->host_ip))
			abort();
	}
	for (size_t i = 0; i < d->nvolumes; i++) {
		const struct volume *v = &d->volumes[i];

		if (!v->source || v->source[0] != '/' || !v->target || v->target[0] != '/')
			abort();
	}
	if (d->restart < RESTART_NO || d->restart > RESTART_UNLESS_STOPPED || d->restart_max < 0 ||
	    d->network_mode < NETWORK_BRIDGE || d->network_mode > NETWORK_NONE)
		abort();
	if (d->mem_limit < 0 || d->cpus < 0 || d->pids_limit < -1 || d->stop_signal < 0 || d->stop_signal > 64 ||
	    d->stop_grace_ms < -1)
		abort();
	switch (d->health.kind) {
	case HEALTH_UNSET:
	case HEALTH_NONE:
		break;
	case HEALTH_SHELL:
		if (d->health.test.n != 1)
			abort();
		break;
	case HEALTH_CMD:
		if (d->health.test.n < 1)
			abort();
		break;
	default:
		abort();
	}
	if (d->health.interval_ms < -1 || d->health.timeout_ms < -1 || d->health.start_period_ms < -1 ||
	    d->health.retries < -1)
		abort();
	for (size_t i = 0; i < d->ndepends; i++) {
		const char *cond = d->depends[i].condition;

		if (!d->depends[i].service || !compose_valid_name(d->depends[i].service) || !cond ||
		    (strcmp(cond, "service_started") != 0 && strcmp(cond, "service_healthy") != 0 &&
		     strcmp(cond, "service_completed_successfully") != 0))
			abort();
	}
}

/* compose-check's JSON of d, parsed back */
static void json_check(const struct container_def *d)
{
	const unsigned char *out;
	char err[256], *text;
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_val v;
	size_t len;

	if (!g)
		abort();
	if (compose_json(g, d) != 0 || yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
		abort();
	text = malloc(len + 1);
	if (!text)
		abort();
	memcpy(text, out, len);
	text[len] = '\0';
	v = yajl_tree_parse(text, err, sizeof err);
	if (!v || !YAJL_IS_OBJECT(v))
		abort();
	yajl_tree_free(v);
	free(text);
	yajl_gen_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_def *defs;
	size_t n;
	int r;

	if (size > COMPOSE_MAX_BYTES)
		return 0;
	r = compose_parse("fuzz.yaml", "fuzz", (const char *)data, size, &defs, &n);
	if (r < 0 || (n > 0) != (defs != NULL))
		abort();
	for (size_t i = 0; i < n; i++) {
		def_check(&defs[i]);
		json_check(&defs[i]);
	}
	fuzz_result = r == 0 ? (n ? "parsed" : "empty") : n ? "parsed in part" : "refused";
	compose_free(defs, n);
	return 0;
}
