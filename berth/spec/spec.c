/* config.json for crun: the image's config overlaid by the definition, the
 * way Docker combines them, inside Docker's hardened defaults. Keys are
 * written in a fixed order so the output can be compared with a golden
 * file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "spec.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CPU_PERIOD 100000

/* Docker's default capability set */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL
};

/* Docker's masked and read-only paths */
static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap", NULL
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL
};

/* the character devices crun creates on /dev: null zero full random
 * urandom tty console ptmx, and the pty slaves */
static const struct {
	long long major, minor; /* minor -1: all */
} devices[] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 }, { 5, 1 }, { 5, 2 }, { 136, -1 } };

struct image_config {
	yajl_val root;
	yajl_val entrypoint, cmd, env; /* arrays or NULL */
	const char *working_dir, *user, *stop_signal;
};

static void str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void kstr(yajl_gen g, const char *k, const char *v)
{
	str(g, k);
	str(g, v);
}

static void kint(yajl_gen g, const char *k, long long v)
{
	str(g, k);
	yajl_gen_integer(g, v);
}

static void kbool(yajl_gen g, const char *k, int v)
{
	str(g, k);
	yajl_gen_bool(g, v);
}

static void strs(yajl_gen g, const char *k, const char *const *v)
{
	str(g, k);
	yajl_gen_array_open(g);
	for (; *v; v++)
		str(g, *v);
	yajl_gen_array_close(g);
}

static yajl_val obj_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

static int strings_ok(yajl_val a)
{
	if (!a || YAJL_IS_NULL(a))
		return 1;
	if (!YAJL_IS_ARRAY(a))
		return 0;
	for (size_t i = 0; i < a->u.array.len; i++)
		if (!YAJL_IS_STRING(a->u.array.values[i]))
			return 0;
	return 1;
}

static const char *string_or_null(yajl_val v, int *bad)
{
	if (!v || YAJL_IS_NULL(v))
		return NULL;
	if (!YAJL_IS_STRING(v)) {
		*bad = 1;
		return NULL;
	}
	return YAJL_GET_STRING(v);
}

static int image_config_parse(const char *name, const struct spec_input *in, struct image_config *ic)
{
	char errbuf[256], *text;
	yajl_val cfg;
	int bad = 0;

	memset(ic, 0, sizeof *ic);
	if (!in->image_config)
		return 0;
	if (in->image_config_len > SPEC_IMAGE_CONFIG_MAX_BYTES) {
		fprintf(stderr, "%s: image config larger than %d bytes\n", name, SPEC_IMAGE_CONFIG_MAX_BYTES);
		return -1;
	}
	if (!(text = strndup(in->image_config, in->image_config_len)))
		return -1;
	ic->root = yajl_tree_parse(text, errbuf, sizeof errbuf);
	free(text);
	if (!ic->root || !YAJL_IS_OBJECT(ic->root)) {
		fprintf(stderr, "%s: image config: %s\n", name, ic->root ? "expected an object" : errbuf);
		return -1;
	}
	cfg = obj_get(ic->root, "config");
	if (cfg && !YAJL_IS_NULL(cfg) && !YAJL_IS_OBJECT(cfg))
		bad = 1;
	ic->entrypoint = obj_get(cfg, "Entrypoint");
	ic->cmd = obj_get(cfg, "Cmd");
	ic->env = obj_get(cfg, "Env");
	ic->working_dir = string_or_null(obj_get(cfg, "WorkingDir"), &bad);
	ic->user = string_or_null(obj_get(cfg, "User"), &bad);
	ic->stop_signal = string_or_null(obj_get(cfg, "StopSignal"), &bad);
	if (bad || !strings_ok(ic->entrypoint) || !strings_ok(ic->cmd) || !strings_ok(ic->env)) {
		fprintf(stderr, "%s: image config: config.Entrypoint, Cmd and Env must be lists of strings, WorkingDir, User and StopSignal strings\n",
			name);
		return -1;
	}
	return 0;
}

static int push_json(struct strv *v, yajl_val a)
{
	if (!a || !YAJL_IS_ARRAY(a))
		return 0;
	for (size_t i = 0; i < a->u.array.len; i++)
		if (strv_push(v, YAJL_GET_STRING(a->u.array.values[i])) != 0)
			return -1;
	return 0;
}

static int push_strv(struct strv *v, const struct strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (strv_push(v, src->v[i]) != 0)
			return -1;
	return 0;
}

/* Docker's rule: a definition's entrypoint drops the image's Cmd as well;
 * a definition's command replaces only the image's Cmd */
static int process_args(const struct container_def *d, const struct image_config *ic, struct strv *args)
{
	if (d->has_entrypoint) {
		if (push_strv(args, &d->entrypoint) != 0 || push_strv(args, &d->command) != 0)
			return -1;
		return 0;
	}
	if (push_json(args, ic->entrypoint) != 0)
		return -1;
	return d->has_command ? push_strv(args, &d->command) : push_json(args, ic->cmd);
}

/* KEY=VALUE into env, replacing KEY where it is already set */
static int env_overlay(struct strv *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->v[i], kv, klen) == 0 && (env->v[i][klen] == '=' || !env->v[i][klen])) {
			char *dup = strdup(kv);

			if (!dup)
				return -1;
			free(env->v[i]);
			env->v[i] = dup;
			return 0;
		}
	}
	return strv_push(env, kv);
}

static int env_has(const struct strv *env, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=')
			return 1;
	return 0;
}

static int process_env(const struct container_def *d, const struct image_config *ic, struct strv *env)
{
	char host[128];

	if (push_json(env, ic->env) != 0)
		return -1;
	for (size_t i = 0; i < d->env.n; i++)
		if (env_overlay(env, d->env.v[i]) != 0)
			return -1;
	if (!env_has(env, "PATH") && strv_push(env, DEFAULT_PATH) != 0)
		return -1;
	if (!env_has(env, "HOSTNAME")) {
		snprintf(host, sizeof host, "HOSTNAME=%s", d->name);
		if (strv_push(env, host) != 0)
			return -1;
	}
	return 0;
}

/* Docker's arithmetic: add ALL = every cap minus drops; drop ALL = only the
 * adds; otherwise the default set minus drops plus adds. In table order. */
static void caps_compute(const struct container_def *d, const char **out, size_t *n)
{
	int add_all = 0, drop_all = 0;

	for (size_t i = 0; i < d->cap_add.n; i++)
		add_all |= strcmp(d->cap_add.v[i], "ALL") == 0;
	for (size_t i = 0; i < d->cap_drop.n; i++)
		drop_all |= strcmp(d->cap_drop.v[i], "ALL") == 0;
	*n = 0;
	for (const char *const *c = compose_cap_names; *c; c++) {
		int on = 0;

		if (add_all) {
			on = 1;
		} else if (!drop_all) {
			for (const char *const *dc = default_caps; *dc; dc++)
				on |= strcmp(*dc, *c) == 0;
		}
		if (!add_all)
			for (size_t i = 0; i < d->cap_add.n; i++)
				on |= strcmp(d->cap_add.v[i], *c) == 0;
		if (!drop_all || add_all)
			for (size_t i = 0; i < d->cap_drop.n; i++)
				if (strcmp(d->cap_drop.v[i], *c) == 0)
					on = 0;
		if (on)
			out[(*n)++] = *c;
	}
	out[*n] = NULL;
}

static void mount_entry(yajl_gen g, const char *dst, const char *type, const char *src,
			const char *const *opts)
{
	yajl_gen_map_open(g);
	kstr(g, "destination", dst);
	kstr(g, "type", type);
	kstr(g, "source", src);
	strs(g, "options", opts);
	yajl_gen_map_close(g);
}

/* a tmpfs: entry, "PATH[:OPTIONS]" (compose.c checked them), with docker's
 * --tmpfs defaults: nosuid, nodev, noexec unless "exec" is given */
static void tmpfs_entry(yajl_gen g, const char *spec)
{
	char path[4096], opts[256], *save = NULL;
	const char *v[24];
	size_t n = 0;
	const char *colon = strchr(spec, ':');
	int exec = 0;

	snprintf(path, sizeof path, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	snprintf(opts, sizeof opts, "%s", colon ? colon + 1 : "");
	v[n++] = "nosuid";
	v[n++] = "nodev";
	for (char *o = strtok_r(opts, ",", &save); o && n < 22; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "exec") == 0)
			exec = 1;
		else if (strcmp(o, "noexec") != 0 && strcmp(o, "nosuid") != 0 && strcmp(o, "nodev") != 0)
			v[n++] = o;
	}
	if (!exec)
		v[n++] = "noexec";
	v[n] = NULL;
	mount_entry(g, path, "tmpfs", "tmpfs", v);
}

static void mounts(yajl_gen g, const struct spec_input *in)
{
	static const char *const proc[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
	static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
					   "mode=0620", "gid=5", NULL };
	static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const mq[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
	static const char *const bind_ro[] = { "rbind", "rprivate", "nosuid", "nodev", "ro", NULL };
	static const char *const bind_rw[] = { "rbind", "rprivate", "nosuid", "nodev", "rw", NULL };
	static const char *const vol_ro[] = { "rbind", "rprivate", "ro", NULL };
	static const char *const vol_rw[] = { "rbind", "rprivate", "rw", NULL };
	const struct container_def *d = in->def;
	const char *const *etc = d->read_only ? bind_ro : bind_rw;

	str(g, "mounts");
	yajl_gen_array_open(g);
	mount_entry(g, "/proc", "proc", "proc", proc);
	mount_entry(g, "/dev", "tmpfs", "tmpfs", dev);
	mount_entry(g, "/dev/pts", "devpts", "devpts", pts);
	if (d->shm_size) {
		char size[40];
		const char *shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", size, NULL };
		snprintf(size, sizeof size, "size=%lldk", (d->shm_size + 1023) / 1024);
		mount_entry(g, "/dev/shm", "tmpfs", "shm", shm_opts);
	} else {
		mount_entry(g, "/dev/shm", "tmpfs", "shm", shm);
	}
	mount_entry(g, "/dev/mqueue", "mqueue", "mqueue", mq);
	mount_entry(g, "/sys", "sysfs", "sysfs", sys);
	mount_entry(g, "/sys/fs/cgroup", "cgroup2", "cgroup", cg);
	if (in->resolv)
		mount_entry(g, "/etc/resolv.conf", "bind", in->resolv, etc);
	if (in->hosts)
		mount_entry(g, "/etc/hosts", "bind", in->hosts, etc);
	if (in->hostname_file)
		mount_entry(g, "/etc/hostname", "bind", in->hostname_file, etc);
	for (size_t i = 0; i < d->nvolumes; i++)
		mount_entry(g, d->volumes[i].target, "bind", d->volumes[i].source,
			    d->volumes[i].read_only ? vol_ro : vol_rw);
	for (size_t i = 0; i < d->tmpfs.n; i++)
		tmpfs_entry(g, d->tmpfs.v[i]);
	yajl_gen_array_close(g);
}

static void ulimit_value(yajl_gen g, long long v)
{
	char n[32];

	snprintf(n, sizeof n, "%llu", v < 0 ? 18446744073709551615ull : (unsigned long long)v);
	yajl_gen_number(g, n, strlen(n));
}

static void process(yajl_gen g, const struct container_def *d, const struct strv *args, const struct strv *env,
		    const char *cwd, const struct spec_user *u, const char *const *caps)
{
	static const char *const none[] = { NULL };

	str(g, "process");
	yajl_gen_map_open(g);
	kbool(g, "terminal", 0);
	str(g, "user");
	yajl_gen_map_open(g);
	kint(g, "uid", u->uid);
	kint(g, "gid", u->gid);
	if (u->ngids) {
		str(g, "additionalGids");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < u->ngids; i++)
			yajl_gen_integer(g, u->gids[i]);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	strs(g, "args", (const char *const *)args->v);
	strs(g, "env", (const char *const *)env->v);
	kstr(g, "cwd", cwd);
	str(g, "capabilities");
	yajl_gen_map_open(g);
	strs(g, "bounding", caps);
	strs(g, "effective", caps);
	strs(g, "permitted", caps);
	strs(g, "inheritable", none);
	strs(g, "ambient", none);
	yajl_gen_map_close(g);
	kbool(g, "noNewPrivileges", 1);
	if (d->nulimits) {
		str(g, "rlimits");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < d->nulimits; i++) {
			char type[32];
			snprintf(type, sizeof type, "RLIMIT_%s", d->ulimits[i].name);
			for (char *p = type; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			yajl_gen_map_open(g);
			kstr(g, "type", type);
			/* -1: RLIM_INFINITY, all ones */
			str(g, "hard");
			ulimit_value(g, d->ulimits[i].hard);
			str(g, "soft");
			ulimit_value(g, d->ulimits[i].soft);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
}

static void resources(yajl_gen g, const struct container_def *d)
{
	str(g, "resources");
	yajl_gen_map_open(g);
	str(g, "devices");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kbool(g, "allow", 0);
	kstr(g, "access", "rwm");
	yajl_gen_map_close(g);
	for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
		yajl_gen_map_open(g);
		kbool(g, "allow", 1);
		kstr(g, "type", "c");
		kint(g, "major", devices[i].major);
		if (devices[i].minor >= 0)
			kint(g, "minor", devices[i].minor);
		kstr(g, "access", "rwm");
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (d->mem_limit || d->mem_reservation) {
		str(g, "memory");
		yajl_gen_map_open(g);
		if (d->mem_limit)
			kint(g, "limit", d->mem_limit);
		/* cgroup v2's memory.low, as crun maps it */
		if (d->mem_reservation)
			kint(g, "reservation", d->mem_reservation);
		yajl_gen_map_close(g);
	}
	if (d->cpus > 0) {
		str(g, "cpu");
		yajl_gen_map_open(g);
		kint(g, "quota", (long long)(d->cpus * CPU_PERIOD + 0.5));
		kint(g, "period", CPU_PERIOD);
		yajl_gen_map_close(g);
	}
	if (d->pids_limit) {
		str(g, "pids");
		yajl_gen_map_open(g);
		kint(g, "limit", d->pids_limit);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

static void linux_section(yajl_gen g, const struct container_def *d, const char *const *caps, size_t ncaps)
{
	static const char *const ns[] = { "pid", "mount", "uts", "ipc", "network", "cgroup" };
	char cgpath[128];

	str(g, "linux");
	yajl_gen_map_open(g);
	snprintf(cgpath, sizeof cgpath, "berth/%s", d->name);
	kstr(g, "cgroupsPath", cgpath);
	resources(g, d);
	str(g, "namespaces");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		/* host networking: the container shares the host's netns */
		if (d->network_mode == NETWORK_HOST && strcmp(ns[i], "network") == 0)
			continue;
		/* pid: host, ipc: host */
		if ((d->pid_host && strcmp(ns[i], "pid") == 0) || (d->ipc_host && strcmp(ns[i], "ipc") == 0))
			continue;
		yajl_gen_map_open(g);
		kstr(g, "type", ns[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	/* as Docker: with a netns of its own a container may bind low ports
	 * without CAP_NET_BIND_SERVICE; the host's setting is not ours to change */
	if (d->network_mode != NETWORK_HOST || d->sysctls.n) {
		int port_start = 0;
		str(g, "sysctl");
		yajl_gen_map_open(g);
		/* the definition's sysctls (namespaced ones: compose.c), then
		 * Docker's low-port one unless the definition sets it */
		for (size_t i = 0; i < d->sysctls.n; i++) {
			const char *eq = strchr(d->sysctls.v[i], '=');
			yajl_gen_string(g, (const unsigned char *)d->sysctls.v[i], (size_t)(eq - d->sysctls.v[i]));
			str(g, eq + 1);
			port_start |= strncmp(d->sysctls.v[i], "net.ipv4.ip_unprivileged_port_start=", 36) == 0;
		}
		if (d->network_mode != NETWORK_HOST && !port_start)
			kstr(g, "net.ipv4.ip_unprivileged_port_start", "0");
		yajl_gen_map_close(g);
	}
	strs(g, "maskedPaths", masked_paths);
	strs(g, "readonlyPaths", readonly_paths);
	spec_seccomp(g, caps, ncaps);
	yajl_gen_map_close(g);
}

int spec_generate(const struct spec_input *in, char **json, size_t *len)
{
	const struct container_def *d = in->def;
	const char *name = d->name, *caps[64];
	struct image_config ic;
	struct strv args = { 0 }, env = { 0 };
	struct spec_user u;
	const char *cwd, *user;
	const unsigned char *buf;
	char err[256];
	size_t ncaps, blen;
	yajl_gen g = NULL;
	int rootfd = -1, r = -1;

	*json = NULL;
	*len = 0;
	if (image_config_parse(name, in, &ic) != 0)
		goto out;
	if (process_args(d, &ic, &args) != 0 || process_env(d, &ic, &env) != 0) {
		fprintf(stderr, "%s: out of memory\n", name);
		goto out;
	}
	if (args.n == 0) {
		fprintf(stderr, "%s: no command: neither the definition nor the image gives an entrypoint or command\n",
			name);
		goto out;
	}
	cwd = d->working_dir ? d->working_dir : ic.working_dir && *ic.working_dir ? ic.working_dir : "/";
	if (cwd[0] != '/') {
		fprintf(stderr, "%s: image config: WorkingDir \"%s\" is not absolute\n", name, cwd);
		goto out;
	}
	user = d->user ? d->user : ic.user;
	rootfd = open(in->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fprintf(stderr, "%s: rootfs %s: %s\n", name, in->rootfs, strerror(errno));
		goto out;
	}
	if (spec_user_resolve(rootfd, user, &u, err, sizeof err) != 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		goto out;
	}
	caps_compute(d, caps, &ncaps);
	if (!(g = yajl_gen_alloc(NULL)))
		goto out;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_map_open(g);
	kstr(g, "ociVersion", "1.0.2");
	process(g, d, &args, &env, cwd, &u, caps);
	str(g, "root");
	yajl_gen_map_open(g);
	kstr(g, "path", in->rootfs);
	kbool(g, "readonly", d->read_only);
	yajl_gen_map_close(g);
	kstr(g, "hostname", d->hostname ? d->hostname : name);
	mounts(g, in);
	/* what the supervisor needs and runtime-spec has no field for */
	str(g, "annotations");
	yajl_gen_map_open(g);
	kstr(g, "org.opencontainers.image.stopSignal", ic.stop_signal ? ic.stop_signal : "SIGTERM");
	yajl_gen_map_close(g);
	linux_section(g, d, caps, ncaps);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &blen) != yajl_gen_status_ok)
		goto out;
	if (!(*json = malloc(blen + 1)))
		goto out;
	memcpy(*json, buf, blen);
	(*json)[blen] = 0;
	*len = blen;
	r = 0;
out:
	if (g)
		yajl_gen_free(g);
	if (rootfd >= 0)
		close(rootfd);
	strv_free(&args);
	strv_free(&env);
	yajl_tree_free(ic.root);
	return r;
}
