/* Container definitions: a Docker Compose *service* body in
 * /etc/berth/containers/NAME.yaml (or a full compose file with services:),
 * parsed into plain C data. Every message names FILE:LINE and the key path. */
#ifndef COMPOSE_H
#define COMPOSE_H

#include <stddef.h>

#include "yaml-tree.h"

/* caps on untrusted input: a definition is small (the YAML tree's own caps
 * are lib/yaml-tree.h's) */
#define COMPOSE_MAX_BYTES (1 << 20)
#define COMPOSE_ENV_FILE_MAX_BYTES (1 << 20)
/* published ports of one service, ranges counted port by port (the
 * network's NET_PORTS_MAX) */
#define COMPOSE_MAX_PORTS 64

/* a NULL-terminated vector of strings; v is NULL when n is 0 */
struct strv {
	char **v;
	size_t n;
};

enum restart_policy { RESTART_NO, RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_UNLESS_STOPPED };
enum network_mode { NETWORK_BRIDGE, NETWORK_HOST, NETWORK_NONE };
/* compose's pull_policy: missing (and its alias if_not_present) pulls an
 * image the store lacks when the container starts, always pulls at every
 * start that is not a restart, never uses only the store */
enum pull_policy { PULL_MISSING, PULL_ALWAYS, PULL_NEVER };
/* HEALTH_UNSET: the image's healthcheck (if any) applies; HEALTH_NONE: off */
enum health_kind { HEALTH_UNSET, HEALTH_NONE, HEALTH_CMD, HEALTH_SHELL };

struct port {
	char host_ip[46]; /* "" = all addresses */
	unsigned host_port; /* 0 = an ephemeral port (32768-60999), picked at start */
	unsigned host_port_end; /* > host_port: any free one of host_port..host_port_end */
	unsigned container_port;
	char proto[4]; /* "tcp" or "udp" */
};

struct volume {
	char *source; /* absolute host path; for a named volume VOLUME_DIR/NAME */
	char *name; /* the named volume's name, or NULL for a bind mount */
	char *target; /* absolute path in the container */
	int read_only;
};

/* a ulimits: entry; soft and hard as setrlimit takes them (-1: unlimited) */
struct ulimit {
	char name[16]; /* "nofile", as compose names it */
	long long soft, hard;
};

struct depend {
	char *service;
	char *condition; /* service_started, service_healthy, service_completed_successfully */
};

struct healthcheck {
	enum health_kind kind;
	struct strv test; /* HEALTH_CMD: argv; HEALTH_SHELL: one string */
	long long interval_ms, timeout_ms, start_period_ms; /* -1 = unset */
	int retries; /* -1 = unset */
};

struct container_def {
	char *name; /* from the file name, or the key under services: */
	char *file; /* the definition file, for messages */
	int line; /* where the service body starts */
	char *image;
	int has_command, has_entrypoint; /* set, even to [] or "" */
	struct strv command, entrypoint;
	/* KEY=VALUE, env_file entries first then environment, later ones win
	 * (spec.c overlays them in this order on the image's Env) */
	struct strv env;
	struct port *ports;
	size_t nports;
	struct volume *volumes;
	size_t nvolumes;
	enum restart_policy restart;
	int restart_max; /* on-failure:N; 0 = no limit */
	long long mem_limit; /* bytes; 0 = none */
	double cpus; /* 0 = none */
	long long pids_limit; /* 0 = none, -1 = unlimited */
	char *user; /* "uid", "uid:gid", "name", "name:group"; NULL = image's */
	char *working_dir; /* NULL = image's */
	int read_only;
	struct strv cap_add, cap_drop; /* "CAP_X" or "ALL" */
	enum network_mode network_mode;
	enum pull_policy pull;
	struct healthcheck health;
	int stop_signal; /* 0 = unset: the image's StopSignal, else SIGTERM */
	long long stop_grace_ms; /* -1 = unset: CTR_GRACE_DEFAULT */
	struct depend *depends;
	size_t ndepends;
	char *hostname; /* NULL = the container's name */
	long long mem_reservation; /* deploy.resources.reservations.memory, bytes; 0 = none */
	long long shm_size; /* /dev/shm's size, bytes; 0 = 64 MiB as docker */
	struct strv tmpfs; /* "PATH" or "PATH:OPTIONS" (size=, mode=, uid=, gid=, exec, ro) */
	struct strv labels; /* "KEY=VALUE": metadata, shown by inspect */
	struct strv dns, dns_search, dns_opt; /* resolv.conf's nameserver, search and options */
	struct strv extra_hosts; /* "NAME=IP" (IP may be host-gateway), lines of /etc/hosts */
	int pid_host, ipc_host; /* pid: host, ipc: host: the host's namespace, not one of its own */
	long long log_max_size; /* logging.options.max-size, bytes; 0 = svlogd's default */
	int log_max_file;        /* logging.options.max-file; 0 = svlogd's default */
	struct strv expose; /* "PORT[-PORT][/PROTO]": metadata (every port is reachable on the network) */
	struct strv sysctls; /* "KEY=VALUE", namespaced keys only */
	struct ulimit *ulimits;
	size_t nulimits;
};

/* Parse one definition file. On return *defs holds the services that parsed
 * without error (the caller frees them with compose_free) and the function
 * returns the number of errors (0 = all good) or -1 if the file could not be
 * read at all. Warnings and errors go to stderr as "FILE:LINE: ...". */
int compose_load(const char *path, struct container_def **defs, size_t *ndefs);
/* the same for a buffer; name_hint is the container name for a service body */
int compose_parse(const char *file, const char *name_hint, const char *buf, size_t len,
		  struct container_def **defs, size_t *ndefs);
void compose_free(struct container_def *defs, size_t ndefs);

/* "web.yaml" -> "web": the definition's name from its path; 0 or -1 */
int compose_name_from_path(const char *path, char *name, size_t size);
/* names a container may have: [a-zA-Z0-9][a-zA-Z0-9_.-]{0,62} */
int compose_valid_name(const char *name);
/* split like a POSIX shell without expansion (compose's shlex); 0 or -1 */
int compose_shell_split(const char *s, struct strv *out);
/* "CHOWN", "cap_chown" -> "CAP_CHOWN"; "ALL" stays; -1 if unknown */
int compose_cap_normalize(const char *in, char *out, size_t size);
/* "SIGUSR1", "usr1", "10", "SIGRTMIN+3" -> the signal's number; 0 if it is
 * not a signal (1-64, numbered as Docker does: RTMIN is 34) */
int compose_signal_parse(const char *s);
/* 10 -> "SIGUSR1", 37 -> "SIGRTMIN+3"; buf of at least 16 bytes */
const char *compose_signal_name(int sig, char *buf, size_t size);
/* the capability table, for spec.c: NULL-terminated names "CAP_..." */
extern const char *const compose_cap_names[];

/* the value of the label key ("com.docker.compose.project"), or NULL */
const char *compose_label(const struct container_def *d, const char *key);

void strv_free(struct strv *s);
int strv_push(struct strv *s, const char *str);

/* json.c: the parsed definition as one JSON object (for
 * `berth compose-check` and tests); a yajl_gen from <yajl/yajl_gen.h> */
struct yajl_gen_t;
int compose_json(struct yajl_gen_t *g, const struct container_def *d);

/* project.c: a compose project (docker compose v2's model: -f files
 * merged, include, extends, profiles, interpolation from the environment
 * and .env or --env-file) */
struct compose_opts {
	const char *const *files; /* -f, in order; none: COMPOSE_FILE, else compose.yaml in dir */
	size_t nfiles;
	const char *name; /* -p; NULL: COMPOSE_PROJECT_NAME, name:, the directory */
	const char *dir;  /* --project-directory; NULL: the first file's */
	const char *const *env_files; /* --env-file; none: DIR/.env if there is one */
	size_t nenv_files;
	const char *const *profiles; /* --profile (COMPOSE_PROFILES adds to them) */
	size_t nprofiles;
	const char *const *services; /* named on the command line: active whatever their profiles */
	size_t nservices;
};

struct compose_project {
	char *name; /* the project's name */
	char *dir;  /* its directory, absolute */
	struct strv files; /* every file read (the model's nodes name them) */
	struct strv vars;  /* .env's (or --env-file's) KEY=VALUE */
	struct ynode *model; /* the normalised model: name, services, networks, volumes, secrets, configs */
	struct container_def *svcs; /* each active service, parsed, in the model's order */
	size_t nsvcs;
};

/* the errors (0: the project is good), each printed as FILE:LINE: KEY.PATH:
 * what; p is the caller's to free in any case */
int compose_project_load(const struct compose_opts *o, struct compose_project *p);
void compose_project_free(struct compose_project *p);
/* the model's body of a service, or NULL */
const struct ynode *compose_project_service(const struct compose_project *p, const char *name);

/* the container of a service: its container_name, or PROJECT-SERVICE-1;
 * 0, or -1 if that is no valid name */
int compose_container_name(const struct compose_project *p, const char *service, char *buf, size_t size);
/* the service as one container's definition body (the keys only a project
 * has turned into what a definition says: named volumes scoped to the
 * project, secrets and configs as read-only bind mounts (those given by
 * environment: or content: written under ROOT/compose/PROJECT/ first),
 * depends_on naming containers, docker compose's labels); NULL after a
 * message. The caller frees it with ynode_free */
struct ynode *compose_container_body(const struct compose_project *p, const char *service, const char *root);
/* the host names of the project's own named volumes (not external) */
int compose_project_volumes(const struct compose_project *p, struct strv *names);

/* emit.c: a tree as YAML. COMPOSE_EMIT_SORTED: the model's order (name,
 * services, networks, volumes, secrets, configs, then x- keys; every
 * mapping below sorted by key);
 * COMPOSE_EMIT_LITERAL: every '$' written "$$", so reading it back
 * interpolates nothing. 0, or -1 (errno) */
#define COMPOSE_EMIT_SORTED 1
#define COMPOSE_EMIT_LITERAL 2
#include <stdio.h>
int compose_emit(FILE *out, const struct ynode *n, int flags);

#endif
