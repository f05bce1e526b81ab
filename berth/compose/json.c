/* A parsed definition as JSON, keys in a fixed order: what
 * `berth compose-check` prints and the golden files compare. */
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "compose.h"

static void str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void kstr(yajl_gen g, const char *k, const char *v)
{
	str(g, k);
	if (v)
		str(g, v);
	else
		yajl_gen_null(g);
}

static void kint(yajl_gen g, const char *k, long long v)
{
	str(g, k);
	yajl_gen_integer(g, v);
}

static void kstrv(yajl_gen g, const char *k, const struct strv *v)
{
	str(g, k);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < v->n; i++)
		str(g, v->v[i]);
	yajl_gen_array_close(g);
}

/* key: a map of "KEY=VALUE" strings */
static void kkv(yajl_gen g, const char *key, const struct strv *v)
{
	str(g, key);
	yajl_gen_map_open(g);
	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');
		yajl_gen_string(g, (const unsigned char *)v->v[i], (size_t)(eq - v->v[i]));
		str(g, eq + 1);
	}
	yajl_gen_map_close(g);
}

int compose_json(yajl_gen g, const struct container_def *d)
{
	static const char *const restart[] = { "no", "always", "on-failure", "unless-stopped" };
	static const char *const net[] = { "bridge", "host", "none" };
	static const char *const pull[] = { "missing", "always", "never" };
	static const char *const health[] = { "unset", "none", "cmd", "shell" };
	char num[32], sig[16];

	yajl_gen_map_open(g);
	kstr(g, "name", d->name);
	kstr(g, "image", d->image);
	if (d->has_entrypoint)
		kstrv(g, "entrypoint", &d->entrypoint);
	if (d->has_command)
		kstrv(g, "command", &d->command);
	kstrv(g, "environment", &d->env);
	str(g, "ports");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < d->nports; i++) {
		yajl_gen_map_open(g);
		kstr(g, "host_ip", d->ports[i].host_ip);
		kint(g, "host_port", d->ports[i].host_port);
		if (d->ports[i].host_port_end)
			kint(g, "host_port_end", d->ports[i].host_port_end);
		kint(g, "container_port", d->ports[i].container_port);
		kstr(g, "protocol", d->ports[i].proto);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	str(g, "volumes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < d->nvolumes; i++) {
		yajl_gen_map_open(g);
		kstr(g, "type", d->volumes[i].name ? "volume" : "bind");
		if (d->volumes[i].name)
			kstr(g, "name", d->volumes[i].name);
		kstr(g, "source", d->volumes[i].source);
		kstr(g, "target", d->volumes[i].target);
		str(g, "read_only");
		yajl_gen_bool(g, d->volumes[i].read_only);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	kstr(g, "restart", restart[d->restart]);
	if (d->restart == RESTART_ON_FAILURE)
		kint(g, "restart_max", d->restart_max);
	kint(g, "mem_limit", d->mem_limit);
	/* printed as text: a double's digits differ across libcs */
	snprintf(num, sizeof num, "%.2f", d->cpus);
	str(g, "cpus");
	yajl_gen_number(g, num, strlen(num));
	kint(g, "pids_limit", d->pids_limit);
	kstr(g, "user", d->user);
	kstr(g, "working_dir", d->working_dir);
	str(g, "read_only");
	yajl_gen_bool(g, d->read_only);
	kstrv(g, "cap_add", &d->cap_add);
	kstrv(g, "cap_drop", &d->cap_drop);
	kstr(g, "network_mode", net[d->network_mode]);
	kstr(g, "pull_policy", pull[d->pull]);
	str(g, "healthcheck");
	yajl_gen_map_open(g);
	kstr(g, "kind", health[d->health.kind]);
	kstrv(g, "test", &d->health.test);
	kint(g, "interval_ms", d->health.interval_ms);
	kint(g, "timeout_ms", d->health.timeout_ms);
	kint(g, "start_period_ms", d->health.start_period_ms);
	kint(g, "retries", d->health.retries);
	yajl_gen_map_close(g);
	kstr(g, "stop_signal", d->stop_signal ? compose_signal_name(d->stop_signal, sig, sizeof sig) : NULL);
	kint(g, "stop_grace_period_ms", d->stop_grace_ms);
	str(g, "depends_on");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < d->ndepends; i++)
		kstr(g, d->depends[i].service, d->depends[i].condition);
	yajl_gen_map_close(g);
	/* only when given, as restart_max */
	if (d->hostname)
		kstr(g, "hostname", d->hostname);
	if (d->mem_reservation)
		kint(g, "mem_reservation", d->mem_reservation);
	if (d->shm_size)
		kint(g, "shm_size", d->shm_size);
	if (d->tmpfs.n)
		kstrv(g, "tmpfs", &d->tmpfs);
	if (d->labels.n)
		kkv(g, "labels", &d->labels);
	if (d->expose.n)
		kstrv(g, "expose", &d->expose);
	if (d->dns.n)
		kstrv(g, "dns", &d->dns);
	if (d->dns_search.n)
		kstrv(g, "dns_search", &d->dns_search);
	if (d->dns_opt.n)
		kstrv(g, "dns_opt", &d->dns_opt);
	if (d->extra_hosts.n)
		kstrv(g, "extra_hosts", &d->extra_hosts);
	if (d->log_max_size)
		kint(g, "log_max_size", d->log_max_size);
	if (d->log_max_file)
		kint(g, "log_max_file", d->log_max_file);
	if (d->pid_host)
		kstr(g, "pid", "host");
	if (d->ipc_host)
		kstr(g, "ipc", "host");
	if (d->sysctls.n)
		kkv(g, "sysctls", &d->sysctls);
	if (d->nulimits) {
		str(g, "ulimits");
		yajl_gen_map_open(g);
		for (size_t i = 0; i < d->nulimits; i++) {
			str(g, d->ulimits[i].name);
			yajl_gen_map_open(g);
			kint(g, "soft", d->ulimits[i].soft);
			kint(g, "hard", d->ulimits[i].hard);
			yajl_gen_map_close(g);
		}
		yajl_gen_map_close(g);
	}
	return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
}
