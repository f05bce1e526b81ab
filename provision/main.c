/* provision: cloud-init compatible first-boot configuration, run by PID 1
 * as a stage-1 hook. See README.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "provision.h"

static const char *const known_modules[] = {"bootcmd", "runcmd", "write_files", "hostname", "fqdn",
	"preserve_hostname", "users", "groups", "ssh_authorized_keys", "ntp", "timezone", "ca_certs", "ca-certs",
	"power_state", "berth", "merge_how", "merge_type", "manage_etc_hosts", "prefer_fqdn_over_hostname", NULL};

static void usage(void)
{
	die(EXIT_USAGE, "usage: provision [--root DIR] [--seed DIR | --imds URL] [--cmdline STRING]\n"
			"       provision label DEVICE-OR-FILE");
}

static void check_top_level(struct prov *p, const struct ynode *cfg)
{
	for (size_t i = 0; cfg && i + 1 < cfg->n; i += 2) {
		const char *k = ystr(cfg->kids[i]);
		int known = 0;
		for (int j = 0; k && known_modules[j]; j++)
			known |= !strcmp(k, known_modules[j]);
		if (!known)
			mod_warn(p, cfg->kids[i], NULL, "unknown module \"%.64s\" ignored", k ? k : "?");
	}
}

/* vendor-data first, user-data merged over it (cloud-init's precedence) */
static void decode_all(struct prov *p)
{
	struct userdata ud = {0};

	mod_begin(p, "user-data");
	if (p->seed.vd)
		userdata_decode(p, "vendor-data", p->seed.vd, p->seed.vdlen, &p->ud);
	if (p->seed.ud)
		userdata_decode(p, "user-data", p->seed.ud, p->seed.udlen, &ud);
	p->ud.cfg = ymerge(p->ud.cfg, ud.cfg);
	for (int i = 0; i < ud.nscripts; i++) {
		if (p->ud.nscripts == SCRIPTS_MAX) {
			free(ud.scripts[i].data);
			continue;
		}
		p->ud.scripts[p->ud.nscripts] = ud.scripts[i];
		snprintf(p->ud.scripts[p->ud.nscripts].name, sizeof ud.scripts[i].name, "part-%03d", p->ud.nscripts);
		p->ud.nscripts++;
	}
	check_top_level(p, p->ud.cfg);
	mod_end(p, p->seed.ud || p->seed.vd ? RES_OK : RES_SKIPPED);
}

static void skip_done(struct prov *p, const char *const *names)
{
	for (; *names; names++) {
		mod_begin(p, *names);
		printf("provision: %s: skipped (done for this instance)\n", *names);
		p->cur->result = RES_SKIPPED;
		p->cur = NULL;
	}
}

static void power(struct prov *p)
{
	const char *sig = p->power_sig == SIGTERM ? "SIGTERM (reboot)" :
			  p->power_sig == SIGUSR2 ? "SIGUSR2 (poweroff)" : "SIGUSR1 (halt)";
	pid_t pid;

	if (!p->power_sig)
		return;
	if (p->pid1 <= 0) {
		printf("provision: power_state: would send %s to PID 1 (not the real root)\n", sig);
		return;
	}
	printf("provision: power_state: %s to PID %d in %ld s\n", sig, p->pid1, p->power_delay);
	fflush(stdout);
	if (p->power_delay == 0) {
		if (kill(p->pid1, p->power_sig) != 0)
			warn_errno("power_state: kill %d", p->pid1);
		return;
	}
	/* a delayed action outlives this hook: a detached child waits */
	pid = fork();
	if (pid == 0) {
		setsid();
		sleep((unsigned)p->power_delay);
		kill(p->pid1, p->power_sig);
		_exit(0);
	}
}

int main(int argc, char **argv)
{
	static struct prov prov;
	struct prov *p = &prov;
	char cmdline[4096] = "", *prev = NULL, *rootabs;
	size_t plen;
	const char *env;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "label")) {
		char type[16], label[64];
		if (fs_label(argv[2], type, sizeof type, label, sizeof label) != 0)
			die(1, "%s: neither vfat nor iso9660", argv[2]);
		printf("%s %s\n", type, label);
		return 0;
	}
	p->root = "/";
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--root"))
			p->root = argv[++i];
		else if (!strcmp(argv[i], "--seed"))
			p->seed_dir = argv[++i];
		else if (!strcmp(argv[i], "--imds"))
			p->imds = argv[++i];
		else if (!strcmp(argv[i], "--cmdline"))
			p->cmdline = argv[++i];
		else
			usage();
	}
	if (p->seed_dir && p->imds)
		usage();
	if ((p->rootfd = open(p->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno(1, "open root %s", p->root);
	/* scripts are run by absolute path */
	if (!(rootabs = realpath(p->root, NULL)))
		die_errno(1, "resolve root %s", p->root);
	p->root = rootabs;
	if (!p->cmdline) {
		cmdline_read(cmdline, sizeof cmdline);
		p->cmdline = cmdline;
	}
	/* only the real root's PID 1 is signalled; tests name a stand-in */
	p->pid1 = !strcmp(p->root, "/") ? 1 : 0;
	if ((env = getenv("BERTH_PROVISION_PID1")))
		p->pid1 = atoi(env);

	if (datasource_find(p, &p->seed) != 0) {
		net_release(p);
		printf("provision: no datasource found; DHCP on every wired interface\n");
		status_write(p);
		return 0;
	}
	printf("provision: datasource %s (instance-id %s)\n", p->seed.ds, p->seed.iid);
	if (root_read(p, STATE_DIR "/instance-id", 300, &prev, &plen) == 0) {
		prev[strcspn(prev, "\n")] = '\0';
		snprintf(p->prev_iid, sizeof p->prev_iid, "%s", prev);
		free(prev);
	}
	p->new_instance = strcmp(p->prev_iid, p->seed.iid) != 0;
	if (p->seed.ud && root_write(p, STATE_DIR "/user-data", p->seed.ud, p->seed.udlen, 0600, 0, 0) != 0) {
		seed_release(&p->seed);
		net_release(p);
		die_errno(1, "write %s/" STATE_DIR "/user-data", p->root);
	}
	decode_all(p);
	/* the medium stays mounted only for a berth.images that will run */
	if (!p->new_instance || !ymap_get(ymap_get(p->ud.cfg, "berth"), "images"))
		seed_release(&p->seed);

	mod_bootcmd(p, p->ud.cfg);
	mod_network(p);
	if (p->new_instance) {
		if (p->prev_iid[0])
			printf("provision: new instance (was %s): per-instance modules run again\n", p->prev_iid);
		mod_per_instance(p, 1);
		if (root_write(p, STATE_DIR "/instance-id", p->seed.iid, strlen(p->seed.iid), 0644, 0, 0) != 0)
			warn_errno("write " STATE_DIR "/instance-id");
	} else {
		skip_done(p, per_instance_names);
	}
	/* the temporary network for the datasource, if any, is gone before
	 * the network service starts */
	net_release(p);
	if (status_write(p) != 0)
		warn_errno("write " STATE_DIR "/status.json");
	power(p);
	return 0;
}
