/* berth: the one command a person on a Berth host types. Each subcommand
 * lives in its own file and adds one row to the table below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "cli.h"
#include "compose.h"
#include "ctr.h"
#include "image.h"
#include "registry.h"
#include "update.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
} commands[] = {
	{ "analyze", cmd_analyze, "[--svg] [--timeline FILE]", "how long each boot phase took, as text or an SVG chart" },
	{ "load", cmd_load, "[-i] FILE", "import the images of an OCI layout, oci-archive or docker save tarball" },
	{ "pull", cmd_pull, "[-q|--quiet] NAME[:TAG|@DIGEST]", "download an image from a registry into the store (registries.yaml: mirrors, credentials, CAs)" },
	{ "login", cmd_login, "[-u USER] [--password-stdin] HOST[:PORT]", "check credentials against a registry and keep them in /etc/berth/auth.json (mode 0600)" },
	{ "logout", cmd_logout, "HOST[:PORT]", "remove a registry's credentials from /etc/berth/auth.json" },
	{ "images", cmd_images, "[-q|--quiet] [--digests]", "list the images in the store (--digests: the digest each was pulled by)" },
	{ "rmi", cmd_rmi, "[-f|--force] NAME[:TAG]|ID...", "remove images, and the blobs and layers neither an image nor a container uses any more (-f: untag an image a container uses; its layers stay until the container is removed)" },
	{ "image", cmd_image, "prune [-a|--all] [-f|--force]", "delete dangling images (-a: every image no container uses), the blobs and layers nothing names and what pulls left; asks first unless -f" },
	{ "system", cmd_system, "df [-v|--verbose]", "what images, containers' writable layers and named volumes take on disk, and what is reclaimable (-v: per image, container and volume)" },
	{ "compose-check", cmd_compose_check, "FILE...", "check container definitions and print them as JSON" },
	{ "spec", cmd_spec, "--definition FILE --rootfs DIR [--image-config FILE] [--resolv FILE] [--hosts FILE] [--hostname-file FILE]", "print the OCI config.json for a container definition" },
	{ "update", cmd_update, "verify [--pubkey FILE] BUNDLE|URL | apply [--pubkey FILE] [--reboot] BUNDLE|URL | status [--json] | rollback [--reboot] | check [--deadline SEC] [--grace SEC] [--no-reboot]", "A/B updates: check a signed bundle, install it in the other slot, show the slots, roll back, assess a trial boot" },
	{ "net", cmd_net, "setup|attach NAME NETNS [-p [IP:]HOSTPORT:PORT[/udp]]...|detach NAME|publish|teardown [--bridge NAME] [--address CIDR]", "container networking: bridge, veth pairs, NAT and published ports (for tests and debugging)" },
	{ "compose", cmd_compose, "[-f FILE]... [-p NAME] [--project-directory DIR] [--env-file FILE]... [--profile NAME]... up [-d] [--no-start] [SERVICE...] | down [-v] | ps [-a] [-q] | logs [-f] [-t] [--tail N] [SERVICE...] | config [--services|--volumes|-q] | pull [SERVICE...] | start|stop|restart [-t SEC] [SERVICE...] | exec [-T] [-e K=V] [-u USER] [-w DIR] SERVICE CMD... | run [--rm] [-d] [--name NAME] [--entrypoint CMD] [-e K=V]... SERVICE [CMD...]", "a compose project (compose.yaml in this directory, or -f): its services as containers PROJECT-SERVICE-1" },
	{ "ps", cmd_ps, "[-a|--all] [-q] [--filter label=KEY[=VALUE]]...", "list running containers (-a: every defined one): name, image, state, status (uptime, health), restarts, ports" },
	{ "run", cmd_run, "[-d] [--name NAME] [-p [IP:][HOST[-HOST]:]PORT[-PORT][/udp]]... [-e KEY=VALUE]... [-v SRC:DST[:ro]]... [--restart no|on-failure[:N]|always|unless-stopped] [--network bridge|host|none] [-u USER] [-w DIR] [--entrypoint CMD] [--stop-signal SIG] [--stop-timeout SEC] [--health-cmd CMD] [--health-interval D] [--health-timeout D] [--health-retries N] [--health-start-period D] [--no-healthcheck] [--pull missing|always|never] IMAGE [ARG...]", "define a container in /etc/berth/containers and start it; without -d, print its output until it exits" },
	{ "create", cmd_create, "[--name NAME] [run's options] IMAGE [ARG...]", "define a container as run does, without starting it" },
	{ "start", cmd_start, "NAME...", "start containers and wait until they run" },
	{ "stop", cmd_stop, "[-t|--time SEC] NAME...", "send containers their stop signal, SIGKILL after stop_grace_period (default 10 s) or SEC" },
	{ "restart", cmd_restart, "[-t|--time SEC] NAME...", "stop and start containers" },
	{ "rm", cmd_rm, "[-f|--force] NAME...", "remove containers: service, state, logs, and a definition made by run (-f: stop them first)" },
	{ "logs", cmd_logs, "[-f|--follow] [-t|--timestamps] [--tail N] NAME", "print a container's output" },
	{ "exec", cmd_exec, "[-t] [-e KEY=VALUE]... [-u UID[:GID]] [-w DIR] NAME CMD [ARG...]", "run a command in a running container" },
	{ "inspect", cmd_inspect, "NAME...", "a container's definition, state, health, pid, address and ports as JSON" },
	{ "port", cmd_port, "NAME [PORT[/PROTO]]", "the host addresses and ports a running container's ports are published on" },
	{ "ctr-boot", cmd_ctr_boot, "[--prepare]", "(boot) start every defined container in depends_on order; 0 when all run, 1 if one failed" },
	{ "ctr-order", cmd_ctr_order, "", "(internal) print the depends_on start order of the definitions" },
	{ "ctr-service", cmd_ctr_service, "NAME", "(internal) write a container's runit service directory" },
	{ "ctr-exec", cmd_ctr_exec, "NAME", "(internal) the process runsv supervises for a container" },
	{ "ctr-finish", cmd_ctr_finish, "NAME [EXIT [SIGNAL]]", "(internal) runsv's finish: record the exit, apply the restart policy" },
	{ "ctr-backoff", cmd_ctr_backoff, "[N]", "(internal) print the restart delays in milliseconds" },
	{ "status", cmd_status, "", "what provisioning did: datasource, instance-id, each module's result and errors" },
	{ "version", cmd_version, "[--sbom]", "the Berth version (os-release); --sbom: the image's software bill of materials (CycloneDX JSON)" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void help_all(FILE *f)
{
	fprintf(f, "usage: berth COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-12s %s\n", "help", "this list, or one command's usage");
	fprintf(f, "\n'berth COMMAND --help' shows a command's options.\n");
}

static void help_one(FILE *f, const struct command *c)
{
	fprintf(f, "usage: berth %s %s\n%s\n", c->name, c->args, c->help);
}

/* usage_error's arguments line for a command */
static const char *command_args(const char *name)
{
	const struct command *c = command_find(name);
	return c ? c->args : NULL;
}

static int is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* --help anywhere before "--" wins over every other argument */
static int asks_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	/* "berth analyze: ..." in every message of a subcommand; static, as
	 * log.c keeps the pointer */
	static char prog[64];
	const struct command *c;
	int r;

	log_init("berth");
	usage_register("berth", command_args);
	if (argc < 2) {
		help_all(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		if (argc > 2 && !is_help(argv[1])) {
			c = command_find(argv[2]);
			if (!c)
				die(EXIT_USAGE, "help: unknown command \"%s\"", argv[2]);
			help_one(stdout, c);
			return 0;
		}
		help_all(stdout);
		return 0;
	}
	c = command_find(argv[1]);
	if (!c)
		die(EXIT_USAGE, "unknown command \"%s\"; 'berth help' lists them", argv[1]);
	if (asks_help(argc - 2, argv + 2)) {
		help_one(stdout, c);
		return 0;
	}
	if (snprintf(prog, sizeof prog, "berth %s", c->name) >= (int)sizeof prog)
		die(EXIT_SYSTEM, "command name too long: %s", c->name);
	log_init(prog);
	r = c->run(argc - 1, argv + 1);
	/* a full disk or a closed pipe must not pass for success */
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno(EXIT_SYSTEM, "write to standard output");
	return r;
}
