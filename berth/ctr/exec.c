/* berth ctr-exec NAME: the process runsv supervises for a container. Setup
 * (definition, image, overlay rootfs, config.json, crun create, network,
 * crun start) may fail with a message in the log and the state file; once
 * the container runs this process only waits, forwards the stop signal,
 * escalates to SIGKILL after the grace period and cleans up. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"
#include "net.h"
#include "registry.h"
#include "spec.h"

struct exec_ctx {
	struct ctr_paths p;
	const char *name;
	struct container_def *def;
	struct ctr_state st;
	char dir[CTR_PATH_MAX];    /* $ROOT/containers/NAME */
	char rootfs[CTR_PATH_MAX];
	char bundle[CTR_PATH_MAX];
	char crun_root[CTR_PATH_MAX];
	char *image_config;
	size_t image_config_len;
	int stop_signal;
	int mounted, created, attached;
	struct net_config net;
	struct ctr_health health;
};

static void state_save(struct exec_ctx *c)
{
	if (ctr_state_write(&c->p, c->name, &c->st) < 0)
		warn_errno("write the state of %s", c->name);
}

/* setup failed: say why in the log and the state file */
static int setup_fail(struct exec_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int setup_fail(struct exec_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->st.error, sizeof c->st.error, fmt, ap);
	va_end(ap);
	warn("%s", c->st.error);
	c->st.status = CTR_FAILED;
	c->st.exit_code = 125; /* docker's "the daemon failed" code */
	c->st.finished_at = time(NULL);
	c->st.pid = 0;
	state_save(c);
	return -1;
}

static int crun(struct exec_ctx *c, int quiet, const char *a1, const char *a2, const char *a3,
		const char *a4, const char *a5, const char *a6)
{
	char *argv[10];
	int i = 0;

	argv[i++] = c->p.crun;
	argv[i++] = "--root";
	argv[i++] = c->crun_root;
	const char *rest[] = { a1, a2, a3, a4, a5, a6 };
	for (size_t k = 0; k < 6 && rest[k]; k++)
		argv[i++] = (char *)rest[k];
	argv[i] = NULL;
	return ctr_spawn_wait(argv, quiet);
}

static int sleep_or_stop(const sigset_t *set, long ms);

#define PULL_BACKOFF_MAX_MS 60000 /* between tries: 1 s doubling to this */
#define PULL_NETWORK_WAIT_MS 60000 /* for a route before the first try, at most */

/* the host has a route beyond loopback's and the link-local ones: its
 * network is up far enough to try a registry (at boot, before DHCP has
 * answered, a try could only fail) */
static int network_up(void)
{
	char line[256], iface[64], dest[40];
	FILE *f;
	int up = 0;

	if ((f = fopen("/proc/net/route", "re"))) {
		if (fgets(line, sizeof line, f)) /* the header */
			while (!up && fgets(line, sizeof line, f))
				up = sscanf(line, "%63s", iface) == 1 && strcmp(iface, "lo") != 0;
		fclose(f);
	}
	if (!up && (f = fopen("/proc/net/ipv6_route", "re"))) {
		while (!up && fgets(line, sizeof line, f))
			up = sscanf(line, "%39s %*s %*s %*s %*s %*s %*s %*s %*s %63s", dest, iface) == 2 &&
			     strcmp(iface, "lo") != 0 && strncmp(dest, "fe80", 4) != 0 && strncmp(dest, "ff", 2) != 0;
		fclose(f);
	}
	return up;
}

/* a line for whoever watches the pull: the pull log (ctr-boot shows it on
 * the console) and the container's log */
static void pull_say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pull_say(FILE *out, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (out)
		fprintf(out, "%s\n", line);
	warn("%s", line);
}

/* one try, in a child, so that a stop is answered at once (the pull's
 * own download children die with it): 0 pulled, 1 failed (why says why),
 * -1 stopped */
static int pull_once(struct exec_ctx *c, const sigset_t *set, FILE *out, char *why, size_t size)
{
	int fds[2], status = 0, stopped = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return snprintf(why, size, "pipe: %s", strerror(errno)), 1;
	pid = fork();
	if (pid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return 1;
	}
	if (pid == 0) {
		struct err e = { 0 };

		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		sigprocmask(SIG_UNBLOCK, set, NULL);
		if (registry_pull(c->def->image, out, &e) == 0) {
			if (out)
				fflush(out);
			_exit(0);
		}
		if (out)
			fflush(out);
		if (write(fds[1], e.msg, strlen(e.msg)) < 0) {
			/* the parent says the try failed all the same */
		}
		_exit(1);
	}
	close(fds[1]);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);

		if ((sig == SIGTERM || sig == SIGINT || sig == SIGHUP) && !stopped) {
			stopped = 1;
			kill(pid, SIGTERM);
		}
		if (sig == SIGCHLD || stopped) {
			pid_t w;
			while ((w = waitpid(-1, &status, stopped ? 0 : WNOHANG)) > 0 && w != pid)
				;
			if (w == pid)
				break;
		}
	}
	n = read(fds[0], why, size - 1);
	why[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	if (stopped)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!why[0])
		snprintf(why, size, "the pull ended with %s", WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "an error");
	return 1;
}

/* pull the definition's image into the store, first waiting (a while) for
 * the network, then trying until it is there: a failed try is one line
 * and a backoff of 1 s doubling to 60 s; the state says "pulling" or
 * "retrying". 0 pulled, -1 stopped on the way */
static int image_pull(struct exec_ctx *c, const sigset_t *set)
{
	const char *image = c->def->image;
	char path[CTR_PATH_MAX], why[256];
	long long since = now_ms();
	FILE *out;
	int r = 1;

	ctr_path(path, sizeof path, "%s/containers/%s/pull.log", c->p.run, c->name);
	out = fopen(path, "we");
	if (out)
		setvbuf(out, NULL, _IOLBF, 0);
	snprintf(c->st.pull, sizeof c->st.pull, "pulling");
	c->st.pull_tries = 0;
	state_save(c);
	if (!network_up()) {
		pull_say(out, "waiting for the network to pull %s", image);
		while (!network_up() && now_ms() - since < PULL_NETWORK_WAIT_MS)
			if (sleep_or_stop(set, 250))
				goto stopped;
	}
	for (int tries = 0;;) {
		long ms;

		r = pull_once(c, set, out, why, sizeof why);
		if (r <= 0)
			break;
		tries++;
		ms = tries > 6 ? PULL_BACKOFF_MAX_MS : 1000L << (tries - 1);
		if (ms > PULL_BACKOFF_MAX_MS)
			ms = PULL_BACKOFF_MAX_MS;
		pull_say(out, "pull %s failed (try %d): %s; next try in %ld s", image, tries, why, ms / 1000);
		snprintf(c->st.pull, sizeof c->st.pull, "retrying");
		snprintf(c->st.error, sizeof c->st.error, "pull %.100s: %.140s", image, why);
		c->st.pull_tries = tries;
		state_save(c);
		if (sleep_or_stop(set, ms))
			goto stopped;
		snprintf(c->st.pull, sizeof c->st.pull, "pulling");
		state_save(c);
	}
	if (r == 0) {
		c->st.pull[0] = c->st.error[0] = '\0';
		state_save(c);
		if (out)
			fclose(out);
		return 0;
	}
stopped:
	if (out)
		fclose(out);
	return -1;
}

/* the image the container is bound to (image.c), bound now if it is
 * not yet or its definition names another image since (or pull_policy
 * always pulled it again): its config JSON and its layer directories. An
 * image the store lacks is pulled, unless pull_policy is never. 0, -1
 * failed (the state says why), -2 stopped while pulling */
static int image_find(struct exec_ctx *c, struct image_user *img, const sigset_t *set, int restarted)
{
	struct image_store s;
	struct err e = { 0 };
	const char *want = c->def->image;
	char bound[DIGEST_LEN + 1] = "";
	int r, pulled = 0;

	if (c->def->pull == PULL_ALWAYS && !restarted) {
		if (image_pull(c, set) < 0)
			return -2;
		pulled = 1;
	}
again:
	if (image_store_open(&s, 0, &e) < 0) {
		image_store_close(&s);
		return setup_fail(c, "image store: %s", e.msg);
	}
	r = ctr_image_read(&c->p, c->name, img);
	if (r == 0) {
		snprintf(bound, sizeof bound, "%s", img->config);
		if (strcmp(img->image, want) != 0 || pulled) {
			image_user_free(img);
			r = 1;
		}
	}
	if (r != 0) {
		int how = image_lookup(&s, want, 1, img, &e);
		if (how == 0 && c->def->pull != PULL_NEVER && !pulled) {
			/* the pull takes the store's lock itself */
			image_store_close(&s);
			if (image_pull(c, set) < 0)
				return -2;
			pulled = 1;
			goto again;
		}
		if (how == 0)
			fail(&e, 1, "image %s: not in the store (%s)", want,
			     c->def->pull == PULL_NEVER ? "pull_policy: never; berth pull or berth load it first"
							: "berth load it first");
		else if (how > 0)
			ctr_image_bind(&c->p, c->name, want, img, &e);
		/* another image: a new container layer, as docker compose
		 * recreates a container whose image changed */
		if (how > 0 && !e.msg[0] && bound[0] && strcmp(bound, img->config) != 0) {
			char upper[CTR_PATH_MAX];
			ctr_path(upper, sizeof upper, "%s/upper", c->dir);
			if (rm_tree_at(AT_FDCWD, upper) < 0)
				warn_errno("%s: remove the old image's container layer %s", c->name, upper);
		}
	}
	if (!e.msg[0])
		c->image_config = image_config_load(&s, img, want, SPEC_IMAGE_CONFIG_MAX_BYTES, &c->image_config_len, &e);
	image_store_close(&s);
	if (e.msg[0])
		return setup_fail(c, "%s%s", strncmp(e.msg, "image ", 6) == 0 ? "" : "image ", e.msg);

	{
		struct err je = { 0 };
		yajl_val root = json_parse(c->image_config, c->image_config_len, "image config", &je);
		yajl_val cfg = root ? json_get(root, "config", yajl_t_object) : NULL;
		/* the definition's stop_signal, else the image's StopSignal */
		c->stop_signal = c->def->stop_signal;
		if (!c->stop_signal)
			c->stop_signal = compose_signal_parse(cfg ? json_str(cfg, "StopSignal") : NULL);
		if (!c->stop_signal)
			c->stop_signal = SIGTERM;
		if (root)
			yajl_tree_free(root);
	}
	return 0;
}

/* overlay of the image's layers (top first) with a writable upper dir; the
 * lower dirs are named relative to the layers directory so that 60-odd
 * layers fit in one page of mount options */
static int rootfs_mount(struct exec_ctx *c, const struct image_user *img)
{
	char upper[CTR_PATH_MAX], work[CTR_PATH_MAX], ldir[CTR_PATH_MAX], opts[4096];
	char (*layers)[DIGEST_LEN + 1] = img->layers;
	size_t o = 0, nlayers = img->nlayers;
	int n;

	if (nlayers == 0)
		return setup_fail(c, "image %s has no layers", c->def->image);
	ctr_path(upper, sizeof upper, "%s/upper", c->dir);
	ctr_path(work, sizeof work, "%s/work", c->dir);
	ctr_path(ldir, sizeof ldir, "%s/layers", c->p.root);
	if (mkdir_p(upper, 0755) < 0 || mkdir_p(work, 0700) < 0 || mkdir_p(c->rootfs, 0755) < 0)
		return setup_fail(c, "mkdir under %s: %s", c->dir, strerror(errno));
	n = snprintf(opts, sizeof opts, "lowerdir=");
	o = (size_t)n;
	for (size_t i = nlayers; i-- > 0;) {
		n = snprintf(opts + o, sizeof opts - o, "%s%s", i == nlayers - 1 ? "" : ":", digest_hex(layers[i]));
		if (n < 0 || (size_t)n >= sizeof opts - o)
			return setup_fail(c, "image %s: too many layers for one overlay mount", c->def->image);
		o += (size_t)n;
	}
	n = snprintf(opts + o, sizeof opts - o, ",upperdir=%s,workdir=%s", upper, work);
	if (n < 0 || (size_t)n >= sizeof opts - o)
		return setup_fail(c, "image %s: overlay options too long", c->def->image);
	if (chdir(ldir) < 0)
		return setup_fail(c, "%s: %s", ldir, strerror(errno));
	n = mount("overlay", c->rootfs, "overlay", 0, opts);
	if (chdir("/") < 0) {
		/* nothing later depends on the working directory */
	}
	if (n < 0)
		return setup_fail(c, "mount overlay on %s: %s", c->rootfs, strerror(errno));
	c->mounted = 1;
	return 0;
}

/* "KEY W1 W2" (one line: joined) or "KEY W" for each word, appended */
static void resolv_words(char *out, size_t size, size_t *o, const char *key, const struct strv *w, int one_line)
{
	int n;

	for (size_t i = 0; i < w->n; i++) {
		if (one_line)
			n = snprintf(out + *o, size - *o, "%s%s%s%s", i ? "" : key, " ", w->v[i], i + 1 == w->n ? "\n" : "");
		else
			n = snprintf(out + *o, size - *o, "%s %s\n", key, w->v[i]);
		if (n < 0 || (size_t)n >= size - *o)
			return;
		*o += (size_t)n;
	}
}

/* resolv.conf from the host's; a loopback resolver is unreachable from a
 * bridged container, so it gives way to public ones as in Docker */
static int etc_files(struct exec_ctx *c)
{
	char path[CTR_PATH_MAX], host[CTR_PATH_MAX], buf[8192], out[8192], *line, *save;
	size_t o = 0;
	int ns = 0;
	ssize_t n;

	ctr_path(host, sizeof host, "%s/resolv.conf", c->p.etc);
	n = file_read(host, buf, sizeof buf);
	if (n < 0)
		buf[0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int is_ns = strncmp(line, "nameserver", 10) == 0;
		if (is_ns && c->def->network_mode == NETWORK_BRIDGE &&
		    (strstr(line, " 127.") || strstr(line, " ::1")))
			continue;
		/* the definition's dns, dns_search, dns_opt take the place of
		 * the host's lines, as docker's --dns, --dns-search, --dns-option */
		if ((is_ns && c->def->dns.n) ||
		    ((strncmp(line, "search", 6) == 0 || strncmp(line, "domain", 6) == 0) && c->def->dns_search.n) ||
		    (strncmp(line, "options", 7) == 0 && c->def->dns_opt.n))
			continue;
		ns += is_ns;
		n = snprintf(out + o, sizeof out - o, "%s\n", line);
		if (n < 0 || (size_t)n >= sizeof out - o)
			break;
		o += (size_t)n;
	}
	resolv_words(out, sizeof out, &o, "nameserver", &c->def->dns, 0);
	ns += (int)c->def->dns.n;
	resolv_words(out, sizeof out, &o, "search", &c->def->dns_search, 1);
	resolv_words(out, sizeof out, &o, "options", &c->def->dns_opt, 1);
	if (!ns && c->def->network_mode != NETWORK_NONE) {
		n = snprintf(out + o, sizeof out - o, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
		if (n > 0 && (size_t)n < sizeof out - o)
			o += (size_t)n;
	}
	ctr_path(path, sizeof path, "%s/resolv.conf", c->dir);
	if (ctr_file_replace(path, out, o, 0644) < 0)
		return setup_fail(c, "write %s: %s", path, strerror(errno));
	ctr_path(path, sizeof path, "%s/hostname", c->dir);
	n = snprintf(buf, sizeof buf, "%s\n", c->def->hostname ? c->def->hostname : c->name);
	if (ctr_file_replace(path, buf, (size_t)n, 0644) < 0)
		return setup_fail(c, "write %s: %s", path, strerror(errno));
	return 0;
}

/* hosts.c writes it (and, for a project's container, its peers' files) */
static int hosts_write(struct exec_ctx *c, const char *address)
{
	if (ctr_hosts_write(&c->p, c->name, c->def, address) < 0)
		return setup_fail(c, "write %s/hosts", c->dir);
	return 0;
}

static int bundle_write(struct exec_ctx *c)
{
	char resolv[CTR_PATH_MAX], hosts[CTR_PATH_MAX], hostname[CTR_PATH_MAX], path[CTR_PATH_MAX];
	struct spec_input in = { 0 };
	char *json;
	size_t len;

	for (size_t i = 0; i < c->def->nvolumes; i++) {
		struct volume *v = &c->def->volumes[i];
		struct stat sb;
		/* like docker -v: a missing source becomes a directory */
		if (stat(v->source, &sb) < 0 && mkdir_p(v->source, 0755) < 0)
			return setup_fail(c, "volume %s: %s", v->source, strerror(errno));
	}
	ctr_path(resolv, sizeof resolv, "%s/resolv.conf", c->dir);
	ctr_path(hosts, sizeof hosts, "%s/hosts", c->dir);
	ctr_path(hostname, sizeof hostname, "%s/hostname", c->dir);
	in.def = c->def;
	in.image_config = c->image_config;
	in.image_config_len = c->image_config_len;
	in.rootfs = c->rootfs;
	if (c->def->network_mode != NETWORK_HOST) {
		in.hosts = hosts;
		in.hostname_file = hostname;
	}
	in.resolv = resolv;
	if (mkdir_p(c->bundle, 0755) < 0)
		return setup_fail(c, "mkdir %s: %s", c->bundle, strerror(errno));
	if (spec_generate(&in, &json, &len) < 0)
		return setup_fail(c, "%s: the OCI config could not be generated", c->name);
	ctr_path(path, sizeof path, "%s/config.json", c->bundle);
	if (ctr_file_replace(path, json, len, 0600) < 0) {
		free(json);
		return setup_fail(c, "write %s: %s", path, strerror(errno));
	}
	free(json);
	return 0;
}

static int network_attach(struct exec_ctx *c, pid_t pid)
{
	struct port_map ports[NET_PORTS_MAX];
	struct net_lease lease;
	struct err e = { 0 };
	char netns[64], addr[32];
	size_t o = 0;

	if (c->def->nports > NET_PORTS_MAX)
		return setup_fail(c, "more than %d published ports", NET_PORTS_MAX);
	for (size_t i = 0; i < c->def->nports; i++) {
		char spec[128];
		struct port *pt = &c->def->ports[i];
		char hp[12] = "";

		/* no host port: an ephemeral one, picked by net_attach */
		if (pt->host_port)
			snprintf(hp, sizeof hp, "%u", pt->host_port);
		snprintf(spec, sizeof spec, "%s%s%s:%u/%s", pt->host_ip, pt->host_ip[0] ? ":" : "", hp,
			 pt->container_port, pt->proto);
		if (net_port_parse(spec, &ports[o], &e) < 0)
			return setup_fail(c, "port %s: %s", spec, e.msg);
		ports[o].host_port_last = (uint16_t)pt->host_port_end;
		o++;
	}
	if (net_config_default(&c->net, &e) < 0 || net_bridge_up(&c->net, &e) < 0)
		return setup_fail(c, "network: %s", e.msg);
	snprintf(netns, sizeof netns, "/proc/%ld/ns/net", (long)pid);
	if (net_attach(&c->net, c->name, netns, ports, o, &lease, &e) < 0)
		return setup_fail(c, "network: %s", e.msg);
	c->attached = 1;
	snprintf(addr, sizeof addr, "%u.%u.%u.%u", lease.address >> 24, (lease.address >> 16) & 255,
		 (lease.address >> 8) & 255, lease.address & 255);
	snprintf(c->st.address, sizeof c->st.address, "%s", addr);
	c->st.ports[0] = '\0';
	for (size_t i = 0, w = 0; i < lease.nports; i++) {
		char one[64];
		net_port_format(&lease.ports[i], one, sizeof one);
		w += (size_t)snprintf(c->st.ports + w, sizeof c->st.ports - w, "%s%s", i ? " " : "", one);
		if (w >= sizeof c->st.ports)
			break;
	}
	return hosts_write(c, addr);
}

/* undo whatever setup did, in reverse; quiet about what is already gone */
static void cleanup(struct exec_ctx *c)
{
	struct err e = { 0 };

	if (c->created || c->attached || c->mounted)
		crun(c, 1, "delete", "-f", c->name, NULL, NULL, NULL);
	if (c->attached && net_detach(&c->net, c->name, &e) < 0)
		warn("network: %s", e.msg);
	else if (c->attached)
		ctr_hosts_write(&c->p, c->name, c->def, NULL); /* the project's others forget it */
	if (c->mounted && umount2(c->rootfs, 0) < 0 && umount2(c->rootfs, MNT_DETACH) < 0)
		warn_errno("unmount %s", c->rootfs);
	c->created = c->attached = c->mounted = 0;
}

/* leftovers of a supervisor that was killed: a crun container, a lease, a
 * mounted rootfs */
static void stale_cleanup(struct exec_ctx *c)
{
	pid_t pid = ctr_leftover_kill(&c->p, c->name);

	if (pid > 0)
		warn("%s: killed the container (pid %ld) an earlier ctr-exec left running", c->name, (long)pid);
}

/* the container's last output may still be in the pipe to svlogd: wait
 * (a little) until svlogd has read it, so that whoever sees "exited" in
 * the state finds every line in the log */
static void log_drain(void)
{
	int n;

	for (int i = 0; i < 500 && ioctl(STDOUT_FILENO, FIONREAD, &n) == 0 && n > 0; i++)
		usleep(1000);
}

static pid_t pid_read(const char *path)
{
	char buf[32];

	if (file_read(path, buf, sizeof buf) <= 0)
		return 0;
	return (pid_t)atol(buf);
}

/* sleep ms unless a stop request comes first: 1 if it did */
static int sleep_or_stop(const sigset_t *set, long ms)
{
	long long end = now_ms() + ms;
	siginfo_t si;

	for (;;) {
		long long ms_left = end - now_ms();
		struct timespec left = { ms_left / 1000, ms_left % 1000 * 1000000 };

		if (ms_left <= 0)
			return 0;
		int sig = sigtimedwait(set, &si, &left);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			return 1;
		if (sig == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}

/* the grace period of this stop: `berth stop -t SEC` writes SEC into the
 * stopping marker; else the definition's stop_grace_period, else 10 s */
static long long grace_ms(const struct exec_ctx *c)
{
	char path[CTR_PATH_MAX], buf[32], *end;
	long v;

	ctr_path(path, sizeof path, "%s/containers/%s/stopping", c->p.run, c->name);
	if (file_read(path, buf, sizeof buf) > 0) {
		v = strtol(buf, &end, 10);
		if (end != buf && (*end == '\n' || !*end) && v >= 0 && v <= 86400 * 365)
			return (long long)v * 1000;
	}
	return c->def->stop_grace_ms >= 0 ? c->def->stop_grace_ms : CTR_GRACE_DEFAULT * 1000LL;
}

/* the stop signal arrived (from runsv, for sv down): no more checks;
 * forward the container's stop signal */
static void stop_begin(struct exec_ctx *c, pid_t pid)
{
	char sig[16];

	ctr_health_stop(&c->health);
	snprintf(sig, sizeof sig, "%d", c->stop_signal);
	if (crun(c, 1, "kill", c->name, sig, NULL, NULL, NULL) != 0)
		kill(pid, c->stop_signal);
}

/* the signals that came, from the signalfd (or, if there is none, pending
 * in the blocked mask): 1 if one of them asks to stop */
static int signals_take(int sfd, const sigset_t *set)
{
	struct signalfd_siginfo si;
	struct timespec zero = { 0, 0 };
	int stop = 0, sig;

	if (sfd >= 0) {
		while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP)
				stop = 1;
		return stop;
	}
	while ((sig = sigtimedwait(set, NULL, &zero)) > 0)
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			stop = 1;
	return stop;
}

/* the main loop: never dies; returns the container's exit code. It waits
 * on a signalfd and the healthcheck's output with a timeout that is the
 * next timer: SIGKILL after the grace, the next check or its timeout. */
static int supervise(struct exec_ctx *c, pid_t pid, const sigset_t *set)
{
	int stopping = 0, killed = 0, st, sfd;
	long long deadline = 0, grace = 0;

	sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		warn_errno("signalfd (polling every 100 ms instead)");
	for (;;) {
		struct pollfd fds[2];
		long long now = now_ms(), wait = sfd >= 0 ? 1000 : 100, hw;
		nfds_t nfds = 0;
		pid_t w;

		hw = ctr_health_wait_ms(&c->health, now);
		if (hw >= 0 && hw < wait)
			wait = hw;
		if (stopping && !killed && deadline - now < wait)
			wait = deadline > now ? deadline - now : 0;
		if (sfd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (c->health.out_fd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = c->health.out_fd, .events = POLLIN };
		if (poll(fds, nfds, (int)wait) < 0 && errno != EINTR)
			usleep(100000); /* never spin */
		now = now_ms();

		if (signals_take(sfd, set) && !stopping) {
			stopping = 1;
			grace = grace_ms(c);
			stop_begin(c, pid);
			deadline = now + grace;
		}
		if (c->health.out_fd >= 0)
			ctr_health_read(&c->health);
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			if (w == pid) {
				if (sfd >= 0)
					close(sfd);
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
			if (ctr_health_reaped(&c->health, w, st, &c->st))
				state_save(c);
		}
		if (w < 0 && errno == ECHILD && kill(pid, 0) < 0) {
			if (sfd >= 0)
				close(sfd);
			return 255; /* not our child after all, and gone */
		}
		if (stopping && !killed && now >= deadline) {
			killed = 1;
			warn("%s: still running %lld.%01lld s after signal %d: SIGKILL", c->name, grace / 1000,
			     grace % 1000 / 100, c->stop_signal);
			if (crun(c, 1, "kill", "--all", c->name, "9", NULL, NULL) != 0)
				kill(pid, SIGKILL);
		}
		if (ctr_health_tick(&c->health, now, &c->st))
			state_save(c);
	}
}

int cmd_ctr_exec(int argc, char **argv)
{
	struct exec_ctx c = { 0 };
	struct image_user img = { .nlayers = 0 };
	char pidfile[CTR_PATH_MAX];
	size_t ndefs;
	sigset_t set;
	pid_t pid;
	int code, restarted;

	if (argc != 2)
		usage_error("ctr-exec", "expected NAME");
	ctr_name_check("ctr-exec", argv[1]);
	c.name = argv[1];
	ctr_paths_init(&c.p);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* the container's init is crun create's grandchild: it must come back
	 * to us, not to PID 1, so that we can wait for it */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	ctr_path(c.dir, sizeof c.dir, "%s/containers/%s", c.p.root, c.name);
	ctr_path(c.rootfs, sizeof c.rootfs, "%s/rootfs", c.dir);
	ctr_path(c.bundle, sizeof c.bundle, "%s/bundle", c.dir);
	ctr_path(c.crun_root, sizeof c.crun_root, "%s/crun", c.p.run);
	ctr_path(pidfile, sizeof pidfile, "%s/pid", c.bundle);

	ctr_state_read(&c.p, c.name, &c.st);
	restarted = c.st.status == CTR_RESTARTING;
	if (c.st.status == CTR_RESTARTING && c.st.streak > 0) {
		long ms = ctr_backoff_ms(c.st.streak - 1);
		if (sleep_or_stop(&set, ms)) {
			c.st.status = CTR_STOPPED;
			state_save(&c);
			return 0;
		}
	}
	c.st.status = CTR_STARTING;
	c.st.started_at = time(NULL);
	c.st.finished_at = 0;
	c.st.exit_code = -1;
	c.st.pid = 0;
	c.st.error[0] = c.st.address[0] = c.st.ports[0] = c.st.health[0] = c.st.pull[0] = '\0';
	c.st.pull_tries = 0;
	state_save(&c);

	code = ctr_def_load(&c.p, c.name, &c.def, &ndefs);
	if (code != 0) {
		setup_fail(&c, "%s: %s", c.name, code > 0 ? "no definition" : "the definition has errors");
		return 1;
	}
	snprintf(c.st.image, sizeof c.st.image, "%s", c.def->image);
	if (mkdir_p(c.dir, 0700) < 0 || mkdir_p(c.crun_root, 0700) < 0) {
		setup_fail(&c, "mkdir %s: %s", c.dir, strerror(errno));
		return 1;
	}
	stale_cleanup(&c);
	unlink(pidfile);
	code = image_find(&c, &img, &set, restarted);
	if (code == -2) {
		/* stopped while it pulled: nothing ran, nothing to clean */
		c.st.status = CTR_STOPPED;
		c.st.pull[0] = '\0';
		c.st.finished_at = time(NULL);
		state_save(&c);
		compose_free(c.def, ndefs);
		return 0;
	}
	if (code < 0 || rootfs_mount(&c, &img) < 0 || etc_files(&c) < 0 || hosts_write(&c, NULL) < 0 ||
	    bundle_write(&c) < 0)
		goto fail;
	image_user_free(&img);
	c.created = 1;
	/* bridged: the network goes in between create and start; otherwise
	 * one crun run --detach does both */
	if (c.def->network_mode == NETWORK_BRIDGE) {
		if (crun(&c, 0, "create", "--bundle", c.bundle, "--pid-file", pidfile, c.name) != 0) {
			setup_fail(&c, "crun create %s failed", c.name);
			goto fail;
		}
	} else {
		char *argv[] = { c.p.crun, "--root", c.crun_root, "run", "--detach", "--bundle", c.bundle,
				 "--pid-file", pidfile, (char *)c.name, NULL };
		if (ctr_spawn_wait(argv, 0) != 0) {
			setup_fail(&c, "crun run %s failed", c.name);
			goto fail;
		}
	}
	pid = pid_read(pidfile);
	if (pid <= 0) {
		setup_fail(&c, "crun create %s: no pid in %s", c.name, pidfile);
		goto fail;
	}
	if (c.def->network_mode == NETWORK_BRIDGE &&
	    (network_attach(&c, pid) < 0 || crun(&c, 0, "start", c.name, NULL, NULL, NULL, NULL) != 0)) {
		if (!c.st.error[0])
			setup_fail(&c, "crun start %s failed", c.name);
		goto fail;
	}
	c.st.pid = pid;
	c.st.status = CTR_RUNNING;
	{
		const char *prefix[] = { c.p.crun, "--root", c.crun_root, NULL };
		char hpid[CTR_PATH_MAX];

		/* on tmpfs: crun writes it at every check */
		ctr_path(hpid, sizeof hpid, "%s/containers/%s/health.pid", c.p.run, c.name);
		if (ctr_health_setup(&c.health, c.def, c.image_config, c.image_config_len, prefix, c.name, hpid) < 0)
			warn("%s: healthcheck: out of memory; not checked", c.name);
		ctr_health_begin(&c.health, now_ms(), &c.st);
	}
	state_save(&c);

	code = supervise(&c, pid, &set);

	ctr_health_free(&c.health);
	/* no more checks: a container that is not running is not healthy */
	if (c.st.health[0])
		snprintf(c.st.health, sizeof c.st.health, "unhealthy");
	/* the exit first, the cleanup after: `berth run` waits for the one,
	 * and the container (its PID namespace) is gone already. runsv runs
	 * the finish script, and so starts nothing new, only once this
	 * process has exited */
	log_drain();
	c.st.pid = 0;
	c.st.exit_code = code;
	c.st.finished_at = time(NULL);
	c.st.status = CTR_EXITED;
	state_save(&c);
	cleanup(&c);
	compose_free(c.def, ndefs);
	free(c.image_config);
	return code;

fail:
	image_user_free(&img);
	cleanup(&c);
	compose_free(c.def, ndefs);
	free(c.image_config);
	return 1;
}
