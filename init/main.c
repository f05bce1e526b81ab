/* Berth's PID 1: stage 1 (mounts, hostname, loopback, seed, hooks), stage 2
 * (runsvdir, restarted if it dies), stage 3 on a signal (shutdown.c).
 * Run as another PID, it offers test subcommands instead. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth.h"
#include "init.h"
#include "spawn.h"

#define STAGE1_TIMEOUT_DEFAULT 60
#define STAGE1_TIMEOUT_MAX 86400
#define WATCHDOG_TIMEOUT_DEFAULT 60 /* seconds */
/* `berth update check` gives up after 120 s itself; this is for a hang */
#define CHECK_LIMIT_DEFAULT 180

static void init_defaults(struct init *st)
{
	memset(st, 0, sizeof *st);
	st->sigfd = -1;
	st->powerfd = -1;
	st->stage1_timeout = STAGE1_TIMEOUT_DEFAULT;
	st->runsvdir_path = "/usr/bin/runsvdir";
	st->sv_path = "/usr/bin/sv";
	st->containers_cmd = "/usr/bin/berth";
	st->check_cmd = "/usr/bin/berth";
	st->check_limit = CHECK_LIMIT_DEFAULT;
	st->watchdog_path = "/dev/watchdog";
	st->wdfd = -1;
	st->sup.dir = "/etc/service";
	st->container_dir = "/run/berth/service";
	st->stage1_dir = "/etc/berth/stage1.d";
	st->seed_path = BERTH_ROOT_DEFAULT "/random-seed";
	st->machine_id_path = "/etc/machine-id";
}

/* "N" seconds, 1 to a day; 0 if not */
static unsigned seconds_parse(const char *s)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > STAGE1_TIMEOUT_MAX)
		return 0;
	return (unsigned)v;
}

static int cmdline_has(const char *key, char *val, size_t size)
{
	char cmdline[4096];

	if (cmdline_read(cmdline, sizeof cmdline) != 0)
		return 0;
	return cmdline_get(cmdline, key, val, size) == 1;
}

/* The root shell exists for debugging only: berth.debug must be asked for. */
static _Noreturn void debug_shell(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { "/bin/sh", NULL };
		int fd;

		spawn_reset();
		setsid();
		fd = open("/dev/console", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, TIOCSCTTY, 1);
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (pid > 0) {
		pid_t got = waitpid(-1, NULL, 0);

		if (got == pid || (got < 0 && errno != EINTR))
			break;
	}
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

void fatal(struct init *st, const char *fmt, ...)
{
	char msg[512], val[8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	warn("fatal: %s", msg);
	if (st->test)
		exit(EXIT_SYSTEM);
	/* bare berth.debug or berth.debug=1, as the initramfs reads it */
	if (cmdline_has("berth.debug", val, sizeof val) && (val[0] == '\0' || strcmp(val, "1") == 0)) {
		warn("berth.debug: starting a root shell on /dev/console; exit it to reboot");
		debug_shell();
	}
	warn("rebooting in 10 s");
	sleep(10);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void console_setup(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* containers run as runit services; ctr-boot starts a runsv for each and
 * brings them up in depends_on order, returning once they run, so PID 1
 * need not know about them (beyond stopping them first at shutdown) */
static void containers_start(struct init *st)
{
	char *argv[] = { (char *)st->containers_cmd, "ctr-boot", NULL };

	if (access(st->containers_cmd, X_OK) != 0)
		return;
	st->containers = spawn(argv, 0);
	if (st->containers < 0)
		st->containers = 0;
}

static void runsvdir_start(struct init *st)
{
	struct supervisor *s = &st->sup;
	char *argv[] = { (char *)st->runsvdir_path, "-P", (char *)s->dir, NULL };
	struct stat sb;

	s->restart_at = 0;
	if (stat(s->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		warn("%s: no such directory, no services to start", s->dir);
		return;
	}
	s->pid = spawn(argv, SPAWN_SESSION);
	if (s->pid < 0) {
		s->pid = 0;
		s->restart_at = now_ms() + 1000;
	}
}

/* the boot assessment: on a trial boot `berth update check` blesses the
 * boot or marks it bad and asks for a reboot; otherwise it does nothing */
static void check_start(struct init *st)
{
	char *argv[] = { (char *)st->check_cmd, "update", "check", NULL };

	if (access(st->check_cmd, X_OK) != 0)
		return;
	st->check = spawn(argv, 0);
	if (st->check < 0) {
		st->check = 0;
		return;
	}
	st->check_deadline_ms = now_ms() + (long long)st->check_limit * 1000;
}

/* The one place that decides when the system is "ready": services are
 * started and `berth ctr-boot` has started every defined container (it
 * prints "container NAME started" for each) or given up on one. */
void ready_check(struct init *st)
{
	if (st->ready || st->containers > 0)
		return;
	st->ready = 1;
	timeline("ready");
	check_start(st);
}

/* Test mode (BERTH_INIT_TEST=1, only as PID 1 of a PID namespace on a host)
 * takes its paths from the environment, and BERTH_STAGE1_TIMEOUT over the
 * command line's berth.stage1_timeout. */
static void test_paths(struct init *st)
{
	static const struct {
		const char *env;
		size_t off;
	} vars[] = {
		{ "BERTH_INIT_RUNSVDIR", offsetof(struct init, runsvdir_path) },
		{ "BERTH_INIT_SV", offsetof(struct init, sv_path) },
		{ "BERTH_INIT_CONTAINERS", offsetof(struct init, containers_cmd) },
		{ "BERTH_INIT_SERVICE_DIR", offsetof(struct init, sup.dir) },
		{ "BERTH_INIT_CONTAINER_DIR", offsetof(struct init, container_dir) },
		{ "BERTH_INIT_STAGE1_DIR", offsetof(struct init, stage1_dir) },
		{ "BERTH_INIT_SEED", offsetof(struct init, seed_path) },
		{ "BERTH_INIT_MACHINE_ID", offsetof(struct init, machine_id_path) },
		{ "BERTH_INIT_CHECK", offsetof(struct init, check_cmd) },
		{ "BERTH_INIT_WATCHDOG", offsetof(struct init, watchdog_path) },
	};
	const char *s;

	st->machine_id_path = NULL; /* never the host's own */
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if ((s = getenv(vars[i].env)) && *s)
			*(const char **)((char *)st + vars[i].off) = s;
	if ((s = getenv("BERTH_STAGE1_TIMEOUT")) && seconds_parse(s))
		st->stage1_timeout = seconds_parse(s);
	if ((s = getenv("BERTH_INIT_CHECK_LIMIT")) && seconds_parse(s))
		st->check_limit = seconds_parse(s);
}

static _Noreturn void pid1(struct init *st)
{
	char val[32];
	unsigned wd_timeout = WATCHDOG_TIMEOUT_DEFAULT;

	if (!st->test) {
		setsid();
		umask(022);
		setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 0);
		mounts_early(st);
		console_setup();
		cgroup_setup();
		/* ctrl-alt-del becomes SIGINT instead of an immediate reboot */
		reboot(RB_DISABLE_CAD);
	}
	if (cmdline_has("berth.stage1_timeout", val, sizeof val)) {
		if (seconds_parse(val))
			st->stage1_timeout = seconds_parse(val);
		else
			warn("berth.stage1_timeout=%s: expected seconds, 1 to %d", val, STAGE1_TIMEOUT_MAX);
	}
	if (st->test)
		test_paths(st);
	if (cmdline_has("berth.watchdog", val, sizeof val)) {
		if (strcmp(val, "0") == 0)
			wd_timeout = 0;
		else if (seconds_parse(val))
			wd_timeout = seconds_parse(val);
		else
			warn("berth.watchdog=%s: expected seconds, or 0 for none", val);
	}
	if (!st->test || getenv("BERTH_INIT_WATCHDOG"))
		watchdog_open(st, wd_timeout);
	if (signals_open(st) != 0)
		fatal(st, "signalfd: %s", strerror(errno));
	if (!st->test) {
		hostname_setup();
		loopback_up();
		st->powerfd = power_button_open();
	}
	if (!st->test)
		var_space_check("/var");
	entropy_load(st);
	machine_id_setup(st);
	hooks_run(st, st->stage1_dir);
	/* from here on nothing is fatal */
	if (st->shutdown == ACT_NONE) {
		timeline("provision done");
		runsvdir_start(st);
		if (st->sup.pid > 0) {
			timeline("services started");
			containers_start(st);
		}
		ready_check(st);
	}
	for (;;) {
		long long timeout = -1;

		if (st->shutdown != ACT_NONE)
			shutdown_run(st);
		if (st->sup.restart_at) {
			timeout = st->sup.restart_at - now_ms();
			if (timeout <= 0) {
				runsvdir_start(st);
				timeout = 0;
			}
		}
		events_wait(st, timeout);
		reap_all(st);
	}
}

static int cmd_hooks(struct init *st, int argc, char **argv)
{
	const char *s = getenv("BERTH_STAGE1_TIMEOUT");

	if (argc != 3)
		die(EXIT_USAGE, "usage: init hooks DIR");
	if (s && *s) {
		st->stage1_timeout = seconds_parse(s);
		if (!st->stage1_timeout)
			die(EXIT_USAGE, "BERTH_STAGE1_TIMEOUT=%s: expected seconds, 1 to %d", s, STAGE1_TIMEOUT_MAX);
	}
	/* like PID 1, adopt what the hooks leave behind, so it gets reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (signals_block() != 0 || signals_open(st) != 0)
		die_errno(EXIT_SYSTEM, "signalfd");
	hooks_run(st, argv[2]);
	children_wait(st, 1000);
	return 0;
}

static int cmd_hostname_check(struct init *st, int argc, char **argv)
{
	(void)st;
	if (argc != 3)
		die(EXIT_USAGE, "usage: init hostname-check NAME");
	if (!hostname_valid(argv[2])) {
		warn("%s: invalid hostname: expected 1 to 64 letters, digits, '-' or '.'", argv[2]);
		return 1;
	}
	return 0;
}

static int cmd_mounts_plan(struct init *st, int argc, char **argv)
{
	static char plan[512][256];
	int n;

	(void)st;
	if (argc != 3)
		die(EXIT_USAGE, "usage: init mounts-plan MOUNTINFO");
	n = mounts_plan(argv[2], plan, 512);
	if (n < 0)
		die_errno(EXIT_SYSTEM, "read %s", argv[2]);
	for (int i = 0; i < n; i++)
		printf("%s\n", plan[i]);
	return 0;
}

static int cmd_power_events(struct init *st, int argc, char **argv)
{
	int fd;

	(void)st;
	if (argc != 3)
		die(EXIT_USAGE, "usage: init power-events FILE");
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(EXIT_SYSTEM, "open %s", argv[2]);
	printf("%s\n", action_name(power_button_read(fd)));
	close(fd);
	return 0;
}

static int cmd_var_check(struct init *st, int argc, char **argv)
{
	(void)st;
	if (argc != 3)
		die(EXIT_USAGE, "usage: init var-check DIR");
	return var_space_check(argv[2]) == 0 ? 0 : 1;
}

static const struct {
	const char *name;
	int (*run)(struct init *, int, char **);
} commands[] = {
	{ "hooks", cmd_hooks },
	{ "hostname-check", cmd_hostname_check },
	{ "mounts-plan", cmd_mounts_plan },
	{ "power-events", cmd_power_events },
	{ "var-check", cmd_var_check },
};

int main(int argc, char **argv)
{
	struct init st;
	const char *test = getenv("BERTH_INIT_TEST");

	/* before anything else: no signal may kill or interrupt PID 1 */
	if (getpid() == 1)
		signals_block();
	log_init("init");
	init_defaults(&st);
	if (getpid() == 1) {
		/* the kernel passes unknown KEY=VALUE words of its (signed) command line as environment */
		st.test = test && strcmp(test, "1") == 0;
		pid1(&st);
	}
	if (argc >= 2)
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(&st, argc, argv);
	die(EXIT_USAGE, "usage: init hooks DIR | hostname-check NAME | mounts-plan MOUNTINFO | power-events FILE | var-check DIR (as PID 1: no arguments)");
}
